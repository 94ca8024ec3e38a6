"""The in-process Arrow reader gives the Spark reader's rows, malformed counts and rejects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sparkgrove.catalog.arrow_reader import read_table_arrow, supports
from sparkgrove.spark import read_table
from sparkgrove.workspace import Workspace
from tests.helpers import write_csv


def _key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(repr(v) for v in row)


def _both(ws: Workspace, qualified: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                                   int, int, list[str], list[str]]:
    table = ws.catalog.table(qualified)
    assert supports(table)
    spark = read_table(ws.spark, ws.catalog, ws.catalog.table(qualified))
    arrow = read_table_arrow(ws.catalog, ws.catalog.table(qualified))
    names = [c.name for c in table.all_columns]
    assert arrow.table.column_names == names == spark.frame.columns
    spark_rows = sorted((tuple(r[n] for n in names) for r in spark.frame.collect()), key=_key)
    arrow_rows = sorted((tuple(r[n] for n in names) for r in arrow.table.to_pylist()), key=_key)

    def rejects(path: str | None) -> list[str]:
        if path is None:
            return []
        return sorted(json.loads(line)["record"] for f in sorted(Path(path).glob("*.json"))
                      for line in f.read_text().splitlines() if line.strip())

    return (spark_rows, arrow_rows, spark.malformed, arrow.malformed,
            rejects(spark.rejects_path), rejects(arrow.rejects_path))


def _assert_same(ws: Workspace, qualified: str) -> list[tuple[Any, ...]]:
    spark_rows, arrow_rows, spark_bad, arrow_bad, spark_rejects, arrow_rejects = _both(
        ws, qualified)
    assert arrow_rows == spark_rows
    assert arrow_bad == spark_bad
    assert arrow_rejects == spark_rejects
    return arrow_rows


def test_csv_with_partitions_nulls_and_malformed_lines(spark_workspace: Workspace,
                                                       tmp_path: Path) -> None:
    root = tmp_path / "sales"
    rows = [[i, round(i * 1.5, 2), "red" if i % 2 else "blue", i % 3 == 0, "2024-01-0" + str(
        1 + i % 9)] for i in range(400)]
    rows[3][1] = None
    rows[5][2] = None
    write_csv(root / "region=north" / "year=2023" / "a.csv",
              ["Id", "Amount", "colour", "flag", "day"], rows[:200])
    path = write_csv(root / "region=south" / "year=2024" / "b.csv",
                     ["Id", "Amount", "colour", "flag", "day"], rows[200:])
    with path.open("a") as out:
        out.write("401,2.5,red,true,2024-01-01,extra\n")  # a field too many
        out.write("402,2.5\n")  # too few
        out.write("x,2.5,red,true,2024-01-01\n")  # not an int
        out.write("403,2.5,red,maybe,2024-01-01\n")  # not a boolean
        out.write("404,2.5,red,true,2024-02-31\n")  # fine: dates stay text, as in Glue
        out.write("405,1e3,red,TRUE,2024-01-01\n")  # fine: exponent and upper-case boolean
    spark_workspace.catalog.crawl(root, "shop")
    rows_read = _assert_same(spark_workspace, "shop.sales")
    assert len(rows_read) == 402
    assert (405, 1000.0, "red", True, "2024-01-01", "south", 2024) in rows_read


def test_old_csv_versions_and_json_lines(spark_workspace: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "evo"
    write_csv(root / "p=1" / "a.csv", ["id"], [[1], [2]])
    spark_workspace.catalog.crawl(root, "d")
    write_csv(root / "p=2" / "a.csv", ["id", "note"], [[3, "new"], [4, None]])
    spark_workspace.catalog.crawl(root, "d")
    assert len(_assert_same(spark_workspace, "d.evo")) == 4

    lines = [{"id": i, "score": i / 4, "name": f"n{i}", "ok": i % 2 == 0} for i in range(30)]
    lines[4]["score"] = 7  # an integer in a double column is fine
    folder = tmp_path / "events"
    folder.mkdir()
    text = "\n".join(json.dumps(line) for line in lines)
    text += '\nnot json\n[1, 2]\n{"id": "seven", "score": 1.0, "name": "x", "ok": true}\n'
    text += '{"id": 31, "score": 1.0, "name": 5, "ok": true}\n{"id": 32}\n'
    (folder / "a.json").write_text(text)
    spark_workspace.catalog.crawl(folder, "d")
    # the crawler types id as string (one value is "seven"), so only 2 lines are malformed
    assert len(_assert_same(spark_workspace, "d.events")) == 33


def test_parquet_with_partitions(spark_workspace: Workspace, tmp_path: Path) -> None:
    root = tmp_path / "pq"
    for part, start in (("a", 0), ("b", 10)):
        folder = root / f"part={part}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"x": pa.array(range(start, start + 10), pa.int64()),
                                 "y": pa.array([float(v) / 3 for v in range(10)])}),
                       folder / "f.parquet")
    spark_workspace.catalog.crawl(root, "d")
    assert len(_assert_same(spark_workspace, "d.pq")) == 20


@pytest.mark.parametrize("cells", ["1,2.5\n", "x,2.5\n"])
def test_rejects_are_written_only_when_a_row_is_bad(spark_workspace: Workspace, tmp_path: Path,
                                                    cells: str) -> None:
    folder = tmp_path / "one"
    path = write_csv(folder / "a.csv", ["a", "b"], [[i, i / 2] for i in range(200)])
    with path.open("a") as out:
        out.write(cells)
    spark_workspace.catalog.crawl(folder, "d")
    read = read_table_arrow(spark_workspace.catalog, spark_workspace.catalog.table("d.one"))
    assert (read.rejects_path is None) == (cells == "1,2.5\n")


def test_bytes_that_are_not_utf8_read_as_spark_reads_them(spark_workspace: Workspace,
                                                          tmp_path: Path) -> None:
    folder = tmp_path / "latin"
    path = write_csv(folder / "a.csv", ["name", "n"], [[f"n{i}", i] for i in range(100)])
    spark_workspace.catalog.crawl(folder, "d")
    with path.open("ab") as out:
        out.write("caf\xe9,7\n".encode("latin-1"))  # written after the crawl, in Latin-1
    rows = _assert_same(spark_workspace, "d.latin")
    assert ("caf\ufffd", 7) in rows


def test_an_unreadable_file_is_one_clear_error(spark_workspace: Workspace,
                                               tmp_path: Path) -> None:
    from sparkgrove.errors import DataError

    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1, 2]}), folder / "f.parquet")
    spark_workspace.catalog.crawl(folder, "d")
    (folder / "f.parquet").write_bytes(b"not parquet any more")
    with pytest.raises(DataError, match=r"Cannot read .*f\.parquet of table d\.pq in-process"):
        read_table_arrow(spark_workspace.catalog, spark_workspace.catalog.table("d.pq"))
