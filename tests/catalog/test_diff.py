from sparkgrove.catalog.diff import ColumnChange, schema_diff
from sparkgrove.store.entities import ColumnSpec


def test_a_schema_diff_names_each_column_change() -> None:
    old = [ColumnSpec("id", "bigint"), ColumnSpec("score", "int"), ColumnSpec("gone", "string")]
    new = [ColumnSpec("ID", "bigint"), ColumnSpec("score", "double"), ColumnSpec("region", "string")]
    assert schema_diff(old, new) == [
        ColumnChange("id", "same", "bigint", "bigint"),
        ColumnChange("score", "retyped", "int", "double"),
        ColumnChange("gone", "removed", "string", None),
        ColumnChange("region", "added", None, "string"),
    ]
