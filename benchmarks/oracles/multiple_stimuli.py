# %% [markdown]
# # Several stimuli at once
# Three pulse trains with their own nodes, amplitudes, periods and onsets are summed into one
# region-level stimulus. The nodes are Generic 2D oscillators in an excitable regime, so each train
# triggers responses in the nodes it targets, from its own onset on.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, patterns, simulator
from tvb.basic.neotraits.api import Attr, NArray

np.random.seed(5)

conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)

# %% [markdown]
# ## A stimulus that sums several `StimuliRegion` objects
# TVB has no built-in container for several region stimuli, so we subclass `StimuliRegion` and add the
# patterns of its members.

# %%
class MultiStimuliRegion(patterns.StimuliRegion):
    connectivity = Attr(connectivity.Connectivity, required=False)
    temporal = Attr(field_type=equations.TemporalApplicableEquation, required=False)
    weight = NArray(required=False)

    def __init__(self, *stimuli):
        super().__init__()
        self.stimuli = stimuli

    def configure_space(self, *args, **kwargs):
        for stimulus in self.stimuli:
            stimulus.configure_space(*args, **kwargs)

    def configure_time(self, *args, **kwargs):
        for stimulus in self.stimuli:
            stimulus.configure_time(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        return np.array([stimulus(*args, **kwargs) for stimulus in self.stimuli]).sum(axis=0)


def pulse_train(region_labels, amplitude, **timing):
    weight = np.zeros(len(labels))
    weight[[labels.index(name) for name in region_labels]] = amplitude
    temporal = equations.PulseTrain()
    temporal.parameters.update(timing)
    return patterns.StimuliRegion(temporal=temporal, connectivity=conn, weight=weight)


group_a = ["rIA", "rPFCM"]
group_b = ["rTCC", "lAMYG"]
group_c = [labels[i] for i in np.r_[7:74:5]]
stimulus = MultiStimuliRegion(
    pulse_train(group_a, 1.0, onset=1000.0, T=100.0, tau=50.0),
    pulse_train(group_b, 2.0, onset=2500.0, T=200.0, tau=100.0),
    pulse_train(group_c, 0.2, onset=500.0, T=50.0, tau=20.0),
)
print("group C:", group_c)

# %%
stimulus.configure_space()
stimulus.configure_time(np.arange(0.0, 4000.0, 1.0))
plt.figure(figsize=(7, 3))
plt.imshow(stimulus(), aspect="auto", interpolation="none", extent=[0, 4000, len(labels), 0])
plt.xlabel("time (ms)")
plt.ylabel("region")
plt.colorbar(label="stimulus")
plt.show()

# %% [markdown]
# ## Simulation
# Excitable nodes (a = 0.3, tau = 2), weak difference coupling, weak noise, 4 s.

# %%
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([0.3]), tau=np.array([2.0])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([7e-4])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([5e-5]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    stimulus=stimulus,
    simulation_length=4000.0,
).configure()
stimulated = sim.run()
time, data = stimulated[0]
print("data:", data.shape)

# %%
fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True)
for ax, (name, group) in zip(axes, [("A (onset 1000 ms)", group_a), ("B (onset 2500 ms)", group_b), ("C (onset 500 ms)", group_c[:4])]):
    for region in group:
        ax.plot(time, data[:, 0, labels.index(region), 0], label=region)
    ax.set_title(f"group {name}", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
axes[-1].set_xlabel("time (ms)")
plt.tight_layout()
plt.show()
