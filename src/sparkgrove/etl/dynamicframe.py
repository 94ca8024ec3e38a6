"""``DynamicFrame``: Glue-style self-describing records on a Spark DataFrame.

A field whose values have several types is a *choice* (a struct with one branch per type, see
:mod:`sparkgrove.etl.choices`) until ``resolveChoice`` settles it. Records a transform cannot
process are kept aside with their error (``errorsAsDynamicFrame()``), counted, and fail the job
only past ``stageThreshold`` (errors of this transform) or ``totalThreshold`` (errors so far);
0, the default, never fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import DataError, SparkgroveError
from sparkgrove.etl import choices as ch

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from sparkgrove.etl.context import GlueContext


class EtlError(SparkgroveError):
    """An ETL transform or job failed (for instance past its error thresholds)."""

    code = "etl"
    exit_code = 8
    http_status = 422


ERROR_SCHEMA = "record STRING, error STRING, transformation STRING"


class DynamicFrame:
    """Records with a schema of their own, choices and a frame of error records."""

    def __init__(self, df: DataFrame, glue_ctx: GlueContext | None, name: str = "",
                 *, choices: dict[str, tuple[str, ...]] | None = None,
                 errors: DataFrame | None = None, stage_errors: int = 0,
                 total_errors: int = 0) -> None:
        self._df = df
        self.glue_ctx = glue_ctx
        self.name = name
        self.choices = dict(choices or {})
        self._errors = errors
        self._stage_errors = stage_errors
        self._total_errors = total_errors

    # ---- conversions ---------------------------------------------------------------------
    @classmethod
    def fromDF(cls, dataframe: DataFrame, glue_ctx: GlueContext | None, name: str
               ) -> DynamicFrame:
        """Wrap a DataFrame."""
        return cls(dataframe, glue_ctx, name)

    def toDF(self) -> DataFrame:
        """The records as a DataFrame (unresolved choices stay structs)."""
        return self._df

    def _derive(self, df: DataFrame, name: str, *, choices: dict[str, tuple[str, ...]] | None
                = None, new_errors: DataFrame | None = None, error_count: int = 0,
                stage_threshold: int = 0, total_threshold: int = 0) -> DynamicFrame:
        total = self._total_errors + error_count
        if stage_threshold and error_count > stage_threshold:
            raise EtlError(f"{name}: {error_count} records could not be processed, more than "
                           f"stageThreshold={stage_threshold}; see errorsAsDynamicFrame().")
        if total_threshold and total > total_threshold:
            raise EtlError(f"{name}: {total} error records so far, more than "
                           f"totalThreshold={total_threshold}.")
        errors = self._errors
        if new_errors is not None:
            errors = new_errors if errors is None else errors.unionByName(new_errors)
        kept = {k: v for k, v in (self.choices if choices is None else choices).items()
                if k in df.columns}
        return DynamicFrame(df, self.glue_ctx, name, choices=kept, errors=errors,
                            stage_errors=error_count, total_errors=total)

    # ---- inspection ----------------------------------------------------------------------
    def count(self) -> int:
        """Number of records."""
        return int(self._df.count())

    def show(self, num_rows: int = 20) -> None:
        """Print the first records as JSON lines."""
        for row in self._df.limit(num_rows).collect():
            print(json.dumps(row.asDict(recursive=True), default=str))

    def schema(self) -> StructType:
        """The Spark schema (choices appear as structs of branches)."""
        return self._df.schema

    def printSchema(self) -> None:
        """Print the schema, showing choice fields as ``choice`` with their branches."""
        print(self.schema_text())

    def schema_text(self) -> str:
        """What :meth:`printSchema` prints."""
        lines = ["root"]
        for field in self._df.schema.fields:
            if field.name in self.choices:
                lines.append(f"|-- {field.name}: choice")
                lines += [f"|    |-- {b}" for b in self.choices[field.name]]
            else:
                lines.append(f"|-- {field.name}: {field.dataType.simpleString()}")
        return "\n".join(lines)

    def errorsAsDynamicFrame(self) -> DynamicFrame:
        """The records kept aside so far, with their errors."""
        if self._errors is None:
            spark = self._df.sparkSession
            return DynamicFrame(spark.createDataFrame([], ERROR_SCHEMA), self.glue_ctx,
                                f"{self.name}_errors")
        return DynamicFrame(self._errors, self.glue_ctx, f"{self.name}_errors")

    def errorsCount(self) -> int:
        """Error records so far."""
        return self._total_errors

    def stageErrorsCount(self) -> int:
        """Error records of the transform that made this frame."""
        return self._stage_errors

    # ---- transforms ----------------------------------------------------------------------
    def apply_mapping(self, mappings: Sequence[Sequence[str]], transformation_ctx: str = "",
                      **kwargs: Any) -> DynamicFrame:
        """Select, rename and cast: ``(source, source_type, target, target_type)`` tuples;
        dotted sources reach into structs."""
        from pyspark.sql import functions as F

        columns = []
        for mapping in mappings:
            if len(mapping) != 4:
                raise DataError(f"ApplyMapping: {mapping!r} must be (source, source_type, "
                                "target, target_type).")
            source, _source_type, target, target_type = mapping
            head = source.split(".")[0]
            if head not in self._df.columns:
                raise DataError(f"ApplyMapping: no field {source!r}; fields: "
                                f"{', '.join(self._df.columns)}.")
            expr = F.col(".".join(f"`{p}`" for p in source.split(".")))
            if head in self.choices and source == head:
                branches = self.choices[head]
                expr = F.coalesce(*[F.col(f"`{head}`.{b}").cast(
                    ch.BRANCH_SQL.get(target_type, target_type)) for b in branches])
            else:
                expr = expr.cast(ch.BRANCH_SQL.get(target_type, target_type))
            columns.append(expr.alias(target))
        return self._derive(self._df.select(*columns), transformation_ctx or "apply_mapping",
                            choices={})

    def resolveChoice(self, specs: Sequence[tuple[str, str]] | None = None, choice: str = "",
                      database: str | None = None, table_name: str | None = None,
                      transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Settle choice fields: ``specs=[("price", "cast:double")]``, or one ``choice`` for
        all (``make_cols``, ``make_struct``, ``project:TYPE``, ``cast:TYPE``,
        ``match_catalog`` with ``database`` and ``table_name``)."""
        df = self._df
        remaining = dict(self.choices)
        plan = list(specs or [(name, choice) for name in self.choices])
        for path, action in plan:
            if path not in remaining:
                continue
            kind, _, target = action.partition(":")
            if kind == "match_catalog":
                if self.glue_ctx is None or not database or not table_name:
                    raise DataError("ResolveChoice match_catalog needs database and table_name.")
                table = self.glue_ctx.catalog.table(f"{database}.{table_name}")
                types = {c.name: c.type for c in table.all_columns}
                if path not in types:
                    raise DataError(f"ResolveChoice: {database}.{table_name} has no column "
                                    f"{path!r}.")
                kind, target = "cast", types[path]
            if kind not in ("cast", "make_cols", "make_struct", "project"):
                raise DataError(f"ResolveChoice: unknown action {action!r}; use cast:TYPE, "
                                "make_cols, make_struct, project:TYPE or match_catalog.")
            df = ch.resolve(df, path, remaining[path], kind, target or None)
            if kind != "make_struct":
                remaining.pop(path)
            else:
                remaining.pop(path)
        return self._derive(df, transformation_ctx or "resolve_choice", choices=remaining)

    def drop_null_fields(self, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Drop fields that are null in every record."""
        from pyspark.sql import functions as F

        counts = self._df.agg(F.count(F.lit(1)).alias("__rows"), *[
            F.count(F.col(f"`{c}`")).alias(c) for c in self._df.columns]).collect()[0].asDict()
        if counts.pop("__rows") == 0:  # with no records no field is null in all of them
            return self._derive(self._df, transformation_ctx or "drop_null_fields")
        keep = [f"`{c}`" for c in self._df.columns if counts[c] > 0]
        return self._derive(self._df.select(*keep), transformation_ctx or "drop_null_fields")

    def select_fields(self, paths: Sequence[str], transformation_ctx: str = "",
                      **kwargs: Any) -> DynamicFrame:
        """Keep only ``paths``."""
        self._check_fields(paths, "SelectFields")
        return self._derive(self._df.select(*[f"`{p}`" for p in paths]),
                            transformation_ctx or "select_fields")

    def drop_fields(self, paths: Sequence[str], transformation_ctx: str = "",
                    **kwargs: Any) -> DynamicFrame:
        """Remove ``paths``."""
        return self._derive(self._df.drop(*paths), transformation_ctx or "drop_fields")

    def rename_field(self, oldName: str, newName: str, transformation_ctx: str = "",
                     **kwargs: Any) -> DynamicFrame:
        """Rename one field."""
        self._check_fields([oldName], "RenameField")
        choices = {(newName if k == oldName else k): v for k, v in self.choices.items()}
        return self._derive(self._df.withColumnRenamed(oldName, newName),
                            transformation_ctx or "rename_field", choices=choices)

    def _check_fields(self, paths: Sequence[str], what: str) -> None:
        missing = [p for p in paths if p not in self._df.columns]
        if missing:
            raise DataError(f"{what}: no field(s) {', '.join(missing)}; fields: "
                            f"{', '.join(self._df.columns)}.")

    def _per_record(self, fn: Callable[[dict[str, Any]], Any], mode: str, name: str,
                    stage_threshold: int, total_threshold: int) -> DynamicFrame:
        spark = self._df.sparkSession

        def run(rows: Any) -> Any:
            for row in rows:
                record = row.asDict(recursive=True)
                try:
                    result = fn(record)
                except Exception as exc:  # the record is kept aside, not lost
                    yield ("err", json.dumps(record, default=str), f"{type(exc).__name__}: {exc}")
                    continue
                if mode == "filter":
                    if result:
                        yield ("ok", json.dumps(record, default=str), "")
                else:
                    yield ("ok", json.dumps(result, default=str), "")

        tagged = self._df.rdd.mapPartitions(run).toDF(
            "tag STRING, record STRING, error STRING").cache()
        ok = tagged.filter("tag = 'ok'").select("record")
        errors = tagged.filter("tag = 'err'").selectExpr("record", "error",
                                                         f"'{name}' AS transformation")
        error_count = errors.count()
        if mode == "filter":
            from pyspark.sql import functions as F

            df = ok.select(F.from_json("record", self._df.schema).alias("r")).select("r.*")
        else:
            df = spark.read.json(ok.rdd.map(lambda r: r.record)) if ok.count() else \
                spark.createDataFrame([], self._df.schema)
        return self._derive(df, name, new_errors=errors if error_count else None,
                            error_count=error_count, stage_threshold=stage_threshold,
                            total_threshold=total_threshold)

    def filter(self, f: Callable[[dict[str, Any]], bool], transformation_ctx: str = "",
               stageThreshold: int = 0, totalThreshold: int = 0, **kwargs: Any
               ) -> DynamicFrame:
        """Keep records for which ``f(record)`` is true."""
        return self._per_record(f, "filter", transformation_ctx or "filter", stageThreshold,
                                totalThreshold)

    def map(self, f: Callable[[dict[str, Any]], dict[str, Any]], transformation_ctx: str = "",
            stageThreshold: int = 0, totalThreshold: int = 0, **kwargs: Any) -> DynamicFrame:
        """Apply ``f`` to each record (a dict) and keep what it returns."""
        return self._per_record(f, "map", transformation_ctx or "map", stageThreshold,
                                totalThreshold)

    def join(self, paths1: Sequence[str], paths2: Sequence[str], frame2: DynamicFrame,
             transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Equality join on ``paths1`` = ``paths2`` (both sets of keys are kept)."""
        left, right = self._df, frame2.toDF()
        cond = [left[f"`{a}`"] == right[f"`{b}`"] for a, b in zip(paths1, paths2, strict=True)]
        joined = left.join(right, cond, "inner")
        return self._derive(joined, transformation_ctx or "join",
                            choices={**self.choices, **frame2.choices})

    def union(self, other: DynamicFrame, transformation_ctx: str = "", **kwargs: Any
              ) -> DynamicFrame:
        """Records of both frames, fields matched by name."""
        return self._derive(self._df.unionByName(other.toDF(), allowMissingColumns=True),
                            transformation_ctx or "union")

    def split_fields(self, paths: Sequence[str], name1: str, name2: str,
                     transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        """Two frames: ``paths``, and the other fields."""
        self._check_fields(paths, "SplitFields")
        rest = [c for c in self._df.columns if c not in paths]
        return DynamicFrameCollection({
            name1: self._derive(self._df.select(*[f"`{p}`" for p in paths]), name1),
            name2: self._derive(self._df.select(*[f"`{p}`" for p in rest]), name2)},
            self.glue_ctx)

    def split_rows(self, comparison_dict: dict[str, dict[str, Any]], name1: str, name2: str,
                   transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        """Two frames: records meeting every comparison (``{"age": {">": 10}}``), and the rest."""
        from pyspark.sql import functions as F

        ops = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "=": "__eq__",
               "==": "__eq__", "!=": "__ne__"}
        cond = F.lit(True)
        for path, comparisons in comparison_dict.items():
            for op, value in comparisons.items():
                if op not in ops:
                    raise DataError(f"SplitRows: unknown comparison {op!r}; use "
                                    f"{', '.join(ops)}.")
                cond = cond & getattr(F.col(f"`{path}`"), ops[op])(value)
        matched = F.coalesce(cond, F.lit(False))
        return DynamicFrameCollection({
            name1: self._derive(self._df.filter(matched), name1),
            name2: self._derive(self._df.filter(~matched), name2)}, self.glue_ctx)

    def unnest(self, transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Flatten nested structs into top-level fields named ``outer.inner``."""
        return self._derive(_flatten(self._df), transformation_ctx or "unnest")

    def unbox(self, path: str, format: str, transformation_ctx: str = "", **kwargs: Any
              ) -> DynamicFrame:
        """Parse a string field holding JSON (``format="json"``) into a struct."""
        from pyspark.sql import functions as F

        if format != "json":
            raise DataError(f"Unbox supports format='json'; got {format!r}.")
        self._check_fields([path], "Unbox")
        sample = [r[0] for r in self._df.select(f"`{path}`").dropna().limit(1000).collect()]
        schema = self._df.sparkSession.read.json(
            self._df.sparkSession.sparkContext.parallelize(sample)).schema if sample else None
        if schema is None:
            return self._derive(self._df, transformation_ctx or "unbox")
        return self._derive(self._df.withColumn(path, F.from_json(F.col(f"`{path}`"), schema)),
                            transformation_ctx or "unbox")

    def relationalize(self, root_table_name: str, staging_path: str = "",
                      transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        """Flatten nested structs and pivot arrays into child tables joined by ids.

        The root frame gets structs flattened (``a.b``) and, for each array field, an ``id``
        column referring to rows of the frame ``<root>_<field>``, which holds ``id``,
        ``index`` and the element (its fields flattened as ``<field>.val.<name>``).
        """
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType

        frames: dict[str, DynamicFrame] = {}
        root = _flatten(self._df).withColumn("__row_id", F.monotonically_increasing_id())
        for field in list(root.schema.fields):
            if isinstance(field.dataType, ArrayType):
                name = f"{root_table_name}_{field.name}"
                child = root.select(F.col("__row_id").alias("id"),
                                    F.posexplode(F.col(f"`{field.name}`")).alias("index", "val"))
                child = _flatten(child.select("id", "index", F.col("val").alias(
                    f"{field.name}.val")))
                frames[name] = self._derive(child, name, choices={})
                root = root.withColumn(field.name, F.col("__row_id"))
        frames[root_table_name] = self._derive(root.drop("__row_id"), root_table_name)
        return DynamicFrameCollection(dict(sorted(frames.items())), self.glue_ctx)

    def spigot(self, path: str, options: dict[str, Any] | None = None,
               transformation_ctx: str = "", **kwargs: Any) -> DynamicFrame:
        """Write a sample of the records (``{"topk": 100}``) as JSON to ``path``; return
        the frame unchanged."""
        from sparkgrove.etl.paths import resolve_path

        top = int((options or {}).get("topk", 100))
        target = resolve_path(path, self.glue_ctx.settings if self.glue_ctx else None)
        self._df.limit(top).coalesce(1).write.mode("overwrite").json(str(target))
        return self

    def __repr__(self) -> str:
        return f"DynamicFrame(name={self.name!r}, fields={self._df.columns})"


class DynamicFrameCollection:
    """Named DynamicFrames, as SplitFields, SplitRows and Relationalize return them."""

    def __init__(self, frames: dict[str, DynamicFrame], glue_ctx: GlueContext | None) -> None:
        self._frames = frames
        self.glue_ctx = glue_ctx

    def keys(self) -> list[str]:
        """Frame names."""
        return list(self._frames)

    def values(self) -> list[DynamicFrame]:
        """The frames."""
        return list(self._frames.values())

    def select(self, key: str, transformation_ctx: str = "") -> DynamicFrame:
        """One frame by name."""
        if key not in self._frames:
            raise DataError(f"No frame {key!r} in this collection; frames: "
                            f"{', '.join(self._frames)}.")
        return self._frames[key]

    def __getitem__(self, key: str) -> DynamicFrame:
        return self.select(key)

    def __len__(self) -> int:
        return len(self._frames)


def _flatten(df: DataFrame) -> DataFrame:
    """Structs become top-level fields named ``outer.inner`` (recursively)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    while any(isinstance(f.dataType, StructType) for f in df.schema.fields):
        columns = []
        for field in df.schema.fields:
            if isinstance(field.dataType, StructType):
                for inner in field.dataType.fields:
                    columns.append(F.col(f"`{field.name}`.`{inner.name}`").alias(
                        f"{field.name}.{inner.name}"))
            else:
                columns.append(F.col(f"`{field.name}`"))
        df = df.select(*columns)
    return df
