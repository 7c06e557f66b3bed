# %% [markdown]
# # tDCS polarity and resting-state FC in a connectome-based network
#
# Noise-driven generic 2D oscillators (damped focus, near the network's instability) on the 76-region
# connectome. tDCS is a constant current added to the membrane-potential equation (the model's `I`) of the
# ten left frontal/motor regions under the electrode: +0.5 for anodal (depolarising), −0.5 for cathodal,
# 0 for sham. Same seeds in all three runs, so only the current differs.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity, coupling, integrators, models, monitors, noise, simulator

montage = ["lPFCDL", "lPFCCL", "lPFCVL", "lPFCM", "lPFCDM", "lPMCDL", "lPMCM", "lPMCVL", "lFEF", "lM1"]


def simulate(current):
    conn = connectivity.Connectivity.from_file()
    conn.speed = np.array([np.inf])
    labels = list(conn.region_labels)
    drive = np.zeros(len(labels))
    drive[[labels.index(r) for r in montage]] = current
    np.random.seed(3)
    sim = simulator.Simulator(
        model=models.Generic2dOscillator(I=drive),
        connectivity=conn,
        coupling=coupling.Linear(a=np.array([0.055])),
        integrator=integrators.HeunStochastic(dt=0.1, noise=noise.Additive(nsig=np.array([1e-3]), noise_seed=3)),
        monitors=(monitors.TemporalAverage(period=1.0),),
        simulation_length=5000.0,
    ).configure()
    return sim.run()


sham = simulate(0.0)
anodal = simulate(+0.5)
cathodal = simulate(-0.5)

# %%
def mean_fc(run):
    time, data = run[0]
    fc = np.corrcoef(data[time >= 1000.0, 0, :, 0].T)
    return float(fc[np.triu_indices(len(fc), 1)].mean())


fc_sham, fc_anodal, fc_cathodal = mean_fc(sham), mean_fc(anodal), mean_fc(cathodal)
print(f"mean FC: sham {fc_sham:.3f}, anodal {fc_anodal:.3f}, cathodal {fc_cathodal:.3f}")
plt.bar(["cathodal", "sham", "anodal"], [fc_cathodal, fc_sham, fc_anodal])
plt.ylabel("mean off-diagonal FC")
plt.show()
