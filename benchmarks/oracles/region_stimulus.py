# %% [markdown]
# # Pulse-train stimulation of four parietal regions
# Excitable Generic 2D oscillators rest until a 10 Hz train of 50 ms pulses reaches four parietal
# regions at 1.5 s; each pulse then triggers a large excursion in the stimulated regions.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(6)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)
targets = ["rPCIP", "lPCIP", "rIP", "lIP"]
idx = [labels.index(name) for name in targets]
print(dict(zip(targets, idx)))

# %%
weight = np.zeros(conn.number_of_regions)
weight[idx] = 0.1
train = equations.PulseTrain()
train.parameters.update(onset=1500.0, T=100.0, tau=50.0)
stimulus = patterns.StimuliRegion(temporal=train, connectivity=conn, weight=weight)

stimulus.configure_space()
stimulus.configure_time(np.arange(0.0, 3000.0, 1.0))
plt.figure(figsize=(6, 3))
plt.imshow(stimulus(), aspect="auto", interpolation="none", extent=[0, 3000, 76, 0])
plt.xlabel("time (ms)")
plt.ylabel("region")
plt.show()

# %%
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([7e-4])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([5e-5]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=stimulus,
    simulation_length=3000.0,
).configure()
stimulated = sim.run()
time, data = stimulated[0]

# %%
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(time, data[:, 0, :, 0], "k", alpha=0.08)
for i, name in zip(idx, targets):
    ax.plot(time, data[:, 0, i, 0], lw=0.8, label=name)
ax.plot(time, data[:, 0, :, 0].mean(axis=1), "r", lw=1.5, label="mean")
ax.axvline(1500, color="grey", ls="--")
ax.set_xlabel("time (ms)")
ax.legend(fontsize=7, ncol=5)
plt.show()
print("Before 1500 ms all regions fluctuate around rest; from 1500 ms every pulse drives the four stimulated regions "
      "through a full excursion, while the rest of the network barely moves (the coupling is weak).")
