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
    GBTClassifier,
    GBTRegressor,
    NotFittedError,
    RandomForestClassifier,
    RandomForestRegressor,
    TreeModel,
)

ESTIMATORS = [DecisionTreeClassifier, DecisionTreeRegressor, RandomForestClassifier,
              RandomForestRegressor, GBTClassifier, GBTRegressor]


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
    with pytest.raises(ValueError, match="Invalid parameter 'depth'"):
        estimator.set_params(depth=3)
    with pytest.raises(NotFittedError, match="not fitted"):
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
    (lambda: DecisionTreeClassifier().fit(np.zeros((0, 1)), []), "0 sample"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((3, 1)), ["a", "b"]), "inconsistent.*3, 2"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((4, 1)), [0.1, 0.25, 0.3, 0.7]),
     "continuous.*use a regressor"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((3, 1)), [1, 2, 1], sample_weight=[0, 0, 0]),
     "at least one non-zero"),
    (lambda: DecisionTreeClassifier().fit(np.zeros((3, 1)), [1, 2, 1], sample_weight=[1, 1]),
     r"sample_weight.shape == \(2,\), expected \(3,\)"),
    (lambda: DecisionTreeClassifier().fit(np.array([[1.0], [np.inf], [2.0]]), [1, 2, 1]),
     "infinity"),
    (lambda: GBTClassifier().fit(np.zeros((3, 1)), [1, 2, 3]), "binary labels only"),
    (lambda: GBTRegressor(loss="logistic").fit(np.zeros((3, 1)), [1.0, 2.0, 3.0]),
     "'loss'.*squared, absolute"),
    (lambda: DecisionTreeClassifier(max_depth=31).fit(np.zeros((3, 1)), ["a", "b", "a"]),
     "'max_depth' parameter.*Got 31"),
    (lambda: DecisionTreeRegressor(impurity="gini").fit(np.zeros((3, 1)), [1, 2, 3]),
     "'impurity'.*variance"),
])
def test_bad_input_is_a_clear_error(make: Any, match: str) -> None:
    with pytest.raises((DataError, ConfigError), match=match) as info:
        make()
    assert isinstance(info.value, ValueError)  # as scikit-learn's estimators raise


def test_columns_are_matched_by_name_never_by_position() -> None:
    frame, cls, _ = _data()
    model = DecisionTreeClassifier(max_depth=6).fit(frame, cls)
    expected = model.predict(frame)
    reordered = frame[["color", "b", "a"]]
    np.testing.assert_array_equal(model.predict(reordered), expected)
    np.testing.assert_array_equal(model.predict(pa.Table.from_pandas(reordered)), expected)
    with pytest.raises(DataError, match="(?s)unseen at fit time:\n- x1\n.*yet now missing:\n- b"):
        model.predict(frame.rename(columns={"b": "x1"}))
    with pytest.raises(DataError, match="yet now missing:\n- color"):
        model.predict(frame[["a", "b"]])
    with pytest.raises(DataError, match="X has 2 features, but DecisionTreeClassifier is "
                                        "expecting 3"), pytest.warns(UserWarning):
        model.predict(np.zeros((2, 2)))


def test_scikit_learn_tools_work_on_the_estimators() -> None:
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.validation import check_is_fitted

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64) + 3  # integer labels 3 and 4
    model = DecisionTreeClassifier(max_depth=4)
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(model)
    model.fit(X, y)
    check_is_fitted(model)
    assert model.predict(X).dtype == np.int64
    assert accuracy_score(y, model.predict(X)) == model.score(X, y) > 0.9
    assert cross_val_score(DecisionTreeClassifier(max_depth=3), X, y, cv=3).mean() > 0.8
    search = GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 4]}, cv=3).fit(X, y)
    assert search.best_params_ == {"max_depth": 4}
    pipe = make_pipeline(StandardScaler(), GBTClassifier(max_iter=10)).fit(X, y)
    assert set(pipe.predict(X)) == {3, 4}
    assert GBTRegressor(max_iter=10).fit(X, X[:, 0]).score(X, X[:, 0]) > 0.8


def test_n_threads_changes_nothing_global() -> None:
    import numba

    before = numba.get_num_threads()
    DecisionTreeClassifier(n_threads=1).fit(np.arange(20.0).reshape(10, 2), [0, 1] * 5)
    assert numba.get_num_threads() == before


def test_forest_and_boosting_signatures_show_their_parameters() -> None:
    import inspect

    for klass in (RandomForestClassifier, GBTClassifier, GBTRegressor):
        parameters = inspect.signature(klass).parameters
        assert "max_depth" in parameters and "kwargs" not in parameters


def test_high_cardinality_categories_train_with_default_settings() -> None:
    rng = np.random.default_rng(5)
    n = 6000
    zips = rng.zipf(1.3, size=n) % 900  # hundreds of zip codes, a long tail of rare ones
    state = rng.integers(0, 50, size=n)
    frame = pd.DataFrame({"zip": [f"z{z:04d}" for z in zips], "state": [f"s{s}" for s in state],
                          "x": rng.normal(size=n)})
    y = ((zips % 7 < 3) ^ (state % 5 == 0)).astype(int)
    model = DecisionTreeClassifier(max_depth=8).fit(frame, y)  # max_bins=32 by default
    specs = {f.name: f for f in model.tree_model_.features}
    assert len(specs["state"].categories) == 50
    assert len(specs["zip"].categories) == 254  # the most frequent; the rest share a bucket
    counts = pd.Series(frame["zip"]).value_counts()
    assert set(specs["zip"].categories) == set(counts.index[:254]) or \
        counts.iloc[253] == counts.iloc[254]
    assert model.score(frame, y) > 0.9
    unseen = frame.head(2).assign(zip=["never-seen", None])
    assert model.predict(unseen).shape == (2,)
    from_category = DecisionTreeClassifier(max_depth=8).fit(
        frame.astype({"zip": "category", "state": "category"}), y)
    np.testing.assert_array_equal(from_category.predict(frame), model.predict(frame))


def test_gbt_boosts_like_mllib_and_stops_early_on_validation() -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(2000, 3))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] + rng.normal(scale=0.5, size=2000) > 0, "yes", "no")
    model = GBTClassifier(max_iter=30, max_depth=3).fit(X, y)
    tree_model = model.tree_model_
    assert tree_model.ensemble == "sum" and len(tree_model.trees) == 30
    assert tree_model.tree_weights[0] == 1.0 and set(tree_model.tree_weights[1:]) == {0.1}
    score = model.decision_function(X)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-2 * score)))
    np.testing.assert_array_equal(model.predict(X), np.where(score > 0, "yes", "no"))
    assert model.score(X, y) > 0.8
    saved = TreeModel.from_dict(tree_model.to_dict())
    np.testing.assert_allclose(saved.predict_proba(X), model.predict_proba(X))
    stopped = GBTClassifier(max_iter=200, max_depth=3, step_size=0.5, validation_fraction=0.3,
                            validation_tol=0.01).fit(X, y)
    assert 1 < stopped.n_iter_ < 200
    regressor = GBTRegressor(max_iter=40, loss="absolute").fit(X, X[:, 0] * 3)
    assert regressor.score(X, X[:, 0] * 3) > 0.8


def test_gbt_newton_leaves_start_from_the_best_constant_and_fit_better() -> None:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(3000, 4))
    y = (X[:, 0] * X[:, 1] + X[:, 2] + rng.normal(scale=0.3, size=3000) > 0.8).astype(int)
    train, test = slice(0, 2000), slice(2000, None)
    plain = GBTClassifier(max_iter=150, max_depth=3).fit(X[train], y[train])
    newton = GBTClassifier(max_iter=150, max_depth=3, leaf_values="newton").fit(X[train],
                                                                                 y[train])
    first = newton.tree_model_.trees[0]
    assert first.n_nodes == 1 and len(newton.tree_model_.trees) == 151
    share = y[train].mean()
    assert first.value[0, 0] == pytest.approx(0.5 * np.log(share / (1 - share)))
    assert newton.score(X[test], y[test]) > plain.score(X[test], y[test])
    # Newton histograms leave row counts out; the trees still count their rows
    for tree in newton.tree_model_.trees[1:]:
        leaves = tree.feature == -1
        assert tree.count[0] == 2000 and tree.count[leaves].sum() == 2000
        assert set(np.unique(tree.count)) <= set(range(1, 2001))
    with pytest.raises(ConfigError, match="'leaf_values'.*'gradient' or 'newton'"):
        GBTClassifier(leaf_values="exact").fit(X, y)


def test_rare_categories_are_not_placed_by_their_own_mean_outside_parity_mode() -> None:
    # A (y=0) and B (y=10) have 300 rows each; "rare" has 5 rows with y=-5. Ordered by mean,
    # MLlib puts rare before A and splits {rare, A} | {B}; with fewer than 100 rows in the node,
    # the native mode does not trust rare's mean and keeps it with the unseen values: {A} | ...
    frame = pd.DataFrame({"c": ["A"] * 300 + ["B"] * 300 + ["rare"] * 5})
    y = np.array([0.0] * 300 + [10.0] * 300 + [-5.0] * 5)
    for missing, left in (("median", {"A", "rare"}), ("native", {"A"})):
        model = DecisionTreeRegressor(max_depth=1, missing=missing).fit(frame, y).tree_model_
        categories = model.features[0].categories
        assert {categories[i] for i in model.trees[0].left_categories[0]
                if i < len(categories)} == left
