"""Check the TVB names that goals and skills mention against the pinned TVB, by introspection.

Input (one JSON argument): {"items": [{"file", "line", "kind": "span" | "block", "text"}]} — inline code
spans and fenced Python blocks from Markdown. Nothing is executed: code is parsed with ``ast`` and names
are looked up on TVB's own modules and classes. Output: {"problems": [{"file", "line", "message"}], ...}.

What is checked:
- ``<module>.<Name>`` for TVB's modules as ``tvb.simulator.lab`` exports them (``monitors.SEEG``);
- keyword arguments of a TVB class's constructor (``models.JansenRit(mu=…)``) and ``Class.attr``;
- ``import``/``from … import`` of ``tvb`` modules and names;
- a capitalised identifier that is not TVB's but nearly is (``Generic2DOscillator``).
"""

from __future__ import annotations

import ast
import builtins
import difflib
import importlib
import inspect
import re
import sys
import warnings
from typing import Any

warnings.filterwarnings("ignore")

# what people call a thing, and TVB's name for it (difflib alone would say EEG for SEEG)
ALIASES = {"SEEG": "iEEG", "sEEG": "iEEG", "StereoEEG": "iEEG"}

MODULES = (
    "connectivity", "coupling", "cortex", "equations", "integrators", "local_connectivity", "models",
    "monitors", "noise", "patterns", "region_mapping", "sensors", "simulator", "surfaces", "time_series",
)


def _public(module) -> list[str]:
    return [n for n in dir(module) if not n.startswith("_")]


class Index:
    def __init__(self) -> None:
        import tvb.simulator.lab as lab

        self.modules = {name: getattr(lab, name) for name in MODULES if hasattr(lab, name)}
        self.classes: dict[str, type] = {}
        for module in self.modules.values():
            for name in _public(module):
                value = getattr(module, name, None)
                if inspect.isclass(value) and (value.__module__ or "").startswith("tvb."):
                    self.classes.setdefault(name, value)

    def suggest(self, name: str, candidates: list[str]) -> str:
        if ALIASES.get(name) in candidates:
            return ALIASES[name]
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        if not close:
            lower = {c.lower(): c for c in candidates}
            close = [lower[name.lower()]] if name.lower() in lower else []
        return close[0] if close else ""

    def attributes(self, cls: type) -> list[str]:
        names = set(_public(cls))
        for klass in cls.__mro__:
            names.update(getattr(klass, "declarative_attrs", ()) or ())
        return sorted(names)


class Checker:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.problems: list[dict[str, Any]] = []
        self.checked = 0

    def report(self, item: dict, line_offset: int, message: str) -> None:
        problem = {"file": item["file"], "line": item["line"] + line_offset, "message": message}
        if problem not in self.problems:
            self.problems.append(problem)

    def module_attr(self, item, offset, module: str, name: str) -> None:
        self.checked += 1
        mod = self.index.modules[module]
        if hasattr(mod, name):
            return
        # `cortex`, `connectivity`, `simulator` … are also what people call instances of the module's
        # classes: `cortex.region_mapping_data` is an attribute of a Cortex, not a missing class
        for cls_name in _public(mod):
            value = getattr(mod, cls_name, None)
            if inspect.isclass(value) and (value.__module__ or "") == mod.__name__ and name in self.index.attributes(value):
                return
        hint = self.index.suggest(name, _public(mod))
        fix = f"; did you mean `{module}.{hint}`?" if hint else f" in TVB's `{module}` module"
        self.report(item, offset, f"`{module}.{name}` does not exist{fix}")

    def class_attr(self, item, offset, cls_name: str, cls: type, attr: str, how: str) -> None:
        self.checked += 1
        attrs = self.index.attributes(cls)
        if attr in attrs:
            return
        hint = self.index.suggest(attr, attrs)
        fix = f"; did you mean `{hint}`?" if hint else ""
        self.report(item, offset, f"`{cls_name}` has no {how} `{attr}`{fix}")

    def near_class(self, item, offset, name: str) -> None:
        if name in self.index.classes or hasattr(builtins, name):
            return
        close = difflib.get_close_matches(name, list(self.index.classes), n=1, cutoff=0.88)
        if close:
            self.checked += 1
            self.report(item, offset, f"`{name}` is not a TVB class; did you mean `{close[0]}`?")

    def resolve_class(self, node: ast.AST) -> tuple[str, type] | None:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.index.modules:
            value = getattr(self.index.modules[node.value.id], node.attr, None)
            if inspect.isclass(value):
                return f"{node.value.id}.{node.attr}", value
        if isinstance(node, ast.Name) and node.id in self.index.classes:
            return node.id, self.index.classes[node.id]
        return None

    def check_tree(self, item: dict, tree: ast.AST, first_line: int) -> None:
        for node in ast.walk(tree):
            offset = getattr(node, "lineno", 1) - first_line
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in self.index.modules:
                    self.module_attr(item, offset, node.value.id, node.attr)
                elif node.value.id in self.index.classes and not node.attr.startswith("_"):
                    cls = self.index.classes[node.value.id]
                    self.class_attr(item, offset, node.value.id, cls, node.attr, "attribute")
            elif isinstance(node, ast.Call):
                found = self.resolve_class(node.func)
                if found:
                    name, cls = found
                    for keyword in node.keywords:
                        if keyword.arg:
                            self.class_attr(item, offset, name, cls, keyword.arg, "parameter")
            elif isinstance(node, ast.Name) and node.id[:1].isupper():
                self.near_class(item, offset, node.id)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tvb"):
                self.check_import(item, offset, node.module or "", [a.name for a in node.names])
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("tvb"):
                        self.check_import(item, offset, alias.name, [])

    def check_import(self, item, offset, module: str, names: list[str]) -> None:
        self.checked += 1
        try:
            mod = importlib.import_module(module)
        except Exception:  # noqa: BLE001 - any failure means the module is not importable as written
            self.report(item, offset, f"`{module}` cannot be imported from the pinned TVB")
            return
        for name in names:
            if name == "*" or hasattr(mod, name):
                continue
            try:
                importlib.import_module(f"{module}.{name}")
            except Exception:  # noqa: BLE001
                hint = self.index.suggest(name, _public(mod))
                fix = f"; did you mean `{hint}`?" if hint else ""
                self.report(item, offset, f"`from {module} import {name}`: no such name{fix}")

    def check_item(self, item: dict) -> None:
        text = item["text"]
        if item["kind"] == "block":
            try:
                tree = ast.parse(text)
            except SyntaxError as error:
                self.report(item, (error.lineno or 1) - 1, f"the Python block does not parse: {error.msg}")
                return
            self.check_tree(item, tree, 1)
            return
        # an inline span: an expression when it parses, else just its `module.Name` pairs
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            for module, name in re.findall(r"\b([a-z_]+)\.([A-Za-z_]\w*)", text):
                if module in self.index.modules:
                    self.module_attr(item, 0, module, name)
            return
        self.check_tree(item, tree, 1)


def lint(request: dict[str, Any]) -> dict[str, Any]:
    checker = Checker(Index())
    for item in request["items"]:
        checker.check_item(item)
    return {"problems": checker.problems, "checked": checker.checked}


if __name__ == "__main__":
    from skilldelta_py.analysis_main import run

    sys.exit(run(lint, sys.argv))
