"""Zeppelin notes in the shapes Zeppelin saves them, converted and run headless on a real kernel.

Each note is written here for this project in the layouts Zeppelin uses: a 0.9+ ``.zpln``, a
0.8 ``notebook/<id>/note.json`` (no default group; the editor language of each paragraph), and
an exported ``.json``; with a byte-order mark and Windows line ends where editors leave them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.notebook.execute import NotebookRun, parse_parameters, run_notebook
from sparkgrove.notebook.zcontext import ZeppelinContext, render
from sparkgrove.notebook.zeppelin import convert_note, import_note, split_directive
from sparkgrove.settings import Settings
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, write_csv


@pytest.fixture
def zws(settings: Settings, tmp_path: Path) -> Settings:
    write_csv(tmp_path / "raw" / "bank" / "a.csv", ["age", "balance", "color", "label"],
              classification_rows(120, seed=2))
    Workspace(settings).catalog.crawl(tmp_path / "raw" / "bank", "zp")
    return settings


def _paragraph(text: str, language: str | None = None, graph: dict[str, Any] | None = None,
               old_graph: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = {"colWidth": 12.0, "fontSize": 9.0, "enabled": True,
                              "results": {}, "editorHide": False}
    if language:
        config["editorSetting"] = {"language": language, "editOnDblClick": False}
        config["editorMode"] = f"ace/mode/{language}"
    if graph is not None:
        full = {"mode": graph["mode"], "height": 300.0, "optionOpen": False,
                "setting": {}, "commonSetting": {}, "keys": graph.get("keys", []),
                "groups": [], "values": graph.get("values", [])}
        if old_graph:
            config["graph"] = full
        else:
            config["results"] = {"0": {"graph": full, "helium": {}}}
    return {"text": text, "user": "anonymous", "dateUpdated": "2024-03-01 10:00:00.000",
            "config": config, "settings": {"params": {}, "forms": {}},
            "results": {"code": "SUCCESS", "msg": []}, "apps": [], "runtimeInfos": {},
            "progressUpdateIntervalMs": 500, "jobName": "paragraph_1", "id": "paragraph_1",
            "status": "FINISHED"}


def _note(name: str, paragraphs: list[dict[str, Any]], group: str | None) -> dict[str, Any]:
    note: dict[str, Any] = {"paragraphs": paragraphs, "name": name, "id": "2JQ3KQ9VA",
                            "noteParams": {}, "noteForms": {}, "angularObjects": {},
                            "config": {"isZeppelinNotebookCronEnable": False,
                                       "looknfeel": "default", "personalizedMode": "false"},
                            "info": {}}
    if group is not None:
        note.update({"defaultInterpreterGroup": group, "version": "0.10.1"})
    return note


def _write(path: Path, note: dict[str, Any], *, bom: bool = False, crlf: bool = False) -> Path:
    text = json.dumps(note, indent=2)
    if crlf:
        text = text.replace("\n", "\r\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _outputs(record: NotebookRun) -> tuple[str, str, list[str]]:
    """Printed text, HTML and plain-text reprs of every output of the executed copy."""
    executed = nbformat.read(record.executed, as_version=4)
    text, html, plain = "", "", []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            text += output.get("text", "")
            data = output.get("data", {})
            html += data.get("text/html", "")
            if "text/plain" in data:
                plain.append(data["text/plain"])
    return text, html, plain


# ---- conversion only (no kernel) ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("%pyspark\nprint(1)", ("pyspark", "", "print(1)")),
    ("%spark.pyspark print(1)", ("spark.pyspark", "", "print(1)")),
    ("  %jdbc(hive)\nselect 1", ("jdbc", "hive", "select 1")),
    ("%spark.pyspark(pool=fast)\nx = 1", ("spark.pyspark", "pool=fast", "x = 1")),
    ("x = '%pyspark'", (None, "", "x = '%pyspark'")),
    ("%md", ("md", "", "")),
])
def test_directives_split_as_zeppelin_splits_them(text: str,
                                                  expected: tuple[str | None, str, str]) -> None:
    assert split_directive(text) == expected


def test_every_documented_python_and_spark_name_maps() -> None:
    names = {"%pyspark": "code", "%spark.pyspark": "code", "%spark2.pyspark": "code",
             "%python": "code", "%python.ipython": "code", "%spark.ipyspark": "code",
             "%ipyspark": "code", "%sql": "sql", "%spark.sql": "sql", "%spark2.sql": "sql",
             "%md": "markdown", "%sh": "bash", "%spark.conf": "conf", "%spark": "raw",
             "%jdbc(hive)": "raw"}
    paragraphs = [_paragraph(f"{name}\nbody") for name in names]
    cells = convert_note(_note("names", paragraphs, "spark")).notebook["cells"][1:]
    kinds = []
    for cell in cells:
        source = cell["source"]
        kinds.append(cell["cell_type"] if cell["cell_type"] != "code" else
                     "sql" if source.startswith("%%sql") else
                     "bash" if source.startswith("%%bash") else
                     "conf" if source.startswith("%%spark_conf") else "code")
    assert kinds == list(names.values())


def test_the_default_interpreter_decides_paragraphs_without_a_directive() -> None:
    scala = convert_note(_note("s", [_paragraph("val x = 1", "scala")], "spark"))
    assert scala.notebook["cells"][1]["cell_type"] == "raw"
    assert "Zeppelin" not in scala.warnings[0] and "'spark'" in scala.warnings[0]
    assert "no code cell" in scala.warnings[-1]
    python = convert_note(_note("p", [_paragraph("x = 1")], "python"))
    assert python.notebook["cells"][1]["cell_type"] == "code"
    # A note that names no group: Zeppelin's default group (spark, Scala), unless the saved
    # editor language says otherwise, as in notes from Zeppelin 0.8.
    bare = convert_note(_note("b", [_paragraph("val y = 2"), _paragraph("y = 2", "python")],
                              None))
    assert [c["cell_type"] for c in bare.notebook["cells"][1:]] == ["raw", "code"]
    forced = convert_note(_note("f", [_paragraph("y = 2")], None), default_interpreter="pyspark")
    assert forced.notebook["cells"][1]["cell_type"] == "code"


def test_saved_charts_become_sql_chart_options() -> None:
    bar = _paragraph("%sql\nselect color, count(*) n from zp.bank group by color", "sql",
                     {"mode": "multiBarChart", "keys": [{"name": "color", "index": 0.0}],
                      "values": [{"name": "n", "index": 1.0, "aggr": "sum"}]})
    pie = _paragraph("%spark.sql\nselect 1 k, 2 v", "sql",
                     {"mode": "pieChart", "keys": [{"name": "k"}], "values": [{"name": "v"}]},
                     old_graph=True)
    area = _paragraph("%sql\nselect 1 k, 2 v", "sql", {"mode": "stackedAreaChart",
                                                      "keys": [{"name": "k"}],
                                                      "values": [{"name": "v", "aggr": "avg"}]})
    table = _paragraph("%sql\nselect 1", "sql", {"mode": "table"})
    cells = convert_note(_note("c", [bar, pie, area, table], "spark")).notebook["cells"][1:]
    assert [c["source"].splitlines()[0] for c in cells] == [
        "%%sql --chart bar --x color --y n --aggr sum", "%%sql --chart pie --x k --y v",
        "%%sql --chart area --x k --y v --aggr avg", "%%sql"]


def test_forms_keep_their_options() -> None:
    conversion = convert_note(_note("forms", [_paragraph(
        "%sql\nselect * from t where a = '${colour=red,red|blue(Blue)|green}' "
        "and b in (${checkbox:sizes=s|m,s|m|l}) and c > ${min=3}")], "spark"))
    assert conversion.parameters == {"colour": "red", "sizes": "s,m", "min": "3"}
    forms = conversion.notebook["metadata"]["sparkgrove"]["forms"]
    assert forms["colour"]["options"] == ["red", "blue", "green"]
    assert forms["sizes"] == {"type": "checkbox", "default": "s,m", "options": ["s", "m", "l"],
                              "delimiter": ","}
    assert forms["min"]["type"] == "textbox"


def test_unreadable_notes_are_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zpln"
    bad.write_text('{"paragraphs": [')
    with pytest.raises(DataError, match=r"bad.zpln is not JSON: .* line 1"):
        import_note(bad)
    bad.write_bytes(b'{"name": "\xff"}')
    with pytest.raises(DataError, match="not UTF-8"):
        import_note(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(DataError, match="JSON list"):
        import_note(bad)
    with pytest.raises(DataError, match="Cannot read"):
        import_note(tmp_path / "missing.zpln")


def test_zeppelin_context_forms_and_display_rendering() -> None:
    ns: dict[str, Any] = {"colour": "blue", "sizes": "s,l"}
    z = ZeppelinContext(ns, display=lambda _obj: None)
    assert z.textbox("name", "ann") == "ann" and z.input("colour") == "blue"
    assert z.select("colour", [("red", "Red"), ("blue", "Blue")], "red") == "blue"
    assert z.checkbox("sizes", ["s", "m", "l"]) == ["s", "l"]
    ns["colour"] = "purple"
    with pytest.raises(ConfigError, match="select of red, blue; got 'purple'"):
        z.select("colour", [("red", "Red"), ("blue", "Blue")])
    z.put("k", 3)
    assert z.get("k") == 3 and z.get("nope") is None
    z.angularBind("who", "world")
    parts = render("before\n%html <b>x</b>\n%table a\tb\n1\t2\n%angular <p>{{who}}</p>",
                   z.angular_values())
    assert [k for k, _ in parts] == ["text", "html", "table", "html"]
    assert parts[2][1].to_dict("records") == [{"a": "1", "b": "2"}]
    assert parts[3][1].strip() == "<p>world</p>"
    assert render("plain") == [("text", "plain")]


# ---- notes run headless on a real kernel -------------------------------------------------------

def test_note_1_a_zpln_with_scala_is_incomplete_and_says_which_paragraph(
        zws: Settings, tmp_path: Path) -> None:
    note = _note("Bank tutorial", [
        _paragraph("%md\n## Bank", "markdown"),
        _paragraph("%spark\nval bank = spark.table(\"zp.bank\")", "scala"),
        _paragraph("%spark.pyspark\nbank = spark.table('zp.bank')\nprint('rows', bank.count())",
                   "python"),
        _paragraph("%spark.sql\nselect color, count(1) value from zp.bank group by color", "sql",
                   {"mode": "multiBarChart", "keys": [{"name": "color"}],
                    "values": [{"name": "value", "aggr": "sum"}]}),
    ], "spark")
    target, _ = import_note(_write(tmp_path / "Bank.zpln", note))
    record = run_notebook(zws, target, {})
    assert record.state == "INCOMPLETE" and record.skipped == ["paragraph 2 (%spark)"]
    assert record.cells_run == record.code_cells == 2
    text, _html, _plain = _outputs(record)
    assert "rows 120" in text
    executed = nbformat.read(record.executed, as_version=4)
    assert any("image/png" in o.get("data", {}) for c in executed.cells
               for o in c.get("outputs", [])), "the saved bar chart was drawn"
    assert json.loads((Path(record.executed).parent / "run.json").read_text())["skipped"] == [
        "paragraph 2 (%spark)"]


def test_note_2_python_default_with_bom_crlf_and_zeppelin_display(
        zws: Settings, tmp_path: Path) -> None:
    note = _note("Display", [
        _paragraph("import pandas as pd\nframe = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})"),
        _paragraph("%python.ipython\nz.show(frame)"),
        _paragraph("print('%html <b id=\"bold\">bold</b>')"),
        _paragraph("print('%table name\\tvalue\\nann\\t3\\nbo\\t4')"),
        _paragraph("z.angularBind('who', 'world')\nprint('%angular <p id=\"hi\">hi {{who}}</p>')"),
        _paragraph("print('%text plain words')"),
    ], "python")
    target, conversion = import_note(_write(tmp_path / "display.zpln", note, bom=True, crlf=True))
    assert conversion.warnings == []
    record = run_notebook(zws, target, {})
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    text, html, plain = _outputs(record)
    assert '<b id="bold">bold</b>' in html and '<p id="hi">hi world</p>' in html
    assert "plain words" in text and "%text" not in text and "%html" not in text
    assert any("ann" in p and "value" in p for p in plain), "the %table became a table"
    assert any("x" in p and "b" in p for p in plain), "z.show showed the pandas frame"


def test_note_3_a_zeppelin_08_note_json_folder_with_sc_and_sqlcontext(
        zws: Settings, tmp_path: Path) -> None:
    note = _note("Old lab", [
        _paragraph("total = sc.parallelize(range(10)).sum()\nprint('total', total)", "python"),
        _paragraph("%pyspark\nn = sqlContext.sql('select count(*) n from zp.bank').first().n\n"
                   "print('n', n, sqlc is sqlContext)", "python"),
        _paragraph("%sql\nselect color k, count(1) v from zp.bank group by color", "sql",
                   {"mode": "pieChart", "keys": [{"name": "k"}], "values": [{"name": "v"}]},
                   old_graph=True),
    ], None)
    folder = tmp_path / "notebook" / "2A94M5J1Z"
    _write(folder / "note.json", note)
    target, conversion = import_note(folder)
    assert target == folder / "Old_lab.ipynb" and conversion.skipped == []
    record = run_notebook(zws, target, {})
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    text, _html, _plain = _outputs(record)
    assert "total 45" in text and "n 120 True" in text


def test_note_4_an_exported_json_with_forms_tied_to_parameters(
        zws: Settings, tmp_path: Path) -> None:
    note = _note("Forms", [
        _paragraph("%sql\nselect count(*) n from zp.bank where color = '${colour=red,red|blue"
                   "|green|amber}'", "sql"),
        _paragraph("%pyspark\nlimit = int(z.textbox('limit', '5'))\n"
                   "pick = z.select('colour', ['red', 'blue', 'green', 'amber'], 'red')\n"
                   "print('limit', limit, 'pick', pick)", "python"),
    ], "spark")
    target, _ = import_note(_write(tmp_path / "Forms_2JQ3KQ9VA.json", note))
    with pytest.raises(ConfigError, match="'purple' is not one of its options: red, blue"):
        run_notebook(zws, target, parse_parameters(["colour=purple"]))
    record = run_notebook(zws, target, parse_parameters(["colour=blue", "limit=7"]))
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    text, _html, plain = _outputs(record)
    assert "limit 7 pick blue" in text
    expected = sum(1 for r in classification_rows(120, seed=2) if r[2] == "blue")
    assert [p.split() for p in plain] == [["n", "0", str(expected)]]


def test_note_5_a_scala_default_never_runs_paragraphs_as_python(
        zws: Settings, tmp_path: Path) -> None:
    note = _note("Scala", [_paragraph("val rdd = sc.parallelize(1 to 10)\nprintln(rdd.sum)"),
                           _paragraph("%md\nScala only")], "spark")
    target, conversion = import_note(_write(tmp_path / "scala.zpln", note))
    assert "no code cell" in conversion.warnings[-1]
    record = run_notebook(zws, target, {})
    assert record.state == "INCOMPLETE" and record.error == "no code cell ran"
    assert record.skipped == ["paragraph 1 (%spark)"]


def test_note_6_spark_conf_is_applied_to_the_session(zws: Settings, tmp_path: Path) -> None:
    note = _note("Conf", [
        _paragraph("%spark.conf\n# tuning\nspark.sql.shuffle.partitions 3\n"
                   "spark.executor.memory 2g", "text"),
        _paragraph("%pyspark\nprint('partitions', spark.conf.get('spark.sql.shuffle.partitions'))",
                   "python"),
    ], "spark")
    target, _ = import_note(_write(tmp_path / "conf.zpln", note))
    record = run_notebook(zws, target, {})
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    text, _html, _plain = _outputs(record)
    assert "set spark.sql.shuffle.partitions" in text and "partitions 3" in text
    assert "not set spark.executor.memory: fixed when the session starts" in text


def test_note_7_same_line_code_properties_shell_and_jdbc(zws: Settings, tmp_path: Path) -> None:
    note = _note("Mixed", [
        _paragraph("%spark.pyspark print('same', 1 + 1)", "python"),
        _paragraph("%spark.pyspark(pool=fast)\nprint('with properties')", "python"),
        _paragraph("%sh\necho from-shell", "sh"),
        _paragraph("%jdbc(hive)\nselect 1", "sql"),
    ], "spark")
    target, conversion = import_note(_write(tmp_path / "mixed.zpln", note))
    assert any("%jdbc(hive)" in w for w in conversion.warnings)
    record = run_notebook(zws, target, {})
    assert record.state == "INCOMPLETE" and record.skipped == ["paragraph 4 (%jdbc)"]
    text, _html, _plain = _outputs(record)
    assert "same 2" in text and "with properties" in text and "from-shell" in text


def test_note_8_put_get_and_matplotlib_through_z(zws: Settings, tmp_path: Path) -> None:
    note = _note("Plots", [
        _paragraph("%python\nz.configure_mpl(width=400, height=300)\nz.put('rows', 120)", "python"),
        _paragraph("%python\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                   "ax.plot([1, 2, 3], [z.get('rows'), 2, 3])\nz.show(fig)\n"
                   "print('kept', z.get('rows'))", "python"),
        _paragraph("%pyspark\nz.show(spark.table('zp.bank').select('color').distinct()"
                   ".orderBy('color'))", "python"),
    ], "python")
    target, _ = import_note(_write(tmp_path / "plots.zpln", note))
    record = run_notebook(zws, target, {})
    assert record.state == "SUCCEEDED", record.error + "\n".join(record.traceback)
    text, _html, plain = _outputs(record)
    assert "kept 120" in text
    executed = nbformat.read(record.executed, as_version=4)
    assert any("image/png" in o.get("data", {}) for c in executed.cells
               for o in c.get("outputs", []))
    assert any("amber" in p and "red" in p for p in plain)
