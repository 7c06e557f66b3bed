"""The command-line shape every harness analysis shares: one JSON request in, one JSON line out.

A problem with the data (``SignalProblem``) or any other failure is reported in the output, never as a
crash: odd data is a failed check, never a crashed check.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from skilldelta_py.psd import SignalProblem


def run(analyse: Callable[[dict[str, Any]], dict[str, Any]], argv: list[str]) -> int:
    request = json.loads(argv[1])
    try:
        print(json.dumps({"ok": True, "result": analyse(request)}))
    except SignalProblem as problem:
        print(json.dumps({"ok": False, "problem": str(problem)}))
    except Exception as error:  # noqa: BLE001 - reported, never raised
        print(json.dumps({"ok": False, "problem": f"the analysis failed: {type(error).__name__}: {error}"}))
    return 0
