"""``tradewind``: the one command. The only module allowed to import all three apps, so that
``tradewind demo`` can run them together in one process on the in-memory adapters."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from collections.abc import Coroutine
from typing import Annotated, Any

import typer

from tradewind.adapters.aws.observability.logs import configure_logging
from tradewind.adapters.aws.settings import Settings
from tradewind.apps.cli.contracts import contracts
from tradewind.apps.cli.dlq import dlq
from tradewind.apps.cli.market import market

app = typer.Typer(
    help="Tradewind: multi-user algorithmic trading platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
infra = typer.Typer(help="Provision the servers (PostgreSQL, Kafka, DynamoDB, S3, Kinesis).")
users = typer.Typer(help="Users, accounts and API tokens.")
app.add_typer(infra, name="infra")
app.add_typer(users, name="users")
app.add_typer(market, name="market")
app.add_typer(contracts, name="contracts")
app.add_typer(dlq, name="dlq")
audit = typer.Typer(help="The audit archive (Parquet on S3): SQL over it.")
app.add_typer(audit, name="audit")
ledger = typer.Typer(help="The OMS ledger: venue reports it kept but could not apply, external orders.")
app.add_typer(ledger, name="ledger")
risk = typer.Typer(help="Risk controls: trading states (the kill switch).")
app.add_typer(risk, name="risk")


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _serve(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived process's loop on uvloop (as uvicorn runs the web's): the worker and the
    gateway are many small socket reads and writes, where the stock loop's overhead per event is
    what a busy process spends its time on (issue 15, docs/benchmarks.md)."""
    try:
        import uvloop
    except ImportError:  # not built for this platform: the stock loop works the same, slower
        asyncio.run(main)
    else:
        uvloop.run(main)


def _die_with_parent() -> None:
    """Linux: SIGTERM this worker when the supervising ``tradewind web`` dies, even by SIGKILL, so no
    orphan keeps serving (and subscribing) on the port."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _serve_web(host: str, port: int, reuse_port: bool) -> None:
    """One web process. With ``reuse_port`` it binds its own SO_REUSEPORT socket: the kernel
    spreads new connections over the processes, which share nothing but Redis (ADR 0015-sse-at-15k)."""
    import socket

    import uvicorn

    configure_logging()
    os.environ["TRADEWIND_WEB_HOST"], os.environ["TRADEWIND_WEB_PORT"] = host, str(port)
    config = uvicorn.Config(
        "tradewind.apps.web.main:build_app",
        factory=True,
        host=host,
        port=port,
        backlog=4096,  # a ramp of thousands of SSE connections a second; the kernel caps it at somaxconn
        log_config=None,
        access_log=False,
    )
    if not reuse_port:
        uvicorn.Server(config).run()
        return
    _die_with_parent()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    uvicorn.Server(config).run(sockets=[sock])


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Web processes sharing the port (SO_REUSEPORT; each: one Redis subscription). "
            "Default: TRADEWIND_WEB_WORKERS, else 1."
        ),
    ] = None,
) -> None:
    """Serve the REST API, SSE stream and docs (local profile)."""
    import multiprocessing
    import signal

    count = workers if workers is not None else _settings().web_workers
    if count <= 1:
        _serve_web(host, port, reuse_port=False)
        return
    configure_logging()
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_web, args=(host, port, True), name=f"web-{i}") for i in range(count)]
    for child in children:
        child.start()

    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        for child in children:
            if child.is_alive() and child.pid is not None:
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()
    # uvicorn re-raises the signal it shut down on, so a child we stopped ends by SIGTERM: clean.
    clean = {0, -signal.SIGTERM} if stopping else {0}
    failed = [c.exitcode for c in children if c.exitcode not in clean]
    raise typer.Exit(1 if failed else 0)


@app.command()
def worker() -> None:
    """Run the outbox relay and the consumers (local profile)."""
    from tradewind.apps.worker.main import serve

    configure_logging()
    _serve(serve(_settings()))


@app.command()
def gateway() -> None:
    """Run the execution engine, broker gateway and quote pump (local profile)."""
    from tradewind.apps.gateway.main import serve

    configure_logging()
    _serve(serve(_settings()))


@app.command()
def venue() -> None:
    """Run the paper venue: matching engine + durable book behind a FIX 4.4 acceptor (local profile)."""
    from tradewind.apps.venue.main import serve as serve_venue

    configure_logging()
    asyncio.run(serve_venue(_settings()))


@app.command()
def status() -> None:
    """Readiness of the three processes, probed on their health ports."""
    settings = _settings()
    targets = {
        "web": f"http://{settings.web_host}:{settings.web_port}/readyz",
        "worker": f"http://{settings.web_host}:{settings.worker_health_port}/readyz",
        "gateway": f"http://{settings.web_host}:{settings.gateway_health_port}/readyz",
    }
    all_ready = True
    for name, url in targets.items():
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                body = json.loads(resp.read())
            typer.echo(f"{name:8} ready      {url}  {body.get('checks')}")
        except Exception as exc:
            all_ready = False
            typer.echo(f"{name:8} not ready  {url}  ({exc.__class__.__name__})")
    raise typer.Exit(0 if all_ready else 1)


@infra.command("init")
def infra_init() -> None:
    """Apply migrations and create topics, table, bucket and stream (idempotent)."""
    from tradewind.adapters.aws.provisioning import init_all

    asyncio.run(init_all(_settings(), typer.echo))


@users.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    cash: Annotated[str, typer.Option(help="Starting cash, a decimal amount.")] = "100000",
    admin: Annotated[bool, typer.Option("--admin", help="An operator: may use the admin API.")] = False,
) -> None:
    """Create a user and account; prints the API token alone on the last line."""
    from tradewind.adapters.aws.containers import build_adapters
    from tradewind.application.accounts.users import CreateUser, InvalidUser

    settings = _settings()

    async def create() -> str:
        adapters: Any = build_adapters(settings)
        await adapters.lifecycle().start(kafka=False)
        try:
            created = await CreateUser(adapters.uow)(name, cash, admin=admin)
        finally:
            await adapters.lifecycle().stop()
        typer.echo(f"created account {created.account.id} for {created.account.name} with cash {created.account.cash}")
        return created.token

    try:
        token = asyncio.run(create())
    except InvalidUser as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:
        if "unique" in str(exc).lower() or "exists" in str(exc).lower():
            typer.echo(f"error: a user named {name!r} already exists", err=True)
            raise typer.Exit(2) from None
        raise
    typer.echo(token)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    venue: Annotated[bool, typer.Option(help="Trade through the paper venue over FIX 4.4 (in this process).")] = False,
) -> None:
    """Web, worker and gateway in one process on in-memory adapters; real-history quotes."""
    from tradewind.apps.cli.demo import run_demo

    configure_logging(os.environ.get("TRADEWIND_LOG_LEVEL", "WARNING"))
    asyncio.run(run_demo(host, port, with_venue=venue))


@app.command()
def replay(
    source: Annotated[str, typer.Option("--from", help="Where the events come from: audit or kafka.")],
    view: Annotated[str, typer.Option(help="The read model to rebuild: positions or orders.")],
    account: Annotated[list[str] | None, typer.Option(help="Only this account (repeatable).")] = None,
) -> None:
    """Rebuild a read model from nothing and compare it with the live one (exit 1 if they differ)."""
    import uuid

    from tradewind.apps.cli.replay import replay as run_replay

    if source not in ("audit", "kafka") or view not in ("positions", "orders"):
        typer.echo("error: --from audit|kafka and --view positions|orders", err=True)
        raise typer.Exit(2)
    try:
        accounts = {uuid.UUID(a) for a in account} if account else None
    except ValueError:
        typer.echo("error: --account takes an account id (a UUID)", err=True)
        raise typer.Exit(2) from None
    report = asyncio.run(run_replay(_settings(), source, view, accounts, typer.echo))
    typer.echo(
        f"rebuilt {view} from {source}: {report.events} event(s) applied, {report.skipped} skipped, "
        f"{len(report.accounts)} account(s)"
    )
    for line in report.differences[:50]:
        typer.echo(f"  differs: {line}")
    typer.echo("equal to the live view" if not report.differences else f"{len(report.differences)} difference(s)")
    raise typer.Exit(1 if report.differences else 0)


@ledger.command("flagged")
def ledger_flagged(
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    account: Annotated[str | None, typer.Option(help="Only this account's reports.")] = None,
) -> None:
    """Venue reports the ledger kept and flagged (unknown order, a move the transition table does
    not have, a fill that adds nothing): one JSON line each; exit 1 when there are any."""
    from tradewind.adapters.aws.containers import build_adapters

    async def read() -> list[dict[str, object]]:
        adapters: Any = build_adapters(_settings())
        await adapters.lifecycle().start(kafka=False)
        try:
            async with adapters.uow() as uow:
                flagged: list[dict[str, object]] = await uow.reports.flagged(limit if account is None else 10_000)
                if account is not None:
                    flagged = [r for r in flagged if str(r["account_id"]) == account][:limit]
                return flagged
        finally:
            await adapters.lifecycle().stop()

    rows = asyncio.run(read())
    for row in rows:
        typer.echo(json.dumps(row, default=str))
    typer.echo(f"{len(rows)} flagged report(s)", err=True)
    raise typer.Exit(1 if rows else 0)


@ledger.command("external")
def ledger_external(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50) -> None:
    """Venue reports for orders the ledger does not have (external orders: placed at the venue by
    someone else, or found there by reconciliation): one JSON line each; exit 1 when there are any."""
    from tradewind.adapters.aws.containers import build_adapters

    async def read() -> list[dict[str, object]]:
        adapters: Any = build_adapters(_settings())
        await adapters.lifecycle().start(kafka=False)
        try:
            async with adapters.uow() as uow:
                external: list[dict[str, object]] = await uow.reports.external(limit)
                return external
        finally:
            await adapters.lifecycle().stop()

    rows = asyncio.run(read())
    for row in rows:
        typer.echo(json.dumps(row, default=str))
    typer.echo(f"{len(rows)} external order report(s)", err=True)
    raise typer.Exit(1 if rows else 0)


@risk.command("state")
def risk_state(
    state: Annotated[str, typer.Argument(help="active, reducing or halted.")],
    reason: Annotated[str, typer.Option(help="Why (recorded on risk.events).")],
    account: Annotated[str | None, typer.Option(help="This account only; without it, the whole platform.")] = None,
) -> None:
    """Set a trading state. ``halted`` is the kill switch: new orders and amends are refused and
    every open order gets a cancel request; cancels always pass."""
    import uuid

    from tradewind.adapters.aws.containers import build_adapters
    from tradewind.application.risk.trading_state import InvalidRiskChange, SetTradingState, parse_state_change

    try:
        wanted, why = parse_state_change({"state": state, "reason": reason})
        target = uuid.UUID(account) if account else None
    except InvalidRiskChange as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except ValueError:
        typer.echo("error: --account takes an account id (a UUID)", err=True)
        raise typer.Exit(2) from None

    async def change() -> str:
        adapters: Any = build_adapters(_settings())
        await adapters.lifecycle().start(kafka=False)
        try:
            use_case = SetTradingState(adapters.uow)
            who = f"cli ({os.environ.get('USER', 'operator')})"
            if target is None:
                done = await use_case.for_platform(wanted, why, changed_by=who, admin_account=uuid.UUID(int=0))
                return f"platform: {done.previous.value} -> {done.state.value}; {done.cancels_requested} cancel(s) requested"
            done = await use_case.for_account(target, wanted, why, changed_by=who)
            return f"account {target}: {done.previous.value} -> {done.state.value}; {done.cancels_requested} cancel(s) requested"
        finally:
            await adapters.lifecycle().stop()

    typer.echo(asyncio.run(change()))


@risk.command("limits")
def risk_limits(
    account: Annotated[str, typer.Argument(help="The account id.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="name=value (repeatable); name=null restores the default.")
    ] = None,
) -> None:
    """Show an account's risk limits (defaults, overrides, effective); with --set, change them."""
    import uuid

    from tradewind.adapters.aws.containers import build_adapters
    from tradewind.apps.web.containers import WebContainer
    from tradewind.domain.errors import DomainError

    try:
        target = uuid.UUID(account)
        changes: dict[str, object] = {}
        for item in set_ or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--set takes name=value, got {item!r}")
            changes[name.strip()] = None if value.strip() == "null" else value.strip()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def run() -> dict[str, object]:
        settings = _settings()
        adapters: Any = build_adapters(settings)
        container = WebContainer(adapters=adapters)
        container.config.from_dict(settings.model_dump(mode="python"))
        await adapters.lifecycle().start(kafka=False)
        try:
            use_case = container.set_limits()
            if changes:
                return await use_case.change(target, changes, changed_by=f"cli ({os.environ.get('USER', 'operator')})")
            return await use_case.show(target)
        finally:
            await adapters.lifecycle().stop()

    try:
        typer.echo(json.dumps(asyncio.run(run()), indent=2))
    except DomainError as exc:
        typer.echo(f"error: {exc.detail} (field {exc.field})", err=True)
        raise typer.Exit(2) from None


@audit.command("query")
def audit_query(
    sql: Annotated[
        str, typer.Argument(help='SQL over the view "events", e.g. "SELECT type, count(*) FROM events GROUP BY 1".')
    ],
    dt_from: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD) to read.")] = None,
    dt_to: Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD) to read.")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="Only this event type (repeatable).")] = None,
) -> None:
    """Run SQL (DuckDB) over the archive; the layout is Athena's, so the same SQL runs there."""
    from tradewind.apps.cli.replay import audit_query as run_query

    try:
        columns, rows = asyncio.run(run_query(_settings(), sql, dt_from=dt_from, dt_to=dt_to, types=type_))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("duckdb", "_duckdb")):
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        raise
    typer.echo("\t".join(columns))
    for row in rows:
        typer.echo("\t".join("" if v is None else str(v) for v in row))


if __name__ == "__main__":
    app()
