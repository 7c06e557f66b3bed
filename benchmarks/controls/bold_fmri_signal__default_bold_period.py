# %% [markdown]
# # Negative control: BOLD monitor left at its default sampling period
# targets: signal
# Targets the `signal` check. The notebook never sets the BOLD period, so TVB samples every 2000 ms:
# 20 s give 10 samples instead of the 40 a 500 ms repetition time requires. It executes cleanly.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(24)
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.TemporalAverage(period=2.0), monitors.Bold()),
    simulation_length=20000.0,
).configure()
(neural_time, neural), bold = sim.run()
bold_time, bold_data = bold
print("neural:", neural.shape, "BOLD:", bold_data.shape, "TR =", np.diff(bold_time)[0], "ms")

# %%
keep = bold_time >= 5000.0
fc = np.corrcoef(bold_data[keep, 0, :, 0].T)
mean_bold_fc = float(fc[np.triu_indices_from(fc, k=1)].mean())
print(f"mean BOLD FC after 5 s: {mean_bold_fc:.3f}")

fig, axes = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
axes[0].plot(neural_time / 1000.0, neural[:, 0, :3, 0], lw=0.4)
axes[0].set_ylabel("neural activity")
axes[1].plot(bold_time / 1000.0, bold_data[:, 0, :3, 0], "o-")
axes[1].set_ylabel("BOLD")
axes[1].set_xlabel("time (s)")
plt.show()
print("The BOLD signal is a low-pass, delayed (peak ≈ 4–6 s) image of the neural activity; the first "
      "seconds are dominated by the haemodynamic model's own transient.")
