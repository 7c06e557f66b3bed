"""The runner's side of the probe: read what the kernel sent, trust nothing, write the signal files.

Every message is checked (types, ranges, sizes) before it is used; a series is accepted only when all
of its chunks arrived, its time axis is finite and increasing, and its data is time-first. Files are
written by this process, under names it chooses, into the harness's own directory.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

import numpy as np

from .kernel_probe import RESULTS_MIME, SERIES_MIME, SUMMARY_MIME
from .text import plain

MAX_SERIES = 256
MAX_NAMES = 16


class ProbeProblem(Exception):
    """The probe's messages are unusable; the message says why."""


def _int(value: Any, low: int, high: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProbeProblem(f"{what} is not an integer in [{low}, {high}]")
    return value


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise ProbeProblem("a series name is not a short string")
    return plain(value)


def _optional_number(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ProbeProblem("a number in the probe summary is not finite")
    return float(value)


def collect(outputs: list[dict[str, Any]], out_dir: str, max_values: int) -> dict[str, Any]:
    summary: dict[str, Any] | None = None
    results: dict[str, Any] = {}
    buffers: dict[tuple[int, int, str], np.ndarray] = {}
    filled: dict[tuple[int, int, str], int] = {}
    for output in outputs:
        data = output.get("data") or {}
        if SUMMARY_MIME in data:
            summary = data[SUMMARY_MIME]
        if RESULTS_MIME in data and isinstance(data[RESULTS_MIME], dict):
            results = data[RESULTS_MIME]
        chunk = data.get(SERIES_MIME)
        if chunk is None:
            continue
        if not isinstance(chunk, dict):
            raise ProbeProblem("a series chunk is not an object")
        run = _int(chunk.get("run"), 0, 10_000, "run")
        position = _int(chunk.get("position"), 0, 64, "position")
        part = chunk.get("part")
        if part not in ("time", "data"):
            raise ProbeProblem("a series chunk names no part")
        total = _int(chunk.get("total"), 0, max_values, "total")
        offset = _int(chunk.get("offset"), 0, max(total, 0), "offset")
        raw = chunk.get("raw")  # the message's binary frames (kernel_client.CappedNotebookClient)
        if not isinstance(raw, bytes):
            raise ProbeProblem("a series chunk carries no binary values")
        if len(raw) % 8:
            raise ProbeProblem("a series chunk is not a whole number of float64 values")
        values = np.frombuffer(raw, dtype="<f8")
        key = (run, position, part)
        if key not in buffers:
            if sum(b.size for b in buffers.values()) + total > max_values:
                raise ProbeProblem(f"the series add up to more than {max_values} values")
            buffers[key] = np.empty(total, dtype=np.float64)
            filled[key] = 0
        buffer = buffers[key]
        if buffer.size != total or offset + values.size > total:
            raise ProbeProblem("a series chunk does not fit its series")
        buffer[offset : offset + values.size] = values
        filled[key] += values.size
    if summary is None:
        raise ProbeProblem("the probe sent no summary (its report did not finish)")
    if not isinstance(summary, dict) or not isinstance(summary.get("series"), list):
        raise ProbeProblem("the probe's summary is malformed")
    os.makedirs(out_dir, exist_ok=True)
    signals = []
    for index, header in enumerate(summary["series"][:MAX_SERIES]):
        signals.append(_signal(index, header, buffers, filled, out_dir))
    return {
        "signals": signals,
        "simulators": {f"run {i + 1}": _simulator(s) for i, s in enumerate((summary.get("runs") or [])[:MAX_SERIES])},
        "results": _results(results),
        "hooked": bool(summary.get("hooked")),
        "droppedRuns": _int(summary.get("droppedRuns", 0), 0, 10**9, "droppedRuns"),
        "errors": [plain(str(e))[:500] for e in (summary.get("errors") or [])[:10]],
    }


def _signal(index: int, header: Any, buffers: dict, filled: dict, out_dir: str) -> dict[str, Any]:
    if not isinstance(header, dict):
        raise ProbeProblem("a series header is not an object")
    run = _int(header.get("run"), 0, 10_000, "run")
    position = _int(header.get("position"), 0, 64, "position")
    shape = header.get("shape")
    if not isinstance(shape, list) or not 1 <= len(shape) <= 6:
        raise ProbeProblem("a series shape is malformed")
    shape = [_int(n, 0, 10**9, "a dimension") for n in shape]
    names = [_name(n) for n in (header.get("names") or [])[:MAX_NAMES]]
    monitor = header.get("monitor")
    entry: dict[str, Any] = {
        "id": f"signal-{index}",
        "source": names[0] if names else f"sim.run#{run + 1}[{position}]",
        "names": names,
        "kind": "sim.run",
        "run": run + 1,
        "monitor": plain(monitor)[:64] if isinstance(monitor, str) else None,
        # the notebook's kernel sent these names: identifiers only, as many as the data has variables
        "variables": _variable_names(header.get("variables"), shape),
        "shape": shape,
        "samples": shape[0] if shape else 0,
        "dt_ms": 0.0,
        "start_ms": 0.0,
        "duration_ms": 0.0,
    }
    if header.get("skipped"):
        entry["skipped"] = plain(str(header["skipped"]))[:300]
        return entry
    time_key, data_key = (run, position, "time"), (run, position, "data")
    if time_key not in buffers or data_key not in buffers:
        entry["skipped"] = "the probe did not send this series"
        return entry
    time, data = buffers[time_key], buffers[data_key]
    if filled[time_key] != time.size or filled[data_key] != data.size:
        entry["skipped"] = "the series arrived incomplete"
        return entry
    if data.size != int(np.prod(shape)) or not shape or shape[0] != time.size:
        entry["skipped"] = "the series' data does not match its shape and time axis"
        return entry
    if time.size < 2 or not np.all(np.isfinite(time)) or not np.all(np.diff(time) > 0):
        entry["skipped"] = "the time axis is not finite and increasing"
        return entry
    steps = np.diff(time)
    entry.update(
        {
            "dt_ms": float(np.median(steps)),
            "start_ms": float(time[0]),
            "duration_ms": float(time[-1] - time[0]),
        }
    )
    path = os.path.join(out_dir, f"{entry['id']}.npz")
    np.savez(path, time=time, data=data.reshape(shape))
    entry["file"] = path
    return entry


def _variable_names(value: Any, shape: list[int]) -> list[str]:
    if not isinstance(value, list) or len(shape) < 2 or len(value) != shape[1]:
        return []
    names = [v for v in value if isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", v)]
    return names if len(names) == len(value) else []


def _simulator(summary: Any) -> dict[str, Any]:
    if not isinstance(summary, dict):
        return {"error": "malformed"}
    text = lambda v: plain(v)[:64] if isinstance(v, str) else None  # noqa: E731
    monitors = summary.get("monitors") if isinstance(summary.get("monitors"), list) else []
    nsig = summary.get("nsig")
    return {
        "model": text(summary.get("model")),
        "integrator": text(summary.get("integrator")),
        "stochastic": bool(summary.get("stochastic")),
        "dt": _optional_number(summary.get("dt")),
        "nsig": [_optional_number(v) for v in nsig[:16]] if isinstance(nsig, list) else None,
        "coupling": text(summary.get("coupling")),
        "monitors": [
            {"type": text(m.get("type")), "period": _optional_number(m.get("period"))}
            for m in monitors[:16]
            if isinstance(m, dict)
        ],
        "simulation_length": _optional_number(summary.get("simulation_length")),
        "regions": _int(summary.get("regions", 0), 0, 10**6, "regions"),
    }


def _results(results: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, entry in list(results.items())[:256]:
        if not isinstance(entry, dict):
            continue
        status = entry.get("status")
        key = plain(str(name))[:128]
        if status == "ok" and _numeric(entry.get("value"), 0):
            out[key] = {"status": "ok", "value": entry["value"]}
        elif status == "missing":
            out[key] = {"status": "missing"}
        else:
            out[key] = {"status": "unusable", "reason": plain(str(entry.get("reason", "not a number")))[:300]}
    return out


def _numeric(value: Any, depth: int) -> bool:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, str)):
        return value is None or not isinstance(value, float) or math.isfinite(value)
    if isinstance(value, list) and depth < 4:
        return all(_numeric(v, depth + 1) for v in value)
    return False
