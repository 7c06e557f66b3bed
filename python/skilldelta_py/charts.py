"""A run's two charts from its ablation.json in one process, so matplotlib is imported once.

Usage: python -m skilldelta_py.charts ablation.json DELTA.png SIZE.png  →  {"delta": n, "size": n}
(the points each chart drew; a chart with nothing to draw is not written), or
python -m skilldelta_py.charts --stdin: import first, then read those three paths as one JSON line
({"ablation": …, "delta": …, "size": …}) — the reporter starts it when the run starts, so the imports
are done by the time the run ends. End of input without a line: exit quietly.
"""

from __future__ import annotations

import json
import sys

from skilldelta_py import delta_chart, size_chart


def draw(ablation_path: str, delta_png: str, size_png: str) -> dict[str, int]:
    with open(ablation_path, encoding="utf-8") as handle:
        ablation = json.load(handle)
    return {"delta": delta_chart.draw(ablation, delta_png), "size": size_chart.draw(ablation, size_png)}


def main(argv: list[str]) -> int:
    if argv[1:] == ["--stdin"]:
        line = sys.stdin.readline()
        if not line.strip():
            return 0
        paths = json.loads(line)
        print(json.dumps(draw(paths["ablation"], paths["delta"], paths["size"])))
        return 0
    print(json.dumps(draw(argv[1], argv[2], argv[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
