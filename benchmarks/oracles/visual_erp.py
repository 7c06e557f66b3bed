# %% [markdown]
# # A visual evoked response in a whole-brain model
# Excitable nodes (a Generic 2D oscillator below threshold) with very low noise: the flash makes rV1
# fire within ~10 ms; rV2 (strongly connected) follows after ~30 ms with a smaller deflection, the
# contralateral lV1 later and weaker.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(28)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)

weight = np.zeros(len(labels))
weight[labels.index("rV1")] = 1.0
flash = equations.PulseTrain()
flash.parameters.update(onset=1000.0, tau=20.0, T=1e4, amp=1.0)

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.05])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([1e-6]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=patterns.StimuliRegion(temporal=flash, connectivity=conn, weight=weight),
    simulation_length=2000.0,
).configure()
erp_run = sim.run()
time, data = erp_run[0]

# %%
baseline = (time >= 500.0) & (time < 1000.0)
window = (time >= 900.0) & (time <= 1400.0)
plt.figure(figsize=(7, 3.5))
for name in ["rV1", "rV2", "lV1"]:
    x = data[:, 0, labels.index(name), 0]
    dev = np.abs(x[time >= 1000.0] - x[baseline].mean())
    print(f"{name}: peak {dev.max():.3f} ({dev.max() / x[baseline].std():.0f}× baseline sd) "
          f"at {time[time >= 1000.0][dev.argmax()] - 1000.0:.0f} ms")
    plt.plot(time[window] - 1000.0, x[window] - x[baseline].mean(), label=name)
plt.yscale("symlog", linthresh=0.01)
plt.xlabel("time after flash (ms)")
plt.legend()
plt.show()
