"""Summary statistics of a probed signal: is it finite, is it flat, does it decay.

Usage: python -m skilldelta_py.signal_stats 'REQUEST-JSON'   → prints a JSON result on stdout.

Runs in a clean process on the .npz the probe saved, never inside the notebook's kernel. It
measures; the check decides pass or fail from the numbers.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from skilldelta_py.psd import SignalProblem, as_time_by_region


def analyse(request: dict[str, Any]) -> dict[str, Any]:
    archive = np.load(request["signal"])
    time_ms = np.asarray(archive["time"], dtype=float)
    data = np.asarray(archive["data"], dtype=float)
    if data.ndim == 0 or data.shape[0] != time_ms.shape[0]:
        raise SignalProblem(
            f"the data's first axis has {data.shape[0] if data.ndim else 0} samples but the time vector has "
            f"{time_ms.shape[0]}: data must be time-first"
        )
    finite = np.isfinite(data)
    x = as_time_by_region(data, int(request.get("variableIndex", 0)), int(request.get("modeIndex", 0)))
    x_finite = np.isfinite(x)
    # std per region over the finite samples only: a diverged region must not hide a flat one
    with np.errstate(invalid="ignore"):
        masked = np.where(x_finite, x, np.nan)
        std = np.nanstd(masked, axis=0) if np.any(x_finite) else np.zeros(x.shape[1])
    std = np.nan_to_num(std, nan=0.0)
    first_bad = np.argwhere(~np.all(finite.reshape(finite.shape[0], -1), axis=1))
    return {
        "samples": int(data.shape[0]),
        "regions": int(x.shape[1]),
        "shape": [int(n) for n in data.shape],
        "values": int(data.size),
        "nonFinite": int(data.size - np.count_nonzero(finite)),
        "firstNonFiniteMs": float(time_ms[first_bad[0][0]]) if first_bad.size else None,
        "std": {"median": float(np.median(std)), "min": float(np.min(std)), "max": float(np.max(std))},
    }


if __name__ == "__main__":
    from skilldelta_py.analysis_main import run

    sys.exit(run(analyse, sys.argv))
