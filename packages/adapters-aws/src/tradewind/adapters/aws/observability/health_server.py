"""A tiny HTTP endpoint with /healthz, /readyz and (when given) /metrics for the processes that
serve no other HTTP (worker, gateway), so an orchestrator can probe and scrape them like the web app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

Readiness = Callable[[], Awaitable[dict[str, Any]]]
Metrics = Callable[[], str]  # Prometheus text format


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        readiness: Readiness,
        metrics: Metrics | None = None,
        routes: Mapping[str, Readiness] | None = None,
    ) -> None:
        """``metrics``: Prometheus text on ``/metrics``; ``routes``: more read-only JSON documents
        by path (the venue's ``/quotes``)."""
        self._host, self._port, self._readiness = host, port, readiness
        self._metrics = metrics
        self._routes = dict(routes or {})
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            path = line.split(b" ")[1].decode() if line.count(b" ") >= 2 else "/"
            body: dict[str, Any] | str
            if path == "/healthz":
                status, body = 200, {"status": "ok"}
            elif path == "/readyz":
                checks = await self._readiness()
                ready = all(v == "ok" for v in checks.values())
                status, body = (
                    (200 if ready else 503),
                    {"status": "ready" if ready else "not_ready", "checks": checks},
                )
            elif path == "/metrics" and self._metrics is not None:
                status, body = 200, self._metrics()
            elif path in self._routes:
                status, body = 200, await self._routes[path]()
            else:
                status, body = 404, {"error": "not_found", "detail": path}
            payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            kind = "text/plain; version=0.0.4" if isinstance(body, str) else "application/json"
            writer.write(
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'ERR'}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()
