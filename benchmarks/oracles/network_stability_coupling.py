# %% [markdown]
# # The network's resting state loses stability when the global coupling grows
#
# Generic 2D oscillators with TVB's default parameters are damped foci: alone, each returns to rest.
# Coupled through the 76-region connectome, the rest state stays stable for weak coupling and becomes
# unstable beyond a critical coupling, where the network oscillates on its own.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator


def run(strength):
    np.random.seed(8)
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([strength])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=4000.0,
    ).configure()
    return sim.run()


weak = run(0.02)
strong = run(0.1)

# %%
for name, result in (("weak (0.02)", weak), ("strong (0.1)", strong)):
    time, data = result[0]
    late = data[time >= 3000.0, 0, :, 0]
    print(f"{name}: largest std over the last second {late.std(axis=0).max():.2e}")

fig, axes = plt.subplots(1, 2, figsize=(9, 3), sharey=True)
for ax, (name, result) in zip(axes, (("coupling 0.02", weak), ("coupling 0.1", strong))):
    time, data = result[0]
    ax.plot(time, data[:, 0, ::8, 0], linewidth=0.5)
    ax.set_title(name)
    ax.set_xlabel("time (ms)")
plt.show()
