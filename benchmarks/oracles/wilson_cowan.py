# %% [markdown]
# # Wilson–Cowan network at rest and in an oscillatory regime
# With TVB's default parameters the E–I populations settle on a fixed point; with the
# Daffertshofer & van Wijk (2011) parameters (unshifted sigmoid, P = 0.5) they sit on a limit cycle.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, simulator

np.random.seed(19)  # deterministic runs draw their initial conditions from NumPy's global RNG


def simulate(model):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    sim = simulator.Simulator(
        model=model,
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.005])),
        integrator=integrators.HeunDeterministic(dt=0.1),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=3000.0,
    ).configure()
    return sim.run()


oscillatory = dict(k_e=1.0, k_i=1.0, r_e=0.0, r_i=0.0, c_ee=10.0, c_ei=6.0, c_ie=10.0, c_ii=1.0, a_e=1.0,
                   b_e=0.0, b_i=0.0, theta_e=2.0, theta_i=3.5, alpha_e=1.2, alpha_i=2.0, P=0.5)
wc_model = models.WilsonCowan(**{k: np.array([v]) for k, v in oscillatory.items()})
wc_model.shift_sigmoid = np.array(False)

wc_default = simulate(models.WilsonCowan())
wc_oscillating = simulate(wc_model)

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.2))
for ax, run, title in [(axes[0], wc_default, "default"), (axes[1], wc_oscillating, "Daffertshofer & van Wijk")]:
    time, data = run[0]
    ax.plot(time, data[:, 0, :, 0], "k", alpha=0.1)
    ax.set_title(title)
    ax.set_xlabel("time (ms)")
    late = data[time >= 2000.0, 0, :, 0].std(axis=0).max()
    print(f"{title}: largest std of E over the last second {late:.2e}")

time, data = wc_oscillating[0]
fs = 1000.0 / np.mean(np.diff(time))
x = data[time >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=fs, axis=0, nperseg=int(2 * fs))
band = (freqs >= 2) & (freqs <= 40)
mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
print(f"oscillating run: dominant frequency {freqs[band][np.argmax(mean_psd)]:.2f} Hz")
axes[2].semilogy(freqs[band], mean_psd)
axes[2].set_xlabel("frequency (Hz)")
plt.show()
