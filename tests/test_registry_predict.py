from pathlib import Path

import numpy as np
import pytest

from sparkgrove.errors import AlreadyExistsError, ConfigError, DataError, InvalidNameError
from sparkgrove.predict import predict_table
from sparkgrove.registry import parse_model_ref
from sparkgrove.training import train_table
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, write_csv


@pytest.fixture
def ws(spark_workspace: Workspace, tmp_path: Path) -> Workspace:
    rows = classification_rows(300, seed=21)
    write_csv(tmp_path / "train" / "a.csv", ["x1", "x2", "color", "label"], rows)
    spark_workspace.catalog.crawl(tmp_path / "train", "p", table="train")
    new = [[f"id{i}", r[0], r[1], "violet" if i == 0 else r[2]]
           for i, r in enumerate(classification_rows(40, seed=22))]
    path = write_csv(tmp_path / "new" / "a.csv", ["key", "x1", "x2", "color"], new)
    with path.open("a") as out:
        out.write("broken,line\n")
    spark_workspace.catalog.crawl(tmp_path / "new", "p", table="new")
    return spark_workspace


def test_versions_lineage_and_artifacts(ws: Workspace) -> None:
    first = train_table(ws, "p.train", label="label", model_name="churn",
                        params=TreeParams(max_depth=2), engine="spark")
    second = train_table(ws, "p.train", label="label", model_name="churn",
                         params=TreeParams(max_depth=4))
    assert (first.model_version.version, second.model_version.version) == (1, 2)
    assert ws.registry.get("churn").version == 2
    shown = ws.registry.get("churn:1")
    assert shown.params["max_depth"] == 2 and shown.lineage["rows_train"] > 0
    artifacts = Path(shown.artifact_path)
    assert (artifacts / "tree_model.json").exists() and (artifacts / "mllib" / "stages").is_dir()
    assert ws.registry.load_tree_model(shown).trees[0].depth <= 2
    import pandas as pd

    from sparkgrove import load_model

    ws.registry.set_alias("churn", "production", 1)
    model = load_model("churn@production", ws.settings)
    frame = pd.DataFrame({"color": ["red", "blue"], "x2": [1.0, 2.0], "x1": [0.5, -0.5]})
    assert list(model.predict(frame)) == list(ws.registry.load_tree_model(shown).predict(frame))
    assert not any(ws.settings.staging.iterdir())


def test_model_refs_are_validated() -> None:
    assert parse_model_ref("m:3") == ("m", 3)
    with pytest.raises(ConfigError, match="positive whole number"):
        parse_model_ref("m:x")
    with pytest.raises(InvalidNameError):
        parse_model_ref("../etc")


@pytest.mark.parametrize("engine", ["spark", "local"])
def test_predict_writes_a_registered_table(ws: Workspace, engine: str) -> None:
    trained = train_table(ws, "p.train", label="label", model_name="m")
    result = predict_table(ws, "m", "p.new", "p.scored", engine=engine)
    assert result.rows == 40 and result.malformed == 1
    info = ws.catalog.table("p.scored")
    assert [(c.name, c.type) for c in info.columns] == [
        ("key", "string"), ("x1", "double"), ("x2", "bigint"), ("color", "string"),
        ("prediction", "string"), ("probability", "array<double>")]
    assert info.format == "parquet" and info.properties["model"] == "m:1"
    assert [c.name for c in info.columns][-2:] == ["prediction", "probability"]
    pdf = ws.spark.table("p.scored").toPandas().sort_values("key")
    expected = trained.tree_model.predict(pdf)
    assert list(pdf["prediction"]) == list(expected)
    np.testing.assert_allclose(np.stack(pdf["probability"].to_numpy()),
                               trained.tree_model.predict_proba(pdf))


def test_failed_predictions_leave_nothing_behind(ws: Workspace) -> None:
    train_table(ws, "p.train", label="label", model_name="m")
    predict_table(ws, "m", "p.new", "p.out")
    with pytest.raises(AlreadyExistsError, match="already exists"):
        predict_table(ws, "m", "p.new", "p.out")
    with pytest.raises(DataError, match="lacks column.*label"):
        train_table(ws, "p.train", label="x2", model_name="needs_label",
                    features=["label", "x1"])
        predict_table(ws, "needs_label", "p.new", "p.never")
    assert not ws.catalog.store.has_table("p", "never")
    assert not (ws.settings.warehouse / "p" / "never").exists()
    assert not any(ws.settings.staging.iterdir())


def test_model_refs_beyond_any_version_and_names_checked_before_the_fit(ws: Workspace) -> None:
    from sparkgrove.errors import ConfigError, NotFoundError

    train_table(ws, "p.train", label="label", model_name="refs", engine="local")
    with pytest.raises(NotFoundError, match="has no version 99999999999999999999"):
        ws.registry.get("refs:99999999999999999999")
    for bad in ("refs:0", "refs:²", "refs:-1", "refs:1.0"):
        with pytest.raises(ConfigError, match="positive whole number"):
            ws.registry.get(bad)
    started = ws.catalog.table("p.train")  # nothing is read or fitted for a bad name
    with pytest.raises(ConfigError, match="model name 'bad/name' is not allowed"):
        train_table(ws, "p.train", label="nope", model_name="bad/name")
    assert ws.catalog.table("p.train") == started


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_predict_matches_feature_names_ignoring_case(ws: Workspace, tmp_path: Path,
                                                     engine: str) -> None:
    import json

    from sparkgrove.spark import read_table

    train_table(ws, "p.train", label="label", model_name="cased", engine="local")
    folder = tmp_path / f"shouty_{engine}"
    folder.mkdir()
    rows = classification_rows(20, seed=8)
    (folder / "f.json").write_text("".join(
        json.dumps({"X1": r[0], "X2": r[1], "COLOR": r[2]}) + "\n" for r in rows))
    ws.catalog.crawl(folder, "p")
    result = predict_table(ws, "cased", f"p.shouty_{engine}", f"p.scored_{engine}",
                           engine=engine)
    assert result.rows == 20
    names = [c.name for c in ws.catalog.table(f"p.scored_{engine}").columns]
    assert names[:3] == ["X1", "X2", "COLOR"] and "prediction" in names
    expected = ws.registry.load_tree_model(ws.registry.get("cased")).predict(
        {"x1": [r[0] for r in rows], "x2": [r[1] for r in rows], "color": [r[2] for r in rows]})
    scored = read_table(ws.spark, ws.catalog, ws.catalog.table(f"p.scored_{engine}")).frame.toPandas()
    assert sorted(scored["prediction"]) == sorted(expected)
