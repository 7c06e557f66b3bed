# %% [markdown]
# # Negative control: a plausible-looking notebook with an API error
# targets: executes
# `Connectivity(load_default=True)` is the pre-2.0 API; TVB 2.10 raises on it.

# %%
import numpy as np
from tvb.simulator.lab import connectivity, models, simulator

# %%
conn = connectivity.Connectivity(load_default=True)
sim = simulator.Simulator(model=models.Generic2dOscillator(), connectivity=conn).configure()
(time, data), = sim.run()
