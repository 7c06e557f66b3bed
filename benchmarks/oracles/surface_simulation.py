# %% [markdown]
# # Cortical surface simulation with local connectivity and EEG
# Every one of the 16 384 cortical vertices carries a Generic 2D oscillator; vertices interact through a
# precomputed local connectivity kernel and, via the 76-region connectome, over long range. A 62-channel
# EEG is projected from the surface.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.datatypes.cortex import Cortex
from tvb.datatypes.projections import ProjectionSurfaceEEG
from tvb.datatypes.region_mapping import RegionMapping
from tvb.datatypes.sensors import SensorsEEG
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(9)
conn = connectivity.Connectivity.from_file("connectivity_76.zip")
conn.speed = np.array([4.0])

# %% [markdown]
# ## Surface, local connectivity and EEG sensors
# The local connectivity is loaded from tvb_data (computing it needs the optional `gdist` package).

# %%
region_mapping = RegionMapping.from_file("regionMapping_16k_76.txt")
cortex = Cortex.from_file(region_mapping_file="regionMapping_16k_76.txt",
                          local_connectivity_file="local_connectivity_16384.mat")
cortex.region_mapping_data.connectivity = conn
cortex.coupling_strength = np.array([2 ** -10])

eeg = monitors.EEG(
    sensors=SensorsEEG.from_file("eeg_unitvector_62.txt.bz2"),
    projection=ProjectionSurfaceEEG.from_file("projection_eeg_62_surface_16k.mat", matlab_data_name="ProjectionMatrix"),
    region_mapping=region_mapping,
    period=1.0,
)

# %%
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.1]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.014])),
    integrator=integrators.HeunStochastic(dt=0.25, noise=noise.Additive(nsig=np.array([2 ** -5]))),
    monitors=(eeg, monitors.TemporalAverage(period=1.0)),
    surface=cortex,
    simulation_length=500.0,
).configure()
surface_run = sim.run()
(eeg_time, eeg_data), (tavg_time, tavg_data) = surface_run
print("EEG:", eeg_data.shape, " vertices:", tavg_data.shape)

# %%
fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
axes[0].plot(eeg_time, eeg_data[:, 0, :6, 0])
axes[0].set_ylabel("EEG")
axes[1].plot(tavg_time, tavg_data[:, 0, ::2000, 0])
axes[1].set_ylabel("vertex activity")
axes[1].set_xlabel("time (ms)")
plt.show()
