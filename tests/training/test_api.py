from pathlib import Path

import pytest

from sparkgrove.errors import ConfigError, DataError, NotFoundError
from sparkgrove.training import train_table
from sparkgrove.trees.params import TreeParams
from sparkgrove.workspace import Workspace
from tests.helpers import classification_rows, regression_rows, write_csv


@pytest.fixture
def ws(spark_workspace: Workspace, tmp_path: Path) -> Workspace:
    rows = classification_rows(300, seed=11)
    rows[:7] = [[r[0], r[1], r[2], None] for r in rows[:7]]
    write_csv(tmp_path / "cls" / "a.csv", ["x1", "x2", "color", "label"], rows)
    spark_workspace.catalog.crawl(tmp_path / "cls", "t", table="cls")
    write_csv(tmp_path / "reg" / "a.csv", ["x1", "x2", "color", "y"], regression_rows(200))
    spark_workspace.catalog.crawl(tmp_path / "reg", "t", table="reg")
    return spark_workspace


def test_binary_classification_metrics_and_counts(ws: Workspace) -> None:
    result = train_table(ws, "t.cls", label="label", params=TreeParams(max_depth=3))
    m = result.metrics
    for key in ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1", "log_loss",
                "area_under_roc"):
        assert m[key] is not None
    assert 0.6 < m["accuracy"] <= 1.0
    assert m["confusion_matrix"]["classes"] == ["no", "yes"]
    assert sum(map(sum, m["confusion_matrix"]["matrix"])) == result.counts["rows_test"]
    assert result.counts["rows_missing_label"] == 7
    assert result.counts["rows_train"] + result.counts["rows_test"] == 293
    assert result.model_version.lineage["table"] == "t.cls"
    assert result.model_version.lineage["table_version"] == 1
    assert set(result.importances) == {"x1", "x2", "color"}


def test_regression_is_chosen_for_a_double_label(ws: Workspace) -> None:
    result = train_table(ws, "t.reg", label="y")
    assert result.model_version.task == "regression"
    assert set(result.metrics) >= {"rmse", "mae", "r2"}
    assert result.metrics["r2"] > 0.7


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"label": "lable"}, NotFoundError, "did you mean label"),
    ({"label": "color", "task": "regression"}, DataError, "regression needs a numeric label"),
    ({"label": "y", "task": "classification"}, DataError, "too many for classification"),
    ({"label": "y", "params": TreeParams(max_depth=31)}, ConfigError, "max_depth.*Got 31"),
    ({"label": "y", "params": TreeParams(algorithm="boost")}, ConfigError,
     "'algorithm'.*tree, forest, gbt"),
    ({"label": "label", "params": TreeParams(algorithm="gbt", loss="squared")}, ConfigError,
     "'loss'.*logistic"),
    ({"label": "y", "test_fraction": 1.5}, ConfigError, "test-fraction"),
])
def test_bad_requests_are_clear_errors(ws: Workspace, kwargs: dict[str, object],
                                       error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        train_table(ws, "t.reg" if kwargs["label"] == "y" else "t.cls", **kwargs)  # type: ignore[arg-type]


def test_constant_label_is_refused(spark_workspace: Workspace, tmp_path: Path) -> None:
    write_csv(tmp_path / "c" / "a.csv", ["x", "label"], [[i, "same"] for i in range(20)])
    spark_workspace.catalog.crawl(tmp_path / "c", "t", table="const")
    with pytest.raises(DataError, match="single value"):
        train_table(spark_workspace, "t.const", label="label")
    assert spark_workspace.registry.list_models() == []


@pytest.mark.parametrize("table_label", [("t.cls", "label"), ("t.reg", "y")])
def test_local_engine_reports_the_same_kind_of_result(ws: Workspace,
                                                      table_label: tuple[str, str]) -> None:
    table, label = table_label
    spark_run = train_table(ws, table, label=label, engine="spark", model_name="s")
    local_run = train_table(ws, table, label=label, engine="local", model_name="l")
    assert local_run.model_version.engine == "local"
    # the local engine reads in-process (no JVM) and splits with its own seeded draw
    assert local_run.model_version.lineage["reader"] == "arrow"
    assert local_run.model_version.lineage["spark_version"] is None
    for key in ("rows_read", "rows_malformed", "rows_missing_label"):
        assert local_run.counts[key] == spark_run.counts[key]
    assert (local_run.counts["rows_train"] + local_run.counts["rows_test"] ==
            spark_run.counts["rows_train"] + spark_run.counts["rows_test"])
    assert set(local_run.metrics) == set(spark_run.metrics)
    assert ws.registry.mllib_path(local_run.model_version) is None
    key = "accuracy" if label == "label" else "r2"
    assert abs(local_run.metrics[key] - spark_run.metrics[key]) < 0.1


def test_auto_engine_picks_local_for_small_tables(ws: Workspace) -> None:
    from sparkgrove.training import choose_engine

    assert train_table(ws, "t.reg", label="y").model_version.engine == "local"
    assert choose_engine(10**9, 50, memory=2**34) == "spark"


def test_a_double_label_can_be_classified(spark_workspace: Workspace, tmp_path: Path) -> None:
    rows = [[r[0], r[1], 1.0 if r[3] == "yes" else 0.0] for r in classification_rows(200, seed=3)]
    write_csv(tmp_path / "d" / "a.csv", ["x1", "x2", "flag"], rows)
    spark_workspace.catalog.crawl(tmp_path / "d", "t", table="flags")
    for engine in ("spark", "local"):
        result = train_table(spark_workspace, "t.flags", label="flag", task="classification",
                             engine=engine, model_name=f"flags_{engine}")
        assert result.tree_model.label.classes == ("0.0", "1.0")
        assert result.counts["rows_missing_label"] == 0 and result.metrics["accuracy"] > 0.6


def test_high_cardinality_columns_train_with_default_settings(spark_workspace: Workspace,
                                                              tmp_path: Path) -> None:
    import numpy as np

    rng = np.random.default_rng(8)
    rows = []
    for _ in range(1200):
        hood = int(rng.integers(0, 87))
        zip_code = int(rng.integers(0, 400))
        price = hood * 3 + (zip_code % 5) * 10 + rng.normal(scale=5)
        rows.append([f"Hood {hood}", f"Z{zip_code:05d}", round(float(rng.normal()), 3),
                     round(float(price), 2)])
    write_csv(tmp_path / "homes" / "a.csv", ["Neighbourhood", "zip", "x", "price"], rows)
    spark_workspace.catalog.crawl(tmp_path / "homes", "t", table="homes")
    results = {}
    for engine in ("spark", "local"):
        result = train_table(spark_workspace, "t.homes", label="price", engine=engine,
                             model_name=f"homes_{engine}")
        specs = {f.name: f for f in result.tree_model.features}
        assert len(specs["zip"].categories) == 254
        assert any("maxBins raised from 32 to 255" in n for n in result.notes)
        assert any("zip has" in n and "254 most frequent" in n for n in result.notes)
        assert result.model_version.params["max_bins"] == 255
        results[engine] = result
    # each engine keeps the most frequent categories of its own training rows (their splits
    # differ: Spark's randomSplit against the in-process reader's seeded draw)
    common = set(results["spark"].tree_model.features[1].categories) & set(
        results["local"].tree_model.features[1].categories)
    assert len(common) > 200
    assert abs(results["spark"].metrics["r2"] - results["local"].metrics["r2"]) < 0.05
    assert results["local"].metrics["r2"] > 0.8


@pytest.mark.parametrize("algorithm", ["forest", "gbt"])
def test_forests_and_boosted_trees_on_both_engines(ws: Workspace, algorithm: str) -> None:
    from sparkgrove.predict import predict_table

    for engine in ("spark", "local"):
        params = TreeParams(algorithm=algorithm, num_trees=5, max_iter=5, max_depth=3)
        result = train_table(ws, "t.cls", label="label", params=params, engine=engine,
                             model_name=f"{algorithm}_{engine}")
        model = result.tree_model
        assert len(model.trees) == 5
        assert model.ensemble == ("sum" if algorithm == "gbt" else "mean")
        assert result.metrics["accuracy"] > 0.7
        scored = predict_table(ws, result.model_version.ref, "t.cls",
                               f"t.scored_{algorithm}_{engine}")
        assert scored.rows == 300


def test_column_names_resolve_ignoring_case_as_spark_and_glue_do(
        spark_workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "people"
    folder.mkdir()
    rows = classification_rows(120, seed=5)
    (folder / "p.json").write_text("".join(
        f'{{"personSearch": "{r[3]}", "Age": {r[0]}, "score": {r[1]}}}\n' for r in rows))
    spark_workspace.catalog.crawl(folder, "hr")
    result = train_table(spark_workspace, "HR.People", label="personsearch",
                         features=["AGE", "Score"], engine="local")
    assert result.model_version.lineage["table"] == "hr.people"
    assert set(result.importances) == {"Age", "score"}
    with pytest.raises(NotFoundError, match="did you mean"):
        train_table(spark_workspace, "hr.people", label="personSerch")


@pytest.mark.parametrize("engine", ["spark", "local"])
def test_infinities_and_text_weights_are_one_clear_line_on_both_engines(
        spark_workspace: Workspace, tmp_path: Path, engine: str) -> None:
    rows = classification_rows(80, seed=3)
    for i in (4, 9, 30):
        rows[i][0] = "Infinity"
    write_csv(tmp_path / "inf" / "a.csv", ["x1", "x2", "color", "label", "w"],
              [[*r, f"w{i % 3}"] for i, r in enumerate(rows)])
    spark_workspace.catalog.crawl(tmp_path / "inf", "odd")
    with pytest.raises(DataError, match="contains infinity in column 'x1'.*finite ones or NaN"):
        train_table(spark_workspace, "odd.inf", label="label", engine=engine)
    # A parameter error comes before any data is read (the data here would fail too).
    with pytest.raises(ConfigError, match="max_depth.*Got 31"):
        train_table(spark_workspace, "odd.inf", label="label", engine=engine,
                    params=TreeParams(max_depth=31))
    with pytest.raises(DataError, match="weight column 'w' of odd.inf has type string"):
        train_table(spark_workspace, "odd.inf", label="label", engine=engine,
                    params=TreeParams(weight_col="w"))


@pytest.mark.parametrize("engine", ["spark", "local"])
def test_nan_features_are_missing_and_nan_labels_are_counted_on_both_engines(
        spark_workspace: Workspace, tmp_path: Path, engine: str) -> None:
    rows = regression_rows(160, seed=4)
    for i in (2, 11, 40):
        rows[i][0] = "NaN"
    for i in (5, 60):
        rows[i][3] = "NaN"
    write_csv(tmp_path / "nan" / "a.csv", ["x1", "x2", "color", "y"], rows)
    spark_workspace.catalog.crawl(tmp_path / "nan", "odd", table=f"nan_{engine}")
    result = train_table(spark_workspace, f"odd.nan_{engine}", label="y", engine=engine)
    assert result.counts["rows_missing_label"] == 2
    assert result.counts["rows_train"] + result.counts["rows_test"] == 158
    assert result.metrics["r2"] > 0.5
