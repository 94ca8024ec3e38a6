"""The CLI end to end: in-process (sharing the test Spark session) and as a real process."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparkgrove.cli.main import app
from tests.helpers import classification_rows, write_csv

runner = CliRunner()


def _run(ws: Path, *args: str) -> dict | list:  # type: ignore[type-arg]
    result = runner.invoke(app, ["--workspace", str(ws), "--master", "local[2]", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_crawl_train_show_predict_with_json(spark: object, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    rows = classification_rows(200, seed=31)
    write_csv(tmp_path / "raw" / "day=1" / "a.csv", ["x1", "x2", "color", "label"], rows[:100])
    write_csv(tmp_path / "raw" / "day=2" / "a.csv", ["x1", "x2", "color", "label"], rows[100:])
    crawled = _run(ws, "crawl", str(tmp_path / "raw"), "--database", "cli", "--table", "events",
                   "--json")
    assert crawled["tables"][0]["partition_keys"] == [{"name": "day", "type": "int"}]
    assert [t["name"] for t in _run(ws, "catalog", "tables", "cli", "--json")] == ["events"]
    assert _run(ws, "catalog", "show", "cli.events", "--json")["version"] == 1
    assert len(_run(ws, "catalog", "partitions", "cli.events", "--json")) == 2
    assert _run(ws, "catalog", "versions", "cli.events", "--json")[0]["version"] == 1
    trained = _run(ws, "train", "cli.events", "--label", "label", "--features", "x1,x2",
                   "--features", "color", "--max-depth", "3", "--impurity", "entropy",
                   "--model", "cli_model", "--json")
    assert trained["model"]["params"]["impurity"] == "entropy"
    assert trained["model"]["params"]["features"] == ["x1", "x2", "color"]
    assert "if " in trained["tree"]
    listed = _run(ws, "models", "list", "--json")
    assert [(m["name"], m["version"]) for m in listed] == [("cli_model", 1)]
    shown = _run(ws, "models", "show", "cli_model:1", "--tree", "--json")
    assert shown["metrics"]["accuracy"] == trained["metrics"]["accuracy"]
    scored = _run(ws, "predict", "cli_model", "cli.events", "--output", "cli.scored", "--json")
    assert scored["rows"] == 200
    human = runner.invoke(app, ["--workspace", str(ws), "train", "cli.events", "--label",
                                "label", "--model", "cli_model"])
    assert human.exit_code == 0
    assert "Registered cli_model:2" in human.stdout and "Confusion matrix" in human.stdout
    assert _run(ws, "models", "alias", "cli_model", "production", "1", "--json")[
        "aliases"] == {"production": 1}
    assert _run(ws, "models", "show", "cli_model@production", "--json")["version"] == 1
    scored = _run(ws, "predict", "cli_model@production", "cli.events", "--output",
                  "cli.scored_prod", "--json")
    assert scored["model"] == "cli_model:1"
    _run(ws, "models", "alias", "cli_model", "production", "2", "--json")  # moved
    shown = _run(ws, "models", "show", "cli_model@production", "--json")
    assert shown["version"] == 2 and shown["aliases"] == {"production": 2}
    exported = _run(ws, "models", "export", "cli_model@production", "-o",
                    str(tmp_path / "m.json"), "--json")
    from sparkgrove.trees.model import TreeModel

    assert exported["model"] == "cli_model:2"
    assert TreeModel.load(tmp_path / "m.json").to_dict() == TreeModel.load(
        Path(shown["artifact_path"]) / "tree_model.json").to_dict()
    for fmt in ("onnx", "pmml"):
        written = _run(ws, "models", "export", "cli_model:1", "-o", str(tmp_path / f"m.{fmt}"),
                       "--format", fmt, "--json")
        assert written["format"] == fmt and (tmp_path / f"m.{fmt}").stat().st_size > 500
    refused = runner.invoke(app, ["--workspace", str(ws), "models", "export", "cli_model",
                                  "-o", str(tmp_path / "m.xgb"), "--format", "xgboost"])
    assert refused.exit_code != 0 and not (tmp_path / "m.xgb").exists()
    assert "one of json, onnx, pmml" in str(refused.exception)


def test_errors_are_one_line_and_an_exit_code(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "sparkgrove", "--workspace", str(tmp_path / "ws")]
    done = subprocess.run([*cmd, "catalog", "show", "nope.table"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 4
    assert done.stderr.startswith("error: Unknown database 'nope'")
    assert "Traceback" not in done.stderr
    done = subprocess.run([*cmd, "models", "show", "../x"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and "model name" in done.stderr
    done = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0 and "crawl" in done.stdout and "demo" in done.stdout
    done = subprocess.run([*cmd, "--debug", "catalog", "show", "nope.table"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 4 and "Traceback" in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("error: Unknown database 'nope'")


def test_exit_codes_come_from_the_error_classes_and_sql_stays_in_the_store() -> None:
    import re

    import sparkgrove

    package = Path(sparkgrove.__file__).parent
    for path in (package / "cli").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"(typer\.Exit|sys\.exit)\(\d", text), f"an exit-code literal in {path}"
    for path in package.rglob("*.py"):
        if "store" not in path.relative_to(package).parts:
            assert "sqlalchemy" not in path.read_text(), f"{path} reaches around the store"


def test_local_engine_trains_and_scores_without_java(tmp_path: Path) -> None:
    """With no Java on the PATH at all, the local engine still trains and scores: it reads
    catalog tables with Arrow and starts no JVM."""
    ws = tmp_path / "ws"
    rows = classification_rows(300, seed=41)
    write_csv(tmp_path / "raw" / "a.csv", ["x1", "x2", "Colour", "label"], rows)
    exe = Path(sys.executable).parent / "sparkgrove"
    env = {"PATH": str(tmp_path / "no-java-here"), "HOME": str(tmp_path)}

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        done = subprocess.run([str(exe), "--workspace", str(ws), *args, "--json"], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    run("crawl", str(tmp_path / "raw"), "--database", "nojvm", "--table", "events")
    trained = run("train", "nojvm.events", "--label", "label", "--engine", "local",
                  "--algorithm", "gbt", "--max-iter", "10", "--model", "nojvm")
    assert trained["model"]["engine"] == "local"
    assert trained["model"]["lineage"]["reader"] == "arrow"
    assert trained["metrics"]["accuracy"] > 0.7
    scored = run("predict", "nojvm:1", "nojvm.events", "--output", "nojvm.scored",
                 "--engine", "local")
    assert scored["rows"] == 300
    # the human-readable output ends with where the console shows the new version
    (ws / "console").mkdir(exist_ok=True)
    (ws / "console" / "address").write_text("http://127.0.0.1:9911\n")  # as a console left it
    done = subprocess.run([str(exe), "--workspace", str(ws), "train", "nojvm.events", "--label",
                           "label", "--engine", "local", "--model", "nojvm"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "console: http://127.0.0.1:9911/models/nojvm/2 " in done.stdout
    # the Spark engine, asked for explicitly, needs Java and says so in one line
    done = subprocess.run([str(exe), "--workspace", str(ws), "train", "nojvm.events", "--label",
                           "label", "--engine", "spark"], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 3 and "Java" in done.stderr and "Traceback" not in done.stderr


def test_drop_commands_and_problem_paths_printed_as_text(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    folder = tmp_path / "raw"
    write_csv(folder / "good.csv", ["a"], [[1]])
    (folder / "[bold]x.parquet").write_bytes(b"not parquet")
    out = runner.invoke(app, ["--workspace", str(ws), "crawl", str(folder), "-d", "shop"])
    assert out.exit_code == 0, out.output
    assert "[bold]x.parquet" in out.stdout.replace("\n", ""), "a file name is text, never markup"
    dropped = _run(ws, "catalog", "drop", "SHOP.raw", "--json")
    assert dropped == {"dropped": ["shop.raw"], "data_kept_at": str(folder)}
    assert (folder / "good.csv").exists()
    assert _run(ws, "catalog", "drop-database", "shop", "--json") == {
        "database": "shop", "dropped_tables": []}
    missing = runner.invoke(app, ["--workspace", str(ws), "catalog", "drop", "shop.raw"])
    assert "Unknown database 'shop'" in str(missing.exception)


@pytest.mark.parametrize("args", [["--help"], ["catalog", "--help"], ["train", "--help"],
                                  ["cluster", "up", "--help"], ["etl", "--help"]])
def test_help_imports_neither_spark_nor_numba_nor_the_store(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "sparkgrove",
                           *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if "|" in line}
    heavy = {"pyspark", "py4j", "numba", "numpy", "pandas", "pyarrow", "sqlalchemy", "sklearn"}
    assert not heavy & imported, f"`sparkgrove {' '.join(args)}` imports {heavy & imported}"
