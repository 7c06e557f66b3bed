"""A run's two charts from its ablation.json in one process, so matplotlib is imported once.

Usage: python -m skilldelta_py.charts, then one JSON line on stdin: {"ablation": …, "delta": …, "size": …}
(the ablation.json to read and the two PNGs to write)  →  {"delta": n, "size": n}, the points each chart
drew (a chart with nothing to draw is not written). It imports first and reads after: the reporter
starts it when the run starts, so the imports are done by the time the run ends. End of input without
a line: exit quietly.
"""

from __future__ import annotations

import json
import sys

from skilldelta_py import delta_chart, size_chart


def draw(ablation_path: str, delta_png: str, size_png: str) -> dict[str, int]:
    with open(ablation_path, encoding="utf-8") as handle:
        ablation = json.load(handle)
    return {"delta": delta_chart.draw(ablation, delta_png), "size": size_chart.draw(ablation, size_png)}


def main() -> int:
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    paths = json.loads(line)
    print(json.dumps(draw(paths["ablation"], paths["delta"], paths["size"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
