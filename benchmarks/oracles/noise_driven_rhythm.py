# %% [markdown]
# # Can noise sustain a rhythm that the deterministic network cannot?
# The default Generic 2D oscillator is a stable focus with a ~10 Hz damped ringing. Without noise, the
# network decays to its fixed point; weak noise keeps exciting the damped mode, so a ~10 Hz rhythm persists.

# %%
import numpy as np
from scipy import signal
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

np.random.seed(27)


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
    return sim.run()


without_noise = simulate(integrators.HeunDeterministic(dt=0.1))
with_noise = simulate(integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]))))

# %%
for name, run in [("without noise", without_noise), ("with noise", with_noise)]:
    time, data = run[0]
    late = data[time >= 3000.0, 0, :, 0].std(axis=0)
    print(f"{name:13s}: std over the last second, median over regions {np.median(late):.2e}")

time, data = with_noise[0]
x = data[time >= 1000.0, 0, :, 0]
freqs, psd = signal.welch(x - x.mean(axis=0), fs=1000.0 / np.mean(np.diff(time)), axis=0, nperseg=2000)
band = (freqs >= 2) & (freqs <= 40)
noisy_peak_hz = float(freqs[band][np.argmax((psd[band] / psd[band].sum(axis=0)).mean(axis=1))])
print(f"noisy run: dominant frequency {noisy_peak_hz:.2f} Hz")
print("The fixed point is a stable focus: without input, the network rings down within a few hundred ms. "
      "Noise continually kicks the state away from it, and the focus filters those kicks into a ~10 Hz rhythm.")
