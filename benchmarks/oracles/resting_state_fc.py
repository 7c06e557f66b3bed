# %% [markdown]
# # Functional connectivity of a resting-state simulation
# Noisy Generic 2D oscillators just past their Hopf bifurcation, coupled through the connectome with
# delays; the region-by-region correlation (FC) partly mirrors the structural weights (SC).

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(14)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([4.0])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.8])),
    connectivity=conn,
    coupling=coupling.Linear(a=np.array([0.033])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([2 ** -10]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=10000.0,
).configure()
resting = sim.run()
time, data = resting[0]

# %% [markdown]
# ## FC after the first second; comparison with log-scaled, symmetrised SC

# %%
x = data[time >= 1000.0, 0, :, 0]
FC = np.corrcoef(x.T)  # regions × regions
upper = np.triu_indices_from(FC, k=1)
mean_fc = float(FC[upper].mean())
W = (conn.weights + conn.weights.T) / 2.0
SC = np.log10(1.0 + W)
fc_sc_r = float(np.corrcoef(FC[upper], SC[upper])[0, 1])
print(f"mean FC {mean_fc:.3f}, r(FC, log SC) = {fc_sc_r:.3f}")

# %%
labels = conn.region_labels
fig, axes = plt.subplots(1, 3, figsize=(16, 5))
for ax, matrix, title in [(axes[0], FC, "FC"), (axes[1], SC, "log10(1 + SC)")]:
    image = ax.imshow(matrix, cmap="RdBu_r" if title == "FC" else "viridis", vmin=-1 if title == "FC" else 0)
    ax.set_xticks(range(0, 76, 5), labels[::5], rotation=90, fontsize=6)
    ax.set_yticks(range(0, 76, 5), labels[::5], fontsize=6)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046)
axes[2].scatter(SC[upper], FC[upper], s=3, alpha=0.4)
axes[2].set_xlabel("log10(1 + SC)")
axes[2].set_ylabel("FC")
axes[2].set_title(f"r = {fc_sc_r:.2f}")
plt.tight_layout()
plt.show()
