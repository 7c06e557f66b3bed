# %% [markdown]
# # The default structural connectome
# Load TVB's 76-region connectivity, summarise weights and tract lengths, and list the strongest links.

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity

conn = connectivity.Connectivity.from_file()
conn.configure()
labels = conn.region_labels
n_regions = int(conn.number_of_regions)
max_weight = float(conn.weights.max())
max_tract_mm = float(conn.tract_lengths.max())
print(f"{n_regions} regions; weights {conn.weights.min():.3f}–{max_weight:.3f}")
print(f"tract length: mean {conn.tract_lengths[conn.weights > 0].mean():.1f} mm, max {max_tract_mm:.1f} mm")

# %% [markdown]
# ## Strongest connections (weights[i, j] is the connection from j to i in TVB)

# %%
off_diagonal = conn.weights.copy()
np.fill_diagonal(off_diagonal, 0.0)
order = np.argsort(off_diagonal, axis=None)[::-1][:5]
for flat in order:
    target, source = np.unravel_index(flat, off_diagonal.shape)
    print(f"{labels[source]} → {labels[target]}: weight {off_diagonal[target, source]:.3f}, "
          f"length {conn.tract_lengths[target, source]:.1f} mm")

# %%
fig, ax = plt.subplots(figsize=(5, 4))
image = ax.imshow(conn.weights, cmap="viridis")
fig.colorbar(image, ax=ax, label="weight")
ax.set_title("structural connectivity weights")
plt.show()
