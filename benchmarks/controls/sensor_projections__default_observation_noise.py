# %% [markdown]
# # Negative control: projection monitors left with their default observation noise
# targets: psd_peak
# Targets the `psd_peak` check on the iEEG recording. The monitors keep `obsnoise` (white noise of
# std √dt = 0.32 here, whatever nsig says), which is ~50× larger than the iEEG signal of a region
# simulation; the run executes and every shape is right, but the iEEG spectrum is flat noise.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.datatypes.region_mapping import RegionMapping
from tvb.datatypes.sensors import SensorsInternal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(8)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])

eeg_monitor = monitors.EEG.from_file(period=1.0)
meg_monitor = monitors.MEG.from_file(period=1.0)
ieeg_monitor = monitors.iEEG(
    sensors=SensorsInternal.from_file("seeg_588.txt"),
    region_mapping=RegionMapping.from_file("regionMapping_16k_76.txt"),
    period=1.0,
)

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(eeg_monitor, meg_monitor, ieeg_monitor),
    simulation_length=4000.0,
).configure()
recordings = sim.run()
for name, (t, d) in zip(["EEG", "MEG", "iEEG"], recordings):
    print(f"{name}: {d.shape[2]} channels, {d.shape[0]} samples, std {d.std():.3g}")

# %%
fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
for ax, name, (t, d) in zip(axes, ["EEG", "MEG", "iEEG"], recordings):
    ax.plot(t[:1000], d[:1000, 0, :8, 0])
    ax.set_ylabel(name)
axes[-1].set_xlabel("time (ms)")
plt.show()

# %% [markdown]
# ## Dominant frequency of the iEEG channels

# %%
t, d = recordings[2]
fs = 1000.0 / np.mean(np.diff(t))
x = d[t >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2) & (freqs <= 40)
mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
print(f"iEEG dominant frequency {freqs[band][np.argmax(mean_psd)]:.2f} Hz")
