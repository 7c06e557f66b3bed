# %% [markdown]
# # Negative control: the "stochastic" run forgot its noise
# targets: psd_peak
# Both runs use HeunDeterministic, so `stochastic` is a decaying transient: it executes cleanly,
# but the PSD check on `stochastic` must fail even though the spectrum's argmax sits near 10 Hz.

# %%
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(7)


def simulate(integrator):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([4.0])
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.0152])),
        integrator=integrator,
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=4000.0,
    ).configure()
    (time, data), = sim.run()
    return time, data


deterministic = simulate(integrators.HeunDeterministic(dt=0.1))
stochastic = simulate(integrators.HeunDeterministic(dt=0.1))
