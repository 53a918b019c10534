"""A stream's socket, written straight from the hub's dispatch while its writer is idle (issue 15).

At 15,000 connections the cost of a quote is what each connection pays for it: waking the
connection's writer task, its ``send`` through uvicorn's ASGI cycle, parking it again — tens of
microseconds in Python, per connection, per quote (the web held 12,722 of 15,000 at p99 1.6 s on
two cores, the one-subscription control server all of them on 81 % of one core, with a plain
``transport.write`` per connection). So when a connection's writer is parked with nothing pending
and its socket takes bytes without waiting, the hub writes the quote's bytes — framed once per
quote, HTTP chunk included — to the transport itself, as the control server does. Everything else
goes the writer's way, in order: order/fill/position updates (they are filtered for resumes), and
every quote of a connection whose writer has something pending, or whose socket is paused (a slow
client: the writer then waits on the socket, and the hub's stall timer cuts it).

This relies on uvicorn's httptools cycle (its ``transport``, ``flow`` and ``chunked_encoding``):
``DirectWrite.of`` answers None for any other server or protocol (h11, a test client, HTTP/1.0),
and the stream then writes every quote through ``send`` as before."""

from __future__ import annotations

from typing import Any

_HTTPTOOLS_CYCLE = "uvicorn.protocols.http.httptools_impl"


def chunk(body: bytes) -> bytes:
    """``body`` as one HTTP/1.1 chunk, as uvicorn frames a streamed body."""
    return b"%x\r\n" % len(body) + body + b"\r\n"


class DirectWrite:
    __slots__ = ("_cycle", "_flow", "_transport")

    def __init__(self, cycle: Any) -> None:
        self._cycle, self._flow, self._transport = cycle, cycle.flow, cycle.transport

    @classmethod
    def of(cls, send: Any) -> DirectWrite | None:
        """The socket behind uvicorn's ``send`` of a chunked streaming response, or None."""
        cycle = getattr(send, "__self__", None)
        if type(cycle).__module__ != _HTTPTOOLS_CYCLE or getattr(cycle, "chunked_encoding", None) is not True:
            return None
        if getattr(cycle, "transport", None) is None or getattr(cycle, "flow", None) is None:
            return None
        return cls(cycle)

    def ready(self) -> bool:
        """Takes bytes now: the response is streaming and the socket's buffer is not full."""
        cycle = self._cycle
        return not (
            self._flow.write_paused or cycle.disconnected or cycle.response_complete or self._transport.is_closing()
        )

    def write(self, chunked: bytes) -> None:
        self._transport.write(chunked)
