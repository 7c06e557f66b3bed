# %% [markdown]
# # Simulating on a small hand-made connectivity
# A four-region connectome (two auditory regions per hemisphere) written by hand: labels, centres,
# weights and tract lengths. `configure()` derives the delays from the tract lengths and the speed.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(16)
labels = np.array(["lA1", "lA2", "rA1", "rA2"])
centres = np.array([[-37.0, -19.0, 14.0], [-49.0, -28.0, 15.0], [37.0, -19.0, 14.0], [49.0, -28.0, 15.0]])
weights = np.array([
    [0.0, 1.0, 0.5, 0.0],
    [1.0, 0.0, 0.0, 0.5],
    [0.5, 0.0, 0.0, 1.0],
    [0.0, 0.5, 1.0, 0.0],
])
tract_lengths = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)

conn = connectivity.Connectivity(weights=weights, tract_lengths=tract_lengths, centres=centres,
                                 region_labels=labels, speed=np.array([7.5]))
conn.configure()
print(conn.summary_info())
max_delay_ms = float((tract_lengths[weights > 0] / 7.5).max())
print(f"longest delay between connected regions: {max_delay_ms:.2f} ms")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
for ax, matrix, title in [(axes[0], conn.weights, "weights"), (axes[1], conn.tract_lengths, "tract length (mm)")]:
    image = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(4), labels)
    ax.set_yticks(range(4), labels)
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
plt.show()

# %%
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.05])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=4000.0,
).configure()
small_run = sim.run()
time, data = small_run[0]

fs = 1000.0 / np.mean(np.diff(time))
x = data[time >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2) & (freqs <= 40)
mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
print(f"dominant frequency {freqs[band][np.argmax(mean_psd)]:.2f} Hz")

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(time[:1000], data[:1000, 0, :, 0])
axes[0].legend(labels, fontsize=7)
axes[0].set_xlabel("time (ms)")
axes[1].semilogy(freqs[band], mean_psd)
axes[1].set_xlabel("frequency (Hz)")
plt.show()
