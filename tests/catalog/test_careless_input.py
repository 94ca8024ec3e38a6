"""The crawler and the catalog under careless input: odd files, odd names, changed folders."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from sparkgrove.catalog.api import Catalog
from sparkgrove.errors import ConfigError, NotFoundError
from sparkgrove.names import check_model_name, check_name
from sparkgrove.settings import Settings
from sparkgrove.spark import read_table
from sparkgrove.workspace import Workspace
from tests.helpers import write_csv


@pytest.fixture
def catalog(settings: Settings) -> Catalog:
    return Catalog(settings)


def test_fifos_sockets_and_broken_links_are_reported_never_opened(catalog: Catalog,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "t"
    write_csv(folder / "good.csv", ["a"], [[1], [2]])
    os.mkfifo(folder / "pipe.csv")  # opening it to read would block forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "sock.csv"))
    (folder / "dangling.csv").symlink_to(folder / "nowhere.csv")
    (folder / "loop.csv").symlink_to(folder / "loop.csv")
    try:
        report = catalog.crawl(folder, "d")
    finally:
        server.close()
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert "a FIFO" in reasons["pipe.csv"] and "a socket" in reasons["sock.csv"]
    assert "broken or looping link" in reasons["dangling.csv"]
    assert "broken or looping link" in reasons["loop.csv"]
    assert report.tables[0].properties["recordCount"] == "2"


def test_links_to_folders_are_reported_and_a_loop_never_followed(catalog: Catalog,
                                                                  tmp_path: Path) -> None:
    folder = tmp_path / "t"
    write_csv(folder / "a.csv", ["a"], [[1], [2]])
    write_csv(tmp_path / "elsewhere" / "b.csv", ["a"], [[3]])
    (folder / "back").symlink_to(folder)  # Spark's recursive lookup follows this 40 deep
    (folder / "other").symlink_to(tmp_path / "elsewhere")
    report = catalog.crawl(folder, "d")
    reasons = {Path(p.path).name: p.reason for p in report.problems}
    assert "a loop, not followed" in reasons["back"]
    assert "not followed (crawl that folder itself" in reasons["other"]
    assert report.tables[0].properties["recordCount"] == "2"
    assert [Path(f.path).name for f in catalog.files(report.tables[0].qualified_name)] == ["a.csv"]


def test_odd_csv_content_is_read_or_refused_with_the_rule(spark_workspace: Workspace,
                                                         tmp_path: Path) -> None:
    catalog = spark_workspace.catalog
    only = tmp_path / "only" / "a.csv"
    only.parent.mkdir()
    only.write_text(",,,\n,,,\n")
    with pytest.raises(Exception, match="only delimiters"):
        catalog.crawl(only.parent, "odd")
    big = tmp_path / "big" / "a.csv"
    big.parent.mkdir()
    big.write_text("id,text\n1," + "x" * 200_000 + "\n2,short\n")
    assert catalog.crawl(big.parent, "odd").tables[0].properties["recordCount"] == "2"
    quoted = tmp_path / "quoted" / "a.csv"
    quoted.parent.mkdir()
    quoted.write_text('id,note\n1,"line one\nline two"\n2,plain\n3,"a ""quoted"" word"\n')
    info = catalog.crawl(quoted.parent, "odd").tables[0]
    assert info.properties["recordCount"] == "3" and info.properties["multiLine"] == "true"
    rows = read_table(spark_workspace.spark, catalog,
                      catalog.table("odd.quoted")).frame.orderBy("id").collect()
    assert [(r.id, r.note) for r in rows] == [(1, "line one\nline two"), (2, "plain"),
                                              (3, 'a "quoted" word')]
    from sparkgrove.catalog.arrow_reader import read_table_arrow

    arrow = read_table_arrow(catalog, catalog.table("odd.quoted")).table.sort_by("id")
    assert arrow.column("note").to_pylist() == ["line one\nline two", "plain", 'a "quoted" word']


def test_deeply_nested_json_is_a_malformed_record(catalog: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    (folder / "a.json").write_text('{"id": 1}\n' + deep + '\n{"id": 2}\n')
    report = catalog.crawl(folder, "d")
    assert report.records == 2 and report.malformed == 1
    kept = [json.loads(x) for x in Path(report.rejects_file or "").read_text().splitlines()]
    assert kept[0]["line"] == 2 and "nested deeper" in kept[0]["reason"]


def test_deleted_files_leave_the_table_and_its_count(spark_workspace: Workspace,
                                                    tmp_path: Path) -> None:
    catalog = spark_workspace.catalog
    root = tmp_path / "sales"
    write_csv(root / "day=1" / "a.csv", ["id", "v"], [[1, 2], [2, 3]])
    write_csv(root / "day=2" / "a.csv", ["id", "v"], [[3, 4]])
    catalog.crawl(root, "shop")
    (root / "day=1" / "a.csv").unlink()
    catalog.crawl(root, "shop")
    info = catalog.table("shop.sales")
    assert info.properties["recordCount"] == "1"
    assert [Path(f.path).parent.name for f in catalog.files("shop.sales")] == ["day=2"]
    write_csv(root / "day=3" / "a.csv", ["id", "v", "extra"], [[4, 5.5, "x"]])
    (root / "day=2" / "a.csv").unlink()
    catalog.crawl(root, "shop")
    assert catalog.table("shop.sales").properties["recordCount"] == "1"
    frame = read_table(spark_workspace.spark, catalog, catalog.table("shop.sales")).frame
    assert [r.id for r in frame.collect()] == [4]


def test_a_second_folder_into_an_existing_table_needs_replace(catalog: Catalog,
                                                             tmp_path: Path) -> None:
    write_csv(tmp_path / "jan" / "a.csv", ["id"], [[1]])
    write_csv(tmp_path / "feb" / "a.csv", ["id"], [[2], [3]])
    catalog.crawl(tmp_path / "jan", "d", table="orders")
    with pytest.raises(ConfigError, match=r"d.orders holds .*jan; crawling .*feb into it"):
        catalog.crawl(tmp_path / "feb", "d", table="orders")
    assert catalog.table("d.orders").properties["recordCount"] == "1"
    catalog.crawl(tmp_path / "feb", "d", table="orders", replace=True)
    info = catalog.table("d.orders")
    assert info.location == str(tmp_path / "feb") and info.properties["recordCount"] == "2"


def test_tables_and_databases_can_be_dropped_and_data_stays(catalog: Catalog,
                                                           tmp_path: Path) -> None:
    write_csv(tmp_path / "a" / "x.csv", ["id"], [[1]])
    write_csv(tmp_path / "b" / "x.csv", ["id"], [[1]])
    catalog.crawl(tmp_path / "a", "d")
    catalog.crawl(tmp_path / "b", "d")
    catalog.drop_table("D.A")
    assert [t.name for t in catalog.tables("d")] == ["b"]
    assert (tmp_path / "a" / "x.csv").exists()
    with pytest.raises(ConfigError, match="holds 1 table.*--cascade"):
        catalog.drop_database("d")
    assert catalog.drop_database("d", cascade=True) == ["d.b"]
    with pytest.raises(NotFoundError, match="Unknown database"):
        catalog.tables("d")


@pytest.mark.parametrize("bad", ["sales\n", " sales", "sales ", "sa les", "", "-x", "x" * 256])
def test_names_are_whole_strings(bad: str) -> None:
    with pytest.raises(ConfigError):
        check_name(bad, "table")


@pytest.mark.parametrize("bad", ["m\n", "m/..", "..", "m..x", " m", "m\t"])
def test_model_names_are_whole_strings(bad: str) -> None:
    with pytest.raises(ConfigError):
        check_model_name(bad)


def test_duplicate_and_empty_header_names_are_renamed_not_read_as_data(
        catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "dups" / "a.csv"
    path.parent.mkdir()
    path.write_text("name,score,name,,score\nann,1,bo,x,2\ncy,3,di,y,4\n")
    info = catalog.crawl(path.parent, "d").tables[0]
    assert [c.name for c in info.columns] == ["name", "score", "name_2", "col3", "score_2"]
    assert info.properties["header"] == "true" and info.properties["recordCount"] == "2"


def test_versions_beyond_any_are_no_such_version(catalog: Catalog, tmp_path: Path) -> None:
    write_csv(tmp_path / "t" / "a.csv", ["id"], [[1]])
    catalog.crawl(tmp_path / "t", "d")
    for version in (0, -1, 2, 10**20):
        with pytest.raises(NotFoundError, match=f"has no version {version}; versions are 1 to 1"):
            catalog.table("d.t", version)


def test_odd_partition_folders_and_case_twin_keys(spark_workspace: Workspace,
                                                 tmp_path: Path) -> None:
    catalog = spark_workspace.catalog
    root = tmp_path / "events"
    write_csv(root / "k=ok" / "f.csv", ["x"], [[1]])
    write_csv(root / "k=%2E%2E" / "f.csv", ["x"], [[2]])  # an encoded '..' is a value, no path
    write_csv(root / "k=" / "f.csv", ["x"], [[3]])
    with pytest.raises(Exception, match=r"k=.*empty value, which Spark refuses.*__HIVE_DEFAULT"):
        catalog.crawl(root, "odd")  # Spark would fail on the whole table: refused whole
    (root / "k=").rename(root / "k=__HIVE_DEFAULT_PARTITION__")
    catalog.crawl(root, "odd")
    parts = {p.values: p.location for p in catalog.partitions("odd.events")}
    assert parts == {("..",): str(root / "k=%2E%2E"), ("ok",): str(root / "k=ok"),
                     ("__HIVE_DEFAULT_PARTITION__",): str(root / "k=__HIVE_DEFAULT_PARTITION__")}
    rows = read_table(spark_workspace.spark, catalog,
                      catalog.table("odd.events")).frame.orderBy("x").collect()
    assert [(r.x, r.k) for r in rows] == [(1, "ok"), (2, ".."), (3, None)]
    spaced = tmp_path / "spaced"
    write_csv(spaced / "my key=1" / "f.csv", ["x"], [[1]])
    with pytest.raises(Exception, match="key Spark reads differently.*my_key=1"):
        catalog.crawl(spaced, "odd")
    twins = tmp_path / "twins"
    twins.mkdir()
    (twins / "f.json").write_text('{"Name": 1, "name": 2}\n')
    with pytest.raises(Exception, match="'Name', 'name' differ only in case"):
        catalog.crawl(twins, "odd")


def test_names_spark_cannot_address_are_renamed_or_refused(spark_workspace: Workspace,
                                                          tmp_path: Path) -> None:
    catalog = spark_workspace.catalog
    csv_path = tmp_path / "csvnames" / "f.csv"
    csv_path.parent.mkdir()
    csv_path.write_text("a.b,c`d,e f\n1,2,3\n")
    info = catalog.crawl(csv_path.parent, "odd").tables[0]
    assert [c.name for c in info.columns] == ["a_b", "c_d", "e_f"]
    dotted = tmp_path / "dotted"
    dotted.mkdir()
    (dotted / "f.json").write_text('{"a.b": 1, "e f": 3}\n')
    catalog.crawl(dotted, "odd")
    rows = read_table(spark_workspace.spark, catalog, catalog.table("odd.dotted")).frame.collect()
    assert [tuple(r) for r in rows] == [(1, 3)]
    ticked = tmp_path / "ticked"
    ticked.mkdir()
    (ticked / "f.json").write_text('{"c`d": 2}\n')
    with pytest.raises(Exception, match="'c`d' has a backtick"):
        catalog.crawl(ticked, "odd")


def test_a_crawl_killed_before_its_catalog_change_keeps_one_copy_of_its_rejects(
        settings: Settings, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_csv(tmp_path / "t" / "a.csv", ["id", "v"], [[i, i * 1.5] for i in range(20)])
    with path.open("a") as out:
        out.write("7,8,9\n")
    cli = [sys.executable, "-m", "sparkgrove", "--workspace", str(settings.workspace),
           "crawl", str(tmp_path / "t"), "-d", "d", "--json"]
    killed = subprocess.run(cli, env={**os.environ, "SPARKGROVE_CRASH_AT": "crawl.rejects"},
                            capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == 137
    rejects = settings.rejects
    assert len(list(rejects.glob("*.jsonl"))) == 1, "the rejects come before the catalog change"
    assert not Catalog(settings).tables()
    done = subprocess.run(cli, capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(done.stdout)
    assert report["malformed"] == 1 and len(report["rejects_files"]) == 1
    files = list(rejects.glob("*.jsonl"))
    assert [str(f) for f in files] == report["rejects_files"], "rewritten, not a second copy"
    assert [json.loads(x)["text"] for x in files[0].read_text().splitlines()] == ["7,8,9"]
