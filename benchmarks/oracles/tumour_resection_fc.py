# %% [markdown]
# # Virtual neurosurgery: resecting a frontal tumour region disconnects it functionally
#
# Desikan–Killiany connectome (68 regions, tvb-data's `connectivity_68.zip`). The resection mask covers the
# right superior frontal and right caudal middle frontal gyri: every white-matter connection of those two
# regions is removed. Pre- and post-surgery brains run the same noise-driven model with the same seeds.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(11)
resection = ["r_superiorfrontal", "r_caudalmiddlefrontal"]


def simulate(resected):
    conn = connectivity.Connectivity.from_file("connectivity_68.zip")
    labels = list(conn.region_labels)
    weights = conn.weights.copy()
    if resected:
        mask = [labels.index(r) for r in resection]
        weights[mask, :] = 0.0
        weights[:, mask] = 0.0
    conn.weights = weights
    conn.speed = np.array([np.inf])
    np.random.seed(11)
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([10.5])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=11)),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=8000.0,
    ).configure()
    return sim.run(), labels


pre_surgery, labels = simulate(resected=False)
post_surgery, _ = simulate(resected=True)

# %%
def fc_of(run):
    time, data = run[0]
    return np.corrcoef(data[time >= 1000.0, 0, :, 0].T)


fc_pre, fc_post = fc_of(pre_surgery), fc_of(post_surgery)
w = connectivity.Connectivity.from_file("connectivity_68.zip").weights
upper = np.triu_indices(len(labels), 1)
r_pre = float(np.corrcoef(fc_pre[upper], np.log10(1 + (w + w.T) / 2)[upper])[0, 1])
print(f"pre-surgery SC–FC correlation {r_pre:.2f}")
for region in resection:
    i = labels.index(region)
    keep = np.arange(len(labels)) != i
    print(f"{region}: largest |FC| pre {np.abs(fc_pre[i, keep]).max():.2f}, post {np.abs(fc_post[i, keep]).max():.2f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, fc, title in zip(axes, (fc_pre, fc_post), ("pre-surgery", "post-surgery")):
    ax.imshow(fc, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_title(title)
plt.show()
