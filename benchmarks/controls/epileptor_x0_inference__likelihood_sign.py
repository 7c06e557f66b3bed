# %% [markdown]
# # Negative control: the log-likelihood has the wrong sign
# targets: recovered
# log p = +SSE / (2σ²) instead of −SSE / (2σ²): the "posterior" peaks on the worst-fitting x0.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(0)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])
labels = list(conn.region_labels)
n = len(labels)
ez = labels.index("rHC")
x0_true, sigma = -1.8, 0.1


def simulate(x0_ez, length=1500.0):
    x0 = np.full(n, -2.4)
    x0[ez] = x0_ez
    rest = np.tile(np.array([-1.63, 3.1])[None, :, None, None], (1, 1, n, 1))   # x1, z at rest
    sim = simulator.Simulator(
        model=models.Epileptor2D(x0=x0, Ks=np.array([-0.2]), variables_of_interest=["x1", "z"]),
        connectivity=conn,
        coupling=coupling.Difference(a=np.array([1.0])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=(monitors.TemporalAverage(period=1.0),),
        initial_conditions=rest,
        simulation_length=length,
    ).configure()
    return sim.run()[0]


# %% [markdown]
# ## The synthetic observation

# %%
observed = simulate(x0_true)
time, data = observed
rng = np.random.default_rng(1)
y = data[:, 0, ez, 0] + sigma * rng.standard_normal(time.size)

# %% [markdown]
# ## Grid posterior over x0 ∈ [−2.4, −1.4], step 0.1

# %%
grid = np.round(np.arange(-2.4, -1.35, 0.1), 2)
sse = np.array([np.sum((y - simulate(x0)[1][:, 0, ez, 0]) ** 2) for x0 in grid])
log_post = sse / (2 * sigma**2)
posterior = np.exp(log_post - log_post.max())
posterior /= posterior.sum()
x0_map = float(grid[np.argmax(posterior)])
x0_mean = float(np.sum(grid * posterior))
print(f"MAP x0 = {x0_map:.2f}, posterior mean {x0_mean:.3f} (truth {x0_true})")

fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(grid, posterior, width=0.08)
ax.axvline(x0_true, color="red", linestyle="--", label="truth")
ax.set_xlabel("x0 of rHC")
ax.set_ylabel("posterior")
ax.legend()
plt.show()
