"""The input encoder: JSON values checked against a model's features, then encoded as the
``TreeModel`` encodes a frame."""

from __future__ import annotations

import numpy as np
import pytest

from sparkgrove.errors import InputError, RequestTooLargeError
from sparkgrove.serving.inputs import InputEncoder
from tests.trees.test_model import _model


def test_encoding_equals_the_tree_models_own() -> None:
    model = _model()
    columns = {"x": [0.5, None, 3, 2.25], "color": ["red", None, "never-seen", True]}
    encoded = InputEncoder(model, max_rows=10).from_columns(columns)
    np.testing.assert_array_equal(encoded, model.encode(columns))
    records = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                         strict=True)]
    np.testing.assert_array_equal(InputEncoder(model, max_rows=10).from_records(records), encoded)


@pytest.mark.parametrize(("columns", "field", "rule"), [
    ({"x": [float("inf")], "color": ["red"]}, "columns.x[0]", "finite"),
    ({"x": [10**400], "color": ["red"]}, "columns.x", "numeric"),
    ({"x": [1.0, [2.0]], "color": ["red", "red"]}, "columns.x[1]", "numeric"),
    ({"x": [1.0], "color": [["red"]]}, "columns.color[0]", "categorical"),
])
def test_values_a_feature_cannot_take_name_their_row(columns: dict[str, list[object]],
                                                      field: str, rule: str) -> None:
    with pytest.raises(InputError) as caught:
        InputEncoder(_model(), max_rows=10).from_columns(columns)
    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_the_row_limit_is_a_413_error() -> None:
    with pytest.raises(RequestTooLargeError, match="at most 2 per request") as caught:
        InputEncoder(_model(), max_rows=2).from_records([{"x": 1, "color": "red"}] * 3)
    assert caught.value.http_status == 413
