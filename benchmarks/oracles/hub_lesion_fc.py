# %% [markdown]
# # What does a lesion of a connector hub do to functional connectivity?
# Noise-driven Generic 2D oscillators (default parameters: a damped focus) with linear coupling and no
# delays: FC follows the structural weights. Disconnecting the hub rPFCORB leaves it driven by its own
# noise only, so its FC with every other region collapses, and the network loses some of its shared input.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(30)
reference = connectivity.Connectivity.from_file()
reference.configure()
labels = list(reference.region_labels)
hub = labels.index("rPFCORB")
print("largest total input:", labels[int(np.argmax(reference.weights.sum(axis=1)))], reference.weights.sum(axis=1).max())


def simulate(lesion):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    if lesion:
        w = conn.weights.copy()
        w[hub, :] = 0.0
        w[:, hub] = 0.0
        conn.weights = w
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.055])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=30)),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=8000.0,
    ).configure()
    return sim.run()


intact = simulate(lesion=False)
lesioned = simulate(lesion=True)

# %%
def fc_of(run):
    time, data = run[0]
    return np.corrcoef(data[time >= 1000.0, 0, :, 0].T)


upper = np.triu_indices(len(labels), k=1)
W = (reference.weights + reference.weights.T) / 2.0
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
for ax, (name, run) in zip(axes, [("intact", intact), ("lesioned", lesioned)]):
    fc = fc_of(run)
    others = np.delete(np.abs(fc[hub]), hub)
    print(f"{name:8s}: mean FC {fc[upper].mean():.3f}; largest |FC| of rPFCORB {others.max():.3f}")
    image = ax.imshow(fc, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(name)
fig.colorbar(image, ax=axes)
plt.show()
print(f"intact FC vs log SC: r = {np.corrcoef(fc_of(intact)[upper], np.log10(1 + W)[upper])[0, 1]:.2f}")
