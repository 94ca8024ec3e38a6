"""Reading a catalog table with Arrow, in-process and without a JVM, by the Spark reader's rules.

The local tree engine needs no JVM, so neither should reading its table. This reader gives the
rows :func:`sparkgrove.spark.read_table` gives, with the same malformed-row rules, counts and
rejects files (``tests/catalog/test_arrow_reader.py`` checks both readers on the same trees):

* **CSV**: the table version's columns, header and delimiter; a field equal to the table's
  ``nullValue`` (or an empty unquoted field) is missing; a line with another number of fields
  than the schema, or with a value its column's type cannot hold (``5.5`` or `` 5`` in an
  ``int`` column, ``yes`` in a ``boolean`` one) is malformed. Files crawled under older
  versions are read with their own version's columns.
* **JSON lines**: a line that is not a JSON object, or whose field has a value the column's
  type cannot hold (a string in a ``bigint`` column), is malformed; other values of a string
  column are kept as their JSON text, as Spark keeps them.
* **Parquet**: read as stored, cast to the table's types.
* Hive partition folders (``key=value``) add the partition keys, typed as the catalog types them.

Tables with nested columns are read by Spark: :func:`supports` says which tables this reader
takes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sparkgrove.catalog.crawler import data_files
from sparkgrove.errors import DataError
from sparkgrove.staging import put_in_place, staged

if TYPE_CHECKING:
    import pyarrow as pa

    from sparkgrove.catalog.api import Catalog
    from sparkgrove.store.entities import ColumnSpec, TableInfo

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_SCALARS = ("tinyint", "smallint", "int", "bigint", "float", "double", "boolean", "string",
            "date", "timestamp")
_INT_RANGES = {"tinyint": 2**7, "smallint": 2**15, "int": 2**31, "bigint": 2**63}
_INT_TEXT = r"^[+-]?\d+$"
_DOUBLE_TEXT = (r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(NaN|Infinity)\s*$"
                r"|^[+-]?Inf$")
_DATE_TEXT = r"^\d{4}-\d{2}-\d{2}$"
_TIMESTAMP_TEXT = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:\d{2})?$"


EXAMPLES = 20


@dataclass
class ArrowRead:
    """A table read in-process: the good rows (an Arrow table) and what was kept aside."""

    table: pa.Table
    malformed: int
    rejects_path: str | None
    examples: list[dict[str, str]] = dataclass_field(default_factory=list)
    """The first malformed records, as they are kept in the rejects files."""


def supports(table: TableInfo) -> bool:
    """Whether this reader takes ``table`` (CSV, JSON lines or Parquet, scalar columns)."""
    return table.format in ("csv", "json", "parquet") and all(
        _base_type(c.type) in _SCALARS or c.type.startswith("decimal")
        for c in table.all_columns)


def arrow_type(kind: str) -> pa.DataType:
    """The Arrow type of a Spark SQL scalar type name."""
    import pyarrow as pa

    kind = _base_type(kind)
    types = {"tinyint": pa.int8(), "smallint": pa.int16(), "int": pa.int32(),
             "bigint": pa.int64(), "float": pa.float32(), "double": pa.float64(),
             "boolean": pa.bool_(), "string": pa.string(), "date": pa.date32(),
             "timestamp": pa.timestamp("us")}
    return types.get(kind, pa.float64())  # decimals are read as doubles


def _base_type(kind: str) -> str:
    return kind.lower().strip()


def read_table_arrow(catalog: Catalog, table: TableInfo, *, rejects_label: str = "read",
                     keep_rejects: bool = True) -> ArrowRead:
    """Read ``table`` (a table version the caller resolved, once) in-process, with malformed
    rows counted and kept (written to a rejects folder unless ``keep_rejects`` is false, for a
    look that changes nothing, such as the console's sample)."""
    import pyarrow as pa

    qualified = table.qualified_name
    schema = pa.schema([(c.name, arrow_type(c.type)) for c in table.all_columns])
    parts: list[pa.Table] = []
    bad: list[dict[str, str]] = []
    for path, shape in _files(catalog, table):
        partition = _partition_values(Path(table.location), path, table.partition_keys)
        try:
            if table.format == "csv":
                data = _read_csv(path, shape, bad, qualified)
            elif table.format == "json":
                data = _read_json(path, table, bad, qualified)
            else:
                import pyarrow.parquet as pq

                data = pq.read_table(path)
            parts.append(_conform(data, table, partition, schema))
        except (pa.ArrowException, OSError, UnicodeError) as exc:
            raise DataError(f"Cannot read {path} of table {qualified} in-process: {exc}. Fix or "
                            "remove the file and crawl again, or read it through Spark with "
                            "--engine spark.") from exc
    result = pa.concat_tables(parts) if parts else schema.empty_table()
    rejects_path = (_write_rejects(catalog, table, bad, rejects_label) if bad and keep_rejects
                    else None)
    return ArrowRead(result, len(bad), rejects_path, bad[:EXAMPLES])


def _files(catalog: Catalog, table: TableInfo) -> list[tuple[Path, TableInfo]]:
    """Each data file with the table version whose columns it is read with: the files the
    crawler cataloged, as the Spark reader reads them (a file it refused is not read), or,
    for a table written by a job (no file records), what its location holds."""
    records = sorted(catalog.files(table.qualified_name), key=lambda r: r.path)
    versions = {r.version for r in records}
    shapes = {v: table if v == table.version or table.format != "csv" else
              catalog.table(table.qualified_name, v) for v in versions}
    if records:
        return [(Path(r.path), shapes[r.version]) for r in records if Path(r.path).is_file()]
    root = Path(table.location)
    if root.is_file():
        return [(root, table)]
    return [(path, table) for path in data_files(root) if path.is_file()]


def _partition_values(root: Path, path: Path, keys: tuple[ColumnSpec, ...]) -> dict[str, Any]:
    if not keys or not root.is_dir():
        return {}
    found: dict[str, str] = {}
    for part in path.parent.relative_to(root).parts:
        key, sep, value = part.partition("=")
        if sep:
            found[key.lower()] = unquote(value)
    values: dict[str, Any] = {}
    for spec in keys:
        text = found.get(spec.name.lower())
        values[spec.name] = None if text in (None, HIVE_DEFAULT_PARTITION) else text
    return values


def _read_csv(path: Path, shape: TableInfo, bad: list[dict[str, str]], qualified: str
              ) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    props = shape.properties
    names = [c.name for c in shape.columns]
    delimiter = props.get("delimiter", ",")
    width = len(names)

    def wrong_width(row: Any) -> str:
        bad.append({"table": qualified, "record": row.text,
                    "reason": f"{row.actual_columns} fields where the table has {width}"})
        return "skip"

    options = dict(
        read_options=pacsv.ReadOptions(column_names=names,
                                       skip_rows=1 if props.get("header", "true") == "true"
                                       else 0),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                         newlines_in_values=props.get("multiLine") == "true",
                                         ignore_empty_lines=True,
                                         invalid_row_handler=wrong_width),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), null_values=[""],
            strings_can_be_null=True, quoted_strings_can_be_null=False))
    flagged = len(bad)
    try:
        text = pacsv.read_csv(path, **options)
    except pa.ArrowInvalid as exc:
        if "UTF8" not in str(exc):
            raise
        # Spark decodes bytes that are not UTF-8 as replacement characters; so does this
        # reader (the first attempt's rejects are dropped, the second records them again)
        del bad[flagged:]
        fixed = path.read_bytes().decode("utf-8", errors="replace").encode("utf-8")
        text = pacsv.read_csv(pa.BufferReader(fixed), **options)
    null_value = props.get("nullValue")
    valid = pa.array([True] * text.num_rows, type=pa.bool_())
    columns: dict[str, pa.Array] = {}
    for spec in shape.columns:
        raw = text.column(spec.name)
        if null_value is not None:
            raw = pc.if_else(pc.equal(raw, null_value), pa.scalar(None, pa.string()), raw)
        ok, parsed = _parse_text(raw, spec.type)
        valid = pc.and_(valid, ok)
        columns[spec.name] = parsed
    if not pc.all(valid).as_py() and text.num_rows:
        invalid = pc.invert(valid)
        rows = text.filter(invalid)
        for record in zip(*[rows.column(n).to_pylist() for n in names], strict=True):
            bad.append({"table": qualified, "reason": "does not match the table's columns or types",
                        "record": delimiter.join("" if v is None else v for v in record)})
    good = pa.table(columns).filter(valid)
    return good


def _parse_text(raw: pa.ChunkedArray, kind: str) -> tuple[pa.Array, pa.ChunkedArray]:
    """Per value: whether Spark can read the text as ``kind``, and the value (else null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = _base_type(kind)
    present = pc.is_valid(raw)
    if kind == "string":
        return pa.array([True] * len(raw), type=pa.bool_()), raw
    if kind in _INT_RANGES:
        fits = pc.fill_null(pc.match_substring_regex(raw, _INT_TEXT), False)
        digits = pc.replace_substring_regex(pc.if_else(fits, raw, pa.scalar(None, pa.string())),
                                            r"^\+", "")
        # the digits may still be too long for 64 bits: compare as text length first
        short = pc.less_equal(pc.utf8_length(pc.utf8_ltrim(digits, "+-0")), 19)
        numbers = pc.cast(pc.if_else(pc.fill_null(short, False), digits,
                                     pa.scalar(None, pa.string())), pa.float64())
        limit = float(_INT_RANGES[kind])
        in_range = pc.and_(pc.greater_equal(numbers, -limit), pc.less(numbers, limit))
        ok = pc.fill_null(in_range, False)
        values = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.string())), arrow_type(kind))
        return pc.or_(pc.invert(present), ok), values
    if kind in ("double", "float") or kind.startswith("decimal"):
        ok = pc.fill_null(pc.match_substring_regex(raw, _DOUBLE_TEXT), False)
        cleaned = pc.replace_substring_regex(pc.utf8_trim_whitespace(raw), r"^([+-]?)Inf$",
                                             r"\1Infinity")
        cleaned = pc.replace_substring_regex(cleaned, r"^\+", "")
        values = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())),
                         arrow_type(kind))
        return pc.or_(pc.invert(present), ok), values
    if kind == "boolean":
        lower = pc.utf8_lower(raw)
        ok = pc.fill_null(pc.is_in(lower, pa.array(["true", "false"])), False)
        values = pc.equal(pc.if_else(ok, lower, pa.scalar(None, pa.string())), "true")
        return pc.or_(pc.invert(present), ok), values
    if kind == "date":
        # strict, as Spark's parser: 2024-02-31 is malformed (strptime alone would roll it over)
        shaped = pc.fill_null(pc.match_substring_regex(raw, _DATE_TEXT), False)
        texts = pc.if_else(shaped, raw, pa.scalar(None, pa.string()))
        parsed = pc.strptime(texts, format="%Y-%m-%d", unit="s", error_is_null=True)
        same = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), texts)
        ok = pc.fill_null(same, False)
        values = pc.cast(pc.if_else(ok, parsed, pa.scalar(None, parsed.type)), pa.date32())
        return pc.or_(pc.invert(present), ok), values
    # timestamp
    shaped = pc.fill_null(pc.match_substring_regex(raw, _TIMESTAMP_TEXT), False)
    texts = pc.if_else(shaped, raw, pa.scalar(None, pa.string())).to_pylist()
    stamps = [_timestamp(t) for t in texts]
    ok = pa.array([s is not None for s in stamps], type=pa.bool_())
    return pc.or_(pc.invert(present), ok), pa.chunked_array([pa.array(stamps,
                                                                      pa.timestamp("us"))])


def _timestamp(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return stamp


def _read_json(path: Path, table: TableInfo, bad: list[dict[str, str]], qualified: str
               ) -> pa.Table:
    import pyarrow as pa

    specs = [(c.name, _base_type(c.type)) for c in table.columns]
    rows: dict[str, list[Any]] = {name: [] for name, _ in specs}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                record = None
            values = _json_values(record, specs)
            if values is None:
                bad.append({"table": qualified, "record": text,
                            "reason": "does not match the table's columns or types"})
                continue
            for (name, _), value in zip(specs, values, strict=True):
                rows[name].append(value)
    return pa.table({name: pa.array(rows[name], type=arrow_type(kind)
                                    if kind not in ("date", "timestamp") else None)
                     for name, kind in specs})


def _json_values(record: Any, specs: list[tuple[str, str]]) -> list[Any] | None:
    if not isinstance(record, dict):
        return None
    values: list[Any] = []
    for name, kind in specs:
        value = record.get(name)
        if value is None:
            values.append(None)
            continue
        if kind == "string":
            values.append(value if isinstance(value, str) else json.dumps(
                value, separators=(",", ":")))
        elif kind in _INT_RANGES:
            if isinstance(value, bool) or not isinstance(value, int) or not (
                    -_INT_RANGES[kind] <= value < _INT_RANGES[kind]):
                return None
            values.append(value)
        elif kind in ("double", "float") or kind.startswith("decimal"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                if value in ("NaN", "Infinity", "-Infinity"):
                    values.append(float(value))
                    continue
                return None
            values.append(float(value))
        elif kind == "boolean":
            if not isinstance(value, bool):
                return None
            values.append(value)
        elif kind == "date":
            if not isinstance(value, str) or not re.match(_DATE_TEXT, value):
                return None
            try:
                values.append(dt.date.fromisoformat(value))
            except ValueError:
                return None
        else:  # timestamp
            stamp = _timestamp(value) if isinstance(value, str) else None
            if stamp is None:
                return None
            values.append(stamp)
    return values


def _conform(data: pa.Table, table: TableInfo, partition: dict[str, Any], schema: pa.Schema
             ) -> pa.Table:
    """``data`` with the table's columns in order and types, partition keys appended."""
    import pyarrow as pa

    columns = []
    by_lower = {name.lower(): name for name in data.column_names}
    for field in schema:
        if field.name in partition:
            value = partition[field.name]
            text = pa.array([value] * data.num_rows, type=pa.string())
            if field.type == pa.string():
                columns.append(text)
            else:
                _, parsed = _parse_text(pa.chunked_array([text]), _spark_name(table, field.name))
                columns.append(parsed)
            continue
        source = by_lower.get(field.name.lower())
        if source is None:
            columns.append(pa.nulls(data.num_rows, type=field.type))
        else:
            columns.append(data.column(source).cast(field.type))
    return pa.table(columns, schema=schema)


def _spark_name(table: TableInfo, name: str) -> str:
    return next(c.type for c in table.all_columns if c.name == name)


def _write_rejects(catalog: Catalog, table: TableInfo, bad: list[dict[str, str]], label: str
                   ) -> str:
    """The malformed records as JSON lines, in a folder shaped like Spark's rejects output."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = catalog.settings.rejects / f"{label}-{table.database}-{table.name}-{stamp}"
    with staged(catalog.settings.staging, "rejects") as staging:
        with (staging / "part-00000.json").open("w", encoding="utf-8") as out:
            for record in bad:
                out.write(json.dumps(record) + "\n")
        put_in_place(staging, target)
    return str(target)
