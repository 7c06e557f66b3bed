# %% [markdown]
# # Negative control: the stimulus is built but never given to the simulator
# targets: evoked
# Targets the `evoked` checks. The pulse pattern is configured correctly, but `stimulus=` is missing
# from the Simulator, so nothing happens at 1000 ms. The notebook executes and still prints "peaks"
# (noise), which is why the check compares them with the baseline.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(13)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)

weight = np.zeros(conn.number_of_regions)
weight[labels.index("rV1")] = 1.0
pulse = equations.PulseTrain()
pulse.parameters.update(onset=1000.0, tau=20.0, T=10000.0, amp=1.0)  # T > simulation: one pulse
stimulus = patterns.StimuliRegion(temporal=pulse, connectivity=conn, weight=weight)

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.05])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([1e-6]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=2000.0,
).configure()
evoked_run = sim.run()
time, data = evoked_run[0]

# %% [markdown]
# ## Peak amplitude and latency (baseline: the 500 ms before the pulse)

# %%
baseline = (time >= 500.0) & (time < 1000.0)
after = time >= 1000.0
fig, ax = plt.subplots(figsize=(7, 3.5))
window = (time >= 900.0) & (time <= 1400.0)
for name in ["rV1", "rV2", "lV1"]:
    x = data[:, 0, labels.index(name), 0]
    deviation = np.abs(x[after] - x[baseline].mean())
    k = np.argmax(deviation)
    print(f"{name}: peak deviation {deviation[k]:.3f} ({deviation[k] / x[baseline].std():.0f}× baseline std) "
          f"at {time[after][k] - 1000.0:.0f} ms after onset")
    ax.plot(time[window], x[window] - x[baseline].mean(), label=name)
ax.axvline(1000.0, color="grey", ls="--")
ax.set_xlabel("time (ms)")
ax.set_ylabel("V − baseline")
ax.legend()
plt.show()
