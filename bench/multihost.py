"""A cluster across hosts: `cluster up` of a three-host cluster (a master and two workers, each
host a network namespace with its own sshd, as the tests make them) until every worker has
registered, against a one-host cluster (master and one worker on the same host); and the same
training step on each. Alternates the two over rounds; prints medians and ratios.

The namespaces share this machine's two cores, so three hosts cannot be faster here: the ratios
measure the overhead of SSH, of the checks of every host, of encrypted RPC and of shuffles
between hosts, not a speed-up. Needs root and Debian's openssh-server (as `make test` does).

    .venv/bin/python bench/multihost.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.cluster import netns
from tests.helpers import classification_rows, write_csv

from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.cluster.spec import load_spec
from sparkgrove.cluster.steps import add_step
from sparkgrove.settings import load_settings
from sparkgrove.store.db import open_database
from sparkgrove.store.step_store import StepStore
from sparkgrove.workspace import Workspace


def spec_file(root: Path, name: str, hosts: netns.Hosts, workers: list[str],
              primary: str) -> Path:
    path = root / f"{name}.toml"
    listed = ", ".join(f'"{h}"' for h in workers)
    path.write_text(f'name = "{name}"\n[primary]\nhost = "{primary}"\n[[core]]\nhosts = '
                    f'[{listed}]\ncores = {2 // len(workers)}\nmemory = "2g"\n[ssh]\n'
                    f'user = "root"\nkey = "{hosts.key}"\n')
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    why = netns.available()
    if why:
        sys.exit(f"bench/multihost.py: {why}")
    root = Path(tempfile.mkdtemp(prefix="sparkgrove-bench-multihost-"))
    hosts = netns.Hosts(root / "hosts")
    hosts.start(3)
    try:
        settings = load_settings(workspace=root / "ws", environ={}, cwd=root)
        settings.ensure_dirs()
        write_csv(root / "raw" / "a.csv", ["x1", "x2", "color", "label"],
                  classification_rows(200_000, seed=3))
        Workspace(settings).catalog.crawl(root / "raw", "bench", table="events")
        manager = ClusterManager(settings, open_database(settings.catalog_url))
        master, first, second = hosts.addresses
        specs = {"three hosts": spec_file(root, "three", hosts, [first, second], master),
                 "one host": spec_file(root, "one", hosts, [master], master)}
        up: dict[str, list[float]] = {k: [] for k in specs}
        step: dict[str, list[float]] = {k: [] for k in specs}
        for r in range(args.rounds):
            order = list(specs) if r % 2 == 0 else list(reversed(specs))
            for label in order:
                spec = load_spec(specs[label])
                start = time.perf_counter()
                manager.up(spec)
                up[label].append(time.perf_counter() - start)
                steps = StepStore(manager.db)
                queued = add_step(steps, spec.name, "train", [
                    "bench.events", "--label", "label", "--engine", "spark", "--model",
                    f"bench_{spec.name}", "--json"], name="train", action_on_failure="CONTINUE",
                    log_dir=manager.folder(spec.name) / "steps")
                start = time.perf_counter()
                while not (done := steps.get(queued.id)).state.final:
                    time.sleep(0.2)
                step[label].append(time.perf_counter() - start)
                assert done.state == "COMPLETED", Path(done.log_path).read_text()[-2000:]
                manager.down(spec.name)
        print(f"{'cluster':12} {'up (median)':>12} {'train step (median)':>20}")
        for label in specs:
            print(f"{label:12} {statistics.median(up[label]):>10.1f} s "
                  f"{statistics.median(step[label]):>18.1f} s")
        ratio_up = statistics.median(up["three hosts"]) / statistics.median(up["one host"])
        ratio_step = statistics.median(step["three hosts"]) / statistics.median(step["one host"])
        print(f"three hosts / one host: up {ratio_up:.2f}x, train step {ratio_step:.2f}x "
              f"(two shared cores: overhead, not speed-up)")
    finally:
        hosts.stop()


if __name__ == "__main__":
    main()
