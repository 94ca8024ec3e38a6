"""The crawler: turn folders of files into catalog tables, partitions and versions.

The grouping follows AWS Glue's crawlers. A folder that holds data files (directly or under
Hive-style ``key=value`` folders) becomes one table named after the folder; a folder holding only
sub-folders of data becomes one table per sub-folder. Files directly in a folder whose schemas
are not compatible (another format, CSV delimiter or header, or fewer than
``SIMILARITY_THRESHOLD`` of their columns in common) become one table each, named after the
file with its extension (``persons.json`` -> ``persons_json``), as a single-file crawl is.
Table names are lower case and keep hyphens, as Glue's do. A re-crawl
reads only new or changed files, adds their partitions, and handles a changed schema by the
schema-change policy: ``update`` makes a new table version, ``log`` keeps the table and reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from sparkgrove.catalog.formats import BadRecord, FileScan, UnreadableFile, scan_file
from sparkgrove.catalog.infer import NULL, finish, infer_text_type, widen
from sparkgrove.errors import ConfigError, CrawlError
from sparkgrove.faults import crash_point
from sparkgrove.jsonable import to_jsonable
from sparkgrove.names import check_name, sanitize_name, table_name_from
from sparkgrove.store.catalog_store import CatalogStore, TableWrite
from sparkgrove.store.entities import ColumnSpec, FileRecord, TableInfo

SchemaPolicy = Literal["update", "log"]
SCHEMA_POLICIES: tuple[str, ...] = ("update", "log")
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
ProgressFn = Callable[[str], None]
SIMILARITY_THRESHOLD = 0.7
"""Share of columns two files must have in common to be one table (Glue's crawlers use 70%)."""
ScanCache = dict[Path, "FileScan | UnreadableFile"]


@dataclass(frozen=True)
class FileProblem:
    """A file that was not cataloged, and why."""

    path: str
    reason: str

@dataclass(frozen=True)
class SchemaChange:
    """How a re-crawl's schema differs from the table's current version."""

    table: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    retyped: tuple[tuple[str, str, str], ...]
    applied: bool

@dataclass
class CrawlReport:
    """What a crawl did."""

    tables: list[TableInfo] = field(default_factory=list)
    new_files: int = 0
    unchanged_files: int = 0
    new_partitions: int = 0
    records: int = 0
    malformed: int = 0
    rejects_files: list[str] = field(default_factory=list)
    """One JSON-lines file per table with malformed records, written before its catalog
    change and named by the files it covers, so a crawl killed in between and run again
    rewrites the same file rather than adding a second copy."""
    problems: list[FileProblem] = field(default_factory=list)
    schema_changes: list[SchemaChange] = field(default_factory=list)

    @property
    def rejects_file(self) -> str | None:
        """The rejects file, when one table had malformed records (see ``rejects_files``)."""
        return self.rejects_files[0] if len(self.rejects_files) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        """As a JSON-ready dict."""
        return {
            "tables": to_jsonable(self.tables),
            "new_files": self.new_files,
            "unchanged_files": self.unchanged_files,
            "new_partitions": self.new_partitions,
            "records": self.records,
            "malformed": self.malformed,
            "rejects_file": self.rejects_file,
            "rejects_files": self.rejects_files,
            "problems": to_jsonable(self.problems),
            "schema_changes": to_jsonable(self.schema_changes),
        }


def _is_hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _partition_segment(name: str) -> tuple[str, str] | None:
    key, sep, value = name.partition("=")
    if not sep or not key:
        return None
    return key, unquote(value)


def data_files(folder: Path) -> list[Path]:
    """The files under ``folder``, and the links to folders in it (never followed: the crawl
    reports them, so a link back to an ancestor cannot loop)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
        found.extend(Path(dirpath) / d for d in dirnames if (Path(dirpath) / d).is_symlink())
        found.extend(Path(dirpath) / f for f in sorted(filenames) if not _is_hidden(f))
    return found


def _folder_link_problem(link: Path) -> str:
    target = link.resolve()
    if link.parent.resolve().is_relative_to(target):
        return (f"a link to {target}, a folder that contains it: a loop, not followed "
                "(remove the link)")
    return (f"a link to the folder {target}: not followed (crawl that folder itself, or copy "
            "or link its files instead)")


def _table_roots(root: Path) -> list[Path]:
    """Folders under ``root`` that are tables (see the module docstring)."""
    if root.is_file():
        return [root]
    entries = [e for e in sorted(root.iterdir()) if not _is_hidden(e.name)]
    direct = any(e.is_file() or _partition_segment(e.name) for e in entries)
    if direct:
        return [root]
    return [e for e in entries if e.is_dir() and data_files(e)]


def _similar(a: FileScan, b: FileScan) -> bool:
    """Whether two files can be one table, by Glue's rules of data compatibility and schema
    similarity."""
    if a.format != b.format:
        return False
    if a.format == "csv" and any(a.properties.get(k) != b.properties.get(k)
                                 for k in ("delimiter", "header")):
        return False
    names_a, names_b = {n for n, _ in a.columns}, {n for n, _ in b.columns}
    if not names_a or not names_b:
        return names_a == names_b
    return len(names_a & names_b) / max(len(names_a), len(names_b)) >= SIMILARITY_THRESHOLD


def _scan(file: Path, cache: ScanCache, progress: ProgressFn | None) -> FileScan | UnreadableFile:
    if file not in cache:
        if progress:
            progress(f"reading {file}")
        try:
            cache[file] = scan_file(file)
        except UnreadableFile as exc:
            cache[file] = exc
    return cache[file]


def _split_incompatible(store: CatalogStore, database: str, root: Path, cache: ScanCache,
                        progress: ProgressFn | None) -> list[Path]:
    """``[root]`` if its files make one table, else one root per file (Glue's grouping).

    Only a folder of plain files that has not been cataloged as one table is split; an existing
    folder table keeps its name and reports an incompatible new file as a problem instead.
    """
    if not root.is_dir() or store.has_table(database, table_name_from(root.name)):
        return [root]
    entries = [e for e in sorted(root.iterdir()) if not _is_hidden(e.name)]
    if any(e.is_dir() for e in entries):
        return [root]
    files = [e for e in entries if e.is_file()]
    scans = [s for s in (_scan(f, cache, progress) for f in files) if isinstance(s, FileScan)]
    merged: list[tuple[str, str]] | None = []
    for found in scans:
        merged = _merge_columns(merged or [], found.columns, found.format)
        if merged is None or not _similar(scans[0], found):
            return files
    return [root]


@dataclass
class _TableScan:
    root: Path
    name: str
    scans: list[FileScan] = field(default_factory=list)
    partition_keys: list[str] | None = None
    partition_values: dict[Path, tuple[str, ...]] = field(default_factory=dict)


_PARTITION_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _SparkUnreadable(Exception):
    """A folder under a table that Spark cannot read; the whole table is refused, since Spark
    reads every folder under a table's location."""


def _partition_of(root: Path, path: Path) -> tuple[list[str], list[str]] | str:
    """The partition keys and values of ``path``'s folders, or the rule they break."""
    rel = path.parent.relative_to(root) if root.is_dir() else Path()
    keys, values = [], []
    for part in rel.parts:
        seg = _partition_segment(part)
        if seg is None:
            return "its folder is neither the table folder nor a key=value partition"
        key, value = seg
        if not _PARTITION_KEY.fullmatch(key):
            raise _SparkUnreadable(
                f"the partition folder {part!r} has a key Spark reads differently from a "
                "column name; use letters, digits and underscores (for example "
                f"{sanitize_name(key)}={part.partition('=')[2]})")
        if value == "":
            raise _SparkUnreadable(
                f"the partition folder {part!r} has an empty value, which Spark refuses; "
                f"write {key}={HIVE_DEFAULT_PARTITION} for a missing value, as Hive does")
        keys.append(sanitize_name(key))
        values.append(value)
    return keys, values


def _partition_type(values: list[str]) -> str:
    kind = NULL
    for value in values:
        if value != HIVE_DEFAULT_PARTITION:
            kind = widen(kind, infer_text_type(value))
    result = finish(kind)
    return result if result in ("int", "bigint", "double", "date", "string", "boolean") else "string"


def _merge_columns(base: list[tuple[str, str]], extra: list[tuple[str, str]], fmt: str
                   ) -> list[tuple[str, str]] | None:
    """Merge ``extra`` into ``base``; ``None`` if CSV columns conflict by position."""
    merged = dict(base)
    order = [n for n, _ in base]
    if fmt == "csv":
        names = [n for n, _ in extra]
        short, long_ = (names, order) if len(names) <= len(order) else (order, names)
        if long_[: len(short)] != short:
            return None
    for name, kind in extra:
        if name in merged:
            merged[name] = widen(merged[name], kind)
        else:
            merged[name] = kind
            order.append(name)
    return [(n, merged[n]) for n in order]


def crawl_path(
    store: CatalogStore,
    path: str | Path,
    database: str,
    *,
    table: str | None = None,
    policy: str = "update",
    replace: bool = False,
    rejects_dir: Path | None = None,
    progress: ProgressFn | None = None,
) -> CrawlReport:
    """Crawl ``path`` into ``database`` and return what was found.

    Files that cannot be read are reported in ``CrawlReport.problems`` with path and reason;
    malformed records are counted and written to a JSON-lines file under ``rejects_dir``.
    """
    database = check_name(database, "database")
    if policy not in SCHEMA_POLICIES:
        raise ConfigError(f"The schema-change policy must be one of {', '.join(SCHEMA_POLICIES)};"
                          f" got {policy!r}.")
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise CrawlError(f"The path {root} does not exist; give a folder or file of data.")
    folders = _table_roots(root)
    if not folders:
        raise CrawlError(f"No data files under {root} (hidden and _-prefixed files are skipped).")
    cache: ScanCache = {}
    roots = folders if table is not None else [
        r for folder in folders
        for r in _split_incompatible(store, database, folder, cache, progress)]
    if table is not None and len(roots) == 1 and store.has_table(database, check_name(
            table, "table")):
        existing = store.get_table(database, check_name(table, "table"))
        if Path(existing.location) != roots[0]:
            if not replace:
                raise ConfigError(
                    f"The table {database}.{existing.name} holds {existing.location}; crawling "
                    f"{roots[0]} into it would mix two datasets. Choose another --table, or "
                    "pass --replace to make the table hold the new path alone.")
            store.drop_table(database, existing.name)
    if table is not None and len(roots) > 1:
        raise ConfigError(
            f"{root} holds {len(roots)} tables ({', '.join(r.name for r in roots)}); --table "
            "names one table, so crawl one of these folders or leave --table out."
        )
    store.create_database(database)
    report = CrawlReport()
    bad_records: list[BadRecord] = []
    for table_root in roots:
        name = check_name(table, "table") if table else table_name_from(table_root.name)
        _crawl_table(store, database, name, table_root, policy, report, bad_records, progress,
                     cache, rejects_dir)
    report.malformed = len(bad_records)
    if not report.tables and report.problems:
        reasons = "; ".join(f"{p.path}: {p.reason}" for p in report.problems[:5])
        raise CrawlError(f"Nothing under {root} could be cataloged: {reasons}")
    return report


def _crawl_table(store: CatalogStore, database: str, name: str, root: Path, policy: str,
                 report: CrawlReport, bad_records: list[BadRecord],
                 progress: ProgressFn | None, cache: ScanCache,
                 rejects_dir: Path | None = None) -> None:
    existing = store.get_table(database, name) if store.has_table(database, name) else None
    known = {f.path: f for f in store.files(database, name)} if existing else {}
    files = [root] if root.is_file() else data_files(root)
    scan = _TableScan(root=root, name=name)
    new_scans: list[tuple[FileScan, tuple[str, ...]]] = []
    present = {str(f) for f in files}
    gone = [known[p] for p in known if p not in present and not Path(p).exists()]
    for file in files:
        if file.is_symlink() and file.is_dir():
            report.problems.append(FileProblem(str(file), _folder_link_problem(file)))
            continue
        try:
            stat = file.stat()
        except OSError as exc:
            report.problems.append(FileProblem(
                str(file), f"cannot read: {exc.strerror or exc} (a broken or looping link?)"))
            continue
        seen = known.get(str(file))
        if seen is not None and seen.size == stat.st_size and seen.mtime == stat.st_mtime:
            report.unchanged_files += 1
            continue
        try:
            part = _partition_of(root, file)
        except _SparkUnreadable as exc:
            report.problems.append(FileProblem(
                str(file.parent), f"the table {database}.{name} is not cataloged: {exc} "
                "(Spark reads every folder under a table's location)"))
            if existing is not None:
                report.tables.append(existing)
            return
        if isinstance(part, str):
            report.problems.append(FileProblem(str(file), part))
            continue
        keys, values = part
        expected = ([c.name for c in existing.partition_keys] if existing else scan.partition_keys)
        if expected is None:
            scan.partition_keys = keys
        elif keys != expected:
            report.problems.append(FileProblem(
                str(file), f"partition folders {keys} differ from the table's {expected}"))
            continue
        found = _scan(file, cache, progress)
        if isinstance(found, UnreadableFile):
            report.problems.append(FileProblem(str(file), str(found)))
            continue
        new_scans.append((found, tuple(values)))
    if not new_scans:
        if existing is not None:
            report.tables.append(_forget_files(store, existing, gone) if gone else existing)
        return
    fmt_counts = Counter(s.format for s, _ in new_scans)
    fmt = existing.format if existing else fmt_counts.most_common(1)[0][0]
    base: list[tuple[str, str]] = ([(c.name, c.type) for c in existing.columns]
                                   if existing else [])
    merged: list[tuple[str, str]] | None = list(base)
    accepted: list[tuple[FileScan, tuple[str, ...]]] = []
    props: dict[str, Any] = dict(existing.properties) if existing else {}
    for found, part_values in new_scans:
        if found.format != fmt:
            report.problems.append(FileProblem(
                str(found.path), f"{found.format} file in a {fmt} table; move it to its own folder"))
            continue
        if fmt == "csv" and props.get("delimiter") not in (None, found.properties["delimiter"]):
            report.problems.append(FileProblem(
                str(found.path), f"delimiter {found.properties['delimiter']!r} differs from the "
                f"table's {props['delimiter']!r}"))
            continue
        candidate = _merge_columns(merged or [], found.columns, fmt)
        if candidate is None:
            report.problems.append(FileProblem(
                str(found.path), "its columns differ from the table's by position "
                f"({[c for c, _ in found.columns]} vs {[c for c, _ in merged or []]}); CSV "
                "columns may only be appended at the end"))
            continue
        merged = candidate
        for key in ("delimiter", "header", "nullValue", "multiLine"):
            if key in found.properties:
                props.setdefault(key, found.properties[key])
        accepted.append((found, part_values))
        bad_records.extend(found.bad_records)
    if not accepted:
        if existing is not None:
            report.tables.append(_forget_files(store, existing, gone) if gone else existing)
        return
    keys = ([c.name for c in existing.partition_keys] if existing
            else list(scan.partition_keys or []))
    all_values = [v for _, v in accepted]
    key_types = []
    for i, key in enumerate(keys):
        old = {c.name: c.type for c in existing.partition_keys} if existing else {}
        kind = _partition_type([v[i] for v in all_values])
        key_types.append(ColumnSpec(key, widen(old[key], kind) if key in old else kind))
    columns = tuple(ColumnSpec(n, finish(k)) for n, k in (merged or []))
    new_version = True
    if existing is not None and existing.columns != columns:
        old = {c.name: c.type for c in existing.columns}
        new = {c.name: c.type for c in columns}
        change = SchemaChange(
            table=f"{database}.{name}",
            added=tuple(n for n in new if n not in old),
            removed=tuple(n for n in old if n not in new),
            retyped=tuple((n, old[n], new[n]) for n in new if n in old and old[n] != new[n]),
            applied=policy == "update",
        )
        report.schema_changes.append(change)
        if policy == "log":
            new_version = False
            columns = existing.columns
    records = sum(f.records for f, _ in accepted)
    malformed = sum(f.malformed for f, _ in accepted)
    prev_records = int(props.get("recordCount", 0)) if existing else 0
    prev_malformed = int(props.get("malformedCount", 0)) if existing else 0
    replaced = [f for f, _ in accepted if str(f.path) in known]
    prev_records -= sum(known[str(f.path)].records for f in replaced)
    prev_malformed -= sum(known[str(f.path)].malformed for f in replaced)
    prev_records -= sum(f.records for f in gone)
    prev_malformed -= sum(f.malformed for f in gone)
    props.update({
        "classification": fmt,
        "recordCount": str(prev_records + records),
        "malformedCount": str(prev_malformed + malformed),
    })
    location = str(root)
    # Each partition's place is the folder its files are in (a value like %2E%2E is
    # decoded for the catalog, never used to build a path).
    folders = {v: found.path.parent for found, v in accepted}
    partitions = tuple((values, str(folders[values])) for values in sorted(set(all_values))
                       if keys)
    known_parts = ({p.values for p in store.partitions(database, name)} if existing else set())
    report.new_partitions += sum(1 for v, _ in partitions if v not in known_parts)
    file_records = tuple(
        FileRecord(str(f.path), f.path.stat().st_size, f.path.stat().st_mtime, f.records,
                   f.malformed) for f, _ in accepted)
    rejected = [r for f, _ in accepted for r in f.bad_records]
    if rejected and rejects_dir is not None:  # before the catalog change, never after
        report.rejects_files.append(str(_write_rejects(
            rejects_dir, database, name, file_records, rejected)))
    crash_point("crawl.rejects")
    info = store.save_table(TableWrite(
        database=database, name=name, location=location, format=fmt, columns=columns,
        partition_keys=tuple(key_types), properties=props, partitions=partitions,
        files=file_records, new_version=new_version,
        removed_files=tuple(f.path for f in gone)))
    report.tables.append(info)
    report.new_files += len(accepted)
    report.records += records


def _forget_files(store: CatalogStore, table: TableInfo, gone: list[FileRecord]) -> TableInfo:
    """Take files deleted since the last crawl out of a table and its record counts."""
    props = dict(table.properties)
    for key, attr in (("recordCount", "records"), ("malformedCount", "malformed")):
        left = int(props.get(key, 0)) - sum(getattr(f, attr) for f in gone)
        props[key] = str(max(left, 0))
    return store.save_table(TableWrite(
        database=table.database, name=table.name, location=table.location,
        format=table.format, columns=table.columns, partition_keys=table.partition_keys,
        properties=props, new_version=False, removed_files=tuple(f.path for f in gone)))


def _write_rejects(folder: Path, database: str, name: str, files: tuple[FileRecord, ...],
                   rejected: list[BadRecord]) -> Path:
    """Write one table's malformed records, named by the files (path, size, time) they came
    from: the same files give the same name, so a rerun replaces rather than repeats."""
    digest = hashlib.sha256("\n".join(
        f"{f.path}\0{f.size}\0{f.mtime}" for f in sorted(files, key=lambda f: f.path)
    ).encode()).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"crawl-{database}-{name}-{digest}.jsonl"
    staging = folder / f".{target.name}.tmp"
    with staging.open("w", encoding="utf-8") as out:
        for rec in rejected:
            out.write(json.dumps(to_jsonable(rec)) + "\n")
    staging.replace(target)
    return target
