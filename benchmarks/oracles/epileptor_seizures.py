# %% [markdown]
# # Modelling epilepsy with the Epileptor
# A left temporal-lobe epilepsy: five left limbic/temporal regions are given a high excitability x0
# (above the critical value ≈ −2.05, so they seize on their own), every other region a low one. After the
# initial transient, only the epileptogenic regions show recurrent seizures.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(15)
conn = connectivity.Connectivity.from_file()
conn.configure()
labels = list(conn.region_labels)

most = ["lHC", "lPHC", "lAMYG"]   # x0 = −1.6
less = ["lTCI", "lTCV"]           # x0 = −1.8
x0 = np.full(conn.number_of_regions, -2.4)
x0[[labels.index(name) for name in most]] = -1.6
x0[[labels.index(name) for name in less]] = -1.8

epileptor = models.Epileptor(x0=x0)  # other parameters at their defaults (Iext 3.1, r 0.00035)
print("variables of interest:", epileptor.variables_of_interest)

sim = simulator.Simulator(
    model=epileptor,
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([1.0])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.0, 0.0, 0.0, 3e-4, 3e-4, 0.0]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=6000.0,
).configure()
epilepsy_run = sim.run()
time, data = epilepsy_run[0]
lfp = data[:, 0, :, 0]  # x2 − x1: ≈ +0.8 at rest, drops below 0 during a seizure
print("data:", data.shape)

# %% [markdown]
# ## Seizure onsets (first drop of x2 − x1 below 0 after the 2 s transient)

# %%
after = time >= 2000.0
for name in most + less + ["rHC", "lTCS", "lA1"]:
    below = np.where(lfp[after, labels.index(name)] < 0.0)[0]
    print(f"{name:6s} x0 = {x0[labels.index(name)]:+.1f}: " + (f"seizure at {time[after][below[0]]:.0f} ms" if below.size else "no seizure"))
others = [i for i in range(len(labels)) if labels[i] not in most + less]
print("healthy regions that seize:", [labels[i] for i in others if (lfp[after, i] < 0).any()])

# %%
fig, ax = plt.subplots(figsize=(10, 5))
for k, i in enumerate([labels.index(n) for n in most + less] + others[::10]):
    ax.plot(time, lfp[:, i] + 3 * k, lw=0.5, color="r" if labels[i] in most + less else "k")
    ax.text(time[-1] + 50, 3 * k + 0.8, labels[i], fontsize=7)
ax.axvspan(0, 2000, color="0.9")
ax.set_xlabel("time (ms)")
ax.set_yticks([])
plt.show()
