"""Execute one notebook on one sandboxed kernel and build its report.

The runner (runner_service.py, long-lived) runs on the host, OUTSIDE the sandbox; only the kernel runs
inside it (kernels.py starts it, possibly before the notebook is known). The notebook's code therefore
cannot touch the runner, the report, the executed notebook or the signal files: the runner records the
executed notebook from the kernel's messages, reads the probe's values over the same channel,
validates them and writes every file itself, into the harness's directory.

Whatever happens to the notebook, a report is written: the notebook's fate is the report's ``status``.
A progress file says when the kernel became the notebook's, so the harness can tell a runner that
broke before the notebook ran (an infrastructure error) from one that broke after it.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import traceback
from pathlib import Path
from typing import Any

from . import confinement
from .kernel_probe import RESULTS_MIME, SERIES_MIME, SUMMARY_MIME
from .kernels import Kernel, limit_source
from .probe_collect import ProbeProblem, collect
from .text import clip, plain
from .validate import validate_notebook_text

EXCERPT_LINES = 12
PROBE_MIMETYPES = [SERIES_MIME, RESULTS_MIME, SUMMARY_MIME]
IOPUB_BROKEN = "Timeout waiting for IOPub output"


class KernelStartError(Exception):
    """The kernel could not be made ready for the notebook (before any of its code ran)."""


def kernel_summary(kernel: Kernel, request: dict[str, Any]) -> dict[str, Any]:
    """How the notebook got its kernel: started ahead (and preloaded) or on demand, and how long it waited."""
    sent, received = request.get("sentAtMs"), request.get("receivedAtMs")
    waited = float(received) - float(sent) if isinstance(sent, (int, float)) and isinstance(received, (int, float)) else 0.0
    return {
        "startedAhead": bool(kernel.spec.get("ahead")),
        "preloaded": [str(name) for name in kernel.spec.get("preload") or []] if kernel.error is None else [],
        "startMs": round(kernel.timings.get("startMs", 0.0), 1),
        "preloadMs": round(kernel.timings.get("preloadMs", 0.0), 1),
        # from the harness's request to this runner taking it up: the wait for a kernel still starting
        "waitMs": round(max(0.0, waited), 1),
    }


def source_excerpt(source: str, line: int | None = None) -> str:
    lines = plain(source).splitlines()
    if line is not None and line > EXCERPT_LINES:
        start = max(0, line - EXCERPT_LINES // 2)
        window = lines[start : start + EXCERPT_LINES]
        return "\n".join([f"… ({start} lines above)"] + window)
    excerpt = lines[:EXCERPT_LINES]
    if len(lines) > EXCERPT_LINES:
        excerpt.append(f"… ({len(lines) - EXCERPT_LINES} more lines)")
    return "\n".join(excerpt)


def error_line(traceback_lines: list[str]) -> int | None:
    """The line of the failing cell named in an IPython traceback, if any."""
    for text in reversed(traceback_lines):
        match = re.search(r"(?:^|\n)\s*(?:---->|-->)\s*(\d+)", text)
        if match:
            return int(match.group(1))
    return None


def cell_error(cell: Any) -> dict[str, Any] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return {
                "ename": output.get("ename", ""),
                "evalue": output.get("evalue", ""),
                "traceback": list(output.get("traceback", [])),
            }
    return None


def output_summary(cell: Any) -> dict[str, int]:
    summary = {"streamChars": 0, "images": 0, "displays": 0}
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            summary["streamChars"] += len(output.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            summary["displays"] += 1
            if any(key.startswith("image/") for key in output.get("data", {})):
                summary["images"] += 1
    return summary


def cell_duration_ms(cell: Any, fallback: float) -> float:
    execution = cell.get("metadata", {}).get("execution", {})
    start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
    if start and end:
        from datetime import datetime

        try:
            return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds() * 1000
        except ValueError:
            pass
    return fallback


def dead_kernel_reason(client: Any, limits: confinement.Limits) -> str:
    if confinement.oom_killed(limits):
        return f"the kernel was killed: it ran out of memory (the notebook's limit is {limits.memory_mb} MB)"
    process = getattr(getattr(getattr(client, "km", None), "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None or code >= 0:
        return f"the kernel exited (code {code})"
    import signal

    name = signal.Signals(-code).name
    why = {
        "SIGXCPU": "it used up its CPU-time limit",
        "SIGKILL": "it was killed (out of memory, or the harness stopped it)",
        "SIGSEGV": "it crashed (often a failed allocation under the memory limit)",
    }.get(name, "it was killed by a signal")
    return f"the kernel died from {name}: {why}"


def strip_metadata(nb: Any) -> list[dict[str, Any]]:
    """Cell metadata can change how a cell runs (tags such as raises-exception, skip-execution): the
    harness decides that, not the notebook. Everything but the cell id goes; what went is recorded."""
    stripped = []
    for index, cell in enumerate(nb.cells):
        keys = sorted(k for k in cell.get("metadata", {}) if k != "id")
        if keys:
            stripped.append({"cell": index, "keys": keys[:16]})
        cell["metadata"] = {}
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return stripped


def write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def hidden_cell(client: Any, nb: Any, source: str, timeout: float) -> Any:
    """Run harness code in the kernel as a cell that is not part of the notebook."""
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(source)
    index = len(nb.cells)
    nb.cells.append(cell)  # nbclient addresses outputs by index; the cell is removed again below
    client.timeout = max(1, math.ceil(timeout))
    client.probe_cell_index = index
    try:
        client.execute_cell(cell, index, store_history=False)
        return cell
    finally:
        client.probe_cell_index = -1
        nb.cells.pop()


def execute(request: dict[str, Any], kernel: Kernel) -> dict[str, Any]:
    """Run the request's notebook on ``kernel`` (already started, used by nothing else) and return the report.

    The caller discards the kernel afterwards, whatever happened.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from .kernel_client import CappedNotebookClient

    started = time.monotonic()
    limits = kernel.limits
    text = Path(request["notebook"]).read_text(encoding="utf-8", errors="replace")
    validation = validate_notebook_text(text)
    report: dict[str, Any] = {
        "status": "ok",
        "validation": {"ok": validation.ok, "problems": [p.to_json() for p in validation.problems]},
        "cells": [],
        "firstError": None,
        "probe": {"status": "skipped"},
        "executedNotebook": None,
        "timings": {},
        "limits": {**limits.summary(), "cpuSeconds": int(request["limits"]["cpuSeconds"])},
        "kernel": kernel_summary(kernel, request),
        "metadataStripped": [],
        "outputCuts": [],
    }
    if not validation.ok:
        report["status"] = "invalid_notebook"
        report["timings"]["totalMs"] = (time.monotonic() - started) * 1000
        return report

    nb = validation.notebook
    report["metadataStripped"] = strip_metadata(nb)
    outputs = request["outputs"]
    cell_timeout = float(request["cellTimeoutSec"])
    deadline = started + float(request["totalTimeoutSec"])
    client = CappedNotebookClient(
        nb,
        km=kernel.km,
        timeout=cell_timeout,
        startup_timeout=float(request["startupTimeoutSec"]),
        kernel_name="python3",
        allow_errors=False,
        record_timing=True,
        shutdown_kernel="immediate",
        raise_on_iopub_timeout=True,
        iopub_timeout=10,
        max_cell_stream_chars=int(outputs["maxCellStreamChars"]),
        max_notebook_output_bytes=int(outputs["maxNotebookOutputBytes"]),
        max_output_depth=int(outputs["maxDepth"]),
        probe_mimetypes=PROBE_MIMETYPES,
    )
    client.kc = kernel.kc

    cells = report["cells"]
    for index, cell in enumerate(nb.cells):
        cells.append(
            {
                "index": index,
                "cellType": cell.cell_type,
                "status": "not_run" if cell.cell_type == "code" and cell.source.strip() else "skipped",
                "sourceExcerpt": source_excerpt(cell.source),
            }
        )

    probe = request.get("probe")
    try:
        if kernel.error is not None:
            raise KernelStartError(kernel.error)
        # the notebook's CPU budget, on top of what the kernel spent before it (start, preload)
        limited = hidden_cell(client, nb, limit_source(int(request["limits"]["cpuSeconds"])), 60)
        failure = cell_error(limited)
        if failure:
            raise KernelStartError(f"the notebook's CPU limit could not be set: {failure['ename']}: {failure['evalue']}")
        # the kernel is the notebook's from here on
        report["timings"]["kernelStartMs"] = kernel.timings.get("startMs", 0.0)
        write_atomic(request["progressPath"], json.dumps({"kernelStarted": True, "cgroups": limits.cgroups}))
        alive = True
        if probe:
            armed = hidden_cell(
                client,
                nb,
                "from skilldelta_py import kernel_probe as _skilldelta_probe\n"
                f"_skilldelta_probe.arm({int(probe['maxValues'])}, {int(probe['maxRuns'])}, {int(probe['chunkValues'])})\n"
                "del _skilldelta_probe\n",
                60,
            )
            failure = cell_error(armed)
            if failure:
                report["probe"] = {"status": "error", "error": failure, "durationMs": 0}
                probe = None
        # the notebook's own time starts now, after the kernel and the probe are ready
        deadline = time.monotonic() + float(request["totalTimeoutSec"])
        for index, cell in enumerate(nb.cells):
            entry = cells[index]
            if entry["status"] == "skipped":
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                report["status"] = "total_timeout"
                total = float(request["totalTimeoutSec"])
                evalue = f"the notebook's total time limit ({total:.0f} s) ran out before cell {index} started"
                report["firstError"] = {
                    "cell": index,
                    "ename": "CellTimeoutError",
                    "evalue": evalue,
                    "traceback": [],
                    "sourceExcerpt": entry["sourceExcerpt"],
                }
                break
            client.timeout = max(1, math.ceil(min(cell_timeout, remaining)))  # nbclient's trait is an int
            cell_started = time.monotonic()
            try:
                client.execute_cell(cell, index)
                entry["status"] = "ok"
            except CellTimeoutError as error:
                entry["status"] = "timeout" if IOPUB_BROKEN not in str(error) else "error"
                if IOPUB_BROKEN in str(error):
                    limit = int(outputs["maxMessageBytes"]) >> 20
                    entry["error"] = {
                        "ename": "OutputTooLarge",
                        "evalue": f"cell {index} sent a message over the {limit} MB limit (or its output stream "
                        "broke); the message was refused and the notebook stopped here",
                        "traceback": [],
                    }
                    report["status"] = "output_limit"
                else:
                    limited_by_total = remaining < cell_timeout
                    limit = remaining if limited_by_total else cell_timeout
                    entry["error"] = {
                        "ename": "CellTimeoutError",
                        "evalue": f"cell {index} did not finish within {limit:.0f} s "
                        + ("(the notebook's total time limit)" if limited_by_total else "(the per-cell time limit)"),
                        "traceback": [],
                    }
                    report["status"] = "total_timeout" if limited_by_total else "cell_timeout"
                alive = False
            except DeadKernelError:
                entry["status"] = "error"
                entry["error"] = {"ename": "DeadKernelError", "evalue": dead_kernel_reason(client, limits), "traceback": []}
                report["status"] = "kernel_died"
                alive = False
            except CellExecutionError:
                entry["status"] = "error"
                entry["error"] = cell_error(cell) or {"ename": "CellExecutionError", "evalue": "", "traceback": []}
                report["status"] = "cell_error"
            entry["durationMs"] = cell_duration_ms(cell, (time.monotonic() - cell_started) * 1000)
            entry["outputs"] = output_summary(cell)
            if entry["status"] != "ok":
                line = error_line(entry["error"]["traceback"])
                entry["sourceExcerpt"] = source_excerpt(cell.source, line)
                entry["errorLine"] = line
                report["firstError"] = {"cell": index, **entry["error"], "sourceExcerpt": entry["sourceExcerpt"]}
                break
        report["timings"]["cellsMs"] = sum(c.get("durationMs", 0.0) for c in cells)
        if probe and alive:
            report["probe"] = run_probe(client, nb, probe, request["signalsDir"], deadline)
        elif probe:
            report["probe"] = {"status": "skipped", "reason": "the kernel was not alive after the notebook"}
    except Exception as error:  # noqa: BLE001 - start-up and runner failures are a status, not a crash
        if report["status"] == "ok":
            started_kernel = "kernelStartMs" in report["timings"]
            # after the kernel started, whatever broke came through the notebook's kernel
            report["status"] = "runner_error" if started_kernel else "kernel_start_failed"
            report["firstError"] = {
                "cell": None,
                "ename": type(error).__name__,
                "evalue": clip(plain(str(error)), 2000),
                "traceback": [plain(line) for line in traceback.format_exc().splitlines()[-12:]],
                "sourceExcerpt": "",
            }
    report["outputCuts"] = client.cut[:50]
    report["renamedStreams"] = client.renamed_streams
    peak = confinement.peak_memory_mb(limits)
    if peak is not None:
        report["limits"]["peakMemoryMb"] = round(peak, 1)
    nbformat.write(nb, request["executedPath"])
    report["executedNotebook"] = request["executedPath"]
    report["timings"]["totalMs"] = (time.monotonic() - started) * 1000
    return report


def run_probe(client: Any, nb: Any, probe: dict[str, Any], out_dir: str, deadline: float) -> dict[str, Any]:
    started = time.monotonic()
    names = [n for n in probe.get("results", []) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", n)]
    timeout = max(5.0, min(float(probe["timeoutSec"]), deadline - time.monotonic() + 30))
    source = (
        "from skilldelta_py import kernel_probe as _skilldelta_probe\n"
        f"_skilldelta_probe.report(globals(), {json.dumps(names)}, {int(probe['maxResultValues'])})\n"
        "del _skilldelta_probe\n"
    )
    try:
        cell = hidden_cell(client, nb, source, timeout)
    except Exception as error:  # noqa: BLE001 - the notebook's kernel failed the probe: its failure
        return {"status": "error", "error": {"ename": type(error).__name__, "evalue": plain(str(error))[:500], "traceback": []}, "durationMs": (time.monotonic() - started) * 1000}
    failure = cell_error(cell)
    if failure:
        return {"status": "error", "error": failure, "durationMs": (time.monotonic() - started) * 1000}
    try:
        found = collect(cell.get("outputs", []), out_dir, int(probe["maxValues"]))
    except (ProbeProblem, ValueError) as problem:
        return {"status": "error", "error": {"ename": "ProbeOutputInvalid", "evalue": str(problem), "traceback": []}, "durationMs": (time.monotonic() - started) * 1000}
    return {"status": "ok", **found, "durationMs": (time.monotonic() - started) * 1000}


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def run(request: dict[str, Any], kernel: Kernel) -> None:
    """Execute and write the report (atomically) where the harness will look for it."""
    os.makedirs(request["signalsDir"], exist_ok=True)
    report = execute(request, kernel)
    write_atomic(request["reportPath"], json.dumps(finite(report), allow_nan=False))
