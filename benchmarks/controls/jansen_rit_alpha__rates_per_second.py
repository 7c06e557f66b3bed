# %% [markdown]
# # Negative control: Jansen–Rit rate constants entered in s⁻¹
# targets: psd_peak
# Targets the `psd_peak` check. The notebook copies a = 100 s⁻¹ and b = 50 s⁻¹ from the paper, but TVB's
# time unit is the millisecond (a = 0.1, b = 0.05 ms⁻¹). The run executes and has the right shape,
# but the columns are 1000× too fast and the integration blows up (NaN), so no alpha peak exists.

# %%
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(4)
model = models.JansenRit(a=np.array([100.0]), b=np.array([50.0]))
sigma = np.zeros(6)
sigma[4] = 1e-3
sim = simulator.Simulator(
    model=model,
    connectivity=connectivity.Connectivity.from_file(),
    coupling=coupling.SigmoidalJansenRit(a=np.array([1.0])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=sigma)),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=4000.0,
).configure()
jr = sim.run()
time, data = jr[0]
pyramidal = data[:, 1, :, 0] - data[:, 2, :, 0]  # y1 − y2
print("recorded:", data.shape)
