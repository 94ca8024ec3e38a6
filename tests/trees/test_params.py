"""The one declaration of the tree parameters, checked against everything built from it: the
dataclass, the local estimators' signatures, MLlib's own estimators and the CLI."""

import dataclasses
import inspect

import pytest

from sparkgrove.errors import ConfigError
from sparkgrove.trees import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    GBTClassifier,
    GBTRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sparkgrove.trees.params import SPEC, SPECS, TreeParams

LOCAL = {("tree", "classification"): DecisionTreeClassifier,
         ("tree", "regression"): DecisionTreeRegressor,
         ("forest", "classification"): RandomForestClassifier,
         ("forest", "regression"): RandomForestRegressor,
         ("gbt", "classification"): GBTClassifier, ("gbt", "regression"): GBTRegressor}


def test_the_dataclass_has_exactly_the_declared_parameters_and_defaults() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(TreeParams)}
    assert fields == {spec.name: spec.default for spec in SPECS}


@pytest.mark.parametrize(("algorithm", "task"), sorted(LOCAL))
def test_the_local_estimators_take_each_declared_parameter_with_its_default(
        algorithm: str, task: str) -> None:
    signature = inspect.signature(LOCAL[algorithm, task])
    expected = TreeParams(algorithm=algorithm).local_params(task)
    for name, value in expected.items():
        assert name in signature.parameters, f"{name} is missing"
        default = signature.parameters[name].default
        if name == "impurity":
            assert default is None  # resolved per task, as TreeParams resolves it
        else:
            assert default == value, name


@pytest.mark.parametrize(("algorithm", "task"), sorted(LOCAL))
def test_mllib_names_and_defaults_are_mllibs_own(spark: object, algorithm: str,
                                                 task: str) -> None:
    from pyspark.ml import classification, regression

    module = classification if task == "classification" else regression
    kind = {"tree": "DecisionTree", "forest": "RandomForest", "gbt": "GBT"}[algorithm]
    estimator = getattr(module, kind + ("Classifier" if task == "classification"
                                        else "Regressor"))()
    for name, value in TreeParams(algorithm=algorithm, seed=7).mllib_params(task).items():
        assert estimator.hasParam(name), f"MLlib's {kind} has no {name}"
        if name != "seed":
            assert estimator.getOrDefault(name) == value, name
    for spec in SPECS:  # every MLlib name declared for this algorithm is MLlib's
        if spec.mllib and algorithm in spec.algorithms:
            assert estimator.hasParam(spec.mllib), spec.mllib


def test_the_cli_train_options_are_the_declared_ones() -> None:
    import typer.main

    from sparkgrove.cli.main import app

    command = typer.main.get_command(app).commands["train"]  # type: ignore[attr-defined]
    options = {p.name: p for p in command.params}
    for spec in SPECS:
        if spec.name == "seed":
            continue  # --seed seeds the split too; the model's seed follows it
        assert options[spec.name].default == spec.default, spec.name
        assert options[spec.name].help == spec.help, spec.name


def test_rules_come_from_the_declaration_on_both_sides() -> None:
    with pytest.raises(ConfigError, match="'max_bins' parameter must be an int in the range"):
        TreeParams(max_bins=70_000).check_common()
    with pytest.raises(ConfigError, match="'max_bins' parameter of DecisionTreeClassifier must "
                                          "be an int in the range"):
        DecisionTreeClassifier(max_bins=70_000).fit([[0.0], [1.0]], [0, 1])
    assert SPEC["max_bins"].accepts(300) and not SPEC["max_bins"].accepts(True)


def test_a_parameter_an_engine_does_not_use_is_reported() -> None:
    params = TreeParams(max_memory_in_mb=512, num_trees=5, leaf_values="newton",
                        algorithm="gbt")
    local = params.unused("local")
    assert any(line.startswith("max_memory_in_mb=512 is not used by the local engine")
               for line in local)
    assert any(line.startswith("num_trees=5 is not used by algorithm gbt") for line in local)
    spark = params.unused("spark")
    assert any(line.startswith("leaf_values='newton' is not used by the spark engine")
               for line in spark)
    assert TreeParams().unused("local") == [] == TreeParams().unused("spark")


def test_the_readme_names_every_declared_train_option() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    missing = [spec.name for spec in SPECS
               if "--" + spec.name.replace("_", "-") not in readme]
    assert missing == [], f"README does not document {missing}"
