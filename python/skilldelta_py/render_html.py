"""Render an executed notebook as standalone, script-free HTML (for attachments in test reports).

nbconvert's HTML exporter with ``sanitize_html`` strips scripts and active content from markdown and
outputs; a Content-Security-Policy meta tag then forbids any script, frame or remote fetch that is
left, so a hostile notebook cannot run code in the browser that displays it.

Usage: python -m skilldelta_py.render_html NOTEBOOK.ipynb OUTPUT.html
"""

from __future__ import annotations

import sys

import nbformat
from nbconvert import HTMLExporter

CSP = (
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:; font-src data:\">"
)


def render(notebook_path: str, html_path: str) -> int:
    notebook = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(template_name="lab", sanitize_html=True, embed_images=True)
    body, _resources = exporter.from_notebook_node(notebook)
    # the policy must come first in <head>, before anything it governs
    head = body.find("<head>")
    body = body[: head + 6] + CSP + body[head + 6 :] if head >= 0 else CSP + body
    with open(html_path, "w", encoding="utf-8") as handle:
        handle.write(body)
    return len(notebook.cells)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(render(sys.argv[1], sys.argv[2]))
