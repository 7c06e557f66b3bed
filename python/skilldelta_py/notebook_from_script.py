"""Turn a percent-format script (``# %%`` cells, as jupytext, VS Code and Spyder write them)
into a validated nbformat-4 notebook. The harness owns this conversion so that a model never
writes raw .ipynb JSON.

Usage: python -m skilldelta_py.notebook_from_script SCRIPT.py NOTEBOOK.ipynb
"""

from __future__ import annotations

import sys

import jupytext
import nbformat


def convert(script_path: str, notebook_path: str) -> int:
    with open(script_path, encoding="utf-8") as handle:
        text = handle.read()
    notebook = jupytext.reads(text, fmt="py:percent")
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    nbformat.write(notebook, notebook_path)
    return sum(1 for cell in notebook.cells if cell.cell_type == "code")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(convert(sys.argv[1], sys.argv[2]))
