import threading
from pathlib import Path

from sparkgrove.etl.publish import Plan, TablePlan, publish_lock, recover, write_journal
from sparkgrove.locks import file_lock
from sparkgrove.workspace import Workspace


def _plan(workspace: Workspace, tmp_path: Path) -> Plan:
    staged = tmp_path / "staged" / "part-0.csv"
    staged.parent.mkdir(parents=True)
    staged.write_text("a\n1\n2\n")
    target = tmp_path / "target"
    plan = Plan.new("job", None)
    plan.moves.append([str(staged), str(target / "part-0.csv")])
    plan.tables.append(TablePlan("lake", "t", str(target), "csv", [["a", "bigint"]], [], 2))
    return plan


def test_recovery_never_runs_a_journal_whose_publisher_holds_the_lock(
        workspace: Workspace, tmp_path: Path) -> None:
    plan = _plan(workspace, tmp_path)
    write_journal(workspace, plan)
    finished: list[list[str]] = []
    with file_lock(publish_lock(workspace)):  # a publish in progress
        other = threading.Thread(target=lambda: finished.append(recover(workspace)))
        other.start()
        other.join(1.0)
        assert other.is_alive() and not finished, "recovery must wait for the live publish"
        assert not (tmp_path / "target" / "part-0.csv").exists()
    other.join(30)
    assert finished == [[plan.id]]
    assert (tmp_path / "target" / "part-0.csv").read_text() == "a\n1\n2\n"
    assert workspace.catalog.table("lake.t").properties["recordCount"] == "2"


def test_opening_the_workspace_finishes_a_publish_left_by_a_kill(
        workspace: Workspace, tmp_path: Path) -> None:
    plan = _plan(workspace, tmp_path)
    write_journal(workspace, plan)
    reopened = Workspace(workspace.settings)
    assert reopened.catalog.table("lake.t").properties["recordCount"] == "2"
    assert recover(reopened) == []  # done once, never twice
    assert reopened.catalog.table("lake.t").properties["recordCount"] == "2"
