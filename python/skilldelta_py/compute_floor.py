"""A notebook's pure-compute floor, for ``npm run bench:harness``: what its code costs with nothing around it.

Usage: python -m skilldelta_py.compute_floor NOTEBOOK.ipynb [MODULE ...]  →  {"computeMs": …, "importMs": …}

The code cells run in order as one plain Python script in this process, after MODULE... are imported
(the modules a kernel started ahead preloads: imports are excluded from the floor, as from a warm
kernel's notebook). After each cell its open figures are rendered to PNG exactly as a notebook's inline
backend does (IPython's print_figure), since a plot is part of what the notebook computes. No kernel,
no sandbox, no probe, no output capture: the difference between a notebook's wall time and this is
the price of running it as a notebook.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import warnings


def main(argv: list[str]) -> int:
    import matplotlib

    matplotlib.use("Agg")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show() under Agg
    with open(argv[1], encoding="utf-8") as handle:
        notebook = json.load(handle)
    started = time.perf_counter()
    for name in argv[2:]:
        importlib.import_module(name)
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import print_figure

    imported = time.perf_counter()
    namespace: dict[str, object] = {"__name__": "__main__"}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - the harness's own benchmark notebooks
        for number in plt.get_fignums():
            print_figure(plt.figure(number), "png")
        plt.close("all")
    done = time.perf_counter()
    print(json.dumps({"computeMs": (done - imported) * 1000, "importMs": (imported - started) * 1000}), file=sys.__stdout__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
