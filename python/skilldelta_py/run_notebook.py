"""Execute one notebook in a fresh kernel and write a JSON report.

Usage: python -m skilldelta_py.run_notebook REQUEST.json

The TypeScript harness validates the request, starts this runner inside the sandbox and
parses the report with zod. This process exits 0 whenever it managed to write a report,
whatever happened to the notebook: the notebook's fate is the report's ``status``.
A non-zero exit means the runner itself broke (an infrastructure error).

Resource limits (address space, CPU seconds) apply to the kernel only, so the runner can
still write the report when a notebook blows them; the kernel also dies with the runner
(PR_SET_PDEATHSIG), because jupyter_client starts kernels in a session of their own.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from .validate import validate_notebook_text

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
PR_SET_PDEATHSIG = 1
EXCERPT_LINES = 12


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def kernel_preexec(memory_mb: int, cpu_seconds: int):
    def apply() -> None:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if memory_mb > 0:
            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if cpu_seconds > 0:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))

    return apply


def source_excerpt(source: str, line: int | None = None) -> str:
    lines = source.splitlines()
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
            lines = [strip_ansi(line) for line in output.get("traceback", [])]
            return {"ename": output.get("ename", ""), "evalue": output.get("evalue", ""), "traceback": lines}
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


def dead_kernel_reason(client: Any) -> str:
    process = getattr(getattr(getattr(client, "km", None), "provisioner", None), "process", None)
    code = process.poll() if process is not None else None
    if code is None or code >= 0:
        return f"the kernel exited (code {code})"
    name = signal.Signals(-code).name
    why = {
        "SIGXCPU": "it used up its CPU-time limit",
        "SIGKILL": "it was killed (out of memory, or the harness stopped it)",
        "SIGSEGV": "it crashed (often a failed allocation under the memory limit)",
    }.get(name, "it was killed by a signal")
    return f"the kernel died from {name}: {why}"


def run_probe(client: Any, index: int, probe: dict[str, Any], timeout: float) -> dict[str, Any]:
    from nbformat.v4 import new_code_cell

    out_dir = probe["outDir"]
    manifest = os.path.join(out_dir, "signals.json")
    code = (Path(__file__).with_name("probe.py").read_text()) + (
        "\n__skilldelta_result = __skilldelta_probe(globals(), {out}, {limit})\n"
        "import json as __skilldelta_json\n"
        "with open({manifest}, 'w') as __skilldelta_file:\n"
        "    __skilldelta_json.dump(__skilldelta_result, __skilldelta_file)\n"
        "del __skilldelta_probe, __skilldelta_result, __skilldelta_json, __skilldelta_file\n"
    ).format(out=json.dumps(out_dir), limit=int(probe["maxElements"]), manifest=json.dumps(manifest))
    os.makedirs(out_dir, exist_ok=True)
    cell = new_code_cell(code)
    started = time.monotonic()
    client.timeout = max(1, math.ceil(timeout))
    client.nb.cells.append(cell)  # nbclient addresses outputs by index; the cell is removed before saving
    try:
        client.execute_cell(cell, index, store_history=False)
    except Exception as error:  # noqa: BLE001 - any failure is reported as the probe's status
        failure = cell_error(cell) or {"ename": type(error).__name__, "evalue": str(error), "traceback": []}
        return {"status": "error", "error": failure, "durationMs": (time.monotonic() - started) * 1000}
    finally:
        client.nb.cells.pop()
    with open(manifest) as handle:
        found = json.load(handle)
    return {"status": "ok", **found, "durationMs": (time.monotonic() - started) * 1000}


def execute(request: dict[str, Any]) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started = time.monotonic()
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
    }
    if not validation.ok:
        report["status"] = "invalid_notebook"
        report["timings"]["totalMs"] = (time.monotonic() - started) * 1000
        return report

    nb = validation.notebook
    cell_timeout = float(request["cellTimeoutSec"])
    deadline = started + float(request["totalTimeoutSec"])
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        startup_timeout=float(request["startupTimeoutSec"]),
        kernel_name="python3",
        allow_errors=False,
        record_timing=True,
        resources={"metadata": {"path": request["cwd"]}},
    )
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"  # Unix sockets: no TCP port, no loopback needed, no plaintext-TCP notice
    client.km.ip = os.path.join(request["runtimeDir"], "kernel")

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

    kernel_started = time.monotonic()
    try:
        with client.setup_kernel(
            cwd=request["cwd"],
            preexec_fn=kernel_preexec(int(request["memoryMb"]), int(request["cpuSeconds"])),
            # what the notebook writes to fd 1/2 still reaches its outputs through ipykernel; the raw
            # streams go nowhere, so a flood cannot fill a pipe nobody drains and wedge the kernel
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ):
            report["timings"]["kernelStartMs"] = (time.monotonic() - kernel_started) * 1000
            alive = True
            for index, cell in enumerate(nb.cells):
                entry = cells[index]
                if entry["status"] == "skipped":
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    report["status"] = "total_timeout"
                    break
                client.timeout = max(1, math.ceil(min(cell_timeout, remaining)))  # nbclient's trait is an int
                cell_started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                    entry["status"] = "ok"
                except CellTimeoutError:
                    limited_by_total = remaining < cell_timeout
                    entry["status"] = "timeout"
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
                    entry["error"] = {"ename": "DeadKernelError", "evalue": dead_kernel_reason(client), "traceback": []}
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
            probe = request.get("probe")
            if probe and alive:
                remaining = max(5.0, min(float(probe["timeoutSec"]), deadline - time.monotonic() + 30))
                report["probe"] = run_probe(client, len(nb.cells), probe, remaining)
            elif probe:
                report["probe"] = {"status": "skipped", "reason": "the kernel was not alive after the notebook"}
    except Exception as error:  # noqa: BLE001 - start-up and runner failures are a status, not a crash
        if report["status"] == "ok":
            report["status"] = "runner_error" if "kernelStartMs" in report["timings"] else "kernel_start_failed"
            report["firstError"] = {
                "cell": None,
                "ename": type(error).__name__,
                "evalue": str(error),
                "traceback": traceback.format_exc().splitlines()[-12:],
                "sourceExcerpt": "",
            }

    nbformat.write(nb, request["executedPath"])
    report["executedNotebook"] = request["executedPath"]
    report["timings"]["totalMs"] = (time.monotonic() - started) * 1000
    return report


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity; the kernel-written probe output may contain them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m skilldelta_py.run_notebook REQUEST.json", file=sys.stderr)
        return 2
    request = json.loads(Path(argv[1]).read_text())
    os.makedirs(request["runtimeDir"], exist_ok=True)
    report = execute(request)
    tmp = request["reportPath"] + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(finite(report), handle, allow_nan=False)
    os.replace(tmp, request["reportPath"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
