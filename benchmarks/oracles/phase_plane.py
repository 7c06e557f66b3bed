# %% [markdown]
# # Phase plane and Hopf bifurcation of the Generic 2D oscillator
# One uncoupled node: nullclines, the fixed point, its Jacobian eigenvalues, and the value of `a`
# at which the damped focus (default a = −2) turns into a limit cycle.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import models

np.random.seed(12)
ZERO = np.zeros((2, 1, 1))


def node(**overrides):
    return models.Generic2dOscillator(**{k: np.array([v]) for k, v in overrides.items()})


def params(model):
    return {k: float(np.asarray(getattr(model, k)).ravel()[0]) for k in "a b c e f g alpha beta gamma I".split()}


def fixed_point(model):
    p = params(model)
    V = np.linspace(-3, 3, 600001)
    W = (p["a"] + p["b"] * V + p["c"] * V ** 2) / p["beta"]  # W-nullcline
    F = p["alpha"] * W - p["f"] * V ** 3 + p["e"] * V ** 2 + p["g"] * V + p["gamma"] * p["I"]  # dV/dt on it
    k = np.where(np.diff(np.sign(F)) != 0)[0][0]
    v = V[k] - F[k] * (V[k + 1] - V[k]) / (F[k + 1] - F[k])
    return np.array([v, (p["a"] + p["b"] * v + p["c"] * v ** 2) / p["beta"]])


def eigenvalues(model):
    x0, eps = fixed_point(model).reshape(2, 1, 1), 1e-6
    J = np.zeros((2, 2))
    for j in range(2):
        dx = np.zeros((2, 1, 1))
        dx[j] = eps
        J[:, j] = ((model.dfun(x0 + dx, ZERO) - model.dfun(x0 - dx, ZERO)) / (2 * eps)).ravel()
    return np.linalg.eigvals(J)


# %% [markdown]
# ## Fixed points and their stability

# %%
default, a3 = node(), node(a=3.0)
ev_default, ev_a3 = eigenvalues(default), eigenvalues(a3)
max_real_default = float(ev_default.real.max())
max_real_a3 = float(ev_a3.real.max())
freq_default_hz = float(np.abs(ev_default.imag).max() / (2 * np.pi) * 1000.0)
print("default: fixed point", fixed_point(default).round(4), "eigenvalues", ev_default.round(5))
print("a = 3:   fixed point", fixed_point(a3).round(4), "eigenvalues", ev_a3.round(5))
print(f"default: stable focus, damped {freq_default_hz:.2f} Hz; a = 3: unstable focus surrounded by a limit cycle")

# %% [markdown]
# ## The Hopf bifurcation in `a` (bisection on the sign of the largest real part)

# %%
lo, hi = -2.0, 3.0
for _ in range(50):
    mid = 0.5 * (lo + hi)
    if eigenvalues(node(a=mid)).real.max() < 0:
        lo = mid
    else:
        hi = mid
hopf_a = 0.5 * (lo + hi)
print(f"Hopf bifurcation at a = {hopf_a:.4f}")

# %% [markdown]
# ## Trajectories (Heun, dt = 0.1 ms, 3 s, from V = 1, W = 0)

# %%
def integrate(model, dt=0.1, duration=3000.0):
    steps = int(duration / dt)
    x = np.array([1.0, 0.0]).reshape(2, 1, 1)
    out = np.empty((steps, 2))
    for i in range(steps):
        k1 = model.dfun(x, ZERO)
        k2 = model.dfun(x + dt * k1, ZERO)
        x = x + 0.5 * dt * (k1 + k2)
        out[i] = x.ravel()
    return np.arange(1, steps + 1) * dt, out


t, xy_default = integrate(default)
_, xy_a3 = integrate(a3)
trajectory_default = (t, xy_default[:, 0])
trajectory_a3 = (t, xy_a3[:, 0])

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
Vg, Wg = np.meshgrid(np.linspace(-3, 3, 21), np.linspace(-6, 6, 21))
for ax, model, xy, title in [(axes[0], default, xy_default, "default (a = −2)"), (axes[1], a3, xy_a3, "a = 3")]:
    p = params(model)
    d = model.dfun(np.stack([Vg.ravel(), Wg.ravel()]).reshape(2, -1, 1), np.zeros((2, Vg.size, 1)))
    ax.quiver(Vg, Wg, d[0].reshape(Vg.shape), d[1].reshape(Vg.shape), color="0.6")
    V = np.linspace(-3, 3, 400)
    ax.plot(V, (p["f"] * V ** 3 - p["e"] * V ** 2 - p["g"] * V - p["gamma"] * p["I"]) / p["alpha"], "b", label="V-nullcline")
    ax.plot(V, (p["a"] + p["b"] * V + p["c"] * V ** 2) / p["beta"], "g", label="W-nullcline")
    ax.plot(xy[:, 0], xy[:, 1], "r", lw=0.8, label="trajectory")
    ax.set_xlim(-3, 3)
    ax.set_ylim(-6, 6)
    ax.set_xlabel("V")
    ax.set_ylabel("W")
    ax.set_title(title)
    ax.legend(fontsize=7)
plt.show()
