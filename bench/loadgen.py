"""A bounded HTTP/1.1 load generator for the serving benchmark (keep-alive connections, asyncio).

Closed loop (``rate=None``): each connection sends its next request when the answer to the last
arrives, which measures the most requests per second. Open loop (``rate``): requests are sent on
a fixed schedule spread over the connections, and latency is measured from the time a request
was due, so a slow server cannot hide its queue (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class LoadResult:
    """What a load run saw."""

    sent: int
    ok: int
    failed: int
    seconds: float
    latencies: np.ndarray

    @property
    def rps(self) -> float:
        return self.ok / self.seconds

    def pct(self, q: float) -> float:
        """Latency percentile, milliseconds."""
        return float(np.percentile(self.latencies, q) * 1000) if len(self.latencies) else float("nan")


class _Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self._check()

    def _check(self) -> None:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buf[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
        if len(self.buf) < end + 4 + length:
            return
        status = int(head[9:12])
        del self.buf[:end + 4 + length]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    async def request(self, raw: bytes) -> int:
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(raw)
        return await self.waiter


def build_request(host: str, port: int, path: str, body: bytes, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"{auth}Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _run(host: str, port: int, raw: bytes, seconds: float, connections: int,
               rate: float | None) -> LoadResult:
    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(_Conn, host, port))[1] for _ in range(connections)]
    latencies: list[float] = []
    counts = {"sent": 0, "ok": 0, "failed": 0}
    start = time.perf_counter()
    stop = start + seconds

    async def worker(i: int) -> None:
        conn = conns[i]
        n = 0
        while True:
            if rate is None:
                due = time.perf_counter()
                if due >= stop:
                    return
            else:
                due = start + (n * connections + i) / rate
                n += 1
                if due >= stop:
                    return
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
            counts["sent"] += 1
            try:
                status = await conn.request(raw)
            except ConnectionError:
                counts["failed"] += 1
                return
            latencies.append(time.perf_counter() - due)
            counts["ok" if status == 200 else "failed"] += 1

    await asyncio.gather(*(worker(i) for i in range(connections)))
    elapsed = time.perf_counter() - start
    for conn in conns:
        assert conn.transport is not None
        conn.transport.close()
    return LoadResult(counts["sent"], counts["ok"], counts["failed"], elapsed,
                      np.asarray(latencies))


def run_load(host: str, port: int, path: str, body: bytes, token: str | None, *,
             seconds: float = 3.0, connections: int = 8, rate: float | None = None) -> LoadResult:
    """Send ``body`` to ``path`` for ``seconds``; closed loop, or open loop at ``rate``/s."""
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_run(host, port, build_request(host, port, path, body, token), seconds,
                       connections, rate))
