"""``sparkgrove cluster`` and ``sparkgrove step``: EMR's clusters and steps on Spark standalone."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sparkgrove.cli.output import CliState, console, emit_json, table
from sparkgrove.errors import ConfigError
from sparkgrove.jsonable import to_jsonable

if TYPE_CHECKING:
    from sparkgrove.cluster.manager import ClusterManager
    from sparkgrove.store.step_store import StepStore

app = typer.Typer(help="Start, inspect and stop Spark standalone clusters.", no_args_is_help=True)
step_app = typer.Typer(help="Submit work to a cluster as steps, one at a time.",
                       no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
NameArg = Annotated[str, typer.Argument(help="Cluster name.")]


def _manager(ctx: typer.Context) -> ClusterManager:
    from sparkgrove.cluster.manager import ClusterManager
    from sparkgrove.store.db import open_database

    state: CliState = ctx.obj
    settings = state.settings(resolve_cluster=False)
    settings.ensure_dirs()
    return ClusterManager(settings, open_database(settings.catalog_url))


@app.command()
def up(ctx: typer.Context,
       spec_file: Annotated[Path | None, typer.Option(
           "--spec", help="Cluster spec: TOML, or EMR's configurations JSON.")] = None,
       name: Annotated[str | None, typer.Option(help="Cluster name (default 'default').")] = None,
       workers: Annotated[int | None, typer.Option(help="Number of workers.")] = None,
       cores: Annotated[int | None, typer.Option(help="Cores per worker.")] = None,
       memory: Annotated[str | None, typer.Option(help="Memory per worker, e.g. 2g.")] = None,
       idle_timeout: Annotated[str | None, typer.Option(
           help="Shut down after this long idle, e.g. 30m (0: never).")] = None,
       timeout: Annotated[float, typer.Option(help="Seconds to wait for the workers.")] = 120.0,
       connect: Annotated[bool, typer.Option(
           help="Also start a Spark Connect server (loopback, token auth) for notebooks.")]
       = False,
       as_json: JsonOpt = False) -> None:
    """Start a master and workers as real JVM processes, loopback only, with a new secret."""
    from sparkgrove.cluster.spec import build_spec, load_spec

    overrides: dict[str, Any] = {"name": name, "workers": workers, "cores": cores,
                                 "memory": memory, "idle_timeout": idle_timeout}
    if spec_file is not None:
        spec = load_spec(spec_file, **overrides)
    else:
        spec = build_spec({"name": name or "default",
                           **{k: v for k, v in overrides.items() if v is not None and k != "name"}},
                          source="the flags")
    manager = _manager(ctx)
    with console.status(f"starting cluster {spec.name} ({spec.workers} x {spec.cores} core, "
                        f"{spec.memory})"):
        info = manager.up(spec, timeout=timeout, connect=connect)
    if as_json:
        emit_json(manager.status(info.name))
        return
    workers_web = [p for p in info.processes if p["role"] == "worker"]
    console.print(f"Cluster [bold]{info.name}[/bold] is up: {spec.workers} worker(s) registered.")
    console.print(f"  master URL   {info.master_url}")
    console.print(f"  master UI    {info.web_url}")
    for i, proc in enumerate(workers_web, start=1):
        where = proc.get("ui") or f"http://127.0.0.1:{proc['ports'][0]}"
        console.print(f"  worker {i} UI  {where}", markup=False)
    if spec.ui_tls:
        from sparkgrove.cluster.web_ui import ca_file

        console.print(f"  UIs need a token (`sparkgrove cluster ui-token {info.name}`) and trust "
                      f"{ca_file(manager.folder(info.name))}", markup=False)
    connect_proc = next((p for p in info.processes if p["role"] == "connect"), None)
    if connect_proc:
        console.print(f"  Spark Connect sc://127.0.0.1:{connect_proc['ports'][0]} (token in "
                      f"{manager.folder(info.name) / 'connect-token'})")
    console.print(f"Run work there with --cluster {info.name}; stop it with "
                  f"`sparkgrove cluster down {info.name}`.")


@app.command()
def status(ctx: typer.Context, name: NameArg = "default", as_json: JsonOpt = False) -> None:
    """Show a cluster's state as its master reports it."""
    data = _manager(ctx).status(name)
    if as_json:
        emit_json(data)
        return
    console.print(f"[bold]{data['name']}[/bold]: {data['state']} {data['message']}")
    console.print(f"  master {data['master_url']}  UI {data['web_url']}")
    master = data.get("master")
    if master:
        console.print(f"  workers alive {master['alive_workers']}, cores {master['cores_used']}"
                      f"/{master['cores']} used, memory {master['memory_used_mb']}"
                      f"/{master['memory_mb']} MB used")
        for app_info in master["active_apps"]:
            console.print(f"  running application {app_info['id']} {app_info['name']}")
    table("Processes", ["role", "host", "pid", "alive", "ports"],
          [(p["role"], p.get("host") or "this machine", p["pid"],
            "yes" if p["alive"] else "[red]DEAD[/red]", ",".join(map(str, p["ports"])))
           for p in data["processes"]])


HostsArg = Annotated[list[str], typer.Argument(help="Host names or addresses.")]


@app.command("add-workers")
def add_workers(ctx: typer.Context, name: NameArg, hosts: HostsArg,
                cores: Annotated[int, typer.Option(help="Cores per new worker.")] = 1,
                memory: Annotated[str, typer.Option(help="Memory per new worker.")] = "1g",
                group: Annotated[str, typer.Option(help="core or task (as EMR's groups).")]
                = "task", as_json: JsonOpt = False) -> None:
    """Add workers on HOSTS to a cluster of several hosts (each host checked first)."""
    from sparkgrove.cluster.resize import add_workers as add

    info = add(_manager(ctx), name, list(hosts), cores=cores, memory=memory, group=group)
    if as_json:
        emit_json(info)
        return
    console.print(f"Cluster {name} now has {info.spec.workers} worker(s): "
                  f"{', '.join(w['host'] for w in info.spec.worker_hosts)}", markup=False)


@app.command("remove-workers")
def remove_workers(ctx: typer.Context, name: NameArg, hosts: HostsArg,
                   drain_timeout: Annotated[float, typer.Option(
                       help="Seconds to let running tasks finish before the worker stops.")]
                   = 300.0, as_json: JsonOpt = False) -> None:
    """Drain the workers on HOSTS (running tasks finish, no new ones start), then stop them."""
    from sparkgrove.cluster.resize import remove_workers as remove

    removed = remove(_manager(ctx), name, list(hosts), drain_timeout=drain_timeout)
    if as_json:
        emit_json(removed)
        return
    for item in removed:
        how = "drained" if item["drained"] else f"not drained within {drain_timeout:.0f}s"
        console.print(f"worker on {item['host']} (pid {item['pid']}) {how}, stopped",
                      markup=False)


@app.command("ui-token")
def ui_token(ctx: typer.Context, name: NameArg,
             minutes: Annotated[float, typer.Option(
                 min=1, max=24 * 60, help="How long the token stays valid.")] = 10.0,
             as_json: JsonOpt = False) -> None:
    """Print a bearer token for the web UIs of a cluster whose spec has \\[web_ui] tls.

    curl -H "Authorization: Bearer $(sparkgrove cluster ui-token NAME)" --cacert CA URL
    """
    from sparkgrove.cluster.web_ui import bearer_token, ca_file

    manager = _manager(ctx)
    info = manager.get(name)
    if not info.spec.ui_tls:
        raise ConfigError(f"Cluster {name}'s web UIs are on loopback on their hosts and take no "
                          "token; reach them through `sparkgrove console` or an SSH tunnel, or "
                          "add [web_ui] tls = true to its spec.")
    token = bearer_token(manager.secret(name), minutes=minutes)
    if as_json:
        emit_json({"token": token, "minutes": minutes, "web_url": info.web_url,
                   "ca_file": str(ca_file(manager.folder(name)))})
        return
    typer.echo(token)


@app.command()
def down(ctx: typer.Context, name: NameArg = "default", as_json: JsonOpt = False) -> None:
    """Stop exactly the processes the cluster started."""
    stopped = _manager(ctx).down(name)
    if as_json:
        emit_json(stopped)
        return
    for proc in stopped:
        verb = "stopped" if proc["was_running"] else "was not running"
        console.print(f"{proc['role']} (pid {proc['pid']}) {verb}")
    console.print(f"Cluster {name} is down.")


@app.command("list")
def list_clusters(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List clusters and their states."""
    found = _manager(ctx).list_clusters()
    if as_json:
        emit_json(found)
        return
    table("Clusters", ["name", "state", "master", "workers", "message"],
          [(c.name, c.state, c.master_url, c.spec.workers, c.message) for c in found])


def _steps(ctx: typer.Context) -> tuple[ClusterManager, StepStore]:
    from sparkgrove.store.step_store import StepStore

    manager = _manager(ctx)
    return manager, StepStore(manager.db)


@step_app.command("add", context_settings={"allow_extra_args": True,
                                           "ignore_unknown_options": True})
def step_add(ctx: typer.Context, cluster: NameArg,
             script: Annotated[str | None, typer.Argument(
                 help="A PySpark script (*.py, s3:// too), a notebook (*.ipynb), or crawl, "
                      "train or predict.")] = None,
             name: Annotated[str | None, typer.Option(help="Step name.")] = None,
             action_on_failure: Annotated[str, typer.Option(
                 help="CONTINUE, CANCEL_AND_WAIT or TERMINATE_CLUSTER.")] = "CONTINUE",
             spark_arg: Annotated[list[str] | None, typer.Option(
                 "--spark-arg", help="A spark-submit option for the step, e.g. "
                                     "--spark-arg --executor-memory=512m (repeat).")] = None,
             emr_steps: Annotated[Path | None, typer.Option(
                 "--emr-steps", help="EMR's steps JSON (aws emr add-steps --steps file://...): "
                                     "Spark steps are queued in order.")] = None,
             wait: Annotated[bool, typer.Option(help="Wait for the step to end.")] = False,
             as_json: JsonOpt = False) -> None:
    """Queue a step; extra arguments go to the script or command."""
    import json

    from sparkgrove.cluster.emr_steps import (
        StepRequest,
        local_target,
        parse_steps,
        split_submit_args,
    )

    manager, steps = _steps(ctx)
    if (script is None) == (emr_steps is None):
        raise ConfigError("Give a script (or crawl/train/predict) or --emr-steps FILE, not "
                          "both and not neither.")
    if emr_steps is not None:
        try:
            data = json.loads(emr_steps.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise ConfigError(f"Cannot read {emr_steps}: {exc.strerror}.") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{emr_steps} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}.") from exc
        requests = parse_steps(data, manager.settings, source=str(emr_steps))
    else:
        assert script is not None
        options, _, notes = split_submit_args([*(spark_arg or []), "app"])
        requests = [StepRequest(name, local_target(script, manager.settings), list(ctx.args),
                                options, action_on_failure, notes)]
    from sparkgrove.cluster.steps import submit_steps, wait_for_steps

    queued = submit_steps(manager, cluster, requests)
    if wait:
        queued = wait_for_steps(steps, queued)
    if as_json:
        found = to_jsonable(queued)
        emit_json(found[0] if emr_steps is None else found)
        return
    for request, step in zip(requests, queued, strict=True):
        console.print(f"Step {step.id} ({step.name}) is {step.state}; logs: {step.log_path}")
        for note in request.notes:
            console.print(f"  note: {note}", markup=False)


@step_app.command("list")
def step_list(ctx: typer.Context, cluster: NameArg, as_json: JsonOpt = False) -> None:
    """List a cluster's steps."""
    _, steps = _steps(ctx)
    found = steps.for_cluster(cluster)
    if as_json:
        emit_json(found)
        return
    table(f"Steps of {cluster}", ["id", "name", "state", "exit", "started", "ended"],
          [(s.id, s.name, s.state, s.exit_code, s.started_at, s.ended_at) for s in found])


@step_app.command("show")
def step_show(ctx: typer.Context, step_id: int, as_json: JsonOpt = False) -> None:
    """Show one step."""
    _, steps = _steps(ctx)
    step = steps.get(step_id)
    if as_json:
        emit_json(step)
        return
    for key, value in to_jsonable(step).items():
        console.print(f"{key:>18}  {value}")


@step_app.command("logs")
def step_logs(ctx: typer.Context, step_id: int,
              tail: Annotated[int, typer.Option(help="Last lines only (0: all).")] = 0) -> None:
    """Print a step's driver log."""
    _, steps = _steps(ctx)
    step = steps.get(step_id)
    try:
        text = Path(step.log_path).read_text(errors="replace")
    except OSError:
        text = ""
    lines = text.splitlines()
    print("\n".join(lines[-tail:] if tail else lines))


@step_app.command("cancel")
def step_cancel(ctx: typer.Context, step_id: int) -> None:
    """Cancel a pending step, or stop a running one."""
    _, steps = _steps(ctx)
    from sparkgrove.cluster.steps import cancel_step

    console.print(cancel_step(steps, step_id))
