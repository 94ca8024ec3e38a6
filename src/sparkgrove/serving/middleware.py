"""The layer around the serving app: the bearer token, the body size limit, the metrics, and
prediction requests handed straight to their endpoint.

Written as plain ASGI, outside FastAPI's own middleware and router: a single-row prediction
costs tens of microseconds, and the general stack (exception and telemetry middleware, route
matching, dependency solving) cost several times that per request. For ``POST
/v1/models/{name}/predict`` and ``POST /v2/models/{name}/infer`` this layer validates the body with
the route's own pydantic model and awaits the route's own endpoint function, so FastAPI documents
exactly what runs; every other request goes through FastAPI.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from sparkgrove.errors import InputError, RequestTooLargeError, SparkgroveError
from sparkgrove.serving.metrics import ServerMetrics

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Endpoint = Callable[[str, Any, Request], Awaitable[Response]]

OPEN_PATHS = frozenset({"/healthz", "/v2/health/live", "/v2/health/ready", "/openapi.json",
                        "/docs", "/docs/oauth2-redirect"})
"""Probes and the API description answer without the token; they reveal no model or data."""
MODEL_KEY, VERSION_KEY, ROWS_KEY = "sparkgrove.model", "sparkgrove.version", "sparkgrove.rows"
"""Where a route leaves the served model and version that answered and the rows it predicted,
for the metrics' labels (only served names become labels, whatever paths clients try)."""
JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass(frozen=True)
class DirectRoute:
    """A prediction route answered by this layer: its body model and its endpoint."""

    body: type[BaseModel]
    endpoint: Endpoint


class ServingMiddleware:
    """Refuses requests without the token or with too large a body; times every request;
    answers the prediction routes directly."""

    def __init__(self, app: Any, *, token: str | None, max_body_bytes: int,
                 metrics: ServerMetrics, direct: Mapping[tuple[str, str], DirectRoute]) -> None:
        self.api = app
        self.expected = f"Bearer {token}".encode() if token else None
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.direct = dict(direct)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        start = time.perf_counter()
        route = "unmatched"
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                route = "refused"
                await _reply(timed_send, *refusal)
                return
            parts = scope["path"].split("/")
            direct = (self.direct.get((parts[1], parts[4])) if len(parts) == 5
                      and parts[2] == "models" and scope["method"] == "POST" else None)
            if direct is not None:
                route = f"/{parts[1]}/models/{{name}}/{parts[4]}"
                await self._direct(direct, parts[3], scope, receive, timed_send)
            else:
                await self.api(scope, self._limited(receive), timed_send)
                route = getattr(scope.get("route"), "path", route)
        finally:
            self.metrics.observe(route, scope.get(MODEL_KEY, ""), str(scope.get(VERSION_KEY, "")),
                                 status, time.perf_counter() - start, scope.get(ROWS_KEY, 0))

    def _refusal(self, scope: Scope) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]] | None:
        headers = dict(scope["headers"])
        if self.expected is not None and scope["path"] not in OPEN_PATHS and not \
                hmac.compare_digest(headers.get(b"authorization", b""), self.expected):
            return 401, {"error": "This server needs its token: send the header 'Authorization: "
                                  "Bearer <token>' (the token is in <workspace>/serve/token).",
                         "code": "unauthorized"}, [(b"www-authenticate", b"Bearer")]
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return 413, {"error": f"The request body has {int(length)} bytes; this server takes "
                                  f"at most {self.max_body_bytes} (sparkgrove serve "
                                  "--max-body-mb).", "code": "too_large", "field": "body",
                         "rule": "max_body_bytes"}, []
        return None

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLargeError(
                        f"The request body is over {limit} bytes, the most this server takes "
                        "(sparkgrove serve --max-body-mb).", field="body", rule="max_body_bytes")
            return message

        return limited_receive

    async def _direct(self, route: DirectRoute, name: str, scope: Scope, receive: Receive,
                      send: Send) -> None:
        receive = self._limited(receive)
        try:
            chunks = []
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            try:
                body = route.body.model_validate(orjson.loads(b"".join(chunks)), strict=False)
            except orjson.JSONDecodeError as exc:
                await _reply(send, 422, {"error": f"The body is not valid JSON: {exc}.",
                                         "code": "input", "field": "body",
                                         "rule": "json_invalid"}, [])
                return
            except ValidationError as exc:
                headers = dict(scope["headers"])
                await _reply(send, 422, validation_body(
                    [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()],
                    headers.get(b"content-type", b"").decode("latin-1")), [])
                return
            response = await route.endpoint(name, body, Request(scope))
        except SparkgroveError as exc:
            await _reply(send, exc.http_status, error_body(exc), [])
            return
        await response(scope, receive, send)


def error_body(exc: SparkgroveError) -> dict[str, Any]:
    """The JSON answer to a sparkgrove error."""
    body: dict[str, Any] = {"error": exc.message, "code": exc.code}
    if isinstance(exc, InputError):
        body.update(field=exc.field or None, rule=exc.rule or None)
    return body


def validation_body(errors: Sequence[Any], content_type: str) -> dict[str, Any]:
    """The JSON answer to a body that breaks the request schema: the first problem, where."""
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
    hint = ("" if "json" in content_type or not content_type else
            f" (the body was sent as {content_type}; send JSON with 'Content-Type: "
            "application/json')")
    return {"error": f"{where}: {first.get('msg', 'invalid request')}{hint}; see the request "
                     "schema in /openapi.json.",
            "code": "input", "field": where, "rule": first.get("type")}


async def _reply(send: Send, status: int, body: dict[str, Any],
                 headers: list[tuple[bytes, bytes]]) -> None:
    content = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [*JSON_HEADERS, (b"content-length", str(len(content)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": content})
