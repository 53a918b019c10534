"""The public API as a provider under verification: the real Litestar app (``create_app`` over the
web container, memory profile) served by uvicorn on a free port of 127.0.0.1 in its own thread,
with provider states set up through the application layer on the app's own event loop.

States use what production uses: ``CreateUser`` for accounts and tokens, the web container's
``PlaceOrderHandler`` for orders, the gateway's ``to_venue_report`` for broker reports (the
venue echoing the account), the worker's ``OrderLedger`` applying them, and the worker's
``OrderProjection`` and ``PositionService`` for the read model and the positions view (fed
``order.events`` from the outbox, as the relay and Kafka would). Nothing writes the store's
tables directly.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import uvicorn
from litestar.types import ASGIApp
from pact_client_api import ACCOUNT, CANDLES, FILLED, HOLDING, PLACED, RESTING

from tradewind.adapters.aws.containers import build_adapters
from tradewind.adapters.aws.settings import Settings
from tradewind.application.accounts.users import CreateUser
from tradewind.application.execution.broker import ExecType, ExecutionReport
from tradewind.application.execution.reports import to_venue_report
from tradewind.application.market.observers import CandleObserver
from tradewind.application.orders.ledger import OrderLedger
from tradewind.application.ports import PriceBatch
from tradewind.application.positions.service import PositionService
from tradewind.application.projections.order_projection import OrderProjection
from tradewind.application.topics import ORDER_EVENTS
from tradewind.apps.web.app import create_app
from tradewind.apps.web.main import build_container
from tradewind.domain.clock import utcnow
from tradewind.domain.market import Quote
from tradewind.domain.marketdata.price_update import PriceUpdate
from tradewind.domain.orders.commands import parse_place_order
from tradewind.domain.orders.events import parse_order_event
from tradewind.domain.orders.order import Order

T = TypeVar("T")
PRICES = {"AAPL": Decimal("100.00"), "MSFT": Decimal("300.00")}


class ApiUnderTest:
    """Start with ``with``; ``url`` is where the verifier sends requests. ``wrap`` lets a test put
    an ASGI layer around the app (the contracts-bite test renames a field with it)."""

    def __init__(self, wrap: Callable[[ASGIApp], ASGIApp] | None = None) -> None:
        self.settings = Settings(profile="memory")
        self.adapters: Any = build_adapters(self.settings)
        self.container = build_container(self.settings, self.adapters)
        app: Any = create_app(self.container)
        self._asgi = wrap(app) if wrap else app
        self._loop = asyncio.new_event_loop()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ApiUnderTest:
        config = uvicorn.Config(self._asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(server.serve(),), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the API did not start within 30 s")
            time.sleep(0.01)  # polling a flag with a deadline, not synchronising on time
        self.port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        self._loop.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the app's event loop (the memory twins are loop-bound) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    # -- provider states --------------------------------------------------------------------------
    def set_up(self, state: str, params: dict[str, Any] | None = None) -> dict[str, str]:
        """The values the state made, for Pact to inject (``token``, ``order_id``)."""
        builders: dict[str, Callable[[], Coroutine[Any, Any, dict[str, str]]]] = {
            ACCOUNT: self._account,
            RESTING: self._resting,
            FILLED: self._filled,
            PLACED: self._placed,
            HOLDING: self._holding,
            CANDLES: self._candles,
        }
        if state not in builders:
            raise LookupError(f"the provider does not know the state {state!r} yet")
        return self.call(builders[state]())

    async def _account(self) -> dict[str, str]:
        name = f"pact-{uuid.uuid4().hex[:12]}"
        created = await CreateUser(self.adapters.uow)(name, "100000", token=f"tw_{name}")
        for sym, price in PRICES.items():  # the market is open: fresh prices for risk and quotes
            await self.adapters.prices().put(
                Quote(sym, price, price + Decimal("0.02"), price + Decimal("0.01"), utcnow())
            )
        return {"token": created.token, "account_id": str(created.account.id)}

    async def _place(self, account_id: str, body: dict[str, Any]) -> Order:
        placed = await self.container.place_order()(parse_place_order(uuid.UUID(account_id), body))
        await self._relay_and_project()
        return placed.order

    async def _relay_and_project(self) -> None:
        """What the outbox relay, Kafka and the worker's ``order.events`` consumers (the order
        projection and the position service) do, done inline."""
        outbox, projection, positions = self.adapters.outbox(), self._projection(), self._positions()
        records = await outbox.unsent(500)
        for record in records:
            if record.topic == ORDER_EVENTS:  # order.commands is the gateway's
                event = parse_order_event(record.payload)
                await projection(event)
                await positions(event)
        await outbox.mark_sent([r.id for r in records])

    def _projection(self) -> OrderProjection:
        return OrderProjection(self.adapters.read_model(), self.adapters.notifier())

    def _positions(self) -> PositionService:
        return PositionService(
            store=self.adapters.positions(),
            publisher=self.adapters.publisher(),
            notifier=self.adapters.notifier(),
            prices=self.adapters.prices(),
        )

    async def _report(self, order: Order, exec_type: ExecType, *, price: str | None = None) -> None:
        """A broker report about ``order`` as the gateway publishes it, applied by the OMS ledger,
        its order events projected."""
        cum = order.qty if exec_type is ExecType.FILL else 0
        report = ExecutionReport(
            exec_id=uuid.uuid4().hex,
            exec_type=exec_type,
            client_order_id=str(order.id),
            broker_order_id=f"P-{order.id.hex[:6]}",
            symbol=order.symbol,
            side=order.side,
            order_qty=order.qty,
            cum_qty=cum,
            leaves_qty=order.qty - cum,
            avg_price=None if price is None else Decimal(price),
            last_qty=cum,
            last_price=None if price is None else Decimal(price),
            account=str(order.account_id),
        )
        ledger = OrderLedger(self.adapters.uow)
        await ledger(to_venue_report(report))
        assert (ledger.applied, ledger.flagged) == (1, 0), f"the ledger did not apply the {exec_type} report"
        await self._relay_and_project()

    async def _resting(self) -> dict[str, str]:
        values = await self._account()
        order = await self._place(
            values["account_id"],
            {
                "symbol": "AAPL",
                "side": "buy",
                "qty": 10,
                "type": "limit",
                "limit_price": "99.50",
                "time_in_force": "gtc",
            },
        )
        await self._report(order, ExecType.NEW)
        return values | {"order_id": str(order.id)}

    async def _filled(self) -> dict[str, str]:
        return await self._buy_and_fill(await self._account())

    async def _buy_and_fill(self, values: dict[str, str]) -> dict[str, str]:
        """A market buy of 10 AAPL by the account, filled at 100.02 and applied to its position."""
        order = await self._place(values["account_id"], {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market"})
        await self._report(order, ExecType.NEW)
        await self._report(order, ExecType.FILL, price="100.02")  # the position service applies it
        return values | {"order_id": str(order.id)}

    async def _holding(self) -> dict[str, str]:
        """A filled buy of 10 AAPL, applied to the positions view by the worker's position service."""
        values = await self._filled()
        orders = await self.adapters.read_model().get(uuid.UUID(values["account_id"]), uuid.UUID(values["order_id"]))
        assert orders is not None and orders.status.value == "filled"
        return values

    async def _candles(self) -> dict[str, str]:
        """An hour of AAPL prices read from the market-data stream, one a minute, aggregated by the
        market-data service's own candle observer."""
        values = await self._account()
        observer = CandleObserver(self.adapters.candles())
        await observer.start()
        now_ms = int(utcnow().timestamp() * 1000)
        start_ms = now_ms - now_ms % 60_000 - 3_600_000
        updates = [
            PriceUpdate(
                "AAPL",
                Decimal("100.00") + i,
                Decimal("100.02") + i,
                Decimal("100.01") + i,
                100,
                start_ms + i * 60_000,
                "XNAS",
            )
            for i in range(61)
        ]
        await observer(PriceBatch("shard-pact", list(enumerate(updates, start=1))))
        return values

    async def _placed(self) -> dict[str, str]:
        values = await self._account()
        body = {"symbol": "AAPL", "side": "buy", "qty": 10, "type": "market", "client_order_id": "pact-retry-1"}
        await self._place(values["account_id"], body)
        return values

    # -- SSE events, read from the real stream ------------------------------------------------------
    def stream_event(self, state: str, kind: str, *, live: bool = False) -> dict[str, Any]:
        """The first ``kind`` event the stream sends an account in ``state`` that resumes from the
        start (``Last-Event-ID: 0``), as a pact message: ``data`` as contents, event and id as
        metadata. ``live``: the account buys and is filled only once its stream is open, for the
        events that are never replayed (``position``)."""
        values = self.set_up(state)
        headers = {"Authorization": f"Bearer {values['token']}", "Last-Event-ID": "0"}
        params = {"symbols": "AAPL", "heartbeat": "0.1"}
        event, event_id, triggered = "", None, not live
        deadline = time.monotonic() + 15  # heartbeats keep the stream open: give up on a deadline
        with httpx.stream("GET", f"{self.url}/api/v1/stream", headers=headers, params=params, timeout=10) as response:
            assert response.status_code == 200, response.status_code
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    break
                if not triggered:  # the first line means the stream is registered with the hub
                    self.call(self._buy_and_fill(values))
                    triggered = True
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("id:"):
                    event_id = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == kind:
                    metadata = {"event": event} | ({"id": event_id} if event_id is not None else {})
                    data = line.partition(":")[2].strip()
                    return {"contents": data.encode(), "metadata": metadata, "content_type": "application/json"}
                elif not line:
                    event, event_id = "", None
        raise AssertionError(f"no {kind} event on the stream within 15 s")

    def stream_frames(self, values: dict[str, str], last_event_id: str, orders: int) -> list[dict[str, str]]:
        """The stream's ``order`` and ``fill`` frames (``event``, and ``id`` when it has one) for
        the account of ``values`` resuming after ``last_event_id``, up to its ``orders``-th order
        frame."""
        headers = {"Authorization": f"Bearer {values['token']}", "Last-Event-ID": last_event_id}
        params = {"symbols": "AAPL", "heartbeat": "0.1"}
        frames: list[dict[str, str]] = []
        frame: dict[str, str] = {}
        deadline = time.monotonic() + 15
        with httpx.stream("GET", f"{self.url}/api/v1/stream", headers=headers, params=params, timeout=10) as response:
            assert response.status_code == 200, response.status_code
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    break
                if line.startswith(("event:", "id:")):
                    name, _, value = line.partition(":")
                    frame[name] = value.strip()
                elif not line:
                    if frame.get("event") in ("order", "fill"):
                        frames.append(frame)
                        if sum(f["event"] == "order" for f in frames) == orders:
                            return frames
                    frame = {}
        raise AssertionError(f"fewer than {orders} order frames on the stream within 15 s: {frames}")


class StateServer:
    """The provider-state endpoint Pact calls before each interaction. Unlike pact-python's own,
    it answers the state's values as JSON, which Pact injects into the request (``${token}``)."""

    def __init__(self, set_up: Callable[[str, dict[str, Any] | None], dict[str, str]]) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request: dict[str, Any] = {}
                try:
                    request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                    state, action = request.get("state") or "", request.get("action")
                    # "" is Pact's generic set-up for interactions without a state: nothing to do
                    values = set_up(state, request.get("params")) if state and action == "setup" else {}
                    body, status = json.dumps(values).encode(), 200
                except Exception as exc:
                    # Answered 200 all the same: Pact retries a failed state change for a long
                    # time; the interaction then fails on its response, and ``errors`` says why.
                    outer.errors.append(f"state {request.get('state')!r}: {exc}")
                    body, status = b"{}", 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.errors: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/_pact/state"

    def __enter__(self) -> StateServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
