"""Syntax-check notebook code cells the way IPython would run them (magics allowed).

Usage: echo '["x = 1", "def f(:"]' | python -m skilldelta_py.syntax   → JSON list of problems.
Only compiles; never executes anything.
"""

from __future__ import annotations

import json
import sys

from IPython.core.inputtransformer2 import TransformerManager


def check(sources: list[str]) -> list[dict]:
    manager = TransformerManager()
    problems = []
    for index, source in enumerate(sources):
        try:
            compile(manager.transform_cell(source), f"cell {index}", "exec")
        except SyntaxError as error:
            problems.append({"cell": index, "line": error.lineno, "message": error.msg, "text": (error.text or "").strip()})
    return problems


if __name__ == "__main__":
    print(json.dumps(check(json.loads(sys.stdin.read()))))
