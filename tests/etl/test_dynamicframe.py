"""DynamicFrame transforms on small frames, in-process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sparkgrove.etl.context import ACTIVE_RUN, EtlRun, GlueContext
from sparkgrove.etl.dynamicframe import DynamicFrame, EtlError
from sparkgrove.etl.transforms import (
    DropFields,
    Filter,
    Map,
    ResolveChoice,
    SelectFields,
    Spigot,
    SplitFields,
    SplitRows,
    Unbox,
    Union,
    Unnest,
)
from sparkgrove.workspace import Workspace


@pytest.fixture
def glue(spark_workspace: Workspace) -> Any:
    token = ACTIVE_RUN.set(EtlRun(spark_workspace))
    yield GlueContext(spark_workspace.spark.sparkContext)
    ACTIVE_RUN.reset(token)


def _json_frame(glue: GlueContext, tmp_path: Path, records: list[Any]) -> DynamicFrame:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "d.json").write_text("\n".join(r if isinstance(r, str) else json.dumps(r)
                                             for r in records))
    return glue.create_dynamic_frame.from_options(
        connection_type="s3", connection_options={"paths": [str(folder)]},
        format="json")


def test_choice_resolutions(glue: GlueContext, tmp_path: Path) -> None:
    frame = _json_frame(glue, tmp_path, [{"k": 1, "v": 5}, {"k": 2, "v": "six"},
                                         {"k": 3, "v": 7.5}])
    assert frame.choices == {"v": ("double", "long", "string")}
    rows = lambda f: sorted(tuple(r) for r in f.toDF().collect())  # noqa: E731
    cols = ResolveChoice.apply(frame=frame, choice="make_cols")
    assert cols.toDF().columns == ["k", "v_double", "v_long", "v_string"]
    assert rows(frame.resolveChoice(specs=[("v", "project:long")])) == [
        (1, 5), (2, None), (3, None)]
    assert rows(frame.resolveChoice(specs=[("v", "cast:string")])) == [
        (1, "5"), (2, "six"), (3, "7.5")]
    struct = frame.resolveChoice(choice="make_struct")
    assert struct.choices == {} and struct.toDF().schema["v"].dataType.typeName() == "struct"


def test_map_keeps_failed_records_aside_and_thresholds(glue: GlueContext,
                                                       tmp_path: Path) -> None:
    frame = _json_frame(glue, tmp_path, [{"a": 1}, {"a": 0}, {"a": 4}, "{broken"])
    assert frame.errorsCount() == 1
    mapped = Map.apply(frame=frame, f=lambda r: {"a": r["a"], "inv": 1 / r["a"]})
    assert mapped.count() == 2 and mapped.stageErrorsCount() == 1
    errors = mapped.errorsAsDynamicFrame().toDF().collect()
    assert {e.transformation for e in errors} == {"map", f"read {tmp_path / 'in'}"}
    assert any("ZeroDivisionError" in e.error for e in errors)
    with pytest.raises(EtlError, match="stageThreshold=0|more than stageThreshold"):
        Map.apply(frame=frame, f=lambda r: 1 / 0, stageThreshold=1)
    with pytest.raises(EtlError, match="totalThreshold"):
        Map.apply(frame=frame, f=lambda r: {"x": 1 / r["a"]}, totalThreshold=1)
    kept = Filter.apply(frame=frame, f=lambda r: r["a"] > 0)
    assert sorted(r.a for r in kept.toDF().collect()) == [1, 4]


def test_fields_rows_nesting_union_and_spigot(glue: GlueContext, tmp_path: Path) -> None:
    frame = _json_frame(glue, tmp_path, [
        {"id": 1, "age": 30, "info": {"city": "Oslo", "zip": "0150"}, "raw": '{"x": 1}'},
        {"id": 2, "age": 12, "info": {"city": "Rome", "zip": "00100"}, "raw": '{"x": 2}'}])
    parts = SplitFields.apply(frame=frame, paths=["id", "age"], name1="a", name2="b")
    assert parts.select("a").toDF().columns == ["id", "age"]
    assert set(parts.select("b").toDF().columns) == {"info", "raw"}
    rows = SplitRows.apply(frame=frame, comparison_dict={"age": {">": 18}}, name1="adults",
                           name2="minors")
    assert [r.id for r in rows["adults"].toDF().collect()] == [1]
    assert [r.id for r in rows["minors"].toDF().collect()] == [2]
    flat = Unnest.apply(frame=frame)
    assert {"info.city", "info.zip"} <= set(flat.toDF().columns)
    boxed = Unbox.apply(frame=frame, path="raw", format="json")
    assert [r.raw.x for r in boxed.toDF().orderBy("id").collect()] == [1, 2]
    both = Union.apply(frame1=frame, frame2=frame)
    assert both.count() == 4
    assert SelectFields.apply(frame=frame, paths=["id"]).toDF().columns == ["id"]
    assert "age" not in DropFields.apply(frame=frame, paths=["age"]).toDF().columns
    Spigot.apply(frame=frame, path="s3://samples/people", options={"topk": 1})
    sample = list((glue.settings.workspace / "s3" / "samples" / "people").glob("*.json"))
    assert len(sample) == 1 and len(sample[0].read_text().splitlines()) == 1
    with pytest.raises(Exception, match="no field"):
        SelectFields.apply(frame=frame, paths=["nope"])
