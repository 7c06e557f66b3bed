"""Validate a notebook file before anything runs it.

nbformat only *logs* schema problems on read, and silently converts a file without a
top-level ``nbformat`` key as version 1 (turning every code cell into ''). Models and
hand-written files get notebooks wrong in a handful of recurring ways; each gets its own
code, a message that says what is wrong and where, and a hint that says how to fix it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class NotebookProblem:
    code: str
    message: str
    hint: str
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValidationOutcome:
    problems: list[NotebookProblem]
    notebook: Any = None  # nbformat.NotebookNode when valid

    @property
    def ok(self) -> bool:
        return not self.problems


def _looks_like_prose(text: str) -> bool:
    head = text.lstrip()[:1]
    return head not in ("{", "[")


def _json_problem(text: str, error: json.JSONDecodeError) -> NotebookProblem:
    where = f"line {error.lineno}, column {error.colno}"
    if _looks_like_prose(text):
        return NotebookProblem(
            "not_json",
            f"The file is not a notebook: it starts with {text.lstrip()[:40]!r}, not a JSON object ({where}).",
            "Write the notebook through nbformat (or the harness's cell tools); prose or Markdown is not an .ipynb.",
        )
    if "control character" in error.msg:
        return NotebookProblem(
            "raw_newline_in_string",
            f"A JSON string contains a raw control character (usually a newline) at {where}.",
            'Inside .ipynb JSON, newlines in cell sources must be escaped as "\\n" or the source split into a list of lines.',
        )
    return NotebookProblem(
        "not_json",
        f"The file is not valid JSON: {error.msg} at {where}.",
        "Save the notebook with nbformat.write() instead of writing JSON by hand.",
    )


def _cell_source_problems(cells: list[Any]) -> list[NotebookProblem]:
    problems: list[NotebookProblem] = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source")
        if isinstance(source, list):
            glued = [i for i, line in enumerate(source[:-1]) if isinstance(line, str) and not line.endswith("\n")]
            if glued:
                problems.append(
                    NotebookProblem(
                        "source_lines_without_newline",
                        f"Cell {index}: source lines {glued[:5]} do not end with '\\n', so they would be glued "
                        "to the next line when the cell runs.",
                        'Each element of a "source" list must end with "\\n" (all but the last line).',
                        f"cells[{index}].source",
                    )
                )
            text = "".join(line for line in source if isinstance(line, str))
        elif isinstance(source, str):
            text = source
        else:
            continue
        if cell.get("cell_type") == "code" and "\n" not in text and "\\n" in text:
            problems.append(
                NotebookProblem(
                    "double_escaped_newlines",
                    f"Cell {index}: the code contains literal backslash-n sequences and no real line breaks "
                    "(the newlines were escaped twice).",
                    'Use real newlines in the source ("\\n" in JSON), not "\\\\n".',
                    f"cells[{index}].source",
                )
            )
    return problems


_SCHEMA_HINTS = {
    "outputs": (
        "missing_outputs",
        'Every code cell needs "outputs": [] and "execution_count": null.',
    ),
    "metadata": ("missing_cell_metadata", 'Every cell needs a "metadata": {} object.'),
}


def _schema_problem(error: Any) -> NotebookProblem:
    path = ".".join(str(part) for part in error.absolute_path) or "(notebook)"
    message = error.message
    if error.validator == "required":
        for key, (code, hint) in _SCHEMA_HINTS.items():
            if f"'{key}' is a required property" in message:
                return NotebookProblem(code, f"{path}: {message}.", hint, path)
    if error.validator == "additionalProperties" and "'id'" in message:
        return NotebookProblem(
            "cell_id_needs_minor_5",
            f"{path}: cells carry an 'id' but the notebook declares nbformat_minor < 5.",
            'Set "nbformat_minor": 5 (cell ids exist since 4.5), or drop the ids.',
            path,
        )
    return NotebookProblem("schema_error", f"{path}: {message}.", "Fix the notebook so nbformat.validate() accepts it.", path)


def validate_notebook_text(text: str) -> ValidationOutcome:
    """Parse and validate notebook JSON text; return the NotebookNode when it is safe to run."""
    import nbformat
    from nbformat.validator import iter_validate

    if not text.strip():
        return ValidationOutcome([NotebookProblem("empty_file", "The notebook file is empty.", "Write a notebook.")])
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return ValidationOutcome([_json_problem(text, error)])
    if not isinstance(raw, dict):
        return ValidationOutcome(
            [NotebookProblem("not_object", "The notebook JSON is not an object.", "A notebook is a JSON object with cells.")]
        )
    if "nbformat" not in raw:
        return ValidationOutcome(
            [
                NotebookProblem(
                    "missing_nbformat",
                    "The notebook has no top-level 'nbformat' key; nbformat would read it as version 1 and "
                    "silently drop every code cell.",
                    'Add "nbformat": 4 and "nbformat_minor": 5 at the top level.',
                    "nbformat",
                )
            ]
        )
    if raw.get("nbformat") != 4:
        return ValidationOutcome(
            [
                NotebookProblem(
                    "unsupported_version",
                    f"nbformat {raw.get('nbformat')!r} is not supported; only version 4 notebooks run.",
                    'Save the notebook as nbformat 4 ("nbformat": 4).',
                    "nbformat",
                )
            ]
        )

    cells = raw.get("cells") if isinstance(raw.get("cells"), list) else []
    problems = _cell_source_problems(cells)
    problems += [_schema_problem(error) for error in iter_validate(raw)]
    if problems:
        return ValidationOutcome(problems)

    language = (raw.get("metadata", {}).get("kernelspec") or {}).get("language")
    if language and language.lower() != "python":
        return ValidationOutcome(
            [
                NotebookProblem(
                    "not_python",
                    f"The notebook's kernelspec language is {language!r}; only Python notebooks run here.",
                    "Use a python3 kernelspec.",
                    "metadata.kernelspec.language",
                )
            ]
        )
    if not any(isinstance(c, dict) and c.get("cell_type") == "code" and "".join(c.get("source", "")).strip() for c in cells):
        return ValidationOutcome(
            [NotebookProblem("no_code_cells", "The notebook has no code to execute.", "Add code cells.", "cells")]
        )
    notebook = nbformat.reads(text, as_version=4)
    return ValidationOutcome([], notebook)
