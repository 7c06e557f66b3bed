# %% [markdown]
# # Haemodynamic response kernels of the BOLD monitor
# Each `Bold` monitor convolves neural activity with a haemodynamic response function. We plot the four
# kernels TVB ships, read off their time to peak, and record BOLD with the mixture-of-gammas kernel.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, equations, integrators, models, monitors, noise, simulator

np.random.seed(11)

# %% [markdown]
# ## The kernels
# `compute_hrf()` samples the kernel on `_stock_time` (seconds); the stored array is time-reversed.

# %%
kernels = {
    "FirstOrderVolterra": equations.FirstOrderVolterra(),
    "DoubleExponential": equations.DoubleExponential(),
    "MixtureOfGammas": equations.MixtureOfGammas(),
    "Gamma": equations.Gamma(),
}
peaks = {}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, kernel in kernels.items():
    bold = monitors.Bold(hrf_kernel=kernel)
    bold.dt = 2 ** -4
    bold.compute_hrf()
    hrf = bold.hemodynamic_response_function.T[::-1].ravel()
    peaks[name] = float(bold._stock_time[np.argmax(hrf)])
    ax.plot(bold._stock_time, hrf, label=f"{name} (peak {peaks[name]:.2f} s)")
ax.set_xlabel("time (s)")
ax.set_ylabel("HRF")
ax.legend(fontsize=8)
plt.show()

peak_volterra_s = peaks["FirstOrderVolterra"]
peak_double_exponential_s = peaks["DoubleExponential"]
peak_mixture_s = peaks["MixtureOfGammas"]
peak_gamma_s = peaks["Gamma"]
print({name: round(value, 3) for name, value in peaks.items()})

# %% [markdown]
# ## BOLD with the mixture-of-gammas kernel
# 20 s at a 500 ms period gives 40 samples (the default 2000 ms period would give 10).

# %%
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])
sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.5, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.Bold(hrf_kernel=equations.MixtureOfGammas(), period=500.0),),
    simulation_length=20000.0,
).configure()
bold_run = sim.run()
bold_time, bold_data = bold_run[0]
print("BOLD:", bold_data.shape, "first sample at", bold_time[0], "ms")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(bold_time / 1000.0, bold_data[:, 0, :, 0], color="k", alpha=0.2)
ax.set_xlabel("time (s)")
ax.set_ylabel("BOLD (a.u.)")
plt.show()
