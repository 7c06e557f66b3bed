# %% [markdown]
# # Alpha rhythm of a Jansen–Rit network
# Jansen–Rit columns with TVB's default parameters (rates in ms⁻¹) coupled through the 76-region
# connectome oscillate near 10 Hz. The EEG-like signal is the pyramidal potential y1 − y2.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(4)

# %%
model = models.JansenRit()  # a = 0.1 /ms, b = 0.05 /ms, mu = 0.22 /ms: TVB's time unit is the millisecond
print("a, b, mu =", model.a, model.b, model.mu, "| variables of interest:", model.variables_of_interest)

sigma = np.zeros(6)
sigma[4] = 1e-3  # noise on the input to the excitatory interneurons
sim = simulator.Simulator(
    model=model,
    connectivity=connectivity.Connectivity.from_file(),
    coupling=coupling.SigmoidalJansenRit(a=np.array([1.0])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=sigma)),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=4000.0,
).configure()
jr = sim.run()  # kept as returned: [(time, data)], data (time, y0–y3, region, mode)
time, data = jr[0]
pyramidal = data[:, 1, :, 0] - data[:, 2, :, 0]  # y1 − y2 per region, the EEG-like signal
print("recorded:", data.shape, "EEG-like:", pyramidal.shape)

# %% [markdown]
# ## Spectrum of y1 − y2 (after the first second, Welch along time, 2 s segments)

# %%
fs = 1000.0 / np.mean(np.diff(time))
x = pyramidal[time >= 1000.0]
x = x - x.mean(axis=0)
freqs, psd = signal.welch(x, fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2.0) & (freqs <= 40.0)
mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
peak_hz = float(freqs[band][np.argmax(mean_psd)])
print(f"dominant frequency {peak_hz:.2f} Hz (resolution {freqs[1]:.2f} Hz)")

fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].plot(time[:1000], pyramidal[:1000, :5])
axes[0].set_xlabel("time (ms)")
axes[0].set_ylabel("y1 − y2 (mV)")
axes[1].semilogy(freqs[band], mean_psd)
axes[1].axvline(peak_hz, color="r", ls="--")
axes[1].set_xlabel("frequency (Hz)")
plt.show()
