"""Converting Zeppelin notes (``.zpln`` or ``note.json``) into Jupyter notebooks.

Paragraphs: ``%pyspark``, ``%spark.pyspark``, ``%python`` become code cells; ``%sql`` and
``%spark.sql`` become ``%%sql`` cells; ``%md`` markdown; ``%sh`` ``%%bash`` cells; anything else
(``%spark`` Scala, ...) is kept as a raw cell with a warning naming it. Dynamic forms
``${name=default}`` and ``${name=default,a|b}`` become notebook parameters (a cell tagged
``parameters``) and are referenced as ``{name}`` in SQL, ``name`` in Python.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.errors import DataError

CODE = ("pyspark", "spark.pyspark", "python", "ipyspark")
SQL = ("sql", "spark.sql")
FORM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=([^},]*))?(?:,([^}]*))?\}")


@dataclass
class Conversion:
    """The notebook and what the conversion had to say."""

    notebook: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)


def _cell(kind: str, source: str, tags: list[str] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {"tags": tags} if tags else {},
                            "source": source}
    if kind == "code":
        cell.update({"execution_count": None, "outputs": []})
    return cell


def _forms(text: str, params: dict[str, str], python: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), (match.group(2) or "").strip()
        params.setdefault(name, default)
        return name if python else "{" + name + "}"

    return FORM.sub(replace, text)


def convert_note(note: dict[str, Any], *, source: str = "the note") -> Conversion:
    """Convert a Zeppelin note (parsed JSON)."""
    paragraphs = note.get("paragraphs")
    if not isinstance(paragraphs, list):
        raise DataError(f"{source} is not a Zeppelin note: it has no 'paragraphs' list.")
    conversion = Conversion(notebook={})
    cells: list[dict[str, Any]] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        text = (paragraph.get("text") or "").strip("\n")
        if not text.strip():
            continue
        first, _, body = text.partition("\n")
        interpreter = first.strip()[1:].split()[0] if first.startswith("%") else "pyspark"
        if not first.startswith("%"):
            body = text
        if interpreter in CODE:
            cells.append(_cell("code", _forms(body, conversion.parameters, python=True)))
        elif interpreter in SQL:
            has_form = FORM.search(body) is not None
            sql = _forms(body, conversion.parameters, python=False)
            cells.append(_cell("code", ("%%sql --format\n" if has_form else "%%sql\n") + sql))
        elif interpreter == "md":
            cells.append(_cell("markdown", body))
        elif interpreter == "sh":
            cells.append(_cell("code", "%%bash\n" + body))
        else:
            conversion.warnings.append(
                f"paragraph {number}: interpreter %{interpreter} has no Jupyter equivalent "
                "here; kept as a raw cell")
            cells.append(_cell("raw", text))
    if conversion.parameters:
        assignments = "\n".join(f"{k} = {json.dumps(v)}" for k, v in
                                conversion.parameters.items())
        cells.insert(0, _cell("code", "# Parameters (Zeppelin dynamic forms)\n" + assignments,
                              tags=["parameters"]))
    conversion.notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "sparkgrove", "display_name": "sparkgrove (PySpark)",
                                    "language": "python"},
                     "language_info": {"name": "python"},
                     "sparkgrove": {"converted_from": note.get("name", source)}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return conversion


def import_note(path: str | Path, output: str | Path | None = None) -> tuple[Path, Conversion]:
    """Read a Zeppelin note file and write the notebook (default: beside it, ``.ipynb``)."""
    source = Path(path)
    try:
        note = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"Cannot read the Zeppelin note {source}: {exc}.") from exc
    conversion = convert_note(note, source=str(source))
    target = Path(output) if output else source.with_suffix(".ipynb")
    import nbformat
    from nbformat import v4

    makers = {"code": v4.new_code_cell, "markdown": v4.new_markdown_cell,
              "raw": v4.new_raw_cell}
    notebook = v4.new_notebook(metadata=conversion.notebook["metadata"])
    notebook.cells = [makers[c["cell_type"]](c["source"], metadata=c["metadata"])
                      for c in conversion.notebook["cells"]]
    tmp = target.with_suffix(".tmp")
    nbformat.write(notebook, str(tmp))
    tmp.replace(target)
    return target, conversion
