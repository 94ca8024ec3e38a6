import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sparkgrove.catalog.api import Catalog
from sparkgrove.errors import ConfigError, CrawlError
from sparkgrove.settings import Settings
from tests.helpers import write_csv


@pytest.fixture
def catalog(settings: Settings) -> Catalog:
    return Catalog(settings)


def _types(info) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c.name: c.type for c in info.columns}


def test_partitioned_csv_becomes_one_table_with_partitions(catalog: Catalog, tmp_path: Path
                                                           ) -> None:
    root = tmp_path / "raw" / "events"
    header = ["id", "amount", "ok", "day", "seen_at", "note"]
    for month in ("01", "02"):
        write_csv(root / "year=2024" / f"month={month}" / "part.csv", header, [
            [1, 1.5, "true", "2024-01-02", "2024-01-02 10:00:00", "x"],
            [2, None, "false", "2024-01-03", "2024-01-03 11:30:00", None],
        ])
    (root / "_SUCCESS").write_text("")
    report = catalog.crawl(root, "raw")
    [info] = report.tables
    assert info.qualified_name == "raw.events"
    # Glue's CSV classifier: whole numbers are bigint; dates and times stay strings.
    assert _types(info) == {"id": "bigint", "amount": "double", "ok": "boolean",
                            "day": "string", "seen_at": "string", "note": "string"}
    assert [(c.name, c.type) for c in info.partition_keys] == [("year", "int"), ("month", "int")]
    assert info.properties["classification"] == "csv"
    assert info.properties["delimiter"] == ","
    assert info.properties["header"] == "true"
    assert info.properties["recordCount"] == "4"
    assert [p.values for p in catalog.partitions("raw.events")] == [("2024", "01"),
                                                                     ("2024", "02")]
    assert report.new_files == 2 and report.problems == []


def test_delimiter_and_headerless_files_are_detected(catalog: Catalog, tmp_path: Path) -> None:
    write_csv(tmp_path / "semi" / "a.csv", ["name", "score"], [["a", 1], ["b", 2]], ";")
    write_csv(tmp_path / "bare" / "a.tsv", None, [[1, 2.5, "x"], [2, 3.5, "y"]], "\t")
    semi = catalog.crawl(tmp_path / "semi", "d").tables[0]
    assert semi.properties["delimiter"] == ";" and _types(semi) == {"name": "string",
                                                                   "score": "bigint"}
    bare = catalog.crawl(tmp_path / "bare", "d").tables[0]
    assert bare.properties["delimiter"] == "\t" and bare.properties["header"] == "false"
    assert _types(bare) == {"col0": "bigint", "col1": "double", "col2": "string"}


def test_malformed_lines_are_counted_and_kept_aside(catalog: Catalog, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t" / "a.csv", ["id", "v"], [[i, i * 1.5] for i in range(100)])
    with path.open("a") as out:
        out.write("7,8,9\n")
        out.write("8,not-a-number\n")
    report = catalog.crawl(tmp_path / "t", "d")
    assert report.malformed == 2 and report.records == 100
    assert _types(report.tables[0]) == {"id": "bigint", "v": "double"}
    kept = [json.loads(x) for x in Path(report.rejects_file or "").read_text().splitlines()]
    assert [(k["line"], k["text"]) for k in kept] == [(102, "7,8,9"), (103, "8,not-a-number")]
    assert "3 fields" in kept[0]["reason"] and "'v'" in kept[1]["reason"]


def test_json_lines_and_parquet(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    (folder / "a.json").write_text('{"id": 1, "tags": ["x"], "who": {"n": "a"}}\n'
                                   '{"id": 2, "price": 2.5}\nnot json\n')
    info = catalog.crawl(folder, "d").tables[0]
    assert info.format == "json"
    assert _types(info) == {"id": "bigint", "tags": "array<string>", "who": "struct<n:string>",
                            "price": "double"}
    assert info.properties["malformedCount"] == "1"
    pq.write_table(pa.table({"k": pa.array([1, 2], pa.int32()), "s": ["a", "b"]}),
                   tmp_path / "p.parquet")
    parquet = catalog.crawl(tmp_path / "p.parquet", "d").tables[0]
    assert parquet.format == "parquet" and parquet.name == "p_parquet"  # as Glue names it
    assert _types(parquet) == {"k": "int", "s": "string"}
    assert parquet.properties["recordCount"] == "2"


def test_unreadable_files_are_reported_not_skipped(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "t"
    write_csv(folder / "good.csv", ["a"], [[1]])
    (folder / "broken.parquet").write_bytes(b"PAR1 truncated")
    (folder / "latin1.csv").write_bytes("a\n\xe9t\xe9\n".encode("latin-1"))
    report = catalog.crawl(folder, "d")
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert "Parquet" in reasons["broken.parquet"]
    assert "UTF-8" in reasons["latin1.csv"]
    assert report.tables[0].properties["recordCount"] == "1"
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.parquet").write_bytes(b"nope")
    with pytest.raises(CrawlError, match="x.parquet"):
        catalog.crawl(only_bad, "d")


def test_recrawl_adds_partitions_and_handles_schema_change(catalog: Catalog, tmp_path: Path
                                                           ) -> None:
    root = tmp_path / "t"
    write_csv(root / "day=1" / "a.csv", ["id", "v"], [[1, 2]])
    catalog.crawl(root, "d")
    again = catalog.crawl(root, "d")
    assert again.unchanged_files == 1 and again.new_files == 0
    write_csv(root / "day=2" / "a.csv", ["id", "v", "extra"], [[2, 3.5, "e"]])
    logged = catalog.crawl(root, "d", policy="log")
    assert logged.new_partitions == 1
    [change] = logged.schema_changes
    assert change.added == ("extra",) and change.retyped == (("v", "bigint", "double"),)
    assert not change.applied and catalog.table("d.t").version == 1
    write_csv(root / "day=3" / "a.csv", ["id", "v", "extra"], [[3, 1.0, "f"]])
    updated = catalog.crawl(root, "d", policy="update")
    assert updated.schema_changes[0].applied
    info = catalog.table("d.t")
    assert info.version == 2 and _types(info) == {"id": "bigint", "v": "double",
                                                  "extra": "string"}
    assert _types(catalog.table("d.t", version=1)) == {"id": "bigint", "v": "bigint"}
    assert len(catalog.partitions("d.t")) == 3


def test_bad_arguments_are_refused(catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(CrawlError, match="does not exist"):
        catalog.crawl(tmp_path / "nope", "d")
    write_csv(tmp_path / "x" / "a.csv", ["a"], [[1]])
    with pytest.raises(ConfigError, match="database name"):
        catalog.crawl(tmp_path / "x", "../etc")
    with pytest.raises(ConfigError, match="policy"):
        catalog.crawl(tmp_path / "x", "d", policy="merge")


def test_a_folder_of_unlike_files_makes_a_table_per_file_as_glue_does(
        catalog: Catalog, tmp_path: Path) -> None:
    mixed = tmp_path / "landing"
    write_csv(mixed / "sales.csv", ["id", "amount"], [[1, 2.5]])
    (mixed / "persons.json").write_text('{"id": 1, "name": "Ann"}\n{"id": 2, "name": "Bo"}\n')
    (mixed / "orgs.json").write_text('{"org_id": "o1", "title": "Acme", "kind": "ltd"}\n')
    report = catalog.crawl(mixed, "raw")
    assert sorted(t.name for t in report.tables) == ["orgs_json", "persons_json", "sales_csv"]
    assert report.problems == []
    assert catalog.table("raw.persons_json").properties["recordCount"] == "2"
    assert catalog.table("raw.sales_csv").location == str(mixed / "sales.csv")
    # A re-crawl updates the same per-file tables; --table asks for one table of the folder,
    # and the file that cannot join it is reported, not dropped silently.
    assert catalog.crawl(mixed, "raw").unchanged_files == 3
    forced = catalog.crawl(mixed, "raw", table="one")
    assert [t.name for t in forced.tables] == ["one"]
    assert [Path(p.path).name for p in forced.problems] == ["sales.csv"]
    # Files sharing at least 70% of their columns are one table named after the folder.
    alike = tmp_path / "orders"
    write_csv(alike / "jan.csv", ["id", "amount", "country", "channel"], [[1, 2.5, "fr", "web"]])
    write_csv(alike / "feb.csv", ["id", "amount", "country", "channel", "coupon"],
              [[2, 3.5, "de", "shop", "X"]])
    [orders] = catalog.crawl(alike, "raw").tables
    assert orders.name == "orders" and [c.name for c in orders.columns][-1] == "coupon"


def test_names_are_lower_case_and_keep_hyphens_as_glue_does(catalog: Catalog,
                                                          tmp_path: Path) -> None:
    write_csv(tmp_path / "Daily-Sales 2024" / "a.csv", ["id"], [[1]])
    [table] = catalog.crawl(tmp_path / "Daily-Sales 2024", "Shop-EU").tables
    assert table.qualified_name == "shop-eu.daily-sales_2024"
    assert catalog.table("SHOP-EU.Daily-Sales_2024").version == 1
    write_csv(tmp_path / "2024" / "a.csv", ["id"], [[1]])
    assert catalog.crawl(tmp_path / "2024", "d").tables[0].name == "2024"
    for bad in ("-x", "a.b", "../x", "a/b", "a b", "x" * 256):
        with pytest.raises(ConfigError, match="hyphens"):
            catalog.crawl(tmp_path / "2024", bad)
