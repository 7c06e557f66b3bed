# %% [markdown]
# # Normalising and binarising the structural connectivity
# TVB's `Connectivity` offers two scalings (per tract, per region) and two simplifications
# (drop self-connections, binarise). We apply each to the default 76-region connectome.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity

conn = connectivity.Connectivity.from_file()
conn.configure()
weights = conn.weights
print(f"{conn.number_of_regions} regions, weights {weights.min():.3f}–{weights.max():.3f}, "
      f"{np.count_nonzero(np.diag(weights))} non-zero self-connections")

# %% [markdown]
# ## The four transformations
# `weights[i, j]` is the connection from j to i, so the input a region receives is its row sum;
# region scaling divides by the largest row sum.

# %%
tract = conn.scaled_weights(mode="tract")
region = conn.scaled_weights(mode="region")
no_self = conn.transform_remove_self_connections()
binary = conn.transform_binarize_matrix()

tract_max = float(np.abs(tract).max())
region_factor = float(np.abs(weights.sum(axis=1)).max())
region_max_input = float(np.abs(region.sum(axis=1)).max())

binary_no_self = np.where(no_self > 0, 1, 0)
n_connections = int(binary_no_self.sum())

print(f"tract scaling:   max |w| = {tract_max:.3f}")
print(f"region scaling:  factor {region_factor:.1f}, largest row sum afterwards {region_max_input:.3f}")
print(f"no self-connections: diagonal sum {np.trace(no_self):.1f}")
print(f"binarised: values {np.unique(binary)}, {n_connections} directed connections between distinct regions")

# %%
fig, axes = plt.subplots(1, 5, figsize=(17, 3.5))
for ax, (name, matrix) in zip(axes, [("original", weights), ("tract", tract), ("region", region),
                                     ("no self-connections", no_self), ("binarised", binary)]):
    image = ax.imshow(matrix, cmap="viridis", interpolation="nearest")
    ax.set_title(name)
    fig.colorbar(image, ax=ax, fraction=0.046)
plt.tight_layout()
plt.show()
