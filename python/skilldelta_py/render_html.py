"""Render an executed notebook as standalone, script-free HTML (for attachments in test reports).

nbconvert's HTML exporter with ``sanitize_html`` escapes most active content, but not all of it (some
output types and image attributes pass through). So the page is then parsed with BeautifulSoup and
every script, frame, object, form, base and meta-refresh element and every ``on*`` attribute is
removed, and a Content-Security-Policy forbids whatever could be left: a hostile notebook cannot run
code in, redirect, or submit from the browser that displays it.

Usage: python -m skilldelta_py.render_html NOTEBOOK.ipynb OUTPUT.html
"""

from __future__ import annotations

import sys

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
ACTIVE = ["script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base", "link", "meta"]


def render(notebook_path: str, html_path: str) -> int:
    notebook = nbformat.read(notebook_path, as_version=4)
    exporter = HTMLExporter(template_name="lab", sanitize_html=True, embed_images=True)
    body, _resources = exporter.from_notebook_node(notebook)
    soup = BeautifulSoup(body, "html.parser")
    for element in soup.find_all(ACTIVE):
        # keep only the charset declaration among the metas; everything else can act
        if element.name == "meta" and element.get("charset") and not element.get("http-equiv"):
            continue
        element.decompose()
    for element in soup.find_all(True):
        for attribute in [a for a in element.attrs if a.lower().startswith("on") or a.lower() in ("formaction", "srcdoc")]:
            del element[attribute]
        for attribute in ("href", "src", "action", "xlink:href"):
            value = element.get(attribute)
            if isinstance(value, str) and value.strip().lower().startswith(("javascript:", "vbscript:")):
                del element[attribute]
    head = soup.head or soup.new_tag("head")
    if soup.head is None:
        (soup.html or soup).insert(0, head)
    # the policy must come first in <head>, before anything it governs
    head.insert(0, soup.new_tag("meta", attrs={"http-equiv": "Content-Security-Policy", "content": CSP}))
    body = str(soup)
    with open(html_path, "w", encoding="utf-8") as handle:
        handle.write(body)
    return len(notebook.cells)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    print(render(sys.argv[1], sys.argv[2]))
