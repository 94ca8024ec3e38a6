from pathlib import Path

import pytest

from sparkgrove.errors import NotFoundError
from sparkgrove.store import CatalogStore, ModelStore, open_database
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec

HEAD = "0005"


def test_migrations_run_once_and_are_recorded(db_url: str) -> None:
    url = db_url
    db = open_database(url)
    assert db.schema_version() == HEAD
    assert {"tables", "table_versions", "partitions", "model_versions"} <= set(db.table_names())
    assert db.migrate() == []
    assert open_database(url).migrate() == []


def _database_at(path: Path, revision: str, *, legacy: bool = False) -> None:
    """A database as an older sparkgrove left it: migrated to ``revision`` by Alembic, or
    (``legacy``) by the hand-written migrations that came before, with some data in it."""
    from sqlalchemy import create_engine, text

    from sparkgrove.store.db import _script, _upgrade

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        _upgrade(conn, _script(), revision)
        conn.execute(text("INSERT INTO databases (id, name, description, created_at) VALUES "
                          "(1, 'sales', 'kept', '2024-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO tables (id, database_id, name, location, format, current_version, "
            "partition_keys, properties, created_at, updated_at) VALUES (1, 1, 'orders', "
            "'/data/orders', 'csv', 1, '[]', '{\"recordCount\": \"3\"}', "
            "'2024-01-01 00:00:00', '2024-01-01 00:00:00')"))
        conn.execute(text("INSERT INTO table_versions (table_id, version, columns, properties, "
                          "created_at) VALUES (1, 1, '[{\"name\": \"id\", \"type\": "
                          "\"bigint\"}]', '{}', '2024-01-01 00:00:00')"))
        if legacy:
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                              "name VARCHAR(200) NOT NULL, applied_at DATETIME NOT NULL)"))
            for number in range(1, int(revision) + 1):
                conn.execute(text("INSERT INTO schema_migrations VALUES (:n, 'm', "
                                  "'2024-01-01 00:00:00')"), {"n": number})
    engine.dispose()


@pytest.mark.parametrize("legacy", [False, True], ids=["alembic", "before-alembic"])
def test_a_database_of_the_first_schema_upgrades_and_keeps_its_data(tmp_path: Path,
                                                                    legacy: bool) -> None:
    _database_at(tmp_path / "old.db", "0001", legacy=legacy)
    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    assert db.schema_version() == HEAD
    store = CatalogStore(db)
    table = store.get_table("sales", "orders")
    assert table.properties["recordCount"] == "3" and table.columns == (ColumnSpec("id", "bigint"),)
    assert [d.description for d in store.list_databases()] == ["kept"]
    from sparkgrove.store.step_store import StepStore

    assert StepStore(db).for_cluster("any") == []  # the later revisions' tables exist


def test_a_database_from_before_step_options_gains_the_column(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    _database_at(tmp_path / "old.db", "0003", legacy=True)
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO steps (id, cluster, name, kind, target, args, "
                          "action_on_failure, state, log_path, message, created_at) VALUES (1, "
                          "'c', 's', 'pyspark', '/x.py', '[]', 'CONTINUE', 'COMPLETED', '', '', "
                          "'2024-01-01 00:00:00')"))
    engine.dispose()
    from sparkgrove.store.step_store import StepStore

    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    assert StepStore(db).get(1).spark_args == []


def test_a_database_made_by_a_newer_sparkgrove_is_refused_unchanged(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from sparkgrove.errors import ConfigError

    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_database(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="revision '0999', made by a newer sparkgrove"):
        open_database(url)
    with create_engine(url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"


def test_the_frozen_migrations_make_the_tables_the_queries_expect(db_url: str) -> None:
    from sqlalchemy import inspect

    from sparkgrove.store import schema

    db = open_database(db_url)
    found = inspect(db.engine)
    for name, table in schema.metadata.tables.items():
        columns = {c["name"]: c["nullable"] for c in found.get_columns(name)}
        assert columns == {c.name: c.nullable for c in table.columns}, name


def test_changed_columns_make_a_new_version_and_old_ones_stay_readable(db_url: str) -> None:
    store = CatalogStore(open_database(db_url))
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


def test_unknown_names_suggest_the_nearest(db_url: str) -> None:
    store = CatalogStore(open_database(db_url))
    store.create_database("sales")
    store.save_table(TableWrite("sales", "orders", "/o", "csv", (ColumnSpec("a", "int"),)))
    with pytest.raises(NotFoundError, match="did you mean orders"):
        store.get_table("sales", "order")
    with pytest.raises(NotFoundError, match="did you mean sales"):
        store.get_table("sale", "orders")
    with pytest.raises(NotFoundError, match="no version 3"):
        store.get_table("sales", "orders", 3)


def test_model_versions_count_up(db_url: str) -> None:
    models = ModelStore(open_database(db_url))
    assert models.next_version("m") == 1
    for v in (1, 2):
        models.add_version("m", v, engine="spark", task="regression", params={"a": v},
                           metrics={"rmse": 1.0 / v}, lineage={}, artifact_path=f"/m/{v}")
    assert models.get("m").version == 2
    assert models.get("m", 1).params == {"a": 1}
    assert [m.version for m in models.list_models()] == [2]
    with pytest.raises(NotFoundError, match="versions: 1, 2"):
        models.get("m", 5)


def test_aliases_point_at_a_version_move_and_go(db_url: str) -> None:
    from sparkgrove.names import check_alias

    models = ModelStore(open_database(db_url))
    for v in (1, 2):
        models.add_version("m", v, engine="local", task="regression", params={}, metrics={},
                           lineage={}, artifact_path=f"/m/{v}")
    models.set_alias("m", "production", 1)
    models.set_alias("m", "staging", 2)
    assert models.aliases("m") == {"production": 1, "staging": 2}
    models.set_alias("m", "production", 2)  # moved, not duplicated
    assert models.version_of_alias("m", "production") == 2
    models.delete_alias("m", "staging")
    assert models.aliases("m") == {"production": 2}
    with pytest.raises(NotFoundError, match="no version 7"):
        models.set_alias("m", "production", 7)
    with pytest.raises(NotFoundError, match="no alias 'canary'; its aliases: production"):
        models.version_of_alias("m", "canary")
    for bad in ("3", "latest", "prod uction", "a" * 65):
        with pytest.raises(Exception, match="alias"):
            check_alias(bad)


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


def test_several_processes_opening_a_new_workspace_at_once(db_url: str, tmp_path: Path
                                                           ) -> None:
    import subprocess
    import sys

    url = db_url
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


WRITERS = """
import sys, time
from pathlib import Path
from sparkgrove.store import CatalogStore, ModelStore, open_database
from sparkgrove.store.catalog_store import TableWrite
from sparkgrove.store.entities import ColumnSpec
url, go, me = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.005)
db = open_database(url)
store, models = CatalogStore(db), ModelStore(db)
store.create_database("shared")
for i in range(4):
    columns = (ColumnSpec("id", "bigint"), ColumnSpec(f"w{me}_{i}", "double"))
    store.save_table(TableWrite("shared", "events", "/data/events", "csv", columns,
                                properties={f"writer{me}": str(i)}, new_version=True))
    for _ in range(20):  # the registry's way: the next number, again if another run took it
        try:
            models.add_version("m", models.next_version("m"), engine="local", task="t",
                               params={"writer": me}, metrics={}, lineage={}, artifact_path="/")
            break
        except Exception as exc:
            if "registered by another run" not in str(exc):
                raise
print("OK")
"""


def test_processes_writing_one_workspace_at_once_lose_no_update(db_url: str,
                                                                 tmp_path: Path) -> None:
    import subprocess
    import sys

    open_database(db_url).close()
    go = tmp_path / "go"
    script = tmp_path / "writers.py"
    script.write_text(WRITERS)
    procs = [subprocess.Popen([sys.executable, str(script), db_url, str(go), str(me)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me in range(4)]
    go.touch()
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0 and out.strip() == "OK", err[-3000:]
    db = open_database(db_url)
    store = CatalogStore(db)
    versions = store.versions("shared", "events")
    assert [v.version for v in versions] == list(range(1, 17)), "one version per write"
    written = {c.name for v in versions for c in v.columns} - {"id"}
    assert written == {f"w{me}_{i}" for me in range(4) for i in range(4)}
    table = store.get_table("shared", "events")
    assert {k: v for k, v in table.properties.items() if k.startswith("writer")} == {
        f"writer{me}": "3" for me in range(4)}
    models = ModelStore(db)
    assert sorted(m.version for m in models.versions("m")) == list(range(1, 17))
