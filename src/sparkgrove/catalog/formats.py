"""Reading one data file for the crawler: classify it, infer its columns, count its records.

Malformed records are counted and returned with their line number and reason, so the crawler can
keep them aside. A file that cannot be read at all raises :class:`UnreadableFile` with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparkgrove.catalog.infer import (
    NULL,
    infer_csv_type,
    infer_json_type,
    infer_text_type,
    widen,
    widen_all,
)
from sparkgrove.names import sanitize_name

csv.field_size_limit(2**31 - 1)  # the csv module's default (131,072 characters) is not Spark's

SAMPLE_ROWS = 1000
"""Rows whose values decide a CSV file's column types; later rows may only widen numbers."""
STRAY_SHARE = 0.02
DELIMITERS = ",\t;|"
CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".psv"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
PARQUET_SUFFIXES = {".parquet", ".parq"}
_FAMILY = {"int": "number", "bigint": "number", "double": "number", "date": "time",
           "timestamp": "time"}


class UnreadableFile(Exception):
    """A file the crawler cannot read; the message is the reason."""


@dataclass
class BadRecord:
    """A record kept aside: where it is, why, and its text."""

    path: str
    line: int
    reason: str
    text: str

@dataclass
class FileScan:
    """What one file holds."""

    path: Path
    format: str
    columns: list[tuple[str, str]]
    """Names and types; a column with no value in this file has type ``null``."""
    records: int
    bad_records: list[BadRecord] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def malformed(self) -> int:
        """How many records could not be read."""
        return len(self.bad_records)


def classify(path: Path) -> str:
    """``csv``, ``json`` or ``parquet``, from the suffix, else from the first bytes."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror or exc} (a broken or looping link?)"
                             ) from exc
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
        raise UnreadableFile(f"not a regular file ({kind}); only files are read")
    suffix = path.suffix.lower()
    if suffix in {".gz", ".bz2", ".zip", ".snappy", ".zst", ".lz4"}:
        raise UnreadableFile(f"compressed files ({suffix}) are not supported; decompress it")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise UnreadableFile(f"cannot open: {exc.strerror or exc}") from exc
    if head.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if b"\x00" in head:
        raise UnreadableFile("binary content that is not Parquet")
    return "json" if head.lstrip().startswith(b"{") else "csv"


def scan_file(path: Path) -> FileScan:
    """Read ``path`` whole and describe it."""
    kind = classify(path)
    found = {"csv": _scan_csv, "json": _scan_json, "parquet": _scan_parquet}[kind](path)
    quoted = [name for name, _ in found.columns if "`" in name]
    if quoted:
        raise UnreadableFile(f"the column {quoted[0]!r} has a backtick, which Spark cannot "
                             "address in a column name; rename it")
    return found


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"not UTF-8 text (byte {exc.start}: {exc.reason}); convert it to UTF-8") from exc
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
        best, best_score = ",", -1
        for cand in DELIMITERS:
            counts = Counter(ln.count(cand) for ln in lines)
            common, freq = counts.most_common(1)[0] if counts else (0, 0)
            score = freq if common > 0 else -1
            if score > best_score:
                best, best_score = cand, score
        return best


def _has_header(first: list[str], rows: list[list[str]], sample: str) -> bool:
    kinds = [infer_text_type(v) for v in first]
    if any(k not in ("string", NULL) for k in kinds):
        return False  # a number or date in the first row: it is data
    if all(k == NULL for k in kinds):
        return False
    for i in range(len(first)):
        column = [infer_text_type(r[i]) for r in rows[:SAMPLE_ROWS] if len(r) == len(first)]
        if widen_all(column) not in ("string", NULL):
            return True
    try:
        return csv.Sniffer().has_header(sample)
    except csv.Error:
        return True


def _header_names(first: list[str], header: bool) -> list[str]:
    if not header:
        return [f"col{i}" for i in range(len(first))]
    names: list[str] = []
    for raw in first:
        base = sanitize_name(raw) if raw.strip() else f"col{len(names)}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _sample_types(rows: list[tuple[int, list[str]]], width: int) -> list[str]:
    """Each column's type over the sample: a few stray texts in an otherwise typed column
    (at most ``STRAY_SHARE`` of its values) leave it typed, and their rows count as malformed."""
    found: list[Counter[str]] = [Counter() for _ in range(width)]
    for _, row in rows:
        if len(row) == width:
            for i, value in enumerate(row):
                found[i][infer_csv_type(value)] += 1
    kinds = []
    for counts in found:
        typed = {k: n for k, n in counts.items() if k not in (NULL, "string")}
        strays = counts.get("string", 0)
        present = strays + sum(typed.values())
        kind = widen_all(typed)
        if strays and (kind == NULL or kind == "string" or strays > STRAY_SHARE * present):
            kind = "string"
        kinds.append(kind)
    return kinds


def _scan_csv(path: Path) -> FileScan:
    text = _read_text(path)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    sample = "\n".join(text.splitlines()[:100])
    delim = _delimiter(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"',
                        doublequote=True, strict=False)
    rows: list[tuple[int, list[str]]] = []
    spans: list[tuple[int, int]] = []
    start = 1
    for row in reader:
        if row and any(cell.strip() for cell in row):
            rows.append((reader.line_num, row))
            spans.append((start, reader.line_num))
        start = reader.line_num + 1
    if not rows:
        raise UnreadableFile("no values: every line is empty or only delimiters")
    first = rows[0][1]
    header = _has_header(first, [r for _, r in rows[1:]], sample)
    names = _header_names(first, header)
    data = rows[1:] if header else rows
    width = len(names)
    kinds = _sample_types(data[:SAMPLE_ROWS], width)
    nulls: Counter[str] = Counter()
    bad: list[BadRecord] = []
    good = 0
    for line, row in data:
        if len(row) != width:
            bad.append(BadRecord(str(path), line, f"{len(row)} fields where the header has {width}",
                                 delim.join(row)))
            continue
        problem = None
        for i, value in enumerate(row):
            found = infer_csv_type(value)
            if found == NULL:
                if value.strip():
                    nulls[value.strip()] += 1
                continue
            merged = widen(kinds[i], found)
            family = _FAMILY.get(found)
            if merged == kinds[i] or kinds[i] == NULL or (
                    family is not None and family == _FAMILY.get(kinds[i])):
                kinds[i] = merged
            elif kinds[i] != "string":
                problem = f"column {names[i]!r}: {value!r} is not a {kinds[i]}"
                break
        if problem:
            bad.append(BadRecord(str(path), line, problem, delim.join(row)))
        else:
            good += 1
    props = {"delimiter": delim, "header": "true" if header else "false"}
    if any(end > start for start, end in spans):
        props["multiLine"] = "true"
    if nulls:
        props["nullValue"] = nulls.most_common(1)[0][0]
    return FileScan(path, "csv", list(zip(names, kinds, strict=True)),
                    good, bad, props)


def _scan_json(path: Path) -> FileScan:
    text = _read_text(path)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    kinds: dict[str, str] = {}
    bad: list[BadRecord] = []
    good = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(BadRecord(str(path), number, f"invalid JSON: {exc.msg}", line))
            continue
        except RecursionError:
            bad.append(BadRecord(str(path), number, "nested deeper than can be read", line))
            continue
        if not isinstance(value, dict):
            bad.append(BadRecord(str(path), number, "a JSON line must hold an object", line))
            continue
        try:
            found = {key: infer_json_type(item) for key, item in value.items()}
        except RecursionError:
            bad.append(BadRecord(str(path), number, "nested deeper than can be read", line))
            continue
        good += 1
        for key, kind in found.items():
            kinds[key] = widen(kinds[key], kind) if key in kinds else kind
    if good == 0:
        raise UnreadableFile(f"no JSON object on any line ({len(bad)} unreadable lines)")
    by_case: dict[str, list[str]] = {}
    for key in kinds:
        by_case.setdefault(key.lower(), []).append(key)
    clashes = [names for names in by_case.values() if len(names) > 1]
    if clashes:
        raise UnreadableFile(
            f"the keys {', '.join(map(repr, clashes[0]))} differ only in case; Spark (and Glue) "
            "match names ignoring case, so they cannot be read apart: rename them")
    return FileScan(path, "json", list(kinds.items()), good, bad, {})


_ARROW_TYPES = {
    "int8": "tinyint", "int16": "smallint", "int32": "int", "int64": "bigint",
    "uint8": "smallint", "uint16": "int", "uint32": "bigint", "uint64": "decimal(20,0)",
    "float": "float", "double": "double", "halffloat": "float", "string": "string",
    "large_string": "string", "bool": "boolean", "date32[day]": "date", "binary": "binary",
    "large_binary": "binary",
}


def arrow_to_spark(kind: Any) -> str:
    """The Spark SQL type name of a pyarrow type."""
    import pyarrow as pa

    text = str(kind)
    if text in _ARROW_TYPES:
        return _ARROW_TYPES[text]
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return f"array<{arrow_to_spark(kind.value_type)}>"
    if pa.types.is_struct(kind):
        inner = ",".join(f"{kind.field(i).name}:{arrow_to_spark(kind.field(i).type)}"
                         for i in range(kind.num_fields))
        return f"struct<{inner}>"
    if pa.types.is_dictionary(kind):
        return arrow_to_spark(kind.value_type)
    return "string"


def _scan_parquet(path: Path) -> FileScan:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise UnreadableFile(f"not a readable Parquet file: {exc}") from exc
    schema = handle.schema_arrow
    # Spark reads Parquet columns by name, so names are kept exactly as written.
    columns = [(f.name, arrow_to_spark(f.type)) for f in schema]
    return FileScan(path, "parquet", columns, handle.metadata.num_rows, [], {})
