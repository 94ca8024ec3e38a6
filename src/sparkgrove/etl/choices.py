"""Choice types: a field whose values have several types is a struct with one branch per type
(``long``, ``double``, ``string``, ``boolean``, ...), exactly one branch set on each record."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

VARIANT_TYPES = {"BIGINT": "long", "INT": "long", "SMALLINT": "long", "TINYINT": "long",
                 "DOUBLE": "double", "FLOAT": "double", "STRING": "string",
                 "BOOLEAN": "boolean", "DATE": "string", "TIMESTAMP": "string"}
BRANCH_SQL = {"long": "bigint", "int": "int", "double": "double", "string": "string",
              "boolean": "boolean", "date": "date", "timestamp": "timestamp"}


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
    casts = [F.col(f"{quoted}.{b}").try_cast(sql_type) for b in branches]
    return frame.withColumn(column, F.coalesce(*casts) if len(casts) > 1 else casts[0])


_DECLARED_BRANCH = {"bigint": "long", "int": "int", "smallint": "int", "tinyint": "int",
                    "double": "double", "float": "double", "boolean": "boolean",
                    "date": "date", "timestamp": "timestamp"}


def type_strings(frame: DataFrame, declared: dict[str, str] | None
                 ) -> tuple[DataFrame, dict[str, tuple[str, ...]]]:
    """Type CSV columns read as strings, as Glue's CSV reader does.

    With ``declared`` types (a catalog table), a column whose values all parse as its type is
    cast to it; one with values that do not is a choice of that type and ``string``, so no
    value is lost and ``resolveChoice`` decides. Without (``from_options``), whole numbers
    are ``long``, other numbers ``double``, and a column mixing numbers with text is a choice
    of ``long``/``double`` and ``string``. Empty values are null.
    """
    from pyspark.sql import functions as F

    columns = frame.columns
    if not columns:
        return frame, {}
    stats = frame.agg(*[agg for i, c in enumerate(columns) for agg in (
        F.count(F.col(_q(c))).alias(f"n{i}"),
        F.count(F.expr(f"try_cast({_q(c)} AS BIGINT)")).alias(f"l{i}"),
        F.count(F.expr(f"try_cast({_q(c)} AS DOUBLE)")).alias(f"d{i}"))]).collect()[0]
    out, found = [], {}
    for i, name in enumerate(columns):
        n, longs, doubles = stats[f"n{i}"], stats[f"l{i}"], stats[f"d{i}"]
        col = F.col(_q(name))
        want = (declared or {}).get(name)
        if want is not None:
            branch = _DECLARED_BRANCH.get(want.lower())
            if branch is None:  # string, decimal, or a type with no choice branch
                out.append(F.expr(f"try_cast({_q(name)} AS {want})").alias(name)
                           if want.lower() != "string" else col)
                continue
            fits = F.count(F.expr(f"try_cast({_q(name)} AS {want})"))
            parsed = frame.agg(fits).collect()[0][0] if branch not in ("long", "double") \
                else (longs if branch == "long" else doubles)
            if parsed == n:
                out.append(col.cast(want).alias(name))
            else:
                found[name] = tuple(sorted((branch, "string")))
                out.append(_choice(name, want, branch).alias(name))
            continue
        if n == 0 or (longs == 0 and doubles == 0):
            out.append(col)
        elif longs == n:
            out.append(col.cast("bigint").alias(name))
        elif doubles == n:
            out.append(col.cast("double").alias(name))
        else:
            branch = "long" if longs == doubles else "double"
            found[name] = tuple(sorted((branch, "string")))
            out.append(_choice(name, BRANCH_SQL[branch], branch).alias(name))
    return frame.select(*out), found


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _choice(name: str, sql_type: str, branch: str) -> Column:
    """A choice struct: ``branch`` set where the value parses as ``sql_type``, ``string``
    where it does not."""
    from pyspark.sql import functions as F

    parsed = F.expr(f"try_cast({_q(name)} AS {sql_type})")
    fields = {branch: parsed, "string": F.when(parsed.isNull(), F.col(_q(name)))}
    return F.struct(*[fields[b].alias(b) for b in sorted(fields)])
