import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sparkgrove.errors import DataError, ModelFormatError
from sparkgrove.trees.model import FeatureSpec, LabelSpec, Tree, TreeModel
from sparkgrove.trees.render import render_tree


def _model() -> TreeModel:
    # root: color in {red} -> leaf A ; else x <= 1.5 -> leaf B else leaf C
    tree = Tree(
        feature=np.array([1, -1, 0, -1, -1]), threshold=np.array([np.nan, np.nan, 1.5, np.nan,
                                                                   np.nan]),
        left_categories=[(1,), None, None, None, None], left=np.array([1, -1, 3, -1, -1]),
        right=np.array([2, -1, 4, -1, -1]), missing_left=np.array([True] * 5),
        value=np.array([[0.5, 0.5], [0.9, 0.1], [0.3, 0.7], [0.2, 0.8], [0.6, 0.4]]),
        impurity=np.zeros(5), count=np.array([10.0, 4, 6, 3, 3]), gain=np.zeros(5))
    return TreeModel(features=(FeatureSpec("x", "numeric", fill_value=1.0),
                               FeatureSpec("color", "categorical", ("blue", "red"))),
                     label=LabelSpec("y", "classification", ("no", "yes")), trees=[tree])


def test_predicts_from_dicts_pandas_and_arrow() -> None:
    model = _model()
    data = {"x": [0.0, 2.0, None, 5.0], "color": ["red", "blue", "blue", "purple"]}
    expected = ["no", "no", "yes", "no"]  # red; x>1.5; missing x filled with 1.0; unseen colour
    assert list(model.predict(data)) == expected
    assert list(model.predict(pa.table(data))) == expected
    np.testing.assert_allclose(model.predict_proba(data)[0], [0.9, 0.1])


def test_json_round_trip_is_exact(tmp_path: Path) -> None:
    model = _model()
    path = model.save(tmp_path / "m.json")
    again = TreeModel.load(path)
    assert again.to_dict() == model.to_dict()
    assert json.loads(path.read_text())["format_version"] == 2


def test_bad_documents_and_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="Not a sparkgrove tree model"):
        TreeModel.from_dict({"format": "other"})
    doc = _model().to_dict() | {"format_version": 99}
    with pytest.raises(ModelFormatError, match="upgrade sparkgrove"):
        TreeModel.from_dict(doc)
    with pytest.raises(DataError, match="lacks column.*color"):
        _model().predict({"x": [1.0]})


def test_render_uses_names_and_category_values() -> None:
    text = render_tree(_model())
    assert "if color in {red}:" in text
    assert "color in {blue, (unseen or missing)}" in text
    assert "x <= 1.5" in text and "predict yes (80% of 3)" in text


def test_compiled_and_numpy_traversals_agree() -> None:
    model = _model()
    x = model.encode({"x": [0.0, 2.0, None, 5.0, 1.5], "color": ["red", "blue", None, "x", "blue"]})
    np.testing.assert_array_equal(model._leaf_values(x), model._leaf_values_numpy(x))


def test_compiled_forest_equals_tree_by_tree_sums_exactly() -> None:
    from sparkgrove.trees import GBTRegressor, RandomForestClassifier
    from sparkgrove.trees.compiled import PARALLEL_ROWS

    rng = np.random.default_rng(3)
    x = rng.normal(size=(PARALLEL_ROWS + 50, 4))
    x[rng.random(x.shape) < 0.05] = np.nan
    y = np.nan_to_num(x[:, 0]) * 2 + np.nan_to_num(x[:, 1]) ** 2
    for fitted in (GBTRegressor(max_iter=15, max_depth=3).fit(np.nan_to_num(x), y),
                   RandomForestClassifier(n_trees=7, max_depth=4, seed=1).fit(
                       np.nan_to_num(x), y > 0.5)):
        model = fitted.tree_model_
        for rows in (x[:3], x):  # the serial and the parallel kernel
            np.testing.assert_array_equal(model._leaf_values(rows),
                                          model._leaf_values_numpy(rows))
