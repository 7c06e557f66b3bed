# %% [markdown]
# # How should structural connection weights be normalised?
# In TVB, `weights[i, j]` is the connection from region j to region i, so the total input a region
# receives is a row sum. Two scalings: by the strongest single connection ("tract") and by the largest
# total input ("region").

# %%
import matplotlib.pyplot as plt
import numpy as np
from tvb.simulator.lab import connectivity

conn = connectivity.Connectivity.from_file()
conn.configure()
W = conn.weights
labels = conn.region_labels

by_tract = conn.scaled_weights(mode="tract")
by_region = conn.scaled_weights(mode="region")
inputs = W.sum(axis=1)
largest_input = float(inputs.max())
max_weight_scaled = float(np.abs(by_tract).max())
max_input_scaled = float(by_region.sum(axis=1).max())
off_diagonal = W * (1 - np.eye(len(W)))
n_connections = int(np.count_nonzero(off_diagonal))
top = [str(labels[i]) for i in np.flatnonzero(inputs == inputs.max())]
print(f"largest total input {largest_input:.1f} (received by {', '.join(top)}); strongest connection {W.max():.1f}")
print(f"after tract scaling: max weight {max_weight_scaled:.3f}; after region scaling: max input {max_input_scaled:.3f}")
print(f"{n_connections} directed connections between distinct regions")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
for ax, matrix, title in [(axes[0], W, "original"), (axes[1], by_tract, "÷ strongest connection"),
                          (axes[2], by_region, "÷ largest input")]:
    values = matrix[matrix > 0]
    ax.hist(values, bins=30)
    ax.set_title(f"{title}: max {values.max():.3g}")
    ax.set_xlabel("weight")
plt.tight_layout()
plt.show()
print("Both scalings are a single global factor: the shape of the distribution is unchanged, only its "
      "units move; scaling by the largest input bounds the total input any region can receive (1), "
      "which makes coupling strengths comparable across connectomes of different density.")
