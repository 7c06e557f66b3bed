# %% [markdown]
# # Two groups of regions driven by rhythmic stimulation at different times
# Excitable oscillators rest without input; each pulse of a train makes a stimulated node fire.
# Two pulse trains with their own nodes, rhythms and onsets are summed into one stimulus.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.basic.neotraits.api import Attr, NArray
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator

np.random.seed(25)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)


class SummedStimuli(patterns.StimuliRegion):
    """A region stimulus that is the sum of several region stimuli."""
    connectivity = Attr(connectivity.Connectivity, required=False)
    temporal = Attr(field_type=equations.TemporalApplicableEquation, required=False)
    weight = NArray(required=False)

    def __init__(self, *parts):
        super().__init__()
        self.parts = parts

    def configure_space(self, *args, **kwargs):
        for part in self.parts:
            part.configure_space(*args, **kwargs)

    def configure_time(self, *args, **kwargs):
        for part in self.parts:
            part.configure_time(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return np.sum([part(*args, **kwargs) for part in self.parts], axis=0)


def train(regions, amplitude, onset, period, width):
    weight = np.zeros(len(labels))
    weight[[labels.index(r) for r in regions]] = amplitude
    eq = equations.PulseTrain()
    eq.parameters.update(onset=onset, T=period, tau=width)
    return patterns.StimuliRegion(temporal=eq, connectivity=conn, weight=weight)


auditory, motor = ["lA1", "rA1"], ["lM1", "rM1"]
stimulus = SummedStimuli(train(auditory, 1.0, 1000.0, 100.0, 20.0), train(motor, 1.0, 2500.0, 200.0, 50.0))

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),  # excitable: rests without input
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([7e-4])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([5e-5]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=stimulus,
    simulation_length=4000.0,
).configure()
stimulated = sim.run()
time, data = stimulated[0]

# %%
fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
stimulus.configure_time(time.reshape((1, -1)))
pattern = stimulus()
for name in auditory + motor:
    axes[0].plot(time, pattern[labels.index(name)], label=name)
    axes[1].plot(time, data[:, 0, labels.index(name), 0], label=name)
axes[0].set_ylabel("stimulus")
axes[1].set_ylabel("activity")
axes[1].set_xlabel("time (ms)")
axes[1].legend(fontsize=7)
plt.show()

rest = (time >= 500.0) & (time < 1000.0)
for group in (auditory, motor):
    x = data[:, 0, [labels.index(n) for n in group], 0]
    departed = np.abs(x - x[rest].mean(axis=0)) > 5 * x[rest].std(axis=0)
    first = time[np.argmax(departed.any(axis=1) & (time >= 1000.0))]
    print(f"{'/'.join(group)} first departs from rest at {first:.0f} ms")
others = [i for i, n in enumerate(labels) if n not in auditory + motor]
print(f"largest excursion of an unstimulated region: {np.abs(data[time >= 1000.0, 0, :, 0][:, others]).max():.2f} "
      f"(stimulated regions reach {np.abs(data[:, 0, [labels.index(n) for n in auditory + motor], 0]).max():.2f})")
