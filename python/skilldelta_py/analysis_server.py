"""Harness analyses, long-lived: one process answers request after request, one at a time.

Usage: python -m skilldelta_py.analysis_server   (the harness starts it; JSON lines in, JSON lines out)

  {"module": "psd", "request": {...}}  →  {"ok": true, "result": {...}} | {"ok": false, "problem": "..."}

A check used to start a Python process of its own (≈ 2 s of imports for a few milliseconds of scipy);
here numpy, scipy and matplotlib are imported once. The analyses read only files the harness
collected (the probe's signals, written by the runner) and never see a notebook's kernel; each request
is independent of the ones before it (figures are closed, nothing is cached but TVB's own connectome).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any, Callable

from skilldelta_py.analysis_main import respond

# module → the function that answers a request (python/skilldelta_py/<module>.py)
ANALYSES = {
    "psd": "analyse",
    "signal_stats": "analyse",
    "derive_signal": "derive",
    "domain_checks": "run_request",
    "tvb_lint": "lint",
}
PRELOAD = ["skilldelta_py.psd", "skilldelta_py.signal_stats", "skilldelta_py.domain_checks", "matplotlib.pyplot"]


def analysis(module: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    if module not in ANALYSES:
        raise ValueError(f"unknown analysis {module!r}")
    return getattr(importlib.import_module(f"skilldelta_py.{module}"), ANALYSES[module])


def answer(message: dict[str, Any]) -> dict[str, Any]:
    try:
        analyse = analysis(str(message["module"]))
    except Exception as error:  # noqa: BLE001 - an unusable request is a problem, never a crash
        return {"ok": False, "problem": f"the analysis could not start: {type(error).__name__}: {error}"}
    return respond(analyse, message.get("request") or {})


def main() -> int:
    # the answers get their own copy of stdout; anything an analysis prints goes to stderr instead
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    import matplotlib

    matplotlib.use("Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            text = json.dumps(answer(json.loads(line)), allow_nan=False)
        except ValueError as error:  # a non-finite number (JSON has none), or a request that is not JSON
            text = json.dumps({"ok": False, "problem": f"the analysis gave no usable answer: {error}"})
        answers.write(text + "\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
