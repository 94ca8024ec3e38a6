"""Converting Zeppelin notes (``.zpln``, ``note.json``, exported ``.json``) into Jupyter notebooks.

A paragraph's interpreter is read as Zeppelin reads it: a ``%name`` or ``%name(properties)``
directive at the start (code after it on the same line is kept), else the note's default
interpreter (``defaultInterpreterGroup``; for older notes the paragraph's saved editor
language; else Zeppelin's own default group, ``spark``, whose default interpreter is Scala).

* Python and PySpark (``%pyspark``, ``%spark.pyspark``, ``%python``, ``%spark.ipyspark``, ...)
  become code cells; Spark SQL (``%sql``, ``%spark.sql``, ``%spark2.sql``) ``%%sql`` cells, with
  the chart Zeppelin saved for the paragraph; ``%md`` markdown; ``%sh`` ``%%bash`` cells;
  ``%spark.conf`` a ``%%spark_conf`` cell that applies the properties to the session.
* Anything else (Scala ``%spark``, ``%jdbc(hive)``, ...) is kept as a raw cell tagged
  ``zeppelin-skipped`` with a warning naming it, and a run of the notebook says it skipped it.
* Dynamic forms (``${name=default}``, ``${name=default,a|b}``, ``${checkbox:name=a,a|b}``)
  become notebook parameters in a cell tagged ``parameters``; select and checkbox forms keep
  their options, and a run refuses values outside them.

The notebook starts with ``%zeppelin``, which gives cells Zeppelin's names (``z``, ``sc``,
``sqlContext``, ``sqlc``) and its display system (output starting with ``%html``, ``%table``,
``%text`` or ``%angular`` is rendered).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.errors import DataError

ZEPPELIN_DEFAULT_GROUP = "spark"
"""Zeppelin's ``zeppelin.interpreter.group.default``: the group of notes that name none."""

PYTHON = frozenset({
    "pyspark", "spark.pyspark", "spark2.pyspark", "python", "python.python", "python.ipython",
    "ipython", "ipyspark", "spark.ipyspark", "spark2.ipyspark", "python.pyspark"})
SQL = frozenset({"sql", "spark.sql", "spark2.sql"})
MARKDOWN = frozenset({"md", "md.md", "markdown"})
SHELL = frozenset({"sh", "sh.sh", "shell"})
CONF = frozenset({"spark.conf", "spark2.conf", "conf"})
GROUP_DEFAULTS = {"spark": "spark", "spark2": "spark2", "python": "python", "md": "md",
                  "sh": "sh", "jdbc": "jdbc"}
"""A group's default interpreter (the first one Zeppelin lists for it)."""
EDITOR_LANGUAGES = {"python": "pyspark", "scala": "spark", "sql": "sql", "markdown": "md",
                    "sh": "sh"}
CHART_MODES = {"multiBarChart": "bar", "lineChart": "line", "lineWithFocusChart": "line",
               "pieChart": "pie", "scatterChart": "scatter", "stackedAreaChart": "area"}
AGGREGATIONS = ("sum", "count", "avg", "min", "max")
SKIPPED_TAG = "zeppelin-skipped"

_DIRECTIVE = re.compile(r"^\s*%([\w.-]+)(\([^)]*\))?(?=\s|$)")
FORM = re.compile(
    r"(?<!\$)\$\{(?:(checkbox)(?:\(([^)]*)\))?:)?([A-Za-z_][A-Za-z0-9_]*)"
    r"(?:=([^},]*))?(?:,([^}]*))?\}")


@dataclass
class Form:
    """A Zeppelin dynamic form: a text box, a select or a checkbox."""

    name: str
    kind: str
    default: str
    options: list[str] = field(default_factory=list)
    delimiter: str = ","

    def to_dict(self) -> dict[str, Any]:
        """As stored in the notebook's metadata."""
        return {"type": self.kind, "default": self.default, "options": self.options,
                "delimiter": self.delimiter}


@dataclass
class Conversion:
    """The notebook and what the conversion had to say."""

    notebook: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    parameters: dict[str, str] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _cell(kind: str, source: str, tags: list[str] | None = None,
          zeppelin: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"tags": tags} if tags else {}
    if zeppelin:
        meta["zeppelin"] = zeppelin
    cell: dict[str, Any] = {"cell_type": kind, "metadata": meta, "source": source}
    if kind == "code":
        cell.update({"execution_count": None, "outputs": []})
    return cell


def _option_values(raw: str) -> list[str]:
    # ``a|b(Label B)|c``: the value is before any parenthesised display name.
    return [re.sub(r"\(.*\)$", "", o).strip() for o in raw.split("|") if o.strip()]


def _forms(text: str, conversion: Conversion, python: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        checkbox, delimiter, name = match.group(1), match.group(2), match.group(3)
        default, options = (match.group(4) or "").strip(), match.group(5)
        if name not in conversion.forms:
            if checkbox:
                defaults = _option_values(default)
                form = Form(name, "checkbox", (delimiter or ",").join(defaults),
                            _option_values(options or default), delimiter or ",")
            elif options is not None:
                form = Form(name, "select", re.sub(r"\(.*\)$", "", default).strip(),
                            _option_values(options))
            else:
                form = Form(name, "textbox", default)
            conversion.forms[name] = form
            conversion.parameters[name] = form.default
        return name if python else "{" + name + "}"

    return FORM.sub(replace, text)


def _default_interpreter(note: dict[str, Any]) -> tuple[str | None, str]:
    """The note's default interpreter, and where it came from (for messages)."""
    config = note.get("config") if isinstance(note.get("config"), dict) else {}
    group = note.get("defaultInterpreterGroup") or (config or {}).get("defaultInterpreterGroup")
    if isinstance(group, str) and group.strip():
        group = group.strip()
        return GROUP_DEFAULTS.get(group, group), f"the note's default group {group!r}"
    return None, f"Zeppelin's default group {ZEPPELIN_DEFAULT_GROUP!r}"


def _paragraph_interpreter(paragraph: dict[str, Any], default: str | None) -> str:
    if default is not None:
        return default
    config = paragraph.get("config")
    setting = config.get("editorSetting") if isinstance(config, dict) else None
    language = setting.get("language") if isinstance(setting, dict) else None
    if isinstance(language, str) and language in EDITOR_LANGUAGES:
        return EDITOR_LANGUAGES[language]
    return GROUP_DEFAULTS[ZEPPELIN_DEFAULT_GROUP]


def split_directive(text: str) -> tuple[str | None, str, str]:
    """``(interpreter, properties, code)`` of a paragraph's text, as Zeppelin splits it."""
    match = _DIRECTIVE.match(text)
    if match is None:
        return None, "", text
    properties = (match.group(2) or "")[1:-1]
    return match.group(1), properties, text[match.end():].strip(" \t").lstrip("\n")


def chart_options(paragraph: dict[str, Any]) -> tuple[str, list[str]]:
    """The ``%%sql`` chart options for the graph Zeppelin saved with a paragraph."""
    config = paragraph.get("config") if isinstance(paragraph.get("config"), dict) else {}
    graph: Any = None
    results = (config or {}).get("results")
    if isinstance(results, dict) and results:
        first = results.get("0") or next(iter(results.values()))
        graph = first.get("graph") if isinstance(first, dict) else None
    elif isinstance(results, list) and results and isinstance(results[0], dict):
        graph = results[0].get("graph")
    if graph is None:
        graph = (config or {}).get("graph")  # Zeppelin 0.6 and 0.7 kept it here
    if not isinstance(graph, dict):
        return "", []
    kind = CHART_MODES.get(str(graph.get("mode")))
    if kind is None:
        return "", []
    notes: list[str] = []
    keys = [k.get("name") for k in graph.get("keys") or [] if isinstance(k, dict)]
    values = [v for v in graph.get("values") or [] if isinstance(v, dict)]
    options = f" --chart {kind}"
    if keys and keys[0]:
        options += f" --x {keys[0]}"
    if values and values[0].get("name"):
        options += f" --y {values[0]['name']}"
        aggr = values[0].get("aggr")
        if aggr in AGGREGATIONS:
            options += f" --aggr {aggr}"
    if len(values) > 1:
        notes.append(f"the chart shows the first of {len(values)} values "
                     f"({values[0].get('name')})")
    if graph.get("groups"):
        notes.append("the chart's groups are not drawn")
    return options, notes


def convert_note(note: dict[str, Any], *, source: str = "the note",
                 default_interpreter: str | None = None) -> Conversion:
    """Convert a Zeppelin note (parsed JSON)."""
    paragraphs = note.get("paragraphs")
    if not isinstance(paragraphs, list):
        raise DataError(f"{source} is not a Zeppelin note: it has no 'paragraphs' list.")
    conversion = Conversion(notebook={})
    default, origin = ((default_interpreter, "--default-interpreter") if default_interpreter
                       else _default_interpreter(note))
    cells: list[dict[str, Any]] = []
    for number, paragraph in enumerate(paragraphs, start=1):
        if not isinstance(paragraph, dict):
            conversion.warnings.append(f"paragraph {number} is not an object; left out")
            continue
        text = (paragraph.get("text") or "").replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            continue
        interpreter, properties, body = split_directive(text)
        implicit = interpreter is None
        if interpreter is None:
            interpreter = _paragraph_interpreter(paragraph, default)
        meta: dict[str, Any] = {"paragraph": number, "interpreter": interpreter}
        if properties:
            meta["properties"] = properties
        if paragraph.get("title"):
            meta["title"] = paragraph["title"]
        if interpreter in PYTHON:
            cells.append(_cell("code", _forms(body, conversion, python=True), zeppelin=meta))
        elif interpreter in SQL:
            has_form = FORM.search(body) is not None
            sql = _forms(body, conversion, python=False)
            chart, notes = chart_options(paragraph)
            conversion.warnings.extend(f"paragraph {number}: {n}" for n in notes)
            options = (" --format" if has_form else "") + chart
            cells.append(_cell("code", f"%%sql{options}\n{sql}", zeppelin=meta))
        elif interpreter in MARKDOWN:
            cells.append(_cell("markdown", body, zeppelin=meta))
        elif interpreter in SHELL:
            cells.append(_cell("code", "%%bash\n" + body, zeppelin=meta))
        elif interpreter in CONF:
            cells.append(_cell("code", "%%spark_conf\n" + body, zeppelin=meta))
        else:
            why = (f"has no interpreter line, so it is %{interpreter} by {origin}"
                   if implicit else f"is %{interpreter}"
                   + (f"({properties})" if properties else ""))
            hint = (" (add a %pyspark line, or import with --default-interpreter pyspark, if "
                    "it is Python)" if implicit else "")
            conversion.warnings.append(
                f"paragraph {number} {why}, which has no Jupyter equivalent here; kept as a "
                f"raw cell and skipped by runs{hint}")
            conversion.skipped.append(f"paragraph {number} (%{interpreter})")
            cells.append(_cell("raw", text, tags=[SKIPPED_TAG], zeppelin=meta))
    if not any(c["cell_type"] == "code" for c in cells):
        conversion.warnings.append("no paragraph of this note runs here: the notebook has no "
                                   "code cell")
    setup = [_cell("code", "%zeppelin", tags=["zeppelin-setup"])]
    if conversion.parameters:
        assignments = "\n".join(f"{k} = {json.dumps(v)}" for k, v in
                                conversion.parameters.items())
        setup.append(_cell("code", "# Parameters (Zeppelin dynamic forms)\n" + assignments,
                           tags=["parameters"]))
    conversion.notebook = {
        "cells": setup + cells,
        "metadata": {"kernelspec": {"name": "sparkgrove", "display_name": "sparkgrove (PySpark)",
                                    "language": "python"},
                     "language_info": {"name": "python"},
                     "sparkgrove": {"converted_from": note.get("name", source),
                                    "forms": {k: f.to_dict() for k, f in
                                              conversion.forms.items()},
                                    "skipped": conversion.skipped}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    return conversion


def read_note(path: str | Path) -> dict[str, Any]:
    """A Zeppelin note file (or a folder holding ``note.json``) as JSON, whatever its BOM and
    line ends."""
    source = Path(path)
    if source.is_dir():
        source = source / "note.json"
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read the Zeppelin note {source}: {exc.strerror or exc}.") from exc
    try:
        note = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise DataError(f"The Zeppelin note {source} is not UTF-8 text (byte {exc.start}); "
                        "Zeppelin saves notes as UTF-8: re-export it.") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"The Zeppelin note {source} is not JSON: {exc.msg} at line "
                        f"{exc.lineno}, column {exc.colno}.") from exc
    if isinstance(note, dict) and isinstance(note.get("noteObj"), dict):
        note = note["noteObj"]  # the REST API's import body
    if not isinstance(note, dict):
        raise DataError(f"{source} is not a Zeppelin note: it holds a JSON "
                        f"{type(note).__name__}, not an object with 'paragraphs'.")
    return note


def import_note(path: str | Path, output: str | Path | None = None, *,
                default_interpreter: str | None = None) -> tuple[Path, Conversion]:
    """Read a Zeppelin note file and write the notebook (default: beside it, ``.ipynb``)."""
    source = Path(path)
    note = read_note(source)
    conversion = convert_note(note, source=str(source), default_interpreter=default_interpreter)
    if output:
        target = Path(output)
    elif source.is_dir() or source.name == "note.json":
        folder = source if source.is_dir() else source.parent
        name = re.sub(r"[^\w.-]+", "_", str(note.get("name") or folder.name)).strip("_")
        target = folder / f"{name or 'note'}.ipynb"
    else:
        target = source.with_suffix(".ipynb")
    import nbformat
    from nbformat import v4

    makers = {"code": v4.new_code_cell, "markdown": v4.new_markdown_cell,
              "raw": v4.new_raw_cell}
    notebook = v4.new_notebook(metadata=conversion.notebook["metadata"])
    notebook.cells = [makers[c["cell_type"]](c["source"], metadata=c["metadata"])
                      for c in conversion.notebook["cells"]]
    tmp = target.with_name(target.name + ".tmp")
    nbformat.write(notebook, str(tmp))
    tmp.replace(target)
    return target, conversion
