# %% [markdown]
# # Negative control: the pulse goes to the right motor cortex
# targets: evoked
# The stimulus weight is placed on rM1 (region 12) instead of lM1: the left motor cortex and its target
# show no evoked response.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(5)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([4.0])
conn.configure()
labels = list(conn.region_labels)
site = labels.index("lM1")

# weights[i, j] is the connection from region j to region i: the targets of lM1 are in its column
outgoing = conn.weights[:, site].copy()
outgoing[site] = 0.0
strongest_target = labels[int(np.argmax(outgoing))]
print("strongest structural target of lM1:", strongest_target, f"(weight {outgoing.max():.2f}, "
      f"tract {conn.tract_lengths[labels.index(strongest_target), site]:.1f} mm)")

# %% [markdown]
# ## One 20 ms pulse at 1000 ms on lM1 (a pulse train whose period exceeds the run)

# %%
pulse = equations.PulseTrain()
pulse.parameters.update(onset=1000.0, T=100000.0, tau=20.0)
weight = np.zeros(len(labels))
weight[labels.index("rM1")] = 1.0    # meant lM1
stimulus = patterns.StimuliRegion(temporal=pulse, connectivity=conn, weight=weight)

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.05])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([5e-5]), noise_seed=5)),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=stimulus,
    simulation_length=2000.0,
).configure()
stimulated = sim.run()
time, data = stimulated[0]

# %%
x = data[:, 0, :, 0]
baseline = x[(time >= 500) & (time < 1000)].mean(axis=0)
after = time >= 1000
deviation = np.abs(x[after] - baseline)
for region in ("lM1", strongest_target):
    i = labels.index(region)
    print(f"{region}: peak deviation {deviation[:, i].max():.2f} at +{time[after][np.argmax(deviation[:, i])] - 1000:.0f} ms")

plt.figure(figsize=(7, 3))
for region in ("lM1", strongest_target, "rV1"):
    plt.plot(time, x[:, labels.index(region)], label=region)
plt.axvline(1000, color="k", linestyle=":")
plt.xlim(800, 1400)
plt.xlabel("time (ms)")
plt.legend()
plt.show()
