# %% [markdown]
# # Negative control: BOLD monitor left at its default period
# targets: signal
# `monitors.Bold()` samples every 2000 ms, so 20 s give 10 samples instead of the 40 the goal
# asks for (period 500 ms). It executes cleanly; the signal check must fail.

# %%
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(3)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.Bold(),),
    simulation_length=20000.0,
).configure()
(bold_time, bold_data), = sim.run()
print("BOLD:", bold_data.shape)
