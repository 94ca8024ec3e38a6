"""An executed notebook made safe to show: code and text outputs as text, Markdown without raw
HTML (markdown-it, HTML off, unsafe links refused), PNG images as checked data URIs. Outputs that
could run script (HTML, JavaScript, widgets) are shown as their text form, or named, never run."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from markupsafe import Markup

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_TEXT = 20_000
"""Characters of one output shown (the rest is cut, and says so)."""


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    text = ANSI.sub("", text)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "\n… (cut)"


def _markdown(source: str) -> Markup:
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False})
    return Markup(renderer.render(source))  # raw HTML off; links validated


def _png(data: Any) -> str | None:
    raw = "".join(data) if isinstance(data, list) else str(data)
    try:
        decoded = base64.b64decode(raw.replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not decoded.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return "data:image/png;base64," + base64.b64encode(decoded).decode()


def _output(output: Any) -> dict[str, Any]:
    kind = output.get("output_type")
    if kind == "stream":
        return {"kind": "stream", "name": output.get("name", "stdout"),
                "text": _text(output.get("text", ""))}
    if kind == "error":
        return {"kind": "error", "text": _text("\n".join(output.get("traceback", []))
                                               or f"{output.get('ename')}: {output.get('evalue')}")}
    data = output.get("data", {})
    if "image/png" in data:
        uri = _png(data["image/png"])
        if uri:
            return {"kind": "image", "src": uri, "alt": _text(data.get("text/plain", "a figure"))}
    if "text/plain" in data:
        return {"kind": "text", "text": _text(data["text/plain"])}
    return {"kind": "text", "text": f"(an output of type {', '.join(sorted(data)) or kind} "
                                    "that the console does not show)"}


def notebook_cells(notebook: Any) -> list[dict[str, Any]]:
    """The cells of ``notebook`` (an nbformat node) as plain, safe parts for the template."""
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        source = _text(cell.get("source", ""))
        tags = cell.get("metadata", {}).get("tags", [])
        entry: dict[str, Any] = {"index": index, "kind": cell.get("cell_type"), "source": source,
                                 "tags": list(tags)}
        if cell.get("cell_type") == "markdown":
            entry["html"] = _markdown(source)
        elif cell.get("cell_type") == "code":
            entry["count"] = cell.get("execution_count")
            entry["outputs"] = [_output(o) for o in cell.get("outputs", [])]
        cells.append(entry)
    return cells
