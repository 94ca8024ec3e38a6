"""Choice types: a field whose values have several types is a struct with one branch per type
(``long``, ``double``, ``string``, ``boolean``, ...), exactly one branch set on each record."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

VARIANT_TYPES = {"BIGINT": "long", "INT": "long", "SMALLINT": "long", "TINYINT": "long",
                 "DOUBLE": "double", "FLOAT": "double", "STRING": "string",
                 "BOOLEAN": "boolean", "DATE": "string", "TIMESTAMP": "string"}
BRANCH_SQL = {"long": "bigint", "double": "double", "string": "string", "boolean": "boolean"}


def branch_of(variant_type: str | None) -> str | None:
    """The choice branch of a variant value's type (``DECIMAL(3,2)`` is ``double``)."""
    if variant_type is None or variant_type == "NULL":
        return None
    if variant_type.startswith("DECIMAL"):
        return "double"
    return VARIANT_TYPES.get(variant_type, "string")


def choice_column(variant: Column, path: str, branches: list[str]) -> Column:
    """A struct column with one field per branch, set where the value has that type."""
    from pyspark.sql import functions as F

    value = F.variant_get(variant, path, "variant")
    kind = F.schema_of_variant(value)
    fields = []
    for branch in branches:
        if branch == "double":
            matches = kind.startswith("DECIMAL") | kind.isin("DOUBLE", "FLOAT")
        elif branch == "long":
            matches = kind.isin("BIGINT", "INT", "SMALLINT", "TINYINT")
        elif branch == "boolean":
            matches = kind == "BOOLEAN"
        else:
            matches = ~(kind.startswith("DECIMAL") | kind.isin(
                "BIGINT", "INT", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "BOOLEAN", "NULL"))
        extracted = F.try_variant_get(variant, path, BRANCH_SQL[branch])
        fields.append(F.when(matches, extracted).alias(branch))
    return F.struct(*fields)


def resolve(frame: DataFrame, column: str, branches: tuple[str, ...], action: str,
            target_type: str | None = None) -> DataFrame:
    """Apply one ResolveChoice action (cast, make_cols, make_struct, project) to a column."""
    from pyspark.sql import functions as F

    quoted = f"`{column}`"
    if action == "make_struct":
        return frame
    if action == "make_cols":
        out = frame
        for branch in branches:
            out = out.withColumn(f"{column}_{branch}", F.col(f"{quoted}.{branch}"))
        return out.drop(column)
    if action == "project":
        assert target_type is not None
        if target_type in branches:
            return frame.withColumn(column, F.col(f"{quoted}.{target_type}"))
        return frame.withColumn(column, F.lit(None).cast(BRANCH_SQL.get(target_type,
                                                                          target_type)))
    assert target_type is not None
    sql_type = BRANCH_SQL.get(target_type, target_type)
    casts = [F.col(f"{quoted}.{b}").cast(sql_type) for b in branches]
    return frame.withColumn(column, F.coalesce(*casts) if len(casts) > 1 else casts[0])
