"""The request and response bodies of the serving API, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

_SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"},
                     {"type": "null"}]}
"""A JSON value a feature takes: a number, text, a boolean, or null for missing. Checked
against the model's feature spec by the input encoder, which names the row and column of a
wrong value (a schema check here would cost more than the prediction and say less). Rows are
likewise taken as they come and checked there."""


class PredictRequest(BaseModel):
    """Rows to predict, as records or as columns (one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"instances": [{"bill_length_mm": 39.1, "island": "Torgersen"}]},
        {"columns": {"bill_length_mm": [39.1, 46.5], "island": ["Torgersen", "Dream"]}}]})

    instances: Annotated[list[Any] | None, WithJsonSchema(
        {"type": "array", "items": {"type": "object", "additionalProperties": _SCALAR}})] = Field(
        default=None, description="Records: one object of column: value per row.")
    columns: Annotated[dict[str, Any] | None, WithJsonSchema(
        {"type": "object", "additionalProperties": {"type": "array", "items": _SCALAR}})] = Field(
        default=None, description="Columns: each column's values, one per row.")
    probabilities: bool = Field(default=True, description="Also return class probabilities "
                                                         "(classification models).")


class PredictResponse(BaseModel):
    """Predictions, in the rows' order, and the version that made them."""

    model: str
    version: int = Field(description="The registry version that answered.")
    reference: str = Field(description="What the server follows for this model: NAME, "
                                       "NAME:VERSION or NAME@ALIAS.")
    task: Literal["classification", "regression"]
    predictions: list[str | float]
    classes: list[str] | None = Field(default=None, description="Class names in the order of "
                                                                "each probability list.")
    probabilities: list[list[float]] | None = None


class ErrorResponse(BaseModel):
    """What a refused or failed request gets."""

    error: str = Field(description="What went wrong and how to fix it.")
    code: str = Field(description="A stable error code, as in sparkgrove's errors.")
    field: str | None = Field(default=None, description="Where in the request, as "
                                                        "columns.age or instances[3].age.")
    rule: str | None = Field(default=None, description="The rule the request broke.")


class FeatureInfo(BaseModel):
    """One input column of a model."""

    name: str
    kind: Literal["numeric", "categorical"]
    categories: list[str] | None = None
    fill_value: float | None = Field(default=None, description="What a missing value becomes.")


class ModelSummary(BaseModel):
    """A served model in the list."""

    name: str
    reference: str
    version: int | None
    task: str | None
    status: Literal["ready", "unavailable"]
    error: str | None = None


class ModelList(BaseModel):
    """The served models."""

    models: list[ModelSummary]


class ModelDetail(ModelSummary):
    """A served model: what it takes and returns, how well it did, where it came from."""

    features: list[FeatureInfo] = []
    label: str | None = None
    classes: list[str] | None = None
    ensemble: str | None = None
    trees: int | None = None
    metrics: dict[str, Any] = {}
    lineage: dict[str, Any] = {}
    aliases: dict[str, int] = {}


class Health(BaseModel):
    """Liveness and readiness."""

    status: Literal["ok", "degraded"]
    models: dict[str, str]


# ---- KServe / Open Inference Protocol v2 ---------------------------------------------------
Datatype = Literal["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32",
                   "INT64", "FP16", "FP32", "FP64", "BYTES"]


Dimension = Annotated[int, Field(ge=0, le=2**31 - 1)]


class InferInput(BaseModel):
    """One input tensor: a model feature, ``shape`` ``[rows]`` or ``[rows, 1]``."""

    name: str
    shape: list[Dimension]
    datatype: Datatype
    parameters: dict[str, Any] | None = None
    data: list[Any]


class RequestedOutput(BaseModel):
    """An output the client wants: ``predict`` or ``predict_proba``."""

    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    """An inference request of the Open Inference Protocol (v2)."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[InferInput]
    outputs: list[RequestedOutput] | None = None


class InferOutput(BaseModel):
    """One output tensor."""

    name: str
    shape: list[int]
    datatype: Datatype
    parameters: dict[str, Any] | None = None
    data: list[Any]


class InferResponse(BaseModel):
    """An inference response of the Open Inference Protocol (v2)."""

    model_name: str
    model_version: str | None = None
    id: str | None = None
    parameters: dict[str, Any] | None = None
    outputs: list[InferOutput]


class TensorMetadata(BaseModel):
    """An input or output of a model (v2 metadata)."""

    name: str
    datatype: Datatype
    shape: list[int]


class ModelMetadata(BaseModel):
    """Model metadata of the Open Inference Protocol (v2)."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServerMetadata(BaseModel):
    """Server metadata of the Open Inference Protocol (v2)."""

    name: str
    version: str
    extensions: list[str]


class Ready(BaseModel):
    """Readiness of the Open Inference Protocol (v2)."""

    ready: bool
