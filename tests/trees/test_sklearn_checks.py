"""scikit-learn's own estimator checks, run over every local-engine estimator.

Checks that cannot apply are listed with the reason, as scikit-learn lists them for its own
forests; every other check must pass.
"""

from __future__ import annotations

from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from sparkgrove.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GBTClassifier,
    GBTRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

BOOTSTRAP_WEIGHTS = ("a bootstrap draws rows by count, so a weight of 2 is not the same draw as a "
                     "repeated row (scikit-learn lists this check for its own forests too)")
BINARY_ONLY = ("GBTClassifier is binary, as MLlib's is; this check fits three or more classes "
               "(use RandomForestClassifier for those)")
GBT_MULTICLASS_CHECKS = (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_sample_weights_list",
    "check_sample_weight_equivalence_on_dense_data", "check_dtype_object",
    "check_f_contiguous_array_estimator", "check_classifiers_classes", "check_classifiers_train",
    "check_supervised_y_2d", "check_non_transformer_estimators_n_iter",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1feature", "check_dict_unchanged", "check_fit2d_predict1d",
)


def expected_failures(estimator: Any) -> dict[str, str]:
    """The checks that cannot apply to ``estimator``, with the reason."""
    if isinstance(estimator, RandomForestClassifier | RandomForestRegressor):
        return {"check_sample_weight_equivalence_on_dense_data": BOOTSTRAP_WEIGHTS}
    if isinstance(estimator, GBTClassifier):
        return dict.fromkeys(GBT_MULTICLASS_CHECKS, BINARY_ONLY)
    return {}


@parametrize_with_checks(
    [DecisionTreeClassifier(), DecisionTreeRegressor(), RandomForestClassifier(n_trees=5),
     RandomForestRegressor(n_trees=5), GBTClassifier(max_iter=5), GBTRegressor(max_iter=5)],
    expected_failed_checks=expected_failures)
def test_sklearn_compatible_estimator(estimator: Any, check: Any) -> None:
    check(estimator)
