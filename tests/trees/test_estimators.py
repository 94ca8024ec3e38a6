"""The local engine's estimators: scikit-learn's contract, inputs, missing values, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sparkgrove.errors import ConfigError, DataError
from sparkgrove.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    TreeModel,
)

ESTIMATORS = [DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier,
              RandomForestRegressor]


def _data(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 9, size=n).astype(float),
                          "color": rng.choice(["red", "green", "blue"], size=n)})
    score = frame["a"] + (frame["color"] == "red") * 1.5 - frame["b"] / 9
    cls = np.where(score > 0.2, "yes", "no")
    return frame, cls, score.to_numpy()


@pytest.mark.parametrize("klass", ESTIMATORS)
def test_estimator_contract(klass: Any) -> None:
    estimator = klass(max_depth=3, seed=0)
    params = estimator.get_params()
    assert params["max_depth"] == 3 and "seed" in params
    assert estimator.set_params(max_depth=4) is estimator and estimator.max_depth == 4
    with pytest.raises(ConfigError, match="Invalid parameter 'depth'"):
        estimator.set_params(depth=3)
    with pytest.raises(DataError, match="not fitted"):
        estimator.predict(np.zeros((1, 3)))
    frame, cls, score = _data()
    y = cls if estimator._task == "classification" else score
    assert estimator.fit(frame, y) is estimator
    assert estimator.n_features_in_ == 3
    assert list(estimator.feature_names_in_) == ["a", "b", "color"]
    assert estimator.feature_importances_.shape == (3,)
    assert estimator.feature_importances_.sum() == pytest.approx(1.0)
    pred = estimator.predict(frame)
    assert pred.shape == (600,)
    if estimator._task == "classification":
        assert (pred == cls).mean() > 0.8
        proba = estimator.predict_proba(frame)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert list(estimator.classes_) == ["no", "yes"]
    else:
        assert np.corrcoef(pred, score)[0, 1] > 0.8
    model = TreeModel.from_dict(estimator.to_tree_model().to_dict())
    np.testing.assert_array_equal(model.predict(frame), pred)
    assert repr(estimator).startswith(klass.__name__ + "(")


def test_numpy_arrow_and_pandas_inputs_agree() -> None:
    frame, cls, _ = _data()
    numeric = frame[["a", "b"]]
    from_pandas = DecisionTreeClassifier(max_depth=4).fit(numeric, cls).predict(numeric)
    from_numpy = DecisionTreeClassifier(max_depth=4).fit(numeric.to_numpy(), cls).predict(
        numeric.to_numpy())
    table = pa.Table.from_pandas(frame)
    from_arrow = DecisionTreeClassifier(max_depth=4).fit(table.select(["a", "b"]), cls).predict(
        table.select(["a", "b"]))
    np.testing.assert_array_equal(from_pandas, from_numpy)
    np.testing.assert_array_equal(from_pandas, from_arrow)


def test_native_missing_values_learn_a_direction() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 1))
    y = np.where(x[:, 0] > 0, "high", "low").astype(object)
    x[:400, 0] = np.nan
    y[:400] = "high"  # missing means high
    model = DecisionTreeClassifier(max_depth=2).fit(x, y)
    assert list(model.predict(np.array([[np.nan], [-1.0], [1.0]]))) == ["high", "low", "high"]
    tree = model.tree_model_.trees[0]
    assert tree.feature[0] == 0 and not tree.missing_left[0]


def test_unseen_categories_and_sample_weights() -> None:
    frame, cls, _ = _data()
    model = DecisionTreeClassifier(max_depth=3).fit(frame, cls)
    unseen = frame.head(3).assign(color=["purple", None, "red"])
    assert model.predict(unseen).shape == (3,)
    heavy = np.where(cls == "yes", 50.0, 1.0)
    weighted = DecisionTreeClassifier(max_depth=1).fit(frame, cls, sample_weight=heavy)
    assert (weighted.predict(frame) == "yes").mean() > (model.predict(frame) == "yes").mean()


def test_forest_is_reproducible_with_a_seed() -> None:
    frame, cls, _ = _data()
    a = RandomForestClassifier(n_trees=5, max_depth=4, seed=3).fit(frame, cls)
    b = RandomForestClassifier(n_trees=5, max_depth=4, seed=3).fit(frame, cls)
    assert len(a.tree_model_.trees) == 5
    np.testing.assert_array_equal(a.predict_proba(frame), b.predict_proba(frame))


@pytest.mark.parametrize(("make", "match"), [
    (lambda: DecisionTreeRegressor().fit(np.zeros((3, 1)), [1.0, np.nan, 2.0]),
     "NaN or infinite value.*row 1"),
    (lambda: DecisionTreeRegressor().fit(np.zeros((3, 1)), [1.0, np.inf, 2.0]), "infinite"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((3, 1)), ["a", "a", "a"]), "single value"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((0, 1)), []), "no rows"),
    (lambda: DecisionTreeClassifier(max_bins=4).fit(
        pd.DataFrame({"c": list("abcdefgh")}), list("xyxyxyxy")),
     "'c' has 8 categories.*max_bins to at least 9"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((3, 1)), ["a", "b"]), "3 rows"),
    (lambda: DecisionTreeClassifier(max_depth=31).fit(np.zeros((3, 1)), ["a", "b", "a"]),
     "'max_depth' parameter.*Got 31"),
    (lambda: DecisionTreeRegressor(impurity="gini").fit(np.zeros((3, 1)), [1, 2, 3]),
     "'impurity'.*variance"),
])
def test_bad_input_is_a_clear_error(make: Any, match: str) -> None:
    with pytest.raises((DataError, ConfigError), match=match):
        make()


def test_mismatched_columns_at_predict_time() -> None:
    frame, cls, _ = _data()
    model = DecisionTreeClassifier().fit(frame, cls)
    with pytest.raises(DataError, match="lacks column.*color"):
        model.predict(frame[["a", "b"]].assign(c=1))
    with pytest.raises(DataError, match="X has 2 columns"):
        model.predict(np.zeros((2, 2)))
