"""EMR's Spark steps as AWS documents them: the CLI's Type=Spark form and command-runner.jar."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparkgrove.cluster.emr_steps import check_fits, parse_steps, split_submit_args
from sparkgrove.cluster.spec import build_spec
from sparkgrove.errors import ConfigError
from sparkgrove.settings import Settings

# `aws emr add-steps --steps file://steps.json`, in the forms of EMR's developer guide.
SHORTHAND = [{"Type": "Spark", "Name": "Spark program", "ActionOnFailure": "CONTINUE",
              "Args": ["--deploy-mode", "cluster", "--executor-memory", "512m",
                       "--conf", "spark.sparkgrove.marker=from-step",
                       "s3://my-bucket/jobs/wordcount.py", "s3://my-bucket/input", "10"]}]
API = {"Steps": [{"Name": "with command-runner", "ActionOnFailure": "TERMINATE_JOB_FLOW",
                  "HadoopJarStep": {"Jar": "command-runner.jar", "Args": [
                      "spark-submit", "--master", "yarn", "--executor-cores=1", "/tmp/job.py"]}}]}


def test_emr_step_forms_are_read_as_spark_submit(settings: Settings) -> None:
    [step] = parse_steps(SHORTHAND, settings, source="steps.json")
    assert step.name == "Spark program" and step.action_on_failure == "CONTINUE"
    assert step.spark_args == ["--executor-memory", "512m", "--conf",
                               "spark.sparkgrove.marker=from-step"]
    assert step.target == str(settings.workspace / "s3" / "my-bucket" / "jobs" / "wordcount.py")
    assert step.args == ["s3://my-bucket/input", "10"]
    assert step.notes == ["--deploy-mode cluster is left out: Spark's standalone manager runs "
                          "Python drivers in client mode only, so the driver runs beside the "
                          "master"]
    [api] = parse_steps(API, settings, source="steps.json")
    assert api.action_on_failure == "TERMINATE_CLUSTER" and api.spark_args == [
        "--executor-cores=1"]
    assert api.target == "/tmp/job.py" and "--master yarn is left out" in api.notes[0]


@pytest.mark.parametrize(("steps", "match"), [
    ([{"Type": "Hive", "Args": ["-f", "q.sql"]}], "Type 'Hive' is not offered"),
    ([{"Type": "Spark", "Args": ["--executor-memory"]}], "--executor-memory needs a value"),
    ([{"Type": "Spark", "Args": ["--verbose"]}], "no script after its options"),
    ([{"HadoopJarStep": {"Jar": "s3://b/my.jar", "Args": ["x"]}}], "only command-runner.jar"),
    ([{"HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["hive-script", "x"]}}],
     "must run spark-submit"),
    ([{"Type": "Spark", "Args": ["a.py"], "ActionOnFailure": "PANIC"}],
     "ActionOnFailure must be one of"),
    ([{"Type": "Spark", "Args": ["a.py"], "Nmae": "typo"}], "unknown key.*Nmae"),
    ([], "EMR steps are a list"),
])
def test_steps_that_cannot_run_here_are_refused(settings: Settings, steps: object,
                                                match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_steps(steps, settings, source="steps.json")


def test_executors_larger_than_a_worker_are_refused_before_queueing() -> None:
    spec = build_spec({"name": "c", "workers": 2, "cores": 1, "memory": "1g"})
    check_fits(["--executor-memory", "1g", "--executor-cores=1"], spec)
    with pytest.raises(ConfigError, match="--executor-memory 2g is more than a worker"):
        check_fits(["--executor-memory=2g"], spec)
    with pytest.raises(ConfigError, match="--executor-cores 2 is more than a worker"):
        check_fits(["--conf", "spark.executor.cores=2"], spec)
    options, rest, _ = split_submit_args(["--verbose", "--num-executors", "2", "job.py", "-x"])
    assert options == ["--verbose", "--num-executors", "2"] and rest == ["job.py", "-x"]


def test_a_script_must_exist(settings: Settings, tmp_path: Path) -> None:
    from sparkgrove.cluster.steps import step_kind

    [step] = parse_steps([{"Type": "Spark", "Args": ["s3://nowhere/job.py"]}], settings,
                         source="s.json")
    with pytest.raises(ConfigError, match="does not exist"):
        step_kind(step.target)
