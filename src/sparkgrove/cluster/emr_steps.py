"""EMR's Spark steps: spark-submit options and the steps JSON of ``aws emr add-steps``.

A Spark step is ``Type=Spark,Args=[spark-submit options..., script, script args...]`` (the
CLI's shorthand and its JSON file), or the API's ``HadoopJarStep`` running
``command-runner.jar`` with ``spark-submit`` first in its ``Args``. Options keep their meaning
on a sparkgrove cluster, with two exceptions said in the step's notes: ``--master`` (the step
runs on its cluster's master) and ``--deploy-mode cluster`` (Spark's standalone manager runs
Python drivers in client mode only). ``s3://`` scripts are read from the workspace's object
store, as the Glue API reads ``s3://`` paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparkgrove.cluster.spec import ClusterSpec, parse_memory
from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings

FLAGS = frozenset({"--verbose", "-v", "--supervise"})
"""spark-submit options that take no value."""
DROPPED = {
    "--master": "the step runs on its cluster's master",
    "--deploy-mode": "Spark's standalone manager runs Python drivers in client mode only, so "
                     "the driver runs beside the master",
}
ACTIONS = ("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER", "TERMINATE_JOB_FLOW")


@dataclass
class StepRequest:
    """One step to queue, read from EMR's form."""

    name: str | None
    target: str
    args: list[str]
    spark_args: list[str]
    action_on_failure: str = "CONTINUE"
    notes: list[str] = field(default_factory=list)


def split_submit_args(args: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``(spark-submit options, [script, *script args], notes)`` of a Spark step's ``Args``.
    Options come before the script; ``--opt value`` and ``--opt=value`` are both read."""
    options: list[str] = []
    notes: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        key, has_value, _ = arg.partition("=")
        if arg in FLAGS:
            options.append(arg)
            i += 1
            continue
        if not has_value and i + 1 >= len(args):
            raise ConfigError(f"The spark-submit option {arg} needs a value.")
        pair = [arg] if has_value else [arg, args[i + 1]]
        i += len(pair)
        if key in DROPPED:
            notes.append(f"{' '.join(pair)} is left out: {DROPPED[key]}")
            continue
        options += pair
    return options, args[i:], notes


def _option_values(options: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    i = 0
    while i < len(options):
        key, has_value, value = options[i].partition("=")
        if options[i] in FLAGS:
            i += 1
            continue
        if not has_value:
            value = options[i + 1]
            i += 1
        i += 1
        if key == "--conf":
            conf_key, _, conf_value = value.partition("=")
            values[conf_key] = conf_value
        else:
            values[key] = value
    return values


def check_fits(spark_args: list[str], spec: ClusterSpec) -> None:
    """Refuse executor sizes no worker of ``spec`` can hold, before anything is queued."""
    values = _option_values(spark_args)
    memory = values.get("--executor-memory", values.get("spark.executor.memory"))
    if memory is not None and parse_memory(memory, "--executor-memory") > spec.memory_bytes:
        raise ConfigError(f"--executor-memory {memory} is more than a worker of cluster "
                          f"{spec.name} holds ({spec.memory}); no executor could start.")
    cores = values.get("--executor-cores", values.get("spark.executor.cores"))
    if cores is not None:
        if not cores.isdigit() or int(cores) < 1:
            raise ConfigError(f"--executor-cores must be a whole number >= 1; got {cores!r}.")
        if int(cores) > spec.cores:
            raise ConfigError(f"--executor-cores {cores} is more than a worker of cluster "
                              f"{spec.name} has ({spec.cores}); no executor could start.")


def local_target(target: str, settings: Settings) -> str:
    """A step's script: an ``s3://`` path read from the workspace's object store."""
    if target.startswith(("s3://", "s3a://", "s3n://")):
        from sparkgrove.etl.paths import resolve_path

        return str(resolve_path(target, settings))
    return target


def _step_args(step: dict[str, Any], where: str, source: str) -> list[str]:
    kind = str(step.get("Type", "")).upper()
    jar = step.get("HadoopJarStep")
    if isinstance(jar, dict):
        args = jar.get("Args")
        if str(jar.get("Jar", "")).rsplit("/", 1)[-1] != "command-runner.jar":
            raise ConfigError(f"{source}: {where}: HadoopJarStep runs {jar.get('Jar')!r}; only "
                              "command-runner.jar with spark-submit is offered here.")
    elif kind in ("SPARK", ""):
        args = step.get("Args")
        if kind == "SPARK" and isinstance(args, list):
            args = ["spark-submit", *args]
    elif kind == "CUSTOM_JAR":
        args = step.get("Args")
        if str(step.get("Jar", "")).rsplit("/", 1)[-1] != "command-runner.jar":
            raise ConfigError(f"{source}: {where}: a CUSTOM_JAR step is offered only for "
                              "command-runner.jar with spark-submit.")
    else:
        raise ConfigError(f"{source}: {where}: Type {step.get('Type')!r} is not offered; "
                          "steps here are Spark steps (Type Spark, or command-runner.jar "
                          "with spark-submit).")
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise ConfigError(f"{source}: {where}: Args must be a list of strings.")
    if not args or args[0] != "spark-submit":
        raise ConfigError(f"{source}: {where}: Args must run spark-submit (got "
                          f"{args[:1] or 'nothing'}).")
    return list(args[1:])


def parse_steps(data: Any, settings: Settings, *, source: str) -> list[StepRequest]:
    """Steps from EMR's JSON: a list of steps, or ``{"Steps": [...]}``."""
    if isinstance(data, dict) and "Steps" in data:
        data = data["Steps"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{source}: EMR steps are a list of objects with Type, Name, "
                          "ActionOnFailure and Args.")
    requests: list[StepRequest] = []
    for i, step in enumerate(data):
        where = f"step {i + 1}"
        if not isinstance(step, dict):
            raise ConfigError(f"{source}: {where} must be an object.")
        unknown = sorted(set(step) - {"Type", "Name", "ActionOnFailure", "Args", "Jar",
                                      "MainClass", "Properties", "HadoopJarStep"})
        if unknown:
            raise ConfigError(f"{source}: {where} has unknown key(s) {', '.join(unknown)}.")
        action = str(step.get("ActionOnFailure", "CONTINUE")).upper()
        if action not in ACTIONS:
            raise ConfigError(f"{source}: {where}: ActionOnFailure must be one of "
                              f"{', '.join(ACTIONS)}; got {action!r}.")
        options, rest, notes = split_submit_args(_step_args(step, where, source))
        if not rest:
            raise ConfigError(f"{source}: {where}: spark-submit has no script after its "
                              "options.")
        requests.append(StepRequest(
            name=step.get("Name"), target=local_target(rest[0], settings), args=rest[1:],
            spark_args=options, notes=notes,
            action_on_failure="TERMINATE_CLUSTER" if action == "TERMINATE_JOB_FLOW" else action))
    return requests
