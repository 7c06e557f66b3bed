"""The command-line shape every harness analysis shares: one JSON request in, one JSON line out.

A problem with the data (``SignalProblem``) or any other failure is reported in the output, never as a
crash: odd data is a failed check, never a crashed check.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

from skilldelta_py.psd import SignalProblem


def read_request(argv: list[str]) -> dict[str, Any]:
    """The JSON request: on stdin when the argument is "-" (the harness's way: no argv size limit)."""
    return json.loads(sys.stdin.read() if argv[1] == "-" else argv[1])


def run(analyse: Callable[[dict[str, Any]], dict[str, Any]], argv: list[str]) -> int:
    request = read_request(argv)
    try:
        print(json.dumps({"ok": True, "result": analyse(request)}))
    except SignalProblem as problem:
        print(json.dumps({"ok": False, "problem": str(problem)}))
    except Exception as error:  # noqa: BLE001 - reported, never raised
        print(json.dumps({"ok": False, "problem": f"the analysis failed: {type(error).__name__}: {error}"}))
    return 0
