# %% [markdown]
# # Negative control: the Alzheimer run never receives its amyloid-dependent inhibition
# targets: psd_shift
# The b array is computed but the AD model is built with TVB's default b (0.05 /ms, τ_i = 20 ms) instead of
# the map (b 0.028–0.047 /ms, τ_i 21–36 ms). Against the healthy τ_i of 14.3 ms that still slows the rhythm, but
# only from 11.5 to 8.5 Hz (measured), short of the 4 Hz shift. It executes cleanly; psd_shift must fail.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(2019)


def inhibitory_rate(suvr, max_val=0.05, min_val=0.02, suvr_max=2.65, suvr_off=1.4):
    """b (1/ms) from Aβ SUVR: the sigmoid of the paper (b falls from 0.07 to 0.02 /ms)."""
    midpoint = (suvr_max - suvr_off) / 2 + suvr_off
    k = np.log(max_val / 0.001 - 1) / (suvr_max - midpoint)
    return max_val / (1 + np.exp(k * (suvr - midpoint))) + min_val


conn = connectivity.Connectivity.from_file()
n = conn.weights.shape[0]
suvr_healthy = np.full(n, 1.2)
suvr_ad = np.random.default_rng(2019).uniform(2.0, 2.3, n)
print(f"b healthy {inhibitory_rate(1.2):.4f} /ms (τ_i {1 / inhibitory_rate(1.2):.1f} ms); "
      f"b AD {inhibitory_rate(suvr_ad).min():.4f}–{inhibitory_rate(suvr_ad).max():.4f} /ms")

# %% [markdown]
# ## Simulations
# Jansen–Rit with mean input p = 220 s⁻¹ (0.22 ms⁻¹ in TVB's units), input fluctuations as additive noise on
# y4, weak sigmoidal coupling (a = 1), conduction speed 100 mm/ms, 6 s at dt = 0.5 ms; y1 and y2 are
# recorded every 2 ms and each run is kept as sim.run() returned it (the EEG-like signal is y1 − y2).

# %%
def simulate(b, seed):
    np.random.seed(seed)
    c = connectivity.Connectivity.from_file()
    c.speed = np.array([100.0])
    sim = simulator.Simulator(
        model=models.JansenRit(mu=np.array([0.22]), b=np.asarray(b, dtype=float), variables_of_interest=["y1", "y2"]),
        connectivity=c,
        coupling=coupling.SigmoidalJansenRit(a=np.array([1.0])),
        integrator=integrators.HeunStochastic(
            dt=0.5, noise=noise.Additive(nsig=np.array([0.0, 0.0, 0.0, 0.0, 1e-3, 0.0]), noise_seed=seed)),
        monitors=(monitors.TemporalAverage(period=2.0),),
        simulation_length=6000.0,
    ).configure()
    return sim.run()                       # [(time, data)], data (time, [y1, y2], region, mode)


healthy = simulate(inhibitory_rate(suvr_healthy), seed=1)
b_ad = inhibitory_rate(suvr_ad)          # computed ...
alzheimer = simulate(np.array([0.05]), seed=1)   # ... but the model keeps its default b

# %% [markdown]
# ## Spectra (Welch along time, 2 s segments, first second dropped, per-region normalised)

# %%
def dominant_frequency(run):
    (time, data), = run
    eeg = data[:, 0, :, 0] - data[:, 1, :, 0]  # y1 − y2, shape (time, region)
    fs = 1000.0 / np.mean(np.diff(time))
    x = eeg[time >= time[0] + 1000.0]
    freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
    band = (freqs >= 2.0) & (freqs <= 40.0)
    mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
    return freqs[band][np.argmax(mean_psd)], freqs[band], mean_psd


healthy_peak_hz, f, p_h = dominant_frequency(healthy)
ad_peak_hz, _, p_ad = dominant_frequency(alzheimer)
healthy_peak_hz, ad_peak_hz = float(healthy_peak_hz), float(ad_peak_hz)
print(f"healthy peak {healthy_peak_hz:.2f} Hz, AD peak {ad_peak_hz:.2f} Hz, shift {ad_peak_hz - healthy_peak_hz:+.2f} Hz")

plt.semilogy(f, p_h, label=f"healthy ({healthy_peak_hz:.1f} Hz)")
plt.semilogy(f, p_ad, label=f"AD map ({ad_peak_hz:.1f} Hz)")
plt.xlabel("frequency (Hz)")
plt.ylabel("normalised power")
plt.legend()
plt.show()
