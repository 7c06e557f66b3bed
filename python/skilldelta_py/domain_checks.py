"""Domain checks on probed TVB signals and named notebook results.

Usage: python -m skilldelta_py.domain_checks 'REQUEST-JSON'   → prints one JSON line on stdout.

    request = {"kind": "fc", "params": {...},
               "signals": {"signal": "/path/signal-0.npz"}            # or {"from": ..., "to": ...};
                                                                      # a value may be {"file": ..., "label": ...}
               "results": {"peak_hz": 9.5},                           # inline named results
               "labels": [...], "weights": [[...]]}                   # optional; else from tvb_data by region count
    stdout  = {"ok": true, "result": {"pass": ..., "measured": {...}, "reasons": [...], "summary": "..."}}
              {"ok": false, "problem": "..."} only when the request itself is unusable (bad JSON, unknown kind).

Library use: ``assess(kind, params, inputs) -> {"pass", "measured", "reasons", "summary"}`` with
``inputs = {"signals": {role: {"time", "data", "label"}}, "results": {...}, "labels": [...]|None,
"weights": ndarray|None}``. Odd data (NaN, flat, region-first, too short) is a failed check with a
reason naming the numbers, never an exception. Pure numpy/scipy, deterministic.

Decisions and changes with respect to SPEC.md (also in /work/scratch-goals/SPEC-CHANGES.md):
  * Edges are inclusive everywhere (a value exactly on a bound passes), with a 1e-9 tolerance so a
    0.5 Hz shift measured on a 0.5 Hz grid is not lost to rounding.
  * Signals must be time-first: the data's first axis must have the time vector's length. Region-first
    data is refused with a reason. Layouts (time,), (time, region), (time, var, region), (time, var,
    region, mode) are reduced to (time, region) with psd.as_time_by_region (mode 0).
  * Default transient everywhere = psd.py's default: 1000 ms when the run lasts ≥ 3 s, else a quarter of it.
  * psd_shift reuses psd.analyse (same Welch, 2 s segments, detrending, per-region normalised mean PSD).
    Each side must also be a sustained signal, exactly like psd_peak's defaults: max regional std
    ≥ min_std (1e-6) and decay ratio ≥ min_decay_ratio (0.5). Extra params: min_std, min_decay_ratio,
    transient_ms.
  * fc: a region whose activity is constant after the transient has no defined correlation; its FC
    entries count as 0 (a silenced node is uncorrelated) and the number of such regions is reported.
    sc_correlation compares the FC upper triangle with log10(1 + w) of the SYMMETRISED default weights
    ((W + Wᵀ)/2, diagonal excluded); `sc_transform: raw` uses w itself. A completely flat signal fails.
  * fc_change: both signals need the same region count; extra param min_std for the flatness test.
  * seizure: onset = first sample after the transient where the signal crosses `threshold` in
    `direction`. Defaults threshold 0.0, direction "below" — for the Epileptor's first default variable of
    interest x2 − x1, which sits near +0.8 at rest (interictal spikes go UP to ≈ 2.2) and drops to
    −1…−2.5 during a seizure. For x1 use direction "above" with a threshold near 0. EZ onset must be
    strictly earlier than every PZ onset by at least `min_lead_ms` (default 0).
  * evoked: baseline = the `baseline_ms` (default 500) before onset (never earlier than the transient,
    default 0 here); deviation = |x − baseline mean| searched over every sample from onset to the end.
    Extra params: baseline_ms, min_abs (default 1e-6: the floor when the baseline is flat),
    min_vs_others (optional: each listed region's peak deviation must be ≥ this × the median peak
    deviation of the non-listed regions — catches a stimulus delivered to the wrong regions).
  * regime: oscillation = median over regions of last-third std ≥ min_std AND median last/first-third
    std ratio ≥ 0.5; fixed_point = largest last-third std of any region < min_std. Optional `regions`
    (labels) restricts the test to those regions.
  * trend: x and y need ≥ 3 finite pairs; a constant y is no trend. Ties are handled by Spearman's ranks.
  * recovered: `truth` may be a number, a list of numbers (element-wise within tolerance) or a string
    (a region label, compared case-insensitively; tolerance ignored).
  * finite: checks every value of the array (all variables), then flatness over all non-time axes.
    Every other signal kind refuses a NaN/Inf anywhere in the selected variable, transient included.
"""

from __future__ import annotations

import bz2
import io
import json
import math
import os
import sys
import zipfile
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from . import psd as _psd

EPS = 1e-9
KINDS = ("finite", "value", "psd_shift", "fc", "fc_change", "seizure", "evoked", "trend", "regime", "recovered")


class Problem(Exception):
    """The input cannot be assessed; the message says why (becomes a failure reason)."""


# ----------------------------------------------------------------------------- connectivity data


def _tvb_data_dir() -> str:
    import tvb_data  # noqa: PLC0415 - optional dependency, only needed for labels/weights

    return os.path.join(os.path.dirname(tvb_data.__file__), "connectivity")


def _read_member(archive: zipfile.ZipFile, stem: str) -> bytes | None:
    for name in archive.namelist():
        base = name.rsplit("/", 1)[-1]
        if name.startswith("__MACOSX"):
            continue
        if base == stem:
            return archive.read(name)
        if base == stem + ".bz2":
            return bz2.decompress(archive.read(name))
    return None


@lru_cache(maxsize=8)
def _connectivity(regions: int) -> tuple[tuple[str, ...], np.ndarray]:
    path = os.path.join(_tvb_data_dir(), f"connectivity_{regions}.zip")
    if not os.path.exists(path):
        raise Problem(f"tvb_data has no connectivity with {regions} regions (looked for {path})")
    with zipfile.ZipFile(path) as archive:
        centres = _read_member(archive, "centres.txt")
        weights = _read_member(archive, "weights.txt")
    if centres is None or weights is None:
        raise Problem(f"{path} lacks centres.txt or weights.txt")
    labels = tuple(line.split()[0] for line in centres.decode().splitlines() if line.strip())
    w = np.loadtxt(io.BytesIO(weights), dtype=float)
    if w.shape != (len(labels), len(labels)):
        raise Problem(f"{path}: {len(labels)} labels but weights of shape {list(w.shape)}")
    w.setflags(write=False)
    return labels, w


def connectivity_for(regions: int) -> tuple[list[str], np.ndarray]:
    """Region labels and default weights of tvb_data's connectivity_<regions>.zip (66/68/76/96/192)."""
    labels, w = _connectivity(int(regions))
    return list(labels), w.copy()


# ----------------------------------------------------------------------------- helpers


def _num(value: Any) -> Any:
    """JSON-safe numbers: numpy scalars → Python, NaN/Inf → None."""
    if isinstance(value, dict):
        return {k: _num(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_num(v) for v in value]
    if isinstance(value, np.ndarray):
        return _num(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _fmt(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return str(x)
    return f"{x:.4g}"


def _get_signal(inputs: dict, role: str) -> tuple[np.ndarray, np.ndarray, str]:
    signals = inputs.get("signals") or {}
    entry = signals.get(role)
    if entry is None:
        raise Problem(f"no signal was found for `{role}`")
    label = str(entry.get("label") or role)
    time_ms = np.asarray(entry["time"], dtype=float).ravel()
    data = np.asarray(entry["data"], dtype=float)
    if data.ndim == 0 or data.size == 0 or time_ms.size == 0:
        raise Problem(f"{label} is empty (time {time_ms.size} samples, data shape {list(data.shape)})")
    if data.shape[0] != time_ms.shape[0]:
        axes = [i for i, n in enumerate(data.shape) if n == time_ms.shape[0]]
        hint = f"; axis {axes[0]} has the time length — the data looks region-first, transpose it" if axes else ""
        raise Problem(
            f"{label}: the data's first axis has {data.shape[0]} samples but the time vector has "
            f"{time_ms.shape[0]}: data must be time-first{hint}"
        )
    return time_ms, data, label


def _time_by_region(data: np.ndarray, variable: int) -> np.ndarray:
    try:
        return _psd.as_time_by_region(data, variable, 0)
    except _psd.SignalProblem as problem:
        raise Problem(str(problem)) from None


def _transient(time_ms: np.ndarray, params: dict, default: float | None = None) -> float:
    value = params.get("transient_ms")
    if value is not None:
        return float(value)
    if default is not None:
        return default
    return _psd.default_transient_ms(float(time_ms[-1] - time_ms[0]))


def _after_transient(time_ms: np.ndarray, x: np.ndarray, transient_ms: float, label: str, minimum: int = 3):
    keep = time_ms >= time_ms[0] + transient_ms - EPS
    if int(keep.sum()) < minimum:
        raise Problem(
            f"{label}: only {int(keep.sum())} samples remain after dropping {transient_ms:g} ms of "
            f"{float(time_ms[-1] - time_ms[0]):g} ms (need ≥ {minimum}): simulate longer"
        )
    return time_ms[keep], x[keep]


def _require_finite(x: np.ndarray, label: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        raise Problem(
            f"{label} contains {int(bad.sum())} NaN/Inf values of {x.size} (the simulation diverged)"
        )


def _labels_for(inputs: dict, regions: int) -> list[str]:
    labels = inputs.get("labels")
    if labels is not None:
        labels = [str(v) for v in labels]
        if len(labels) != regions:
            raise Problem(f"the signal has {regions} regions but {len(labels)} region labels were provided")
        return labels
    try:
        return connectivity_for(regions)[0]
    except Problem:
        raise Problem(f"no region labels for a signal with {regions} regions (not a tvb_data connectivity)") from None


def _weights_for(inputs: dict, regions: int) -> np.ndarray:
    weights = inputs.get("weights")
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if w.shape != (regions, regions):
            raise Problem(f"the signal has {regions} regions but the weights have shape {list(w.shape)}")
        return w
    try:
        return connectivity_for(regions)[1]
    except Problem:
        raise Problem(f"no structural weights for a signal with {regions} regions (not a tvb_data connectivity)") from None


def _indices(labels: list[str], wanted: list[str], what: str) -> list[int]:
    missing = [w for w in wanted if w not in labels]
    if missing:
        raise Problem(f"{what} label(s) {missing} are not region labels of this {len(labels)}-region connectivity")
    return [labels.index(w) for w in wanted]


def _result(inputs: dict, name: str) -> Any:
    results = inputs.get("results") or {}
    if name not in results:
        raise Problem(f"the notebook defines no result named `{name}`")
    return results[name]


def _scalar(value: Any, name: str) -> float:
    arr = np.asarray(value, dtype=float) if not isinstance(value, str) else None
    if arr is None:
        raise Problem(f"`{name}` is the string {value!r}, not a number")
    if arr.size != 1:
        raise Problem(f"`{name}` holds {arr.size} values (shape {list(arr.shape)}), not one number")
    return float(arr.ravel()[0])


def _vector(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Problem(f"`{name}` is not a list of numbers") from None
    if arr.ndim != 1:
        arr = np.squeeze(arr)
        if arr.ndim != 1:
            raise Problem(f"`{name}` has shape {list(np.shape(value))}; a 1-D sweep is expected")
    return arr


def _fc_matrix(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Pearson correlation of the columns; constant columns correlate 0 with everything (1 on the diagonal)."""
    std = x.std(axis=0)
    flat = std <= 1e-12 * max(1.0, float(np.abs(x).max()) if x.size else 1.0)
    z = np.zeros_like(x)
    z[:, ~flat] = (x[:, ~flat] - x[:, ~flat].mean(axis=0)) / std[~flat]
    fc = z.T @ z / x.shape[0]
    fc = np.clip(fc, -1.0, 1.0)
    np.fill_diagonal(fc, 1.0)
    return fc, int(flat.sum())


# ----------------------------------------------------------------------------- kinds


def _finite(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    time_ms, data, label = _get_signal(inputs, "signal")
    min_std = float(params.get("min_std", 1e-9))
    bad = ~np.isfinite(data)
    n_bad = int(bad.sum())
    measured: dict[str, Any] = {"shape": list(data.shape), "nonFinite": n_bad, "samples": int(time_ms.size)}
    reasons: list[str] = []
    if n_bad:
        first = int(np.argmax(bad.reshape(bad.shape[0], -1).any(axis=1)))
        measured["firstNonFiniteMs"] = float(time_ms[first])
        reasons.append(
            f"{n_bad} of {data.size} values are NaN/Inf (first at t = {time_ms[first]:g} ms): the simulation diverged"
        )
    flat2 = data.reshape(data.shape[0], -1)
    with np.errstate(invalid="ignore"):
        stds = np.nanstd(np.where(np.isfinite(flat2), flat2, np.nan), axis=0) if flat2.shape[0] > 1 else np.zeros(flat2.shape[1])
    max_std = float(np.nanmax(stds)) if np.any(np.isfinite(stds)) else 0.0
    measured["maxStd"] = max_std
    if not max_std > min_std:
        reasons.append(f"the signal is flat (largest std over time {max_std:.3g} ≤ {min_std:g})")
    return measured, reasons, f"{label}: {n_bad} non-finite values, largest std {_fmt(max_std)}"


def _value(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    name = params["result"]
    lo, hi = (float(v) for v in params["range"])
    v = _scalar(_result(inputs, name), name)
    measured = {"value": v, "range": [lo, hi]}
    reasons = []
    if not np.isfinite(v):
        reasons.append(f"`{name}` is {v} (not finite)")
    elif v < lo - EPS * max(1.0, abs(lo)) or v > hi + EPS * max(1.0, abs(hi)):
        reasons.append(f"`{name}` = {v:.6g} lies outside [{lo:g}, {hi:g}]")
    return measured, reasons, f"{name} = {_fmt(v)} (expected {lo:g}–{hi:g})"


def _peak(inputs: dict, role: str, params: dict) -> dict:
    time_ms, data, label = _get_signal(inputs, role)
    _require_finite(_time_by_region(data, int(params.get("variable_index", 0))), label)
    lo, hi = (float(v) for v in params.get("search_hz", [2, 40]))
    buffer = io.BytesIO()
    np.savez(buffer, time=time_ms, data=data)
    buffer.seek(0)
    request = {"signal": buffer, "band": [lo, hi], "variableIndex": int(params.get("variable_index", 0)),
               "fminHz": lo, "fmaxHz": hi}
    if params.get("transient_ms") is not None:
        request["transientMs"] = float(params["transient_ms"])
    try:
        m = _psd.analyse(request)
    except _psd.SignalProblem as problem:
        raise Problem(f"{label}: {problem}") from None
    problems = []
    if m["std"]["max"] < float(params.get("min_std", 1e-6)):
        problems.append(f"{label} is flat (largest regional std {m['std']['max']:.2e} < {float(params.get('min_std', 1e-6)):g})")
    if m["decayRatio"] < float(params.get("min_decay_ratio", 0.5)):
        problems.append(
            f"{label} decays (std over the last third is {m['decayRatio'] * 100:.2g}% of the first third; "
            f"a sustained rhythm needs ≥ {float(params.get('min_decay_ratio', 0.5)) * 100:g}%)"
        )
    return {"label": label, "peakHz": m["peakHz"], "resolutionHz": m["resolutionHz"], "decayRatio": m["decayRatio"],
            "maxStd": m["std"]["max"], "problems": problems}


def _psd_shift(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    direction = params.get("direction", "down")
    if direction not in ("down", "up"):
        raise Problem(f"direction must be 'down' or 'up', not {direction!r}")
    min_shift = float(params.get("min_shift_hz", 0.5))
    a, b = _peak(inputs, "from", params), _peak(inputs, "to", params)
    shift = b["peakHz"] - a["peakHz"]
    measured = {"fromPeakHz": a["peakHz"], "toPeakHz": b["peakHz"], "shiftHz": shift,
                "resolutionHz": max(a["resolutionHz"], b["resolutionHz"]),
                "fromDecayRatio": a["decayRatio"], "toDecayRatio": b["decayRatio"]}
    reasons = a["problems"] + b["problems"]
    signed = shift if direction == "up" else -shift
    if signed < min_shift - EPS:
        reasons.append(
            f"the dominant frequency moves from {a['peakHz']:.2f} Hz ({a['label']}) to {b['peakHz']:.2f} Hz "
            f"({b['label']}): a shift of {shift:+.2f} Hz, not {direction} by ≥ {min_shift:g} Hz"
        )
    return measured, reasons, f"peak {a['peakHz']:.2f} → {b['peakHz']:.2f} Hz (shift {shift:+.2f} Hz, expected {direction} ≥ {min_shift:g})"


def _prepared(inputs: dict, role: str, params: dict, minimum: int = 3) -> tuple[np.ndarray, np.ndarray, str]:
    time_ms, data, label = _get_signal(inputs, role)
    x = _time_by_region(data, int(params.get("variable_index", 0)))
    _require_finite(x, label)  # a NaN anywhere (even in the transient) means the run diverged
    t, x = _after_transient(time_ms, x, _transient(time_ms, params), label, minimum)
    return t, x, label


def _fc(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    _, x, label = _prepared(inputs, "signal", params)
    regions = x.shape[1]
    if regions < 2:
        raise Problem(f"{label} has {regions} region: FC needs at least two")
    if float(x.std(axis=0).max()) <= 1e-12:
        raise Problem(f"{label} is flat after the transient: no functional connectivity can be measured")
    fc, n_flat = _fc_matrix(x)
    upper = np.triu_indices(regions, 1)
    measured: dict[str, Any] = {"regions": regions, "samples": int(x.shape[0]), "flatRegions": n_flat,
                                "meanFc": float(fc[upper].mean())}
    reasons: list[str] = []
    parts = [f"{label}: mean FC {fc[upper].mean():.3f}"]
    if params.get("sc_correlation") is not None:
        lo, hi = (float(v) for v in params["sc_correlation"])
        w = _weights_for(inputs, regions)
        w = (w + w.T) / 2.0
        sc = w if params.get("sc_transform", "log") == "raw" else np.log10(1.0 + np.abs(w))
        a, b = fc[upper], sc[upper]
        r = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
        measured["scCorrelation"] = r
        parts.append(f"r(FC, SC) {_fmt(r)} (expected {lo:g}–{hi:g})")
        if not np.isfinite(r) or r < lo - EPS or r > hi + EPS:
            reasons.append(f"the FC–SC correlation is {_fmt(r)}, outside [{lo:g}, {hi:g}]")
    if params.get("near_zero"):
        labels = _labels_for(inputs, regions)
        max_abs = float(params.get("max_abs", 0.1))
        worst = {}
        for name, i in zip(params["near_zero"], _indices(labels, list(params["near_zero"]), "near_zero")):
            row = np.abs(np.delete(fc[i], i))
            j = int(np.argmax(row))
            partner = [k for k in range(regions) if k != i][j]
            worst[name] = float(row[j])
            if row[j] > max_abs + EPS:
                reasons.append(
                    f"{name} is not disconnected: |FC| with {labels[partner]} is {row[j]:.3f} > {max_abs:g} "
                    f"(mean |FC| {row.mean():.3f})"
                )
        measured["nearZeroMaxAbs"] = worst
        parts.append("max |FC| of " + ", ".join(f"{k} {v:.3f}" for k, v in worst.items()) + f" (≤ {max_abs:g})")
    return measured, reasons, "; ".join(parts)


def _fc_change(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    direction = params.get("direction", "up")
    if direction not in ("up", "down"):
        raise Problem(f"direction must be 'up' or 'down', not {direction!r}")
    min_change = float(params.get("min_change", 0.02))
    means = {}
    for role in ("from", "to"):
        _, x, label = _prepared(inputs, role, params)
        if float(x.std(axis=0).max()) <= float(params.get("min_std", 1e-12)):
            raise Problem(f"{label} is flat after the transient: no functional connectivity can be measured")
        fc, _ = _fc_matrix(x)
        upper = np.triu_indices(fc.shape[0], 1)
        means[role] = (float(fc[upper].mean()), fc.shape[0], label)
    if means["from"][1] != means["to"][1]:
        raise Problem(f"{means['from'][2]} has {means['from'][1]} regions but {means['to'][2]} has {means['to'][1]}")
    change = means["to"][0] - means["from"][0]
    measured = {"fromMeanFc": means["from"][0], "toMeanFc": means["to"][0], "change": change}
    signed = change if direction == "up" else -change
    reasons = []
    if signed < min_change - EPS:
        reasons.append(
            f"mean FC goes from {means['from'][0]:.3f} ({means['from'][2]}) to {means['to'][0]:.3f} "
            f"({means['to'][2]}): {change:+.3f}, not {direction} by ≥ {min_change:g}"
        )
    return measured, reasons, f"mean FC {means['from'][0]:.3f} → {means['to'][0]:.3f} ({change:+.3f}, expected {direction} ≥ {min_change:g})"


def _seizure(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    t, x, label = _prepared(inputs, "signal", params)
    labels = _labels_for(inputs, x.shape[1])
    ez = list(params.get("ez") or [])
    pz = list(params.get("pz") or [])
    if not ez:
        raise Problem("the seizure check needs at least one EZ label")
    ez_i, pz_i = _indices(labels, ez, "ez"), _indices(labels, pz, "pz")
    threshold = float(params.get("threshold", 0.0))
    direction = params.get("direction", "below")
    if direction not in ("below", "above"):
        raise Problem(f"direction must be 'below' or 'above', not {direction!r}")
    crossed = x < threshold if direction == "below" else x > threshold
    seized = crossed.any(axis=0)
    onset = np.where(seized, t[np.argmax(crossed, axis=0)], np.nan)
    name_onset = {labels[i]: (float(onset[i]) if seized[i] else None) for i in ez_i + pz_i}
    reasons = []
    for name, i in zip(ez, ez_i):
        if not seized[i]:
            reasons.append(f"EZ region {name} never crosses {threshold:g} ({direction}); range {x[:, i].min():.3g}…{x[:, i].max():.3g}")
    for name, i in zip(pz, pz_i):
        if not seized[i]:
            reasons.append(f"PZ region {name} never crosses {threshold:g} ({direction}); range {x[:, i].min():.3g}…{x[:, i].max():.3g}")
    lead = float(params.get("min_lead_ms", 0.0))
    ez_on = [onset[i] for i in ez_i if seized[i]]
    pz_on = [onset[i] for i in pz_i if seized[i]]
    if ez_on and pz_on and not max(ez_on) + lead < min(pz_on):
        late = ez[int(np.nanargmax([onset[i] for i in ez_i]))]
        early = pz[int(np.nanargmin([onset[i] if seized[i] else np.inf for i in pz_i]))]
        reasons.append(
            f"EZ region {late} starts at {max(ez_on):.1f} ms, not before PZ region {early} at {min(pz_on):.1f} ms"
            + (f" by ≥ {lead:g} ms" if lead else "")
        )
    others = [i for i in range(x.shape[1]) if i not in set(ez_i) | set(pz_i)]
    other_seized = [labels[i] for i in others if seized[i]]
    quiet = params.get("quiet", "others")
    if quiet == "others" and other_seized:
        first = sorted(other_seized, key=lambda n: onset[labels.index(n)])
        reasons.append(
            f"{len(other_seized)} region(s) outside EZ/PZ also seize: "
            + ", ".join(f"{n} at {onset[labels.index(n)]:.1f} ms" for n in first[:5])
            + (" …" if len(first) > 5 else "")
        )
    measured = {"onsetMs": name_onset, "otherSeizing": other_seized, "threshold": threshold, "direction": direction,
                "analysedFromMs": float(t[0])}
    summary = (f"{label}: onsets " + ", ".join(f"{k} {_fmt(v)}" for k, v in name_onset.items())
               + f" ms; {len(other_seized)} other region(s) seize")
    return measured, reasons, summary


def _evoked(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    time_ms, data, label = _get_signal(inputs, "signal")
    x = _time_by_region(data, int(params.get("variable_index", 0)))
    _require_finite(x, label)
    onset = float(params["onset_ms"])
    wlo, whi = (float(v) for v in params.get("window_ms", [0, 500]))
    min_ratio = float(params.get("min_ratio", 3.0))
    min_abs = float(params.get("min_abs", 1e-6))
    start = max(onset - float(params.get("baseline_ms", 500.0)), float(time_ms[0]) + float(params.get("transient_ms", 0.0)))
    base = (time_ms >= start) & (time_ms < onset)
    post = time_ms >= onset
    if base.sum() < 2:
        raise Problem(f"{label}: only {int(base.sum())} samples before the onset at {onset:g} ms: no baseline")
    if post.sum() < 1:
        raise Problem(f"{label}: the signal ends at {time_ms[-1]:g} ms, before the onset at {onset:g} ms")
    labels = _labels_for(inputs, x.shape[1])
    wanted = list(params.get("regions") or [])
    if not wanted:
        raise Problem("the evoked check needs the labels of the stimulated regions")
    idx = _indices(labels, wanted, "regions")
    mean, std = x[base].mean(axis=0), x[base].std(axis=0)
    dev = np.abs(x[post] - mean)
    peak = dev.max(axis=0)
    peak_t = time_ms[post][np.argmax(dev, axis=0)] - onset
    reasons = []
    per = {}
    for name, i in zip(wanted, idx):
        need = max(min_ratio * std[i], min_abs)
        per[name] = {"peakDeviation": float(peak[i]), "latencyMs": float(peak_t[i]), "baselineStd": float(std[i])}
        if peak[i] < need:
            reasons.append(
                f"{name}: largest deviation after onset {peak[i]:.3g} < {need:.3g} "
                f"(= max({min_ratio:g} × baseline std {std[i]:.3g}, {min_abs:g}))"
            )
        elif not (wlo - EPS <= peak_t[i] <= whi + EPS):
            reasons.append(f"{name}: the largest deviation comes {peak_t[i]:.1f} ms after onset, outside {wlo:g}–{whi:g} ms")
    measured: dict[str, Any] = {"regions": per}
    if params.get("min_vs_others") is not None:
        others = [i for i in range(x.shape[1]) if i not in set(idx)]
        if others:
            ref = float(np.median(peak[others]))
            factor = float(params["min_vs_others"])
            measured["othersMedianPeak"] = ref
            for name, i in zip(wanted, idx):
                if peak[i] < factor * ref - EPS:
                    reasons.append(
                        f"{name}: its response {peak[i]:.3g} is not ≥ {factor:g} × the median response of the "
                        f"other regions ({ref:.3g}): the stimulus does not single out the listed regions"
                    )
    summary = f"{label}: " + ", ".join(
        f"{k} peak {v['peakDeviation']:.3g} at +{v['latencyMs']:.0f} ms (baseline std {v['baselineStd']:.2g})" for k, v in per.items()
    )
    return measured, reasons, summary


def _trend(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    xn, yn = params["x"], params["y"]
    direction = params.get("direction", "increasing")
    if direction not in ("increasing", "decreasing"):
        raise Problem(f"direction must be 'increasing' or 'decreasing', not {direction!r}")
    min_rho = float(params.get("min_spearman", 0.8))
    x, y = _vector(_result(inputs, xn), xn), _vector(_result(inputs, yn), yn)
    if x.size != y.size:
        raise Problem(f"`{xn}` has {x.size} values but `{yn}` has {y.size}")
    ok = np.isfinite(x) & np.isfinite(y)
    reasons = []
    if not ok.all():
        reasons.append(f"{int((~ok).sum())} of {x.size} sweep points are NaN/Inf")
    if ok.sum() < 3:
        raise Problem(f"a trend needs ≥ 3 finite (x, y) pairs; `{xn}`/`{yn}` give {int(ok.sum())}")
    if np.ptp(y[ok]) == 0 or np.ptp(x[ok]) == 0:
        rho = float("nan")
    else:
        rho = float(spearmanr(x[ok], y[ok]).statistic)
    signed = rho if direction == "increasing" else -rho
    if not np.isfinite(rho):
        reasons.append(f"`{yn}` or `{xn}` is constant over the sweep: no trend")
    elif signed < min_rho - EPS:
        reasons.append(f"Spearman ρ of {yn} over {xn} is {rho:+.3f}; {direction} needs {'≥ +' if direction == 'increasing' else '≤ −'}{min_rho:g}")
    measured = {"spearman": rho, "points": int(ok.sum())}
    return measured, reasons, f"ρ({yn}, {xn}) = {_fmt(rho)} over {int(ok.sum())} points (expected {direction}, |ρ| ≥ {min_rho:g})"


def _regime(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    expect = params.get("expect", "oscillation")
    if expect not in ("oscillation", "fixed_point"):
        raise Problem(f"expect must be 'oscillation' or 'fixed_point', not {expect!r}")
    _, x, label = _prepared(inputs, "signal", params, minimum=6)
    if params.get("regions"):
        labels = _labels_for(inputs, x.shape[1])
        x = x[:, _indices(labels, list(params["regions"]), "regions")]
    min_std = float(params.get("min_std", 1e-3))
    third = x.shape[0] // 3
    early, late = x[:third].std(axis=0), x[-third:].std(axis=0)
    ratio = np.where(early > 0, late / np.where(early > 0, early, 1.0), np.where(late > 0, np.inf, 0.0))
    med_late, max_late, med_ratio = float(np.median(late)), float(late.max()), float(np.median(ratio))
    measured = {"medianLateStd": med_late, "maxLateStd": max_late, "medianDecayRatio": med_ratio, "regions": int(x.shape[1])}
    reasons = []
    if expect == "oscillation":
        if med_late < min_std:
            reasons.append(f"no sustained activity: median std over the last third {med_late:.3g} < {min_std:g}")
        if med_ratio < 0.5:
            reasons.append(f"the activity decays: last-third std is {med_ratio * 100:.2g}% of the first third (needs ≥ 50%)")
    else:
        if max_late >= min_std:
            reasons.append(
                f"not at a fixed point: the largest std over the last third is {max_late:.3g} ≥ {min_std:g}"
                + (f" (last/first-third ratio {med_ratio:.2f})" if med_ratio < 0.5 else "")
            )
    summary = f"{label}: last-third std median {med_late:.3g} / max {max_late:.3g}, decay ratio {med_ratio:.2f} (expected {expect})"
    return measured, reasons, summary


def _recovered(params: dict, inputs: dict) -> tuple[dict, list[str], str]:
    name = params["result"]
    truth = params["truth"]
    value = _result(inputs, name)
    if isinstance(truth, str):
        got = value if isinstance(value, str) else (value[0] if isinstance(value, (list, tuple)) and len(value) == 1 else value)
        ok = isinstance(got, str) and got.strip().lower() == truth.strip().lower()
        reasons = [] if ok else [f"`{name}` = {got!r}, the truth is {truth!r}"]
        return {"value": got if isinstance(got, str) else _num(got), "truth": truth}, reasons, f"{name} = {got!r} (truth {truth!r})"
    tol = float(params.get("tolerance", 0.0))
    t = np.asarray(truth, dtype=float)
    if t.size == 1:
        v = _scalar(value, name)
        err = abs(v - float(t.ravel()[0]))
        reasons = []
        if not np.isfinite(err) or err > tol + EPS * max(1.0, abs(float(t.ravel()[0]))):
            reasons.append(f"`{name}` = {v:.6g} is {err:.3g} from the truth {float(t.ravel()[0]):g} (tolerance {tol:g})")
        return {"value": v, "truth": float(t.ravel()[0]), "error": err}, reasons, f"{name} = {_fmt(v)} (truth {float(t.ravel()[0]):g} ± {tol:g})"
    v = _vector(value, name)
    if v.size != t.size:
        raise Problem(f"`{name}` has {v.size} values, the truth has {t.size}")
    err = np.abs(v - t.ravel())
    bad = ~(err <= tol + EPS)
    reasons = [f"`{name}`: {int(bad.sum())} of {t.size} values are further than {tol:g} from the truth (largest error {np.nanmax(err) if np.any(np.isfinite(err)) else float('nan'):.3g})"] if bad.any() else []
    return {"maxError": float(np.nanmax(err)) if np.any(np.isfinite(err)) else None, "outside": int(bad.sum())}, reasons, \
        f"{name}: largest error {_fmt(float(np.nanmax(err)) if np.any(np.isfinite(err)) else float('nan'))} (tolerance {tol:g})"


_DISPATCH = {
    "finite": _finite,
    "value": _value,
    "psd_shift": _psd_shift,
    "fc": _fc,
    "fc_change": _fc_change,
    "seizure": _seizure,
    "evoked": _evoked,
    "trend": _trend,
    "regime": _regime,
    "recovered": _recovered,
}


def assess(kind: str, params: dict, inputs: dict) -> dict:
    """Apply one check; never raises on bad data (only on an unknown kind)."""
    if kind not in _DISPATCH:
        raise ValueError(f"unknown check kind {kind!r}; known: {', '.join(KINDS)}")
    try:
        measured, reasons, summary = _DISPATCH[kind](dict(params or {}), inputs or {})
    except Problem as problem:
        measured, reasons, summary = {}, [str(problem)], str(problem)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        message = f"the {kind} check could not be applied: {type(error).__name__}: {error}"
        measured, reasons, summary = {}, [message], message
    return {"pass": not reasons, "measured": _num(measured), "reasons": reasons, "summary": summary}


# ----------------------------------------------------------------------------- CLI


def _load_signal(entry: Any, role: str) -> dict:
    if isinstance(entry, str):
        entry = {"file": entry}
    archive = np.load(entry["file"])
    return {"time": archive["time"], "data": archive["data"], "label": entry.get("label") or role}


def run_request(request: dict) -> dict:
    signals = {role: _load_signal(entry, role) for role, entry in (request.get("signals") or {}).items()}
    inputs = {"signals": signals, "results": request.get("results") or {},
              "labels": request.get("labels"), "weights": request.get("weights")}
    return assess(request["kind"], request.get("params") or {}, inputs)


def main(argv: list[str]) -> int:
    try:
        from skilldelta_py.analysis_main import read_request

        request = read_request(argv)
        print(json.dumps({"ok": True, "result": run_request(request)}, ensure_ascii=False))
    except Exception as error:  # noqa: BLE001 - an unusable request is reported, never a crashed matcher
        print(json.dumps({"ok": False, "problem": f"{type(error).__name__}: {error}"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
