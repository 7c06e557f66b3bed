# %% [markdown]
# # How far does a focal pulse to somatosensory cortex spread?
# Excitable Generic 2D oscillators with low noise: a 20 ms pulse makes lS1 fire; regions it projects to
# strongly receive a delayed, smaller response, weakly connected ones barely move.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(26)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)
source = labels.index("lS1")

weight = np.zeros(len(labels))
weight[source] = 1.0
pulse = equations.PulseTrain()
pulse.parameters.update(onset=1000.0, tau=20.0, T=1e4, amp=1.0)  # one pulse
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.05])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([1e-6]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=patterns.StimuliRegion(temporal=pulse, connectivity=conn, weight=weight),
    simulation_length=2000.0,
).configure()
stim_run = sim.run()
time, data = stim_run[0]

# %%
x = data[:, 0, :, 0]
baseline = (time >= 500.0) & (time < 1000.0)
after = time >= 1000.0
deviation = np.abs(x[after] - x[baseline].mean(axis=0))
peak, latency = deviation.max(axis=0), time[after][deviation.argmax(axis=0)] - 1000.0
print(f"{'region':8s} {'peak':>7s} {'× base sd':>9s} {'latency':>8s} {'w from lS1':>10s}")
for i in np.argsort(peak)[::-1][:10]:
    print(f"{labels[i]:8s} {peak[i]:7.3f} {peak[i] / x[baseline, i].std():9.0f} {latency[i]:7.0f}ms {conn.weights[i, source]:10.1f}")
print(f"correlation of response with weight from lS1: {np.corrcoef(peak[np.arange(76) != source], conn.weights[np.arange(76) != source, source])[0, 1]:.2f}")

plt.figure(figsize=(7, 3.5))
window = (time >= 950.0) & (time <= 1400.0)
for name in ["lS1", "lS2", "rS1"]:
    i = labels.index(name)
    plt.plot(time[window], x[window, i] - x[baseline, i].mean(), label=name)
plt.yscale("symlog", linthresh=0.01)
plt.xlabel("time (ms)")
plt.legend()
plt.show()
