"""The serving app: sparkgrove's ``/v1`` routes and the Open Inference Protocol's ``/v2``.

Predictions run in the server process on the portable ``TreeModel`` (no JVM). Small requests are
predicted on the event loop, which is quicker than a hand-off for work of microseconds; batches
of :data:`THREAD_ROWS` rows or more go to a worker thread so they do not hold other requests up.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from sparkgrove import __version__
from sparkgrove.errors import InputError, SparkgroveError
from sparkgrove.serving import schemas
from sparkgrove.serving.metrics import CONTENT_TYPE, ServerMetrics
from sparkgrove.serving.middleware import (
    MODEL_KEY,
    ROWS_KEY,
    VERSION_KEY,
    DirectRoute,
    ServingMiddleware,
    error_body,
    validation_body,
)
from sparkgrove.serving.served import ServedModel, ServedModels

THREAD_ROWS = 1000
"""Requests with at least this many rows are predicted on a worker thread."""
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
PLATFORM = "sparkgrove_tree_model"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": schemas.ErrorResponse, "description": text} for code, text in (
        (401, "No token, or a wrong one."), (404, "No such served model."),
        (413, "Too many rows or bytes."),
        (422, "The request breaks the model's input spec; field and rule say where and which."),
        (503, "The model cannot answer now (its file is damaged, say)."))}


@dataclass(frozen=True)
class ServeOptions:
    """How an app serves."""

    token: str | None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES


def create_app(models: ServedModels, options: ServeOptions,
               on_shutdown: Callable[[], None] | None = None) -> ServingMiddleware:
    """The ASGI app answering for ``models``; their watcher runs while the app does.

    The FastAPI app (``.api``) holds every route and the OpenAPI document; the layer around it
    checks the token and limits, counts metrics, and hands prediction requests straight to
    their route's endpoint (see :class:`~sparkgrove.serving.middleware.DirectRoute`).
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        models.start()
        try:
            yield
        finally:
            models.stop()
            if on_shutdown is not None:
                on_shutdown()

    app = FastAPI(title="sparkgrove serving", version=__version__, lifespan=lifespan,
                  description="Predictions from sparkgrove's registered tree models, without a "
                              "JVM. Send 'Authorization: Bearer <token>' (the token is in "
                              "<workspace>/serve/token).")
    metrics = ServerMetrics()
    _add_error_handlers(app)

    # ---- health and metrics -------------------------------------------------------------
    @app.get("/healthz", response_model=schemas.Health, tags=["health"])
    async def healthz() -> dict[str, Any]:
        """Whether the server runs, and each served model's state."""
        states = {name: _status(models.models[name]) for name in models.names()}
        return {"status": "ok" if all(s == "ready" for s in states.values()) else "degraded",
                "models": states}

    @app.get("/metrics", tags=["health"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text."}})
    async def prometheus() -> Response:
        """Requests, errors, latency and rows per route, model and version (Prometheus)."""
        return Response(metrics.text(), media_type=CONTENT_TYPE)

    # ---- /v1 ----------------------------------------------------------------------------
    @app.get("/v1/models", response_model=schemas.ModelList, tags=["v1"], responses=ERRORS)
    async def list_models() -> dict[str, Any]:
        """The served models, with the version answering for each."""
        return {"models": [_summary(models.models[n]) for n in models.names()]}

    @app.get("/v1/models/{name}", response_model=schemas.ModelDetail, tags=["v1"],
             responses=ERRORS)
    async def model_detail(name: str) -> dict[str, Any]:
        """A served model: features (kinds, categories), classes, metrics and lineage."""
        served = models.get(name)
        out = _summary(served)
        version, model = served.current.version, served.current.model
        if version is not None:
            out.update(metrics=version.metrics, lineage=version.lineage,
                       aliases=await run_in_threadpool(models.registry.aliases, name))
        if model is not None:
            out.update(features=[f.to_dict() for f in model.features], label=model.label.name,
                       classes=list(model.label.classes) or None, ensemble=model.ensemble,
                       trees=len(model.trees))
        return out

    @app.post("/v1/models/{name}/predict", response_model=schemas.PredictResponse,
                 tags=["v1"], responses=ERRORS)
    async def predict(name: str, body: schemas.PredictRequest, request: Request) -> Response:
        """Predict records (``instances``) or columns (``columns``); the answer names the
        version that made it."""
        served = models.get(name)
        version, model, encoder = served.current.ready()
        request.scope[MODEL_KEY], request.scope[VERSION_KEY] = name, version.version
        if (body.instances is None) == (body.columns is None):
            raise InputError("Give the rows as 'instances' (a list of records) or as 'columns' "
                             "(column: list of values), one of the two.", field="body",
                             rule="one_of")
        rows = len(body.instances) if body.instances is not None else max(
            (len(v) for v in (body.columns or {}).values() if isinstance(v, list)), default=0)

        def work() -> bytes:
            x = (encoder.from_records(body.instances) if body.instances is not None
                 else encoder.from_columns(body.columns or {}))
            index, proba = model.predict_encoded(x, proba=body.probabilities)
            out: dict[str, Any] = {"model": name, "version": version.version,
                                   "reference": str(served.reference), "task": model.task,
                                   "predictions": _labels(model.label.classes, index, model.task)}
            if model.task == "classification" and proba is not None:
                out["classes"] = list(model.label.classes)
                out["probabilities"] = proba
            return orjson.dumps(out, option=orjson.OPT_SERIALIZE_NUMPY)

        content = await run_in_threadpool(work) if rows >= THREAD_ROWS else work()
        request.scope[ROWS_KEY] = rows
        return Response(content, media_type="application/json")

    # ---- /v2: the Open Inference Protocol -----------------------------------------------
    @app.get("/v2", response_model=schemas.ServerMetadata, tags=["v2"])
    async def server_metadata() -> dict[str, Any]:
        """Server metadata."""
        return {"name": "sparkgrove", "version": __version__, "extensions": []}

    @app.get("/v2/health/live", response_model=schemas.Ready, tags=["v2"])
    async def live() -> dict[str, bool]:
        """The server answers."""
        return {"ready": True}

    @app.get("/v2/health/ready", response_model=schemas.Ready, tags=["v2"],
             responses={503: {"model": schemas.Ready}})
    async def ready() -> Response:
        """Every served model is loaded (503 otherwise)."""
        ok = all(_status(models.models[n]) == "ready" for n in models.names())
        return Response(json.dumps({"ready": ok}), status_code=200 if ok else 503,
                        media_type="application/json")

    @app.get("/v2/models/{name}/ready", response_model=schemas.Ready, tags=["v2"],
             responses=ERRORS)
    async def model_ready(name: str) -> Response:
        """The model is loaded (503 otherwise)."""
        ok = _status(models.get(name)) == "ready"
        return Response(json.dumps({"ready": ok}), status_code=200 if ok else 503,
                        media_type="application/json")

    @app.get("/v2/models/{name}", response_model=schemas.ModelMetadata, tags=["v2"],
             responses=ERRORS)
    async def model_metadata(name: str) -> dict[str, Any]:
        """Inputs (one tensor per feature) and outputs of a model."""
        version, model, _ = models.get(name).current.ready()
        outputs = [{"name": "predict", "shape": [-1], "datatype":
                    "BYTES" if model.task == "classification" else "FP64"}]
        if model.task == "classification":
            outputs.append({"name": "predict_proba", "shape": [-1, len(model.label.classes)],
                            "datatype": "FP64"})
        return {"name": name, "versions": [str(version.version)], "platform": PLATFORM,
                "inputs": [{"name": f.name, "shape": [-1],
                            "datatype": "BYTES" if f.kind == "categorical" else "FP64"}
                           for f in model.features],
                "outputs": outputs}

    @app.post("/v2/models/{name}/infer", response_model=schemas.InferResponse, tags=["v2"],
              responses=ERRORS)
    async def infer(name: str, body: schemas.InferRequest, request: Request) -> Response:
        """Predict the rows of one tensor per feature."""
        served = models.get(name)
        version, model, encoder = served.current.ready()
        request.scope[MODEL_KEY], request.scope[VERSION_KEY] = name, version.version
        columns = _columns_of_tensors(body.inputs, model.features)
        wanted = {o.name for o in body.outputs} if body.outputs else {"predict", "predict_proba"}
        unknown = sorted(wanted - {"predict", "predict_proba"})
        if unknown:
            raise InputError(f"Output {unknown[0]!r} is not one this model gives; ask for "
                             "predict or predict_proba.", field="outputs", rule="known_output")
        rows = len(next(iter(columns.values()), []))

        def work() -> bytes:
            x = encoder.from_columns(columns, "inputs")
            index, proba = model.predict_encoded(x, proba="predict_proba" in wanted)
            outputs: list[dict[str, Any]] = []
            if "predict" in wanted:
                outputs.append({"name": "predict", "shape": [len(index)],
                                "datatype": "BYTES" if model.task == "classification" else "FP64",
                                "data": _labels(model.label.classes, index, model.task)})
            if proba is not None:
                outputs.append({"name": "predict_proba", "shape": list(proba.shape),
                                "datatype": "FP64", "data": proba.ravel()})
            return orjson.dumps({"model_name": name, "model_version": str(version.version),
                                 "id": body.id, "outputs": outputs},
                                option=orjson.OPT_SERIALIZE_NUMPY)

        content = await run_in_threadpool(work) if rows >= THREAD_ROWS else work()
        request.scope[ROWS_KEY] = rows
        return Response(content, media_type="application/json")

    direct = {("v1", "predict"): DirectRoute(schemas.PredictRequest, predict),
              ("v2", "infer"): DirectRoute(schemas.InferRequest, infer)}
    return ServingMiddleware(app, token=options.token, max_body_bytes=options.max_body_bytes,
                             metrics=metrics, direct=direct)


def _labels(classes: tuple[str, ...], index: npt.NDArray[np.float64], task: str) -> Any:
    if task == "classification":
        return [classes[i] for i in index.astype(np.int64).tolist()]
    return index


NUMERIC_TYPES = frozenset({"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
                           "INT32", "INT64", "FP16", "FP32", "FP64"})


def _columns_of_tensors(inputs: list[schemas.InferInput], features: Any) -> dict[str, list[Any]]:
    kinds = {f.name: f.kind for f in features}
    columns: dict[str, list[Any]] = {}
    for i, tensor in enumerate(inputs):
        where = f"inputs[{i}]"
        if tensor.name in columns:
            raise InputError(f"{where} names {tensor.name!r} a second time; give each feature "
                             "once.", field=f"{where}.name", rule="unique")
        if len(tensor.shape) not in (1, 2) or (len(tensor.shape) == 2 and tensor.shape[1] != 1) \
                or any(d < 0 for d in tensor.shape):
            raise InputError(f"{where} has shape {tensor.shape}; a feature tensor is [rows] or "
                             "[rows, 1].", field=f"{where}.shape", rule="shape")
        data = [v[0] if isinstance(v, list) and len(v) == 1 else v for v in tensor.data]
        if len(data) != tensor.shape[0]:
            raise InputError(f"{where} has {len(data)} values for shape {tensor.shape}.",
                             field=f"{where}.data", rule="shape")
        kind = kinds.get(tensor.name)
        if kind == "numeric" and tensor.datatype not in NUMERIC_TYPES - {"BOOL"}:
            raise InputError(f"{where} ({tensor.name}) is {tensor.datatype}; that feature is "
                             "numeric, so send an INT or FP datatype.", field=f"{where}.datatype",
                             rule="numeric")
        if kind == "numeric":
            data = [math.nan if v is None else v for v in data]
        columns[tensor.name] = data
    return columns


def _status(served: ServedModel) -> str:
    return "ready" if served.current.model is not None else "unavailable"


def _summary(served: ServedModel) -> dict[str, Any]:
    version = served.current.version
    return {"name": served.reference.name, "reference": str(served.reference),
            "version": version.version if version else None,
            "task": version.task if version else None, "status": _status(served),
            "error": served.current.error or None}


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SparkgroveError)
    async def sparkgrove_error(_: Request, exc: SparkgroveError) -> Response:
        return Response(json.dumps(error_body(exc)), status_code=exc.http_status,
                        media_type="application/json")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        body = validation_body(exc.errors(), request.headers.get("content-type", ""))
        return Response(json.dumps(body), status_code=422, media_type="application/json")
