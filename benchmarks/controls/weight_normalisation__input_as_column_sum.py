# %% [markdown]
# # Negative control: a region's input taken as a column sum
# targets: value
# Targets the `value` checks on `largest_input` and `max_input_scaled`. TVB stores `weights[i, j]` as the
# connection from j to i, so the input of region i is row i's sum; this notebook sums columns (the
# outputs), reports 60 instead of 71 and rescales by the wrong factor. It executes without error.

# %%
import numpy as np
from tvb.simulator.lab import connectivity

conn = connectivity.Connectivity.from_file()
conn.configure()
W = conn.weights
max_weight_scaled = float((W / np.abs(W).max()).max())
inputs = W.sum(axis=0)  # wrong: column sums are outputs
largest_input = float(inputs.max())
max_input_scaled = float((W / largest_input).sum(axis=1).max())
n_connections = int(np.count_nonzero(W * (1 - np.eye(len(W)))))
print(max_weight_scaled, largest_input, max_input_scaled, n_connections)
