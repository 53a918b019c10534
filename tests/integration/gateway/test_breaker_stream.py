"""The broker circuit breaker seen as a trader and an operator see it, on the whole platform in
one process (the demo's wiring, ``memory`` profile): with the venue down, an order ends
``broker_unavailable`` and its reason reaches the SSE ``order`` message; after the breaker opens
the reason says so, and the gateway's ``/metrics`` shows the state."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.cli.market import wait_for_quotes
from tradewind.apps.gateway.main import GatewayProcess
from tradewind.apps.gateway.main import build_container as gateway_container
from tradewind.apps.web.main import build_app
from tradewind.apps.worker.main import WorkerProcess
from tradewind.apps.worker.main import build_container as worker_container


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def sse_orders(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    event, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "":
            if event == "order" and data:
                yield json.loads(data)
            event, data = "", ""


async def http_get(port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    body = await reader.read()
    writer.close()
    return body.decode()


async def test_orders_end_broker_unavailable_with_the_reason_on_the_stream(eventually: Any) -> None:
    health = free_port()
    settings = Settings(
        profile="memory", broker_breaker_failures=2, broker_breaker_reset_s=600.0, gateway_health_port=health
    )
    adapters: Any = build_adapters(settings)
    token = (await CreateUser(adapters.uow)("breaker", "100000")).token
    worker = WorkerProcess(worker_container(settings, adapters), settings, health=False)
    gateway = GatewayProcess(gateway_container(settings, adapters), settings)
    await worker.start()
    await gateway.start()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(settings, adapters), host="127.0.0.1", port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    try:
        await wait_for_quotes(adapters.prices(), ["AAPL"])

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=20, what="uvicorn to start")
        assert 'tradewind_broker_breaker_state{state="closed"} 1' in await http_get(health, "/metrics")
        gateway.container.broker().stop()  # the venue goes away
        auth = {"Authorization": f"Bearer {token}"}
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client,
            client.stream("GET", "/api/v1/stream?symbols=AAPL&heartbeat=1", headers=auth) as stream,
        ):
            assert stream.status_code == 200
            ids = []
            for _ in range(3):
                r = await client.post(
                    "/api/v1/orders", headers=auth, json={"symbol": "AAPL", "side": "buy", "qty": 1, "type": "market"}
                )
                assert r.status_code == 202, r.text
                ids.append(r.json()["id"])
            final: dict[str, dict[str, Any]] = {}

            async def read() -> None:
                async for order in sse_orders(stream):
                    if order["status"] == "broker_unavailable":
                        final[order["id"]] = order
                    if len(final) == len(ids):
                        return

            await asyncio.wait_for(read(), 20)
        assert set(final) == set(ids)
        reasons = [final[i]["reason"] for i in ids]
        assert all(r and r.startswith("broker unavailable") for r in reasons), reasons
        assert "circuit breaker open" in reasons[2], reasons  # the third met the open breaker
        metrics = await http_get(health, "/metrics")
        assert 'tradewind_broker_breaker_state{state="open"} 1' in metrics, metrics
    finally:
        server.should_exit = True
        await serving
        await gateway.stop()
        await worker.stop()
