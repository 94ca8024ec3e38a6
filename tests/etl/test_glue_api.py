"""Conformance with AWS Glue's documented PySpark API, walked name by name.

The table in ``sparkgrove.etl.glue_api`` is written from AWS's reference pages; these tests
hold the code to it: every documented callable exists under Glue's module name, with the same
parameter names in the same order and the same defaults (a documented ``{}`` default is
``None`` here, Python's idiom for it, with the same meaning), and those not offered locally
raise ``NotImplementedError`` naming the API and the reason.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from sparkgrove.errors import NotOfferedError, SparkgroveError
from sparkgrove.etl.glue_api import DOCUMENTED, OK, Api, markdown_table

README = Path(__file__).parents[2] / "README.md"


def _target(api: Api) -> Any:
    module = importlib.import_module(api.module)
    obj: Any = module
    for part in api.qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _documented(params: str) -> list[inspect.Parameter]:
    fn = eval(f"lambda {params}: None")  # the table's own text, not user input
    return list(inspect.signature(fn).parameters.values())


def _actual(api: Api) -> list[inspect.Parameter]:
    params = list(inspect.signature(_target(api)).parameters.values())
    owner = api.qualname.rsplit(".", 1)[0] if "." in api.qualname else ""
    method = api.qualname.rsplit(".", 1)[-1]
    if owner:
        raw = inspect.getattr_static(getattr(importlib.import_module(api.module), owner), method)
        if not isinstance(raw, classmethod | staticmethod) and params and \
                params[0].name == "self":
            params = params[1:]
    return params


def _same_default(documented: Any, actual: Any) -> bool:
    if documented == {} and actual is None:
        return True
    return bool(documented == actual and type(documented) is type(actual))


@pytest.mark.parametrize("api", DOCUMENTED, ids=lambda a: f"{a.module}:{a.qualname}")
def test_documented_signature(api: Api) -> None:
    expected, actual = _documented(api.params), _actual(api)
    positional = [p for p in expected if p.kind is not p.VAR_KEYWORD]
    got = [p for p in actual if p.kind is not p.VAR_KEYWORD][:len(positional)]
    assert [p.name for p in got] == [p.name for p in positional], api.qualname
    for want, have in zip(positional, got, strict=True):
        if want.kind is want.VAR_POSITIONAL:
            assert have.kind is have.VAR_POSITIONAL, (api.qualname, want.name)
            continue
        assert have.kind in (have.POSITIONAL_OR_KEYWORD, have.POSITIONAL_ONLY), \
            (api.qualname, want.name, "must be positional as documented")
        if want.default is want.empty:
            assert have.default is have.empty, (api.qualname, want.name, "must be required")
        else:
            assert _same_default(want.default, have.default), \
                (api.qualname, want.name, want.default, have.default)
    for extra in [p for p in actual if p.kind is not p.VAR_KEYWORD][len(positional):]:
        assert extra.default is not extra.empty or extra.kind is extra.VAR_POSITIONAL, \
            (api.qualname, f"extra parameter {extra.name} must be optional")
    if any(p.kind is p.VAR_KEYWORD for p in expected):
        assert any(p.kind is p.VAR_KEYWORD for p in actual), (api.qualname, "**kwargs")


NOT_OFFERED = [a for a in DOCUMENTED if a.status != OK]


@pytest.mark.parametrize("api", NOT_OFFERED, ids=lambda a: a.qualname)
def test_not_offered_apis_say_so(api: Api) -> None:
    owner_name, method = api.qualname.rsplit(".", 1)
    owner = getattr(importlib.import_module(api.module), owner_name)
    instance = object.__new__(owner)
    required = [p for p in _documented(api.params)
                if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    with pytest.raises(NotImplementedError) as caught:
        getattr(instance, method)(*[None] * len(required))
    assert isinstance(caught.value, NotOfferedError)
    assert isinstance(caught.value, SparkgroveError)
    text = str(caught.value)
    assert api.qualname in text and api.status in text


def test_awsglue_exports_what_glue_scripts_import() -> None:
    from awsglue import DynamicFrame as TopLevel
    from awsglue.dynamicframe import DynamicFrame

    assert TopLevel is DynamicFrame
    transforms = importlib.import_module("awsglue.transforms")
    for name in ["ApplyMapping", "DropFields", "DropNullFields", "ErrorsAsDynamicFrame",
                 "Filter", "FlatMap", "Join", "Map", "MapToCollection", "Relationalize",
                 "RenameField", "ResolveChoice", "SelectFields", "SelectFromCollection",
                 "Spigot", "SplitFields", "SplitRows", "Unbox", "UnnestFrame"]:
        assert name in transforms.__all__
    ns: dict[str, Any] = {}
    exec("from awsglue.transforms import *", ns)
    assert "ApplyMapping" in ns and "SelectFromCollection" in ns
    for module in ["awsglue.context", "awsglue.job", "awsglue.utils", "awsglue.data_sink",
                   "awsglue.data_source", "awsglue.dynamicrecord", "awsglueml.transforms",
                   "boto3"]:
        importlib.import_module(module)


def test_transform_describe_follows_the_call_signature() -> None:
    from awsglue.transforms import ApplyMapping

    args = {a["name"]: a for a in ApplyMapping.describeArgs()}
    assert list(args) == ["frame", "mappings", "transformation_ctx", "info", "stageThreshold",
                          "totalThreshold"]
    assert not args["mappings"]["optional"] and args["info"]["optional"]
    assert ApplyMapping.name() == "ApplyMapping"
    assert ApplyMapping.describe()["transform"]["name"] == "ApplyMapping"


def test_readme_lists_every_documented_api_with_its_status() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8"), \
        "README's Glue table is stale: python -m sparkgrove.etl.glue_api prints it"
