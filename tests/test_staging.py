"""Staging folders of dead runs are swept; live runs' folders are never touched."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sparkgrove.settings import Settings
from sparkgrove.staging import OWNER_FILE, new_staging, sweep
from sparkgrove.workspace import Workspace


def test_a_dead_runs_staging_is_swept_and_a_live_ones_kept(settings: Settings) -> None:
    settings.ensure_dirs()
    root = settings.staging
    made = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; "
         "from sparkgrove.staging import new_staging; "
         "print(new_staging(Path(sys.argv[1]), 'etl'))", str(root)],
        capture_output=True, text=True, check=True, timeout=60)
    dead = Path(made.stdout.strip())  # its owner has exited, as a run killed with -9 has
    (dead / "data").mkdir()
    live = new_staging(root, "predict")
    unowned_new = root / "old-style-new"
    unowned_new.mkdir()
    unowned_old = root / "old-style-old"
    unowned_old.mkdir()
    old = time.time() - 2 * 24 * 3600
    os.utime(unowned_old, (old, old))
    Workspace(settings)  # opening the workspace sweeps
    assert not dead.exists() and not unowned_old.exists()
    assert live.exists() and (live / OWNER_FILE).exists() and unowned_new.exists()
    assert sweep(root) == []


def test_a_model_folder_left_by_a_kill_before_its_record_never_blocks(
        settings: Settings) -> None:
    from sparkgrove.trees.model import TreeModel
    from tests.trees.test_model import _model

    ws = Workspace(settings)
    model: TreeModel = _model()
    orphan = settings.models_dir / "churn" / "1-0badf00d"  # renamed in, never recorded
    orphan.mkdir(parents=True)
    (orphan / "tree_model.json").write_text(model.to_json())
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    first = ws.registry.register("churn", engine="local", task="classification", params={},
                                 metrics={}, lineage={}, tree_model=model)
    assert first.version == 1 and Path(first.artifact_path).exists()
    assert not orphan.exists(), "the unreferenced folder was swept"
    again = ws.registry.register("churn", engine="local", task="classification", params={},
                                 metrics={}, lineage={}, tree_model=model)
    assert again.version == 2 and again.artifact_path != first.artifact_path
    assert not any(settings.staging.iterdir())


REGISTER = """
import sys, time
from pathlib import Path
from sparkgrove.settings import load_settings
from sparkgrove.workspace import Workspace
from tests.trees.test_model import _model
go = Path(sys.argv[2])
ws = Workspace(load_settings(workspace=sys.argv[1], environ={}))
while not go.exists():
    time.sleep(0.005)
v = ws.registry.register("shared", engine="local", task="classification", params={},
                         metrics={}, lineage={}, tree_model=_model())
print(v.version)
"""


def test_several_processes_registering_one_model_get_distinct_versions(
        settings: Settings, tmp_path: Path) -> None:
    settings.ensure_dirs()
    Workspace(settings)
    script = tmp_path / "register.py"
    script.write_text(REGISTER)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, str(script), str(settings.workspace), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(4)]
    time.sleep(1.0)
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    for (_out, err), proc in zip(outputs, procs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    assert sorted(int(out) for out, _ in outputs) == [1, 2, 3, 4]
    versions = Workspace(settings).registry.versions("shared")
    assert len({v.artifact_path for v in versions}) == 4
    assert all(Path(v.artifact_path).is_dir() for v in versions)
