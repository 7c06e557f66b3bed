# %% [markdown]
# # Five monitors on one simulation
# Monitors decide what leaves the simulator: every step (Raw), every n-th step (SubSample), window
# means (TemporalAverage), or averages over space (GlobalAverage, SpatialAverage by hemisphere).

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(22)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(
        monitors.Raw(),
        monitors.SubSample(period=2.0),
        monitors.TemporalAverage(period=2.0),
        monitors.GlobalAverage(period=1.0),
        monitors.SpatialAverage(default_mask=monitors.DefaultMasks.HEMISPHERES, period=1.0),
    ),
    simulation_length=3000.0,
).configure()
monitored = sim.run()

print(f"{'monitor':16s} {'shape':>20s} {'period (ms)':>12s} {'first t (ms)':>13s}")
for monitor, (t, d) in zip(sim.monitors, monitored):
    print(f"{type(monitor).__name__:16s} {str(d.shape):>20s} {np.mean(np.diff(t)):12.3f} {t[0]:13.3f}")

# %%
(raw_t, raw), (sub_t, sub), (avg_t, avg), (glob_t, glob), (hemi_t, hemi) = monitored
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
window = lambda t: (t >= 1000.0) & (t < 1100.0)
axes[0].plot(raw_t[window(raw_t)], raw[window(raw_t), 0, 0, 0], label="Raw")
axes[0].plot(sub_t[window(sub_t)], sub[window(sub_t), 0, 0, 0], "o", ms=3, label="SubSample 2 ms")
axes[0].plot(avg_t[window(avg_t)], avg[window(avg_t), 0, 0, 0], "s", ms=3, label="TemporalAverage 2 ms")
axes[0].legend(fontsize=7)
axes[0].set_xlabel("time (ms)")
axes[1].plot(glob_t, glob[:, 0, 0, 0], label="global")
axes[1].plot(hemi_t, hemi[:, 0, 0, 0], label="hemisphere 0")
axes[1].plot(hemi_t, hemi[:, 0, 1, 0], label="hemisphere 1")
axes[1].legend(fontsize=7)
axes[1].set_xlabel("time (ms)")
plt.show()

x = avg[avg_t >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=500.0, axis=0, nperseg=1000)
band = (freqs >= 2) & (freqs <= 40)
print(f"temporal average (76 regions): dominant frequency {freqs[band][np.argmax((psd[band] / psd[band].sum(axis=0)).mean(axis=1))]:.2f} Hz")
