# %% [markdown]
# # Synchronisation of Kuramoto oscillators on the connectome
# 76 phase oscillators with natural frequencies around 10 Hz; as the global coupling grows, the
# order parameter R rises from the incoherent level (~1/√76) towards 1.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(18)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])
conn.configure()
N = conn.number_of_regions
f = 10.0 + 1.0 * np.random.default_rng(0).standard_normal(N)  # Hz
omega = 2 * np.pi * f / 1000.0  # rad/ms


def simulate(G):
    sim = simulator.Simulator(
        model=models.Kuramoto(omega=omega),
        connectivity=conn,
        coupling=coupling.Kuramoto(a=np.array([G / N])),
        integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([1e-4]))),
        monitors=(monitors.TemporalAverage(period=2.0),),
        simulation_length=4000.0,
    ).configure()
    return sim.run()


def order(run):
    time, data = run[0]
    theta = data[time >= 1000.0, 0, :, 0]
    return float(np.abs(np.exp(1j * theta).mean(axis=1)).mean())


# %%
couplings = [0.0, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32]
order_parameter = []
for G in couplings:
    run = simulate(G)
    order_parameter.append(order(run))
    print(f"G = {G:5.2f}: R = {order_parameter[-1]:.3f}")
kuramoto_run = run  # the last run: G = 0.32
del run
r_uncoupled, r_strongest = order_parameter[0], order_parameter[-1]

# %%
time, data = kuramoto_run[0]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
axes[0].plot(couplings, order_parameter, "o-")
axes[0].set_xscale("symlog", linthresh=0.01)
axes[0].set_xlabel("global coupling G")
axes[0].set_ylabel("order parameter R")
axes[1].plot(time[:250], np.sin(data[:250, 0, :, 0]), "k", alpha=0.1)
axes[1].set_xlabel("time (ms)")
axes[1].set_title("sin θ, G = 0.32")
plt.show()
