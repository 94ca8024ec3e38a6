import pytest

from sparkgrove.catalog.infer import NULL, infer_json_type, infer_text_type, widen


@pytest.mark.parametrize(("text", "kind"), [
    ("12", "int"), ("-3", "int"), ("9999999999", "bigint"), ("1.5", "double"), ("1e3", "double"),
    ("true", "boolean"), ("FALSE", "boolean"), ("2024-02-29", "date"), ("2023-02-29", "string"),
    ("2024-01-02 03:04:05", "timestamp"), ("2024-01-02T03:04:05Z", "timestamp"),
    ("NA", NULL), ("", NULL), ("?", NULL), ("hello", "string"),
])
def test_text_types(text: str, kind: str) -> None:
    assert infer_text_type(text) == kind


def test_widening() -> None:
    assert widen("int", "double") == "double"
    assert widen("int", "bigint") == "bigint"
    assert widen("date", "timestamp") == "timestamp"
    assert widen("int", "boolean") == "string"
    assert widen(NULL, "date") == "date"


def test_json_types_nest() -> None:
    assert infer_json_type({"a": 1, "b": [1.5]}) == "struct<a:bigint,b:array<double>>"
    assert infer_json_type("2024-01-01") == "string"  # Glue's JSON classifier: text is text
