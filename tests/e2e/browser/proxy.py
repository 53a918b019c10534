"""A TCP proxy between the browser and the web process, so a test can cut the network under a
live page: ``sever()`` drops every open connection (what a Wi-Fi blip does to an SSE stream),
``hold()`` makes new connections hang unanswered until ``release()`` lets them through, and
``refuse()`` answers every new connection with a 503 (a load balancer with no healthy target)
until ``release()``.

Runs on the test's own event loop; every connection is two pumps copying bytes until either
side closes.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._gate = asyncio.Event()
        self._gate.set()
        self._refusing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def hold(self) -> None:
        self._gate.clear()

    def refuse(self) -> None:
        self._refusing = True

    def release(self) -> None:
        self._refusing = False
        self._gate.set()

    def sever(self) -> None:
        for writer in list(self._open):
            transport = writer.transport
            transport.abort()  # RST, not a polite FIN: the peer sees the connection die
        self._open.clear()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._open.add(client_w)
        try:
            if self._refusing:
                client_w.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await client_w.drain()
                client_w.close()
                await client_w.wait_closed()
                return
            await self._gate.wait()
            if client_w.transport.is_closing():
                return
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self._target_port)
            self._open.add(server_w)
            await asyncio.gather(self._pump(client_r, server_w), self._pump(server_r, client_w))
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(client_w)
            client_w.transport.abort()
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
