# %% [markdown]
# # Stochastic vs. deterministic integration
#
# The same Generic2dOscillator network (default parameters) is integrated twice: once
# deterministically, once with weak additive noise. Without noise the activity decays to
# the fixed point; noise keeps the damped ~10 Hz rhythm alive.

# %%
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(7)


def simulate(integrator):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([4.0])
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.0152])),
        integrator=integrator,
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=4000.0,
    ).configure()
    (time, data), = sim.run()
    return time, data


# %%
deterministic = simulate(integrators.HeunDeterministic(dt=0.1))
stochastic = simulate(integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]))))

# %% [markdown]
# ## Compare the two runs after the first second
# Welch spectra along the time axis (axis 0) with 2 s segments; the standard deviation
# shows whether there is any sustained activity at all.

# %%
def summarise(label, run):
    time, data = run
    fs = 1000.0 / np.mean(np.diff(time))
    x = data[time >= time[0] + 1000.0, 0, :, 0]
    x = x - x.mean(axis=0)
    freqs, psd = signal.welch(x, fs=fs, axis=0, nperseg=int(2 * fs))
    band = (freqs >= 2.0) & (freqs <= 40.0)
    mean_psd = (psd[band] / psd[band].sum(axis=0)).mean(axis=1)
    late_std = x[-1000:].std(axis=0).mean()
    print(f"{label:13s} peak {freqs[band][np.argmax(mean_psd)]:5.2f} Hz, std over the last second {late_std:.2e}")


summarise("deterministic", deterministic)
summarise("stochastic", stochastic)
