# %% [markdown]
# # Negative control: the lesion is applied after `configure()`
# targets: fc
# The weights of rM1 are zeroed on `sim.connectivity` after the simulator was configured. TVB's history
# keeps its own copy of the non-zero weights from configure(), so the run is the intact brain: rM1 keeps
# its functional connections.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(3)
labels = list(connectivity.Connectivity.from_file().region_labels)
lesion = labels.index("rM1")


def simulate(lesioned):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    np.random.seed(3)
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.055])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=3)),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=10000.0,
    ).configure()
    if lesioned:                      # BUG: the simulator already copied the weights during configure()
        sim.connectivity.weights[lesion, :] = 0.0
        sim.connectivity.weights[:, lesion] = 0.0
    return sim.run()


intact = simulate(lesioned=False)
lesioned = simulate(lesioned=True)

# %% [markdown]
# ## FC after the first second; agreement of the intact FC with the structural weights

# %%
def fc_of(run):
    time, data = run[0]
    x = data[time >= 1000.0, 0, :, 0]
    return np.corrcoef(x.T)


fc_intact, fc_lesioned = fc_of(intact), fc_of(lesioned)
upper = np.triu_indices(len(labels), 1)
sc = np.log10(1 + (connectivity.Connectivity.from_file().weights + connectivity.Connectivity.from_file().weights.T) / 2)
r_sc_fc = float(np.corrcoef(fc_intact[upper], sc[upper])[0, 1])
others = np.arange(len(labels)) != lesion
rm1_max_fc_intact = float(np.abs(fc_intact[lesion, others]).max())
rm1_max_fc_lesioned = float(np.abs(fc_lesioned[lesion, others]).max())
print(f"SC–FC correlation (intact) {r_sc_fc:.2f}")
print(f"rM1 largest |FC|: intact {rm1_max_fc_intact:.2f}, lesioned {rm1_max_fc_lesioned:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, fc, title in zip(axes, (fc_intact, fc_lesioned), ("intact", "rM1 lesioned")):
    ax.imshow(fc, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_title(title)
plt.show()
