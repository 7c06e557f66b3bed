# %% [markdown]
# # Negative control: Welch computed along the default axis (regions), not along time
# targets: value
# scipy.signal.welch defaults to axis=-1, which is the region axis of (time, region) data; the reported
# "dominant frequency" is meaningless while the simulations themselves are right.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(1)


def column(p_per_ms):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    model = models.JansenRit(
        A=np.array([3.25]), B=np.array([22.0]), a=np.array([0.1]), b=np.array([0.05]),
        v0=np.array([6.0]), nu_max=np.array([0.0025]), r=np.array([0.56]), J=np.array([135.0]),
        a_1=np.array([1.0]), a_2=np.array([0.8]), a_3=np.array([0.25]), a_4=np.array([0.25]),
        mu=np.array([p_per_ms]), variables_of_interest=["y1", "y2"],
    )
    sim = simulator.Simulator(
        model=model, connectivity=conn, coupling=coupling.SigmoidalJansenRit(a=np.array([0.0])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=4000.0,
    ).configure()
    return sim.run()                                       # [(time, data)], data (time, [y1, y2], region, mode)


def pyramidal(run):
    """The EEG proxy y1 − y2 of every column, shape (time, region)."""
    (time, data), = run
    return time, data[:, 0, :, 0] - data[:, 1, :, 0]


alpha_run = column(0.22)
rest_run = column(0.09)

# %%
time, eeg = pyramidal(alpha_run)
rest_time, rest_eeg = pyramidal(rest_run)
fs = 1000.0 / np.mean(np.diff(time))
x = eeg[time >= 1000.0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs)
psd = psd.T
band = (freqs >= 2) & (freqs <= 40)
alpha_peak_hz = float(freqs[band][np.argmax(psd[band].mean(axis=1))])
rest_std = float(rest_eeg[rest_time >= 3000.0].std(axis=0).max())
print(f"p = 220 /s: dominant frequency {alpha_peak_hz:.1f} Hz; p = 90 /s: largest std over the last second {rest_std:.1e}")

fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(time, eeg[:, 0], label="p = 220 /s")
ax.plot(rest_time, rest_eeg[:, 0], label="p = 90 /s")
ax.set_xlim(2000, 3000)
ax.set_xlabel("time (ms)")
ax.set_ylabel("y1 − y2 (mV)")
ax.legend()
plt.show()
