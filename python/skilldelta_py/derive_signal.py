"""One variable made from a probed series: a state variable by index, or a linear combination of them
(y1 − y2, the Jansen–Rit EEG proxy). The harness writes the result beside the probed file; checks then
read it like any probed series (variable 0).

Request: {"file": probed .npz, "out": .npz to write, "coefficients": {"<variable index>": weight}}.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from skilldelta_py.psd import SignalProblem


def derive(request: dict[str, Any]) -> dict[str, Any]:
    archive = np.load(request["file"])
    time, data = archive["time"], archive["data"]
    if data.ndim != 4:
        raise SignalProblem(f"expected (time, variable, region, mode) data, got shape {list(data.shape)}")
    combined = np.zeros((data.shape[0], 1, data.shape[2], data.shape[3]))
    for index, weight in request["coefficients"].items():
        i = int(index)
        if not 0 <= i < data.shape[1]:
            raise SignalProblem(f"variable {i} is not recorded (the data has {data.shape[1]})")
        combined[:, 0] += float(weight) * data[:, i]
    np.savez(request["out"], time=time, data=combined)
    return {"shape": [int(n) for n in combined.shape]}


if __name__ == "__main__":
    from skilldelta_py.analysis_main import run

    sys.exit(run(derive, sys.argv))
