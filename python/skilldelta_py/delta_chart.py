"""Chart of skill Δ per model and condition with 95 % CI error bars, from ablation.json.

Usage: python -m skilldelta_py.delta_chart ablation.json chart.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def draw(ablation: dict, path: str) -> int:
    rows = [r for r in ablation["rows"] if r.get("delta")]
    labels = [f"{r['model']}\n{r['condition']}" for r in rows]
    deltas = [r["delta"]["delta"] for r in rows]
    lower = [r["delta"]["delta"] - r["delta"]["ci"][0] for r in rows]
    upper = [r["delta"]["ci"][1] - r["delta"]["delta"] for r in rows]
    figure, axes = plt.subplots(figsize=(max(4.0, 1.3 * len(rows) + 1.5), 3.6), dpi=100)
    colours = ["#2e7d32" if r["delta"]["ci"][0] > 0 else "#c62828" if r["delta"]["ci"][1] < 0 else "#607d8b" for r in rows]
    axes.bar(range(len(rows)), deltas, yerr=[lower, upper], capsize=4, color=colours)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(rows)), labels, fontsize=8)
    axes.set_ylabel(f"Δ vs {ablation['baseline']}")
    axes.set_title(f"skill Δ ({ablation['metric']}), 95% CI", fontsize=9)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return len(rows)


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(draw(json.load(handle), sys.argv[2]))
