from pathlib import Path

import pytest

from sparkgrove.errors import SparkError
from sparkgrove.spark import map_spark_errors, read_table, register_tables
from sparkgrove.workspace import Workspace
from tests.helpers import write_csv


def test_catalog_tables_are_queryable_by_name(spark_workspace: Workspace, tmp_path: Path
                                              ) -> None:
    ws = spark_workspace
    root = tmp_path / "sales"
    write_csv(root / "region=north" / "a.csv", ["id", "amount"], [[1, 2.5], [2, 3.5]])
    write_csv(root / "region=south" / "a.csv", ["id", "amount"], [[3, None]])
    ws.catalog.crawl(root, "shop")
    assert "shop.sales" in register_tables(ws.spark, ws.catalog)
    rows = ws.spark.sql(
        "SELECT region, count(*) AS n, sum(amount) AS total FROM shop.sales GROUP BY region "
        "ORDER BY region").collect()
    assert [(r.region, r.n, r.total) for r in rows] == [("north", 2, 6.0), ("south", 1, None)]
    assert ws.spark.table("shop.sales").schema.simpleString() == (
        "struct<id:bigint,amount:double,region:string>")


def test_reading_keeps_malformed_rows_aside(spark_workspace: Workspace, tmp_path: Path) -> None:
    ws = spark_workspace
    path = write_csv(tmp_path / "t" / "a.csv", ["id", "v"], [[i, i / 2] for i in range(50)])
    with path.open("a") as out:
        out.write("x,1\n1,2,3\n")
    crawl = ws.catalog.crawl(tmp_path / "t", "d")
    read = read_table(ws.spark, ws.catalog, ws.catalog.table("d.t"))
    assert read.frame.count() == 50
    assert read.malformed == crawl.malformed == 2
    kept = ws.spark.read.json(read.rejects_path).collect()
    assert sorted(r.record for r in kept) == ["1,2,3", "x,1"]


def test_old_csv_files_read_with_their_own_version(spark_workspace: Workspace, tmp_path: Path
                                                   ) -> None:
    ws = spark_workspace
    root = tmp_path / "t"
    write_csv(root / "p=1" / "a.csv", ["id"], [[1], [2]])
    ws.catalog.crawl(root, "evo")
    write_csv(root / "p=2" / "a.csv", ["id", "note"], [[3, "new"]])
    ws.catalog.crawl(root, "evo")
    assert ws.catalog.table("evo.t").version == 2
    read = read_table(ws.spark, ws.catalog, ws.catalog.table("evo.t"))
    rows = sorted((r.id, r.note, r.p) for r in read.frame.collect())
    assert rows == [(1, None, 1), (2, None, 1), (3, "new", 2)]
    assert read.malformed == 0
    old = read_table(ws.spark, ws.catalog, ws.catalog.table("evo.t", 1))
    assert old.frame.columns == ["id", "p"]


def test_hyphenated_names_are_registered_with_underscores_and_a_bad_table_is_skipped(
        spark_workspace: Workspace, tmp_path: Path) -> None:
    import pytest

    from sparkgrove.store.catalog_store import TableWrite
    from sparkgrove.store.entities import ColumnSpec

    ws = spark_workspace
    write_csv(tmp_path / "Daily-Sales" / "a.csv", ["id"], [[1], [2]])
    [table] = ws.catalog.crawl(tmp_path / "Daily-Sales", "Shop-EU").tables
    assert table.qualified_name == "shop-eu.daily-sales"
    ws.catalog.store.save_table(TableWrite(
        database="shop-eu", name="broken", location=str(tmp_path / "nowhere"), format="csv",
        columns=(ColumnSpec("a", "struct<oops"),)))
    with pytest.warns(UserWarning, match=r"shop-eu\.broken is not registered in Spark SQL"):
        names = register_tables(ws.spark, ws.catalog)
    assert "shop-eu.daily-sales" in names and "shop-eu.broken" not in names
    assert ws.spark.sql("SELECT count(*) AS n FROM shop_eu.daily_sales").first().n == 2
    assert read_table(ws.spark, ws.catalog, ws.catalog.table("shop-eu.daily-sales")).frame.count() == 2


def test_spark_failures_become_one_error_with_the_java_cause_kept(spark: object) -> None:
    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session is not None
    with pytest.raises(SparkError, match="Spark failed while reading t: .*nosuch_xyz") as caught, \
            map_spark_errors("reading t"):
        session.sql("SELECT * FROM nosuch_xyz").collect()
    assert isinstance(caught.value.__cause__, AnalysisException)
    assert "\n" not in str(caught.value)
    with pytest.raises(KeyError), map_spark_errors("reading t"):  # not Spark's: unchanged
        raise KeyError("x")
