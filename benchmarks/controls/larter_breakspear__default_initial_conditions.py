# %% [markdown]
# # Negative control: Larter–Breakspear started from TVB's default initial-condition range
# targets: value
# Targets the `value` check on `max_abs_v`. The notebook follows the demo literally and keeps the
# default range [−1.5, 1.5] for W (a fraction of open channels). It executes, the data are finite and
# oscillate, but nodes started with W < 0 run away to V ≈ −200.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(20)  # deterministic runs draw their initial conditions from NumPy's global RNG

lb = models.LarterBreakspear(
    QV_max=np.array([1.0]), QZ_max=np.array([1.0]), d_V=np.array([0.65]), d_Z=np.array([0.65]),
    aee=np.array([0.36]), ani=np.array([0.4]), ane=np.array([1.0]), C=np.array([0.1]),
)
lb.variables_of_interest = ["V", "W", "Z"]

conn = connectivity.Connectivity.from_file()
conn.speed = np.array([7.0])
sim = simulator.Simulator(
    model=lb,
    connectivity=conn,
    coupling=coupling.HyperbolicTangent(a=0.5 * lb.QV_max, midpoint=lb.VT, sigma=lb.d_V),
    integrator=integrators.HeunDeterministic(dt=0.2),
    monitors=(monitors.TemporalAverage(period=2.0),),
    simulation_length=6000.0,
).configure()
lb_run = sim.run()
time, data = lb_run[0]
print("data (time, V/W/Z, region, mode):", data.shape)

# %%
V = data[time >= 1000.0, 0, :, 0]
max_abs_v = float(np.abs(V).max())
FC = np.corrcoef(V.T)
upper = np.triu_indices_from(FC, k=1)
W = (conn.weights + conn.weights.T) / 2.0
fc_sc_r = float(np.corrcoef(FC[upper], np.log10(1.0 + W)[upper])[0, 1])
print(f"V stays within ±{max_abs_v:.2f}; mean FC {FC[upper].mean():.3f}; r(FC, log SC) = {fc_sc_r:.2f}")

fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
axes[0].plot(time, data[:, 0, :, 0], "k", alpha=0.1)
axes[0].set_xlabel("time (ms)")
axes[0].set_ylabel("V")
image = axes[1].imshow(FC, cmap="RdBu_r", vmin=-1, vmax=1)
axes[1].set_title("FC of V")
fig.colorbar(image, ax=axes[1])
plt.show()
