# %% [markdown]
# # Negative control: the sweep measures a stale array
# targets: trend
# A first exploratory run leaves `time, data` in the notebook; inside the sweep the FC is computed from
# that global `data` instead of the new run's output, so every coupling value gets the same numbers.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

weights = connectivity.Connectivity.from_file().weights
sc = np.log10(1 + (weights + weights.T) / 2)
upper = np.triu_indices(len(sc), 1)


conn0 = connectivity.Connectivity.from_file()
conn0.speed = np.array([np.inf])
np.random.seed(4)
(time, data), = simulator.Simulator(
    model=models.Generic2dOscillator(), connectivity=conn0, coupling=coupling.Linear(a=np.array([0.02])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=4)),
    monitors=(monitors.TemporalAverage(period=1.0),), simulation_length=3000.0,
).configure().run()


def run(strength):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    np.random.seed(4)
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([strength])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=4)),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=3000.0,
    ).configure()
    result = sim.run()
    fc = np.corrcoef(data[time >= 500.0, 0, :, 0].T)     # BUG: the global `data`, not `result`
    return float(fc[upper].mean()), float(np.corrcoef(fc[upper], sc[upper])[0, 1])


coupling_values = [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]
mean_fc, sc_fc_r = [], []
for g in coupling_values:
    m, r = run(g)
    mean_fc.append(m)
    sc_fc_r.append(r)
    print(f"coupling {g:.2f}: mean FC {m:.3f}, SC–FC r {r:.3f}")

best_sc_fc_r = max(sc_fc_r)
print(f"best SC–FC correlation {best_sc_fc_r:.2f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(coupling_values, sc_fc_r, "o-", label="SC–FC correlation")
ax.plot(coupling_values, mean_fc, "s-", label="mean FC")
ax.set_xlabel("global coupling")
ax.legend()
plt.show()
