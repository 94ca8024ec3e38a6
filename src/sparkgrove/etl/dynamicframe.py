"""``DynamicFrame``: Glue-style self-describing records on a Spark DataFrame.

Method names, parameter names, their order and their defaults are AWS Glue's, as its PySpark
reference documents them (``sparkgrove.etl.glue_api`` lists them, and a test holds us to it).

A field whose values have several types is a *choice* (a struct with one branch per type, see
:mod:`sparkgrove.etl.choices`) until ``resolveChoice`` settles it. Records a transform cannot
process are kept aside with their error (``errorsAsDynamicFrame()``), counted, and fail the job
only past ``stageThreshold`` (errors of this transform) or ``totalThreshold`` (errors so far);
0, the default, never fails. Field names match case-insensitively; ```a.b``` quotes a name
that holds a dot.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sparkgrove.errors import DataError, EtlError
from sparkgrove.etl import choices as ch
from sparkgrove.etl import fieldpaths as fp
from sparkgrove.etl.records import DynamicRecord, as_plain

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructType

    from sparkgrove.etl.context import GlueContext


ERROR_SCHEMA = "record STRING, error STRING, transformation STRING"


def _warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr)


class DynamicFrame:
    """Records with a schema of their own, choices and a frame of error records."""

    def __init__(self, jdf: DataFrame, glue_ctx: GlueContext | None, name: str, *,
                 choices: dict[str, tuple[str, ...]] | None = None,
                 errors: DataFrame | None = None, stage_errors: int = 0,
                 total_errors: int = 0) -> None:
        self._df = jdf
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

    def toDF(self, options: Any = None) -> DataFrame:
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

    def _path(self, path: str, what: str) -> list[str]:
        return fp.require(self._df.schema, path, what)

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

    def getNumPartitions(self) -> int:
        """Partitions of the underlying data."""
        return int(self._df.rdd.getNumPartitions())

    def repartition(self, numPartitions: int) -> DynamicFrame:
        """The same records in ``numPartitions`` partitions."""
        return self._derive(self._df.repartition(numPartitions), self.name)

    def coalesce(self, numPartitions: int) -> DynamicFrame:
        """The same records in at most ``numPartitions`` partitions, without a shuffle."""
        return self._derive(self._df.coalesce(numPartitions), self.name)

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

    def assertErrorThreshold(self) -> None:
        """Thresholds are checked as each transform runs, so a frame that exists is within
        them; kept for scripts that call it."""

    # ---- transforms ----------------------------------------------------------------------
    def apply_mapping(self, mappings: Sequence[Sequence[str]], transformation_ctx: str = "",
                      info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                      ) -> DynamicFrame:
        """Select, rename and cast: ``(source, source_type, target, target_type)`` tuples.

        Sources are paths into structs (``customer.name``, ```a.b``` for a name with a dot),
        matched case-insensitively; a dotted target builds nested structs. A source no record
        has is left out of the result, as in Glue (with a warning in the run's log).
        """
        from pyspark.sql import functions as F

        tree: dict[str, Any] = {}
        for mapping in mappings:
            if len(mapping) != 4:
                raise DataError(f"ApplyMapping: {mapping!r} must be (source, source_type, "
                                "target, target_type).")
            source, _source_type, target, target_type = mapping
            parts = fp.resolve(self._df.schema, source)
            if parts is None:
                _warn(f"ApplyMapping: no field {source!r} in {self.name or 'the frame'}; "
                      f"{target!r} is left out. Fields: {', '.join(self._df.columns)}.")
                continue
            sql_type = ch.BRANCH_SQL.get(target_type.lower(), target_type)
            if len(parts) == 1 and parts[0] in self.choices:
                expr = F.coalesce(*[F.col(f"{fp.quote(parts[0])}.{b}").try_cast(sql_type)
                                    for b in self.choices[parts[0]]])
            else:  # a value that does not convert is null, as in Glue (not a failed job)
                expr = fp.column(parts).try_cast(sql_type)
            node = tree
            *parents, leaf = fp.parse_path(target)
            for parent in parents:
                child = node.setdefault(parent, {})
                if not isinstance(child, dict):
                    raise DataError(f"ApplyMapping: target {target!r} nests under {parent!r}, "
                                    "which another mapping made a plain field.")
                node = child
            node[leaf] = expr
        if not tree:
            raise DataError(f"ApplyMapping: none of the sources exists; fields: "
                            f"{', '.join(self._df.columns)}.")
        return self._derive(self._df.select(*_columns_of(tree)),
                            transformation_ctx or "apply_mapping", choices={},
                            stage_threshold=stageThreshold, total_threshold=totalThreshold)

    def resolveChoice(self, specs: Sequence[tuple[str, str]] | None = None, choice: str = "",
                      database: str | None = None, table_name: str | None = None,
                      transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                      totalThreshold: int = 0, catalog_id: str | None = None) -> DynamicFrame:
        """Settle choice fields: ``specs=[("price", "cast:double")]``, or one ``choice`` for
        all (``make_cols``, ``make_struct``, ``project:TYPE``, ``cast:TYPE``,
        ``match_catalog`` with ``database`` and ``table_name``)."""
        if specs and choice:
            raise DataError("ResolveChoice takes specs or choice, not both.")
        if not specs and not choice:
            raise DataError("ResolveChoice needs specs=[(field, action)] or choice=ACTION.")
        df = self._df
        remaining = dict(self.choices)
        plan = list(specs or [(name, choice) for name in self.choices])
        for path, action in plan:
            found = fp.find_name(fp.parse_path(path)[0], list(remaining))
            if found is None:
                continue
            kind, _, target = action.partition(":")
            if kind == "match_catalog":
                if self.glue_ctx is None or not database or not table_name:
                    raise DataError("ResolveChoice match_catalog needs database and table_name.")
                table = self.glue_ctx.catalog.table(f"{database}.{table_name}")
                types = {c.name.lower(): c.type for c in table.all_columns}
                if found.lower() not in types:
                    raise DataError(f"ResolveChoice: {database}.{table_name} has no column "
                                    f"{path!r}.")
                kind, target = "cast", types[found.lower()]
            if kind not in ("cast", "make_cols", "make_struct", "project"):
                raise DataError(f"ResolveChoice: unknown action {action!r}; use cast:TYPE, "
                                "make_cols, make_struct, project:TYPE or match_catalog.")
            df = ch.resolve(df, found, remaining.pop(found), kind, target.lower() or None)
        return self._derive(df, transformation_ctx or "resolve_choice", choices=remaining,
                            stage_threshold=stageThreshold, total_threshold=totalThreshold)

    def drop_null_fields(self, transformation_ctx: str = "", info: str = "",
                         stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Drop fields that are null in every record."""
        from pyspark.sql import functions as F

        columns = self._df.columns
        counts = self._df.agg(F.count(F.lit(1)).alias("__rows"), *[
            F.count(F.col(fp.quote(c))).alias(f"c{i}") for i, c in enumerate(columns)]
        ).collect()[0].asDict()
        if counts.pop("__rows") == 0:  # with no records no field is null in all of them
            return self._derive(self._df, transformation_ctx or "drop_null_fields")
        keep = [fp.quote(c) for i, c in enumerate(columns) if counts[f"c{i}"] > 0]
        return self._derive(self._df.select(*keep), transformation_ctx or "drop_null_fields")

    def select_fields(self, paths: Sequence[str], transformation_ctx: str = "", info: str = "",
                      stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Keep only ``paths`` (nested paths keep their structs)."""
        tree: dict[str, Any] = {}
        for path in paths:
            parts = self._path(path, "SelectFields")
            node = tree
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = fp.column(parts)
        return self._derive(self._df.select(*_columns_of(tree)),
                            transformation_ctx or "select_fields")

    def drop_fields(self, paths: Sequence[str], transformation_ctx: str = "", info: str = "",
                    stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Remove ``paths`` (nested paths too); a path no record has is ignored, as in Glue."""
        df = self._df
        for path in paths:
            parts = fp.resolve(df.schema, path)
            if parts is None:
                continue
            if len(parts) == 1:
                df = df.drop(parts[0])
            else:
                df = df.withColumn(parts[0], _drop_nested(fp.column(parts[:1]), parts[1:]))
        return self._derive(df, transformation_ctx or "drop_fields")

    def rename_field(self, oldName: str, newName: str, transformation_ctx: str = "",
                     info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                     ) -> DynamicFrame:
        """Rename one field (a nested one keeps its place in its struct)."""
        parts = self._path(oldName, "RenameField")
        if len(parts) == 1:
            new = ".".join(fp.parse_path(newName)) if "`" in newName else newName
        else:
            new = fp.parse_path(newName)[-1]
        if len(parts) == 1:
            choices = {(new if k == parts[0] else k): v for k, v in self.choices.items()}
            return self._derive(self._df.withColumnRenamed(parts[0], new),
                                transformation_ctx or "rename_field", choices=choices)
        df = self._df.withColumn(parts[0], _rename_nested(self._df.schema, parts, new))
        return self._derive(df, transformation_ctx or "rename_field")

    def _per_record(self, fn: Callable[[Any], Any], mode: str, name: str,
                    stage_threshold: int, total_threshold: int) -> DynamicFrame:
        spark = self._df.sparkSession

        def run(rows: Any) -> Any:
            for row in rows:
                record = DynamicRecord.wrap(row.asDict(recursive=True))
                try:
                    result = fn(record)
                    if mode == "map" and not isinstance(result, dict):
                        raise TypeError(f"the function returned {type(result).__name__}, "
                                        "not a record")
                except Exception as exc:  # the record is kept aside, not lost
                    yield ("err", json.dumps(as_plain(record), default=str),
                           f"{type(exc).__name__}: {exc}")
                    continue
                if mode == "filter":
                    if result:
                        yield ("ok", json.dumps(as_plain(row.asDict(recursive=True)),
                                                default=str), "")
                else:
                    yield ("ok", json.dumps(as_plain(result), default=str), "")

        tagged = self._df.rdd.mapPartitions(run).toDF(
            "tag STRING, record STRING, error STRING").cache()
        ok = tagged.filter("tag = 'ok'").select("record")
        errors = tagged.filter("tag = 'err'").selectExpr("record", "error").withColumn(
            "transformation", _lit(name))
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

    def filter(self, f: Callable[[Any], bool], transformation_ctx: str = "", info: str = "",
               stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Keep records for which ``f(record)`` is true; a record ``f`` raises on is kept
        aside as an error record."""
        return self._per_record(f, "filter", transformation_ctx or "filter", stageThreshold,
                                totalThreshold)

    def map(self, f: Callable[[Any], Any], transformation_ctx: str = "", info: str = "",
            stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Apply ``f`` to each record (``rec["f"]`` and ``rec.f`` both work) and keep the
        record it returns; a record ``f`` raises on is kept aside as an error record."""
        return self._per_record(f, "map", transformation_ctx or "map", stageThreshold,
                                totalThreshold)

    def join(self, paths1: Sequence[str], paths2: Sequence[str], frame2: DynamicFrame,
             transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
             totalThreshold: int = 0) -> DynamicFrame:
        """Equality join on ``paths1`` = ``paths2``. Every field of both frames is kept; a
        field of ``frame2`` whose name the first frame has too comes out as ``.name``."""
        paths1 = [paths1] if isinstance(paths1, str) else list(paths1)
        paths2 = [paths2] if isinstance(paths2, str) else list(paths2)
        if len(paths1) != len(paths2) or not paths1:
            raise DataError("Join needs as many keys for frame2 as for frame1 (at least one).")
        left, right = self._df, frame2.toDF()
        left_keys = [self._path(p, "Join keys1") for p in paths1]
        right_keys = [frame2._path(p, "Join keys2") for p in paths2]
        taken = {c.lower() for c in left.columns}
        renamed = {c: (f".{c}" if c.lower() in taken else c) for c in right.columns}
        right = right.select(*[fp.column([c]).alias(n) for c, n in renamed.items()])
        right_keys = [[renamed[k[0]], *k[1:]] for k in right_keys]
        cond = None
        for a, b in zip(left_keys, right_keys, strict=True):
            term = left[".".join(fp.quote(p) for p in a)] == \
                right[".".join(fp.quote(p) for p in b)]
            cond = term if cond is None else cond & term
        joined = left.join(right, cond, "inner")
        choices = {**self.choices, **{renamed[k]: v for k, v in frame2.choices.items()}}
        return self._derive(joined, transformation_ctx or "join", choices=choices)

    def union(self, other_frame: DynamicFrame, transformation_ctx: str = "", info: str = "",
              stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Records of both frames, fields matched by name."""
        return self._derive(self._df.unionByName(other_frame.toDF(), allowMissingColumns=True),
                            transformation_ctx or "union")

    def mergeDynamicFrame(self, stage_dynamic_frame: DynamicFrame, primary_keys: Sequence[str],
                          transformation_ctx: str = "", options: dict[str, Any] | None = None,
                          info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                          ) -> DynamicFrame:
        """This frame's records, with those whose ``primary_keys`` the staging frame also has
        replaced by the staging frame's; staging records with new keys are added."""
        if not primary_keys:
            raise DataError("mergeDynamicFrame needs primary_keys: the fields that identify a "
                            "record.")
        stage = stage_dynamic_frame.toDF()
        keys = [self._path(k, "mergeDynamicFrame")[0] for k in primary_keys]
        stage_keys = [stage_dynamic_frame._path(k, "mergeDynamicFrame")[0]
                      for k in primary_keys]
        right = stage.select(*[fp.column([s]).alias(f"__k{i}") for i, s in enumerate(stage_keys)])
        cond = None
        for i, k in enumerate(keys):
            term = self._df[fp.quote(k)].eqNullSafe(right[f"__k{i}"])
            cond = term if cond is None else cond & term
        kept = self._df.join(right, cond, "left_anti")
        merged = kept.unionByName(stage, allowMissingColumns=True)
        return self._derive(merged, transformation_ctx or "merge")

    def split_fields(self, paths: Sequence[str], name1: str, name2: str,
                     transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                     totalThreshold: int = 0) -> DynamicFrameCollection:
        """Two frames: ``paths``, and the other fields."""
        chosen = [self._path(p, "SplitFields")[0] for p in paths]
        rest = [c for c in self._df.columns if c not in chosen]
        return DynamicFrameCollection({
            name1: self._derive(self._df.select(*[fp.quote(p) for p in chosen]), name1),
            name2: self._derive(self._df.select(*[fp.quote(p) for p in rest]), name2)},
            self.glue_ctx)

    def split_rows(self, comparison_dict: dict[str, dict[str, Any]], name1: str, name2: str,
                   transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
                   totalThreshold: int = 0) -> DynamicFrameCollection:
        """Two frames: records meeting every comparison (``{"age": {">": 10}}``), and the rest."""
        from pyspark.sql import functions as F

        ops = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "=": "__eq__",
               "==": "__eq__", "!=": "__ne__"}
        cond = F.lit(True)
        for path, comparisons in comparison_dict.items():
            column = fp.column(self._path(path, "SplitRows"))
            for op, value in comparisons.items():
                if op not in ops:
                    raise DataError(f"SplitRows: unknown comparison {op!r}; use "
                                    f"{', '.join(ops)}.")
                cond = cond & getattr(column, ops[op])(value)
        matched = F.coalesce(cond, F.lit(False))
        return DynamicFrameCollection({
            name1: self._derive(self._df.filter(matched), name1),
            name2: self._derive(self._df.filter(~matched), name2)}, self.glue_ctx)

    def unnest(self, transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
               totalThreshold: int = 0) -> DynamicFrame:
        """Flatten nested structs into top-level fields named ``outer.inner``."""
        return self._derive(_flatten(self._df), transformation_ctx or "unnest")

    def unbox(self, path: str, format: str, transformation_ctx: str = "", info: str = "",
              stageThreshold: int = 0, totalThreshold: int = 0, **options: Any
              ) -> DynamicFrame:
        """Parse a string field holding JSON (``format="json"``) into a struct."""
        from pyspark.sql import functions as F

        if format != "json":
            raise DataError(f"Unbox supports format='json'; got {format!r}.")
        field = self._path(path, "Unbox")[0]
        sample = [r[0] for r in self._df.select(fp.quote(field)).dropna().limit(1000).collect()]
        if not sample:
            return self._derive(self._df, transformation_ctx or "unbox")
        spark = self._df.sparkSession
        schema = spark.read.json(spark.sparkContext.parallelize(sample)).schema
        return self._derive(self._df.withColumn(field, F.from_json(fp.quote(field), schema)),
                            transformation_ctx or "unbox")

    def relationalize(self, root_table_name: str, staging_path: str,
                      options: dict[str, Any] | None = None, transformation_ctx: str = "",
                      info: str = "", stageThreshold: int = 0, totalThreshold: int = 0
                      ) -> DynamicFrameCollection:
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
                                    F.posexplode(fp.column([field.name])).alias("index", "val"))
                child = _flatten(child.select("id", "index", F.col("val").alias(
                    f"{field.name}.val")))
                frames[name] = self._derive(child, name, choices={})
                root = root.withColumn(field.name, F.col("__row_id"))
        frames[root_table_name] = self._derive(root.drop("__row_id"), root_table_name)
        return DynamicFrameCollection(dict(sorted(frames.items())), self.glue_ctx)

    def spigot(self, path: str, options: dict[str, Any] | None = None,
               transformation_ctx: str = "", info: str = "", stageThreshold: int = 0,
               totalThreshold: int = 0) -> DynamicFrame:
        """Write a sample of the records (``{"topk": 100}``, or ``{"prob": 0.1}``) as JSON to
        ``path``; return the frame unchanged."""
        from sparkgrove.etl.paths import resolve_path

        opts = options or {}
        sample = self._df
        if "prob" in opts:
            sample = sample.sample(fraction=float(opts["prob"]), seed=0)
        sample = sample.limit(int(opts.get("topk", 100)))
        target = resolve_path(path, self.glue_ctx.settings if self.glue_ctx else None)
        sample.coalesce(1).write.mode("overwrite").json(str(target))
        return self

    def write(self, connection_type: str, connection_options: dict[str, Any] | None = None,
              format: str | None = None, format_options: dict[str, Any] | None = None,
              accumulator_size: int = 0) -> DynamicFrame:
        """Write through this frame's GlueContext (``write_dynamic_frame_from_options``)."""
        if self.glue_ctx is None:
            raise DataError("DynamicFrame.write needs a frame made by a GlueContext.")
        return self.glue_ctx.write_dynamic_frame_from_options(
            self, connection_type, connection_options or {}, format, format_options or {})

    def simplify_ddb_json(self) -> DynamicFrame:
        """Not offered: DynamoDB export JSON has no source here."""
        from sparkgrove.etl.glue_api import refuse

        refuse("DynamicFrame.simplify_ddb_json")

    def unnest_ddb_json(self, transformation_ctx: str = "", info: str = "",
                        stageThreshold: int = 0, totalThreshold: int = 0) -> DynamicFrame:
        """Not offered: DynamoDB export JSON has no source here."""
        from sparkgrove.etl.glue_api import refuse

        refuse("DynamicFrame.unnest_ddb_json")

    def __repr__(self) -> str:
        return f"DynamicFrame(name={self.name!r}, fields={self._df.columns})"


class DynamicFrameCollection:
    """Named DynamicFrames, as SplitFields, SplitRows and Relationalize return them."""

    def __init__(self, dynamic_frames: dict[str, DynamicFrame], glue_ctx: GlueContext | None
                 ) -> None:
        self._frames = dict(dynamic_frames)
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

    def map(self, callable: Callable[[DynamicFrame, str], DynamicFrame],
            transformation_ctx: str = "") -> DynamicFrameCollection:
        """``callable(frame, transformation_ctx)`` applied to every frame."""
        return DynamicFrameCollection({k: callable(v, f"{transformation_ctx}_{k}")
                                       for k, v in self._frames.items()}, self.glue_ctx)

    def flatmap(self, f: Callable[[DynamicFrame, str], Any], transformation_ctx: str = ""
                ) -> DynamicFrameCollection:
        """``f(frame, transformation_ctx)`` on every frame; collections it returns are
        flattened into this one's names."""
        out: dict[str, DynamicFrame] = {}
        for key, frame in self._frames.items():
            result = f(frame, f"{transformation_ctx}_{key}")
            if isinstance(result, DynamicFrameCollection):
                out.update({f"{key}_{k}": v for k, v in result._frames.items()})
            else:
                out[key] = result
        return DynamicFrameCollection(out, self.glue_ctx)

    def __getitem__(self, key: str) -> DynamicFrame:
        return self.select(key)

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Any:
        return iter(self._frames)


def _lit(value: str) -> Column:
    from pyspark.sql import functions as F

    return F.lit(value)


def _columns_of(tree: dict[str, Any]) -> list[Column]:
    """Columns for a tree of names: leaves are columns, dicts become structs."""
    from pyspark.sql import functions as F

    out = []
    for name, node in tree.items():
        if isinstance(node, dict):
            out.append(F.struct(*_columns_of(node)).alias(name))
        else:
            out.append(node.alias(name))
    return out


def _drop_nested(column: Column, rest: list[str]) -> Column:
    if len(rest) == 1:
        return column.dropFields(fp.quote(rest[0]))
    return column.withField(fp.quote(rest[0]), _drop_nested(
        column.getField(rest[0]), rest[1:]))


def _rename_nested(schema: StructType, parts: list[str], new: str) -> Column:
    """The top-level column ``parts[0]`` with the nested field ``parts`` renamed ``new``."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    def rebuild(column: Column, struct: StructType, rest: list[str]) -> Column:
        fields = []
        for field in struct.fields:
            inner = column.getField(field.name)
            if field.name == rest[0]:
                if len(rest) == 1:
                    fields.append(inner.alias(new))
                    continue
                assert isinstance(field.dataType, StructType)
                inner = rebuild(inner, field.dataType, rest[1:])
            fields.append(inner.alias(field.name))
        return F.struct(*fields)

    top = schema[parts[0]].dataType
    assert isinstance(top, StructType)
    return rebuild(fp.column(parts[:1]), top, parts[1:])


def _flatten(df: DataFrame) -> DataFrame:
    """Structs become top-level fields named ``outer.inner`` (recursively)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructType

    while any(isinstance(f.dataType, StructType) for f in df.schema.fields):
        columns = []
        for field in df.schema.fields:
            if isinstance(field.dataType, StructType):
                for inner in field.dataType.fields:
                    columns.append(fp.column([field.name, inner.name]).alias(
                        f"{field.name}.{inner.name}"))
            else:
                columns.append(F.col(fp.quote(field.name)))
        df = df.select(*columns)
    return df
