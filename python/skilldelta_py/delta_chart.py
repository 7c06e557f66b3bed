"""Chart of skill Δ per model and condition with 95 % CI error bars, from ablation.json.

Usage: python -m skilldelta_py.delta_chart ablation.json chart.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _panel(axes, ablation: dict) -> int:
    rows = [r for r in ablation["rows"] if r.get("delta")]
    labels = [f"{r['model']}\n{r['condition']}" for r in rows]
    deltas = [r["delta"]["delta"] for r in rows]
    # an unbounded end (null in JSON: fewer than 2 goals) gets no bar on that side
    low = [r["delta"]["ci"][0] if r["delta"]["ci"][0] is not None else r["delta"]["delta"] for r in rows]
    high = [r["delta"]["ci"][1] if r["delta"]["ci"][1] is not None else r["delta"]["delta"] for r in rows]
    lower = [d - lo for d, lo in zip(deltas, low)]
    upper = [hi - d for d, hi in zip(deltas, high)]
    bounded = [r["delta"]["ci"][0] is not None and r["delta"]["ci"][1] is not None for r in rows]
    colours = [
        "#2e7d32" if ok and lo > 0 else "#c62828" if ok and hi < 0 else "#607d8b"
        for ok, lo, hi in zip(bounded, low, high)
    ]
    axes.bar(range(len(rows)), deltas, yerr=[lower, upper], capsize=4, color=colours)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(rows)), labels, fontsize=8)
    axes.set_ylabel(f"Δ vs {ablation['baseline']}")
    axes.set_title(f"skill Δ ({ablation['metric']}), 95% CI", fontsize=9)
    return len(rows)


def draw(ablation: dict, path: str) -> int:
    """One panel per metric: objective checks, and the judge's mean when a judge scored the run."""
    panels = [ablation] + ([ablation["judge"]] if ablation.get("judge") else [])
    panels = [p for p in panels if any(r.get("delta") for r in p["rows"])]
    if not panels:
        return 0
    width = max(len([r for r in p["rows"] if r.get("delta")]) for p in panels)
    figure, axes = plt.subplots(len(panels), 1, figsize=(max(4.0, 1.3 * width + 1.5), 3.6 * len(panels)), dpi=100, squeeze=False)
    drawn = sum(_panel(axes[i][0], panel) for i, panel in enumerate(panels))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return drawn


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(draw(json.load(handle), sys.argv[2]))
