"""Catalog pages: databases and tables (searchable), a table's schema, properties, versions and
their diff, partitions, files with their malformed records, and sample rows."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from sparkgrove.catalog.diff import schema_diff
from sparkgrove.console.pages import page_slice, render, workspace_of

router = APIRouter()
SAMPLE_ROWS = 20


@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request, q: str = "") -> HTMLResponse:
    """Databases and their tables; ``q`` filters tables by name, column or location."""
    ws = workspace_of(request)
    needle = q.strip().lower()
    tables = ws.catalog.tables()
    if needle:
        tables = [t for t in tables if needle in t.qualified_name.lower()
                  or needle in t.location.lower()
                  or any(needle in c.name.lower() for c in t.all_columns)]
    return render(request, "catalog.html", databases=ws.catalog.databases(), tables=tables,
                  q=q)


@router.get("/catalog/{database}/{name}", response_class=HTMLResponse)
def table(request: Request, database: str, name: str, page: int = 1) -> HTMLResponse:
    """One table: schema, properties, versions, partitions (paged) and files."""
    ws = workspace_of(request)
    qualified = f"{database}.{name}"
    info = ws.catalog.table(qualified)
    versions = ws.catalog.versions(qualified)
    every_partition = ws.catalog.partitions(qualified)
    partitions, page, pages = page_slice(every_partition, page)
    files = ws.catalog.files(qualified)
    malformed = sum(f.malformed for f in files)
    rejects = _rejects_of(ws.settings.rejects, database, name)
    return render(request, "table.html", table=info, versions=versions, partitions=partitions,
                  page=page, pages=pages, partition_count=len(every_partition),
                  files=files[:200], file_count=len(files),
                  malformed=malformed, rejects=rejects)


def _rejects_of(root: Path, database: str, name: str) -> list[dict[str, object]]:
    """Folders of malformed records kept aside for this table (newest first)."""
    if not root.is_dir():
        return []
    suffix = f"-{database}-{name}-"
    found = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name, reverse=True):
        if folder.is_dir() and suffix in folder.name:
            files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))]
            lines = 0
            preview: list[str] = []
            for path in files:
                with path.open(encoding="utf-8", errors="replace") as handle:
                    for line in handle:
                        lines += 1
                        if len(preview) < 5:
                            preview.append(line.rstrip()[:300])
            found.append({"folder": str(folder), "records": lines, "preview": preview})
    return found[:20]


@router.get("/catalog/{database}/{name}/diff", response_class=HTMLResponse)
def diff(request: Request, database: str, name: str, a: int = 0, b: int = 0) -> HTMLResponse:
    """The schema change between versions ``a`` and ``b`` (default: the last two)."""
    ws = workspace_of(request)
    qualified = f"{database}.{name}"
    versions = {v.version: v for v in ws.catalog.versions(qualified)}
    numbers = sorted(versions)
    b = b if b in versions else numbers[-1]
    a = a if a in versions else numbers[max(0, numbers.index(b) - 1)]
    old, new = versions[a], versions[b]
    props = sorted(set(old.properties) | set(new.properties))
    return render(request, "diff.html", table=ws.catalog.table(qualified), numbers=numbers, a=a,
                  b=b, changes=schema_diff(old.columns, new.columns),
                  properties=[(k, old.properties.get(k), new.properties.get(k)) for k in props
                              if old.properties.get(k) != new.properties.get(k)])


@router.get("/catalog/{database}/{name}/sample", response_class=HTMLResponse)
def sample(request: Request, database: str, name: str) -> HTMLResponse:
    """The first rows of the table, read in-process by the reader training uses."""
    from sparkgrove.catalog.arrow_reader import read_table_arrow, supports
    from sparkgrove.errors import SparkgroveError

    ws = workspace_of(request)
    info = ws.catalog.table(f"{database}.{name}")
    rows: list[dict[str, object]] = []
    error = ""
    malformed, examples = 0, []
    if not supports(info):
        error = (f"This table ({info.format}, or with nested columns) is read through Spark "
                 f"only; look at it in a notebook: spark.table(\"{info.qualified_name}\").")
    else:
        try:
            read = read_table_arrow(ws.catalog, info, keep_rejects=False)
            rows = read.table.slice(0, SAMPLE_ROWS).to_pylist()
            malformed, examples = read.malformed, read.examples
        except SparkgroveError as exc:
            error = str(exc)
    return render(request, "sample.html", table=info, rows=rows, error=error,
                  malformed=malformed, examples=examples,
                  columns=[c.name for c in info.all_columns])
