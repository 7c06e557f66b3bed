# %% [markdown]
# # Negative control: EZ and PZ placed by 1-based region numbers
# targets: seizure
# The regions are set by their positions "10, 3, 25" counted from 1 (rHC, rAMYG, rPHC), but numpy counts
# from 0: x0 lands on rIA, rCCA and rPMCDL. The seizure starts in the wrong region; rHC never seizes.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(42)

conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])      # no delays: the slow seizure dynamics dominate
labels = list(conn.region_labels)
n = len(labels)

ez, pz = ["rHC"], ["rAMYG", "rPHC"]
x0 = np.full(n, -2.4)
x0[[10]] = -1.6        # rHC is region 10 in the atlas table (1-based)
x0[[3, 25]] = -1.8     # rAMYG, rPHC

# %% [markdown]
# ## Model
# TVB's Epileptor: r = 1/τ0 with τ0 = 2857 ms (r = 0.00035 /ms, the default); the paper's permittivity
# coupling −K Σ C_ij (x1_j − x1_i) on z is TVB's `Ks = −K` with `Difference` coupling on x1.

# %%
epileptor = models.Epileptor(x0=x0, r=np.array([1.0 / 2857.0]), Ks=np.array([-0.2]))
rest = np.array([-1.62, -12.2, 3.1, -0.84, 0.0, -0.16])          # x1, y1, z, x2, y2, g at rest (x0 = −2.4)
initial = np.tile(rest[None, :, None, None], (1, 1, n, 1))        # (history, state variable, region, mode)

sim = simulator.Simulator(
    model=epileptor,
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([1.0])),
    integrator=integrators.HeunStochastic(
        dt=0.05, noise=noise.Additive(nsig=np.array([0.0, 0.0, 0.0, 3e-4, 3e-4, 0.0]), noise_seed=42)),
    monitors=(monitors.TemporalAverage(period=1.0),),
    initial_conditions=initial,
    simulation_length=2500.0,
).configure()
seizure_run = sim.run()
time, data = seizure_run[0]          # variables of interest: x2 − x1, z
print("data:", data.shape)

# %% [markdown]
# ## Onsets: first time the fast activity x2 − x1 falls below 0

# %%
lfp = data[:, 0, :, 0]
onset_ms = {}
for region in ez + pz:
    below = np.where(lfp[:, labels.index(region)] < 0.0)[0]
    onset_ms[region] = float(time[below[0]]) if below.size else None
others_seizing = [labels[i] for i in range(n) if labels[i] not in ez + pz and (lfp[:, i] < 0.0).any()]
print("onsets (ms):", onset_ms, " other regions seizing:", others_seizing)

fig, ax = plt.subplots(figsize=(8, 4))
for i in range(n):
    style = dict(color="red") if labels[i] in ez else dict(color="orange") if labels[i] in pz else dict(color="grey", alpha=0.3)
    ax.plot(time, lfp[:, i] + 0 * i, linewidth=0.6, **style)
ax.set_xlabel("time (ms)")
ax.set_ylabel("x2 − x1")
ax.set_title("EZ red, PZ orange, other regions grey")
plt.show()
