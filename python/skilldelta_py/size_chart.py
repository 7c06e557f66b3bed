"""The picture of the study, from ablation.json: every model's score against its size.

x: parameters (log scale); y: mean score (failures as 0) with its 95 % interval over goals.
Each model shows its baseline (zero_shot, circles) and each condition that offered skills
(triangles), joined by a thin line; the reference model's baseline is a horizontal line, with
the non-inferiority margin δ below it as a band. One panel per metric (objective, and the
judge's mean when a judge scored the run). Models without `params` cannot be placed and are
listed under the chart.

Usage: python -m skilldelta_py.size_chart ablation.json chart.png   (prints the points drawn)
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = ["^", "s", "D", "v", "P", "X"]


def _human(params: float) -> str:
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if params >= size:
            return f"{params / size:.3g}{unit}"
    return f"{params:.3g}"


def _bounds(row: dict) -> tuple[float, float]:
    """Error-bar lengths below and above the mean; an unbounded end (null) draws no bar."""
    mean = row["meanFailuresZero"]
    ci = row.get("meanCi") or [None, None]
    low = mean - ci[0] if ci[0] is not None else 0.0
    high = ci[1] - mean if ci[1] is not None else 0.0
    return max(low, 0.0), max(high, 0.0)


def _panel(axes, ablation: dict) -> tuple[int, list[str]]:
    baseline = ablation["baseline"]
    rows = [r for r in ablation["rows"] if r.get("meanFailuresZero") is not None]
    placed = [r for r in rows if r.get("params")]
    unplaced = sorted({r["model"] for r in rows if not r.get("params")})
    skill_conditions = sorted({r["condition"] for r in placed if r.get("skills") and r["condition"] != baseline})
    drawn = 0
    by_model: dict[str, list[dict]] = {}
    for row in placed:
        by_model.setdefault(row["model"], []).append(row)
    for model, model_rows in sorted(by_model.items()):
        points = [r for r in model_rows if r["condition"] == baseline or r["condition"] in skill_conditions]
        if len(points) > 1:
            axes.plot(
                [r["params"] for r in points],
                [r["meanFailuresZero"] for r in points],
                color="#9e9e9e",
                linewidth=0.8,
                zorder=1,
            )
        for row in points:
            is_base = row["condition"] == baseline
            index = 0 if is_base else skill_conditions.index(row["condition"])
            low, high = _bounds(row)
            axes.errorbar(
                row["params"],
                row["meanFailuresZero"],
                yerr=[[low], [high]],
                fmt="o" if is_base else MARKERS[index % len(MARKERS)],
                color="#455a64" if is_base else f"C{index}",
                capsize=3,
                markersize=7,
                zorder=2,
                label=baseline if is_base else row["condition"],
            )
            drawn += 1
        last = max(points, key=lambda r: r["meanFailuresZero"]) if points else None
        if last:
            axes.annotate(model, (last["params"], last["meanFailuresZero"]), textcoords="offset points",
                          xytext=(6, 4), fontsize=7)
    headline = ablation.get("headline") or {}
    for reference in headline.get("references", []):
        base = next((r for r in rows if r["model"] == reference and r["condition"] == baseline), None)
        if base is None:
            continue
        level = base["meanFailuresZero"]
        axes.axhline(level, color="#c62828", linestyle="--", linewidth=1,
                     label=f"{reference} {baseline}")
        margin = headline.get("margin")
        if margin:
            axes.axhspan(level - margin, level, color="#c62828", alpha=0.08,
                         label=f"within δ = {margin:.2f}")
    axes.set_xscale("log")
    sizes = sorted({r["params"] for r in placed})
    axes.set_xticks(sizes, [_human(p) for p in sizes], fontsize=8)
    axes.minorticks_off()
    axes.set_xlim(sizes[0] / 2, sizes[-1] * 2)
    axes.set_xlabel("parameters (log scale)")
    axes.set_ylabel("mean score (failures as 0)")
    low, high = ablation.get("scale", [0, 1])
    axes.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
    axes.set_title(f"{ablation['metric']}: {baseline} vs with skills, 95% CI over goals", fontsize=9)
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    if unique:
        axes.legend(unique.values(), unique.keys(), fontsize=7, loc="best")
    if unplaced:
        axes.text(0.0, -0.22, "no params (not placed): " + ", ".join(unplaced), transform=axes.transAxes,
                  fontsize=7, color="#616161")
    return drawn, unplaced


def draw(ablation: dict, path: str) -> int:
    panels = [ablation] + ([ablation["judge"]] if ablation.get("judge") else [])
    panels = [p for p in panels if any(r.get("params") and r.get("meanFailuresZero") is not None for r in p["rows"])]
    if not panels:
        return 0
    figure, axes = plt.subplots(len(panels), 1, figsize=(7.5, 4.6 * len(panels)), dpi=100, squeeze=False)
    drawn = sum(_panel(axes[i][0], panel)[0] for i, panel in enumerate(panels))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return drawn


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(draw(json.load(handle), sys.argv[2]))
