"""The shape every harness analysis shares: one JSON request in, one JSON answer out.

A problem with the data (``SignalProblem``) or any other failure is reported in the answer, never as a
crash: odd data is a failed check, never a crashed check. The harness sends requests to a long-lived
``analysis_server``; ``python -m skilldelta_py.<module> -`` runs one analysis by hand the same way.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from skilldelta_py.psd import SignalProblem


def read_request(argv: list[str]) -> dict[str, Any]:
    """The JSON request: on stdin when the argument is "-" (no argv size limit)."""
    return json.loads(sys.stdin.read() if argv[1] == "-" else argv[1])


def respond(analyse: Callable[[dict[str, Any]], dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
    """The analysis's answer to one request: its result, or the problem that prevents one."""
    try:
        return {"ok": True, "result": analyse(request)}
    except SignalProblem as problem:
        return {"ok": False, "problem": str(problem)}
    except Exception as error:  # noqa: BLE001 - reported, never raised
        return {"ok": False, "problem": f"the analysis failed: {type(error).__name__}: {error}"}


def run(analyse: Callable[[dict[str, Any]], dict[str, Any]], argv: list[str]) -> int:
    print(json.dumps(respond(analyse, read_request(argv))))
    return 0
