"""Odd bytes on the wire (issue 12, invariant 8), sent over a raw socket to a real uvicorn
serving the web app the way ``tradewind web`` does (its default HTTP parser): a test client
normalises headers, a socket does not. Each answer is a 4xx JSON ``{"error", "detail"}``.

The memory profile: these answers come before any adapter is touched."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.apps.web.main import build_app
from tradewind.apps.web.request_guard import MAX_BODY_BYTES

pytestmark = pytest.mark.integration
TOKEN = "raw-socket-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def port(eventually: Any) -> AsyncIterator[int]:
    settings = Settings(profile="memory")
    adapters: Any = build_adapters(settings)
    await CreateUser(adapters.uow)("raw", "100000", token=TOKEN)
    chosen = free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings, adapters), host="127.0.0.1", port=chosen, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=20, what="uvicorn to start")
        yield chosen
    finally:
        server.should_exit = True
        await task


async def exchange(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict[str, Any]]:
    """Send one request as raw bytes; the status and the JSON body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + b"\r\n" + body)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        headers: dict[bytes, bytes] = {}
        while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        content = await asyncio.wait_for(reader.readexactly(int(headers[b"content-length"])), 10)
    finally:
        writer.close()
    return int(status_line.split()[1]), json.loads(content)


def request(method: str, path: str, *headers: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", f"Authorization: Bearer {TOKEN}".encode()]
    return b"\r\n".join([*lines, *headers]) + b"\r\n"


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/orders", "/api/v1/stream", "/"])
async def test_a_raw_0xff_correlation_id_is_400(port: int, path: str) -> None:
    status, body = await exchange(port, request("GET", path, b"X-Correlation-ID: \xff"))
    assert status == 400 and body["error"] == "invalid_header" and body["field"] == "X-Correlation-Id", body


@pytest.mark.parametrize("value", ["²".encode(), b"7" * 5_000], ids=["superscript-two-utf8", "5000-digits"])
async def test_a_bad_last_event_id_on_the_stream_is_400(port: int, value: bytes) -> None:
    status, body = await exchange(port, request("GET", "/api/v1/stream", b"Last-Event-ID: " + value))
    assert status == 400 and body["error"] == "invalid_header", body
    assert body["field"].lower() == "last-event-id" and body["detail"]


async def test_100000_brackets_are_413(port: int) -> None:
    payload = b"[" * 100_000
    head = request(
        "POST", "/api/v1/orders", b"Content-Type: application/json", f"Content-Length: {len(payload)}".encode()
    )
    status, body = await exchange(port, head, payload)
    assert status == 413 and body == {
        "error": "body_too_large",
        "detail": f"the body is 100000 bytes; at most {MAX_BODY_BYTES} are accepted",
        "field": "body",
    }


async def test_a_chunked_body_over_the_limit_is_413(port: int) -> None:
    chunk = b" " * 4096
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 2))
    head = request("POST", "/api/v1/orders", b"Content-Type: application/json", b"Transfer-Encoding: chunked")
    status, body = await exchange(port, head, chunks + b"0\r\n\r\n")
    assert status == 413 and body["error"] == "body_too_large" and body["field"] == "body", body


async def test_deep_json_under_the_limit_is_422(port: int) -> None:
    payload = b"[" * 60_000
    head = request("POST", "/api/v1/orders", f"Content-Length: {len(payload)}".encode())
    status, body = await exchange(port, head, payload)
    assert status == 422 and body["error"] == "invalid_order" and body["field"] == "body", body


@pytest.mark.parametrize("size", [9_000, 60_000], ids=["9KB", "60KB"])
async def test_an_oversized_header_is_431_json(port: int, size: int) -> None:
    status, body = await exchange(port, request("GET", "/api/v1/orders", b"X-Big: " + b"a" * size))
    assert status == 431 and body["error"] == "header_too_large" and body["field"] == "X-Big", body
