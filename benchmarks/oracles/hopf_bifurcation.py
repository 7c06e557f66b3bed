# %% [markdown]
# # Supercritical Hopf oscillators below and above the bifurcation
# Each region is the normal form of a supercritical Hopf bifurcation. Below it (a < 0) activity decays
# to the fixed point at the origin; above it (a > 0) each node circles a limit cycle of radius ≈ √a at
# the intrinsic 10 Hz.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(21)  # deterministic runs draw their initial conditions from NumPy's global RNG

conn = connectivity.Connectivity.from_file("connectivity_68.zip")
weights = conn.weights * (1 - np.eye(conn.weights.shape[0]))
conn.weights = 0.2 * weights / np.abs(weights).max()
conn.speed = np.array([np.inf])
conn.configure()


def simulate(a):
    model = models.SupHopf(a=np.array([a]), omega=np.array([2 * np.pi * 10.0 / 1000.0]))
    model.state_variable_range.update({"x": np.array([-1.0, 1.0]), "y": np.array([-1.0, 1.0])})
    sim = simulator.Simulator(
        model=model,
        connectivity=conn,
        coupling=coupling.Difference(a=np.array([0.5])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=3000.0,
    ).configure()
    return sim.run()


below = simulate(-0.5)
above = simulate(0.2)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2), sharey=True)
for ax, run, title in [(axes[0], below, "a = −0.5"), (axes[1], above, "a = 0.2")]:
    time, data = run[0]
    ax.plot(time[:600], data[:600, 0, :, 0], "k", alpha=0.1)
    ax.set_title(title)
    ax.set_xlabel("time (ms)")
plt.show()

time, data = above[0]
x = data[time >= 1000.0, 0, :, 0]
print(f"below: largest |x| after 1 s = {np.abs(below[0][1][below[0][0] >= 1000.0]).max():.1e}")
print(f"above: mean amplitude {np.abs(x).max(axis=0).mean():.3f} vs √a = {np.sqrt(0.2):.3f}")
fs = 1000.0 / np.mean(np.diff(time))
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2) & (freqs <= 40)
print(f"above: dominant frequency {freqs[band][np.argmax((psd[band] / psd[band].sum(axis=0)).mean(axis=1))]:.2f} Hz")
