# %% [markdown]
# # Negative control: Welch's method applied along the wrong axis
# targets: value
# Targets the `value` check on `peak_hz`. The simulation is correct (the `rest` signal has a clean
# 10 Hz peak), but `signal.welch` is called with its default `axis=-1`, which on time-first data
# computes a "spectrum" across the 76 regions. The reported dominant frequency is meaningless.

# %%
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(23)
sigma = np.zeros(6)
sigma[4] = 1e-3
sim = simulator.Simulator(
    model=models.JansenRit(),
    connectivity=connectivity.Connectivity.from_file(),
    coupling=coupling.SigmoidalJansenRit(a=np.array([1.0])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=sigma)),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=4000.0,
).configure()
rest = sim.run()
time, data = rest[0]

# %%
fs = 1000.0 / np.mean(np.diff(time))
x = data[time >= 1000.0, 1, :, 0] - data[time >= 1000.0, 2, :, 0]
freqs, psd = signal.welch(x, fs=fs, nperseg=256)  # axis=-1: across regions, not time
mean_psd = psd.mean(axis=0)
keep = (freqs >= 2.0) & (freqs <= 40.0)
peak_hz = float(freqs[keep][np.argmax(mean_psd[keep])])
print(f"dominant frequency {peak_hz:.2f} Hz")
