# %% [markdown]
# # Power spectra of a Generic2dOscillator network
#
# Simulate the 76-region default connectome with the Generic 2D oscillator in its
# oscillatory regime, add weak noise, and locate the dominant rhythm with Welch's method.

# %%
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(42)  # TVB draws initial conditions from the global RNG

# %% [markdown]
# ## Simulator
# Generic2dOscillator with a = 1.7402 sits in a limit cycle near 9 Hz. Conduction speed is
# infinite (no delays) so the run is cheap; 10 s at dt = 0.1 ms, sampled by a 1 ms temporal average.

# %%
conn = connectivity.Connectivity.from_file()
conn.speed = np.array([np.inf])

sim = simulator.Simulator(
    model=models.Generic2dOscillator(a=np.array([1.7402]), d=np.array([0.02])),
    connectivity=conn,
    coupling=coupling.Difference(a=np.array([0.0075])),
    integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([0.002, 0.0]))),
    monitors=(monitors.TemporalAverage(period=1.0),),
    simulation_length=10000.0,
).configure()

(time, data), = sim.run()  # run() returns one (time_ms, data) pair per monitor
print("time:", time.shape, "data (time, state variable, region, mode):", data.shape)

# %% [markdown]
# ## Welch power spectrum
# Time is the first axis and is in milliseconds. Drop the first second (transient), use
# 2 s segments (0.5 Hz resolution), normalise each region's spectrum, then average.

# %%
fs = 1000.0 / np.mean(np.diff(time))
keep = time >= time[0] + 1000.0
x = data[keep, 0, :, 0]
x = x - x.mean(axis=0)
freqs, psd = signal.welch(x, fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 1.0) & (freqs <= 40.0)
normalised = psd[band] / psd[band].sum(axis=0)
mean_psd = normalised.mean(axis=1)
peak_hz = freqs[band][np.argmax(mean_psd)]
print(f"sampling rate {fs:.0f} Hz, resolution {freqs[1]:.2f} Hz, dominant frequency {peak_hz:.2f} Hz")

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(freqs[band], mean_psd)
ax.axvline(peak_hz, color="red", linestyle="--", label=f"peak {peak_hz:.2f} Hz")
ax.set_xlabel("frequency (Hz)")
ax.set_ylabel("normalised power")
ax.legend()
plt.show()
