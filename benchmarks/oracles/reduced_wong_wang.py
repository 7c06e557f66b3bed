# %% [markdown]
# # Reduced Wong–Wang network and global coupling
# A single Reduced Wong–Wang node relaxes to a low-activity fixed point; coupling nodes through the
# connectome raises the synaptic gating S that the network settles around.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(2)


def make_model():
    return models.ReducedWongWang(a=np.array([0.27]), w=np.array([1.0]), I_o=np.array([0.3]))


# %% [markdown]
# ## One node: dS/dt against S
# `dfun` takes the state as (state variables, nodes, modes) and the coupling input of the same shape.

# %%
S = np.linspace(0.0, 1.0, 2001).reshape((1, -1, 1))
dS = make_model().dfun(S, np.zeros_like(S)).ravel()
s = S.ravel()
down = np.where((dS[:-1] > 0) & (dS[1:] <= 0))[0]  # stable: dS/dt goes from + to −
low_fixed_point = float(s[down[0]] - dS[down[0]] * (s[down[0] + 1] - s[down[0]]) / (dS[down[0] + 1] - dS[down[0]]))
print(f"stable fixed point at S = {low_fixed_point:.4f}")

plt.figure(figsize=(5, 3))
plt.plot(s, dS)
plt.axhline(0, color="k", lw=0.5)
plt.plot(low_fixed_point, 0, "ro")
plt.xlabel("S")
plt.ylabel("dS/dt")
plt.show()

# %% [markdown]
# ## The network

# %%
def simulate(G):
    sim = simulator.Simulator(
        model=make_model(),
        connectivity=connectivity.Connectivity.from_file(),
        coupling=coupling.Linear(a=np.array([G / 50.0])),
        integrator=integrators.EulerStochastic(dt=1.0, noise=noise.Additive(nsig=np.array([1e-5]))),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=5000.0,
    ).configure()
    return sim.run()


rww = simulate(0.5)
time, data = rww[0]
plt.figure(figsize=(6, 3))
plt.plot(time, data[:, 0, :, 0], "k", alpha=0.1)
plt.xlabel("time (ms)")
plt.ylabel("S")
plt.show()

# %% [markdown]
# ## Sweep of the global coupling

# %%
couplings = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0]
mean_S = []
for G in couplings:
    t, d = simulate(G)[0]
    mean_S.append(float(d[t >= 1000.0, 0, :, 0].mean()))
    print(f"G = {G:4.2f}: mean S = {mean_S[-1]:.3f}")

plt.figure(figsize=(4, 3))
plt.plot(couplings, mean_S, "o-")
plt.xlabel("global coupling G")
plt.ylabel("mean S")
plt.show()
print("Stronger coupling pushes the network from the low fixed point towards a high-activity state.")
