# %% [markdown]
# # Whole-brain simulation on the 192-region connectome
# `connectivity_192.zip` adds 116 subcortical (mostly thalamic) nuclei to the 76 cortical regions.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(17)
conn = connectivity.Connectivity.from_file("connectivity_192.zip")
conn.configure()
n_cortical = int(conn.cortical.sum())
existing = conn.weights > 0
print(f"{conn.number_of_regions} regions: {n_cortical} cortical, {conn.number_of_regions - n_cortical} subcortical; "
      f"weights {conn.weights.min():.2f}–{conn.weights.max():.2f}; mean tract length {conn.tract_lengths[existing].mean():.1f} mm")

fig, ax = plt.subplots(figsize=(6, 5))
image = ax.imshow(conn.weights, cmap="viridis", interpolation="nearest")
ticks = np.arange(0, conn.number_of_regions, 16)
ax.set_xticks(ticks, conn.region_labels[ticks], rotation=90, fontsize=7)
ax.set_yticks(ticks, conn.region_labels[ticks], fontsize=7)
fig.colorbar(image, ax=ax)
plt.show()

# %%
conn.speed = np.array([np.inf])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=4000.0,
).configure()
run_192 = sim.run()
time, data = run_192[0]

# %%
fs = 1000.0 / np.mean(np.diff(time))
x = data[time >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2) & (freqs <= 40)
normalised = psd[band] / psd[band].sum(axis=0)
peak_hz = freqs[band][np.argmax(normalised.mean(axis=1))]
print(f"dominant frequency of all 192 regions: {peak_hz:.2f} Hz")

plt.figure(figsize=(6, 3))
plt.semilogy(freqs[band], normalised[:, conn.cortical].mean(axis=1), label="cortical")
plt.semilogy(freqs[band], normalised[:, ~conn.cortical].mean(axis=1), label="subcortical")
plt.xlabel("frequency (Hz)")
plt.legend()
plt.show()
