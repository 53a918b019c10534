"""``TradewindClient``: the public HTTP API v1 from Python, typed.

Promises: money goes out as decimal strings and comes back as ``Decimal`` (a ``float`` price is
refused before anything is sent); every non-2xx answer raises ``ApiError`` carrying the server's
``error`` code, ``detail``, ``field`` and ``rule``; retrying ``place_order`` with the same
``client_order_id`` never places a second order (the server answers with the first one).
The client is synchronous and thread-safe as far as ``httpx.Client`` is; one per thread is simplest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

import httpx

from tradewind.client.errors import api_error
from tradewind.client.models import (
    Account,
    Candle,
    Order,
    OrderPage,
    Position,
    Quote,
    ResponseShapeError,
    StreamEvent,
)
from tradewind.client.sse import parse_events

Money = Decimal | str | int


def _money(name: str, value: Money | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise TypeError(f"{name} must be a Decimal, a decimal string or an int, never {type(value).__name__}")
    return str(value)


def _qty(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"qty must be an int, not {type(value).__name__}")
    return value


class TradewindClient:
    """One account's view of Tradewind. ``token`` is the API token ``tradewind users create``
    printed. ``transport`` lets a caller route requests elsewhere (tests, proxies)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- orders ---------------------------------------------------------------------------------
    def place_order(
        self,
        symbol: str,
        side: str,
        qty: int,
        type: str = "market",
        *,
        limit_price: Money | None = None,
        stop_price: Money | None = None,
        time_in_force: str = "day",
        client_order_id: str | None = None,
    ) -> Order:
        """Place an order; it comes back ``pending`` (risk-checked and durably queued). Without a
        ``client_order_id`` one is generated, so a retry of this call is still safe to make."""
        body: dict[str, Any] = {
            "symbol": symbol,
            "side": side,
            "qty": _qty(qty),
            "type": type,
            "time_in_force": time_in_force,
            "client_order_id": client_order_id or str(uuid.uuid4()),
        }
        for name, value in (("limit_price", limit_price), ("stop_price", stop_price)):
            if (text := _money(name, value)) is not None:
                body[name] = text
        return Order.from_json(self._request("POST", "/api/v1/orders", json=body).json_body)

    def cancel_order(self, order_id: uuid.UUID | str) -> Order:
        """Ask the broker to cancel; the order comes back ``pending_cancel``."""
        return Order.from_json(self._request("DELETE", f"/api/v1/orders/{order_id}").json_body)

    def amend_order(
        self, order_id: uuid.UUID | str, *, qty: int | None = None, limit_price: Money | None = None
    ) -> Order:
        """Change qty and/or limit price of an open order; it comes back ``pending_replace``."""
        body: dict[str, Any] = {}
        if qty is not None:
            body["qty"] = _qty(qty)
        if (text := _money("limit_price", limit_price)) is not None:
            body["limit_price"] = text
        return Order.from_json(self._request("PATCH", f"/api/v1/orders/{order_id}", json=body).json_body)

    def list_orders(self, status: str = "open", *, limit: int = 50, after: str | None = None) -> OrderPage:
        """Newest first. ``status``: open, closed or all."""
        params: dict[str, Any] = {"status": status, "limit": limit}
        if after is not None:
            params["after"] = after
        answer = self._request("GET", "/api/v1/orders", params=params)
        return OrderPage([Order.from_json(o) for o in _list(answer.json_body)], answer.headers.get("x-next-after"))

    def get_order(self, order_id: uuid.UUID | str) -> Order:
        return Order.from_json(self._request("GET", f"/api/v1/orders/{order_id}").json_body)

    # -- portfolio ------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        return [Position.from_json(p) for p in _list(self._request("GET", "/api/v1/positions").json_body)]

    def position(self, symbol: str) -> Position:
        return Position.from_json(self._request("GET", f"/api/v1/positions/{symbol}").json_body)

    def account(self) -> Account:
        return Account.from_json(self._request("GET", "/api/v1/account").json_body)

    # -- market data ----------------------------------------------------------------------------
    def quotes(self, symbols: Iterable[str]) -> list[Quote]:
        answer = self._request("GET", "/api/v1/market/quotes", params={"symbols": ",".join(symbols)})
        return [Quote.from_json(q) for q in _list(answer.json_body)]

    def candles(self, symbol: str, interval: str = "1m") -> list[Candle]:
        answer = self._request("GET", f"/api/v1/market/candles/{symbol}", params={"interval": interval})
        return [Candle.from_json(c) for c in _list(answer.json_body)]

    # -- live stream ----------------------------------------------------------------------------
    def stream(
        self, symbols: Iterable[str] | None = None, *, last_event_id: str | None = None
    ) -> Iterator[StreamEvent]:
        """Live ``order``, ``fill``, ``position`` and ``quote`` events until the caller stops
        iterating (or the server closes). With ``last_event_id`` the server first replays the
        order and fill events after it. Heartbeats are consumed silently."""
        params = {"symbols": ",".join(symbols)} if symbols else None
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        with self._http.stream(
            "GET", "/api/v1/stream", params=params, headers=headers, timeout=httpx.Timeout(10.0, read=None)
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise api_error(response.status_code, _json_or_text(response), response.headers.get("retry-after"))
            yield from parse_events(response.iter_lines())

    # -- plumbing -------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> _Answer:
        response = self._http.request(method, path, **kwargs)
        body = _json_or_text(response)
        if response.status_code >= 400:
            raise api_error(response.status_code, body, response.headers.get("retry-after"))
        return _Answer(body, response.headers)


class _Answer:
    __slots__ = ("headers", "json_body")

    def __init__(self, json_body: Any, headers: httpx.Headers) -> None:
        self.json_body = json_body
        self.headers = headers


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return json.loads(response.text, parse_float=Decimal)
    except ValueError:
        return response.text


def _list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise ResponseShapeError(f"expected a JSON array, got {type(body).__name__}")
    return body
