# %% [markdown]
# # BOLD signal from a whole-brain simulation
#
# A Bold monitor samples the haemodynamic response every `period` ms (2000 ms by default, so a
# short run returns nothing). Here: period 500 ms and a 20 s simulation → 40 BOLD samples per region.

# %%
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(3)

# %%
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.TemporalAverage(period=2.0), monitors.Bold(period=500.0)),
    simulation_length=20000.0,
).configure()

(tavg_time, tavg_data), (bold_time, bold_data) = sim.run()
print("temporal average:", tavg_data.shape, " BOLD:", bold_data.shape)

# %% [markdown]
# ## Functional connectivity from BOLD
# Drop the first 5 s (the haemodynamic response needs time to settle), then correlate regions.

# %%
keep = bold_time >= 5000.0
bold = bold_data[keep, 0, :, 0]
fc = np.corrcoef(bold.T)
print("BOLD samples kept:", bold.shape[0], " mean off-diagonal FC:", fc[~np.eye(len(fc), dtype=bool)].mean().round(3))
