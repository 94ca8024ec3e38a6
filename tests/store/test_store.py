from pathlib import Path

import pytest

from sparkgrove.errors import NotFoundError
from sparkgrove.store import CatalogStore, ModelStore, open_database
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    db = open_database(url)
    assert db.schema_version() == 4
    assert {"tables", "table_versions", "partitions", "model_versions"} <= set(db.table_names())
    assert db.migrate() == []
    assert open_database(url).migrate() == []


def test_a_workspace_from_before_step_options_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    from sparkgrove.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    with sqlite3.connect(tmp_path / "old.db") as conn:  # as migration 2 made it, back then
        conn.execute("DROP TABLE steps")
        conn.execute("CREATE TABLE steps (id INTEGER PRIMARY KEY, cluster VARCHAR(128) NOT NULL,"
                     " name VARCHAR(200) NOT NULL, kind VARCHAR(32) NOT NULL, target TEXT NOT "
                     "NULL, args JSON NOT NULL, action_on_failure VARCHAR(32) NOT NULL, state "
                     "VARCHAR(32) NOT NULL, exit_code INTEGER, pid INTEGER, log_path TEXT NOT "
                     "NULL, message TEXT NOT NULL, created_at DATETIME NOT NULL, started_at "
                     "DATETIME, ended_at DATETIME)")
        conn.execute("INSERT INTO steps VALUES (1, 'c', 's', 'pyspark', '/x.py', '[]', "
                     "'CONTINUE', 'COMPLETED', 0, NULL, '', '', '2024-01-01', NULL, NULL)")
        conn.execute("DELETE FROM schema_migrations WHERE version = 4")
    db.engine.dispose()
    assert open_database(url).schema_version() == len(MIGRATIONS)
    from sparkgrove.store.step_store import StepStore

    assert StepStore(open_database(url)).get(1).spark_args == []


def test_changed_columns_make_a_new_version_and_old_ones_stay_readable(tmp_path: Path) -> None:
    store = CatalogStore(open_database(f"sqlite:///{tmp_path / 'c.db'}"))
    store.create_database("sales")
    v1 = (ColumnSpec("id", "int"),)
    v2 = (ColumnSpec("id", "bigint"), ColumnSpec("amount", "double"))
    store.save_table(TableWrite("sales", "orders", "/data/orders", "csv", v1,
                                partitions=((("2024",), "/data/orders/year=2024"),)))
    info = store.save_table(TableWrite("sales", "orders", "/data/orders", "csv", v2,
                                       partitions=((("2024",), "/x"), (("2025",), "/y"))))
    assert info.version == 2 and info.columns == v2
    assert store.get_table("sales", "orders", 1).columns == v1
    assert [v.version for v in store.versions("sales", "orders")] == [1, 2]
    assert [p.values for p in store.partitions("sales", "orders")] == [("2024",), ("2025",)]
    same = store.save_table(TableWrite("sales", "orders", "/data/orders", "csv", v2))
    assert same.version == 2


def test_unknown_names_suggest_the_nearest(tmp_path: Path) -> None:
    store = CatalogStore(open_database(f"sqlite:///{tmp_path / 'c.db'}"))
    store.create_database("sales")
    store.save_table(TableWrite("sales", "orders", "/o", "csv", (ColumnSpec("a", "int"),)))
    with pytest.raises(NotFoundError, match="did you mean orders"):
        store.get_table("sales", "order")
    with pytest.raises(NotFoundError, match="did you mean sales"):
        store.get_table("sale", "orders")
    with pytest.raises(NotFoundError, match="no version 3"):
        store.get_table("sales", "orders", 3)


def test_model_versions_count_up(tmp_path: Path) -> None:
    models = ModelStore(open_database(f"sqlite:///{tmp_path / 'c.db'}"))
    assert models.next_version("m") == 1
    for v in (1, 2):
        models.add_version("m", v, engine="spark", task="regression", params={"a": v},
                           metrics={"rmse": 1.0 / v}, lineage={}, artifact_path=f"/m/{v}")
    assert models.get("m").version == 2
    assert models.get("m", 1).params == {"a": 1}
    assert [m.version for m in models.list_models()] == [2]
    with pytest.raises(NotFoundError, match="versions: 1, 2"):
        models.get("m", 5)


CONCURRENT = """
import sys, time
from pathlib import Path
from sparkgrove.store import CatalogStore, open_database
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
store = CatalogStore(open_database(sys.argv[1]))
store.create_database("shared")
print("OK", store.list_databases()[0].name)
"""


def test_several_processes_opening_a_new_workspace_at_once(tmp_path: Path) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    go = tmp_path / "go"
    script = tmp_path / "first_use.py"
    script.write_text(CONCURRENT)
    procs = [subprocess.Popen([sys.executable, str(script), url, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    go.touch()  # all start at once: the migrations and the database insert race
    results = [p.communicate(timeout=120) for p in procs]
    for (out, err), proc in zip(results, procs, strict=True):
        assert proc.returncode == 0 and out.strip() == "OK shared", err[-2000:]
    db = open_database(url)
    assert [d.name for d in CatalogStore(db).list_databases()] == ["shared"]
