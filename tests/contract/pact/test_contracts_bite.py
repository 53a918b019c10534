"""The contracts bite: a provider that stops honouring a pact fails verification, and the failure
names the interaction and the field, so the person reading CI knows what broke and for whom.

Each case takes the real producer's output and changes one thing on a copy, the way the import
rule test injects one violation into a copy of the tree: a renamed field in a Kafka message, a
price sent as a JSON number instead of a decimal string, an order event without the ledger's
``account_seq``, a request on a topic its consumer does not read (the old per-type topics), a
venue report that no longer names the account, a renamed field in an HTTP response.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from pact import Verifier
from pact_api_provider import ApiUnderTest, StateServer
from pact_gateway_producer import produce_gateway_messages
from pact_ledger_producer import produce_ledger_messages
from pact_orders import FILLED, SUBMITTED_LIMIT, on_commands
from pact_reports import REPORT_FILL
from pact_support import VerificationFailed, run_verifier
from pact_web_producer import produce_web_messages

Eventually = Callable[..., Awaitable[Any]]
BodyMutation = Callable[[dict[str, Any]], dict[str, Any]]
Mutation = Callable[[dict[str, Any]], dict[str, Any]]  # of a whole pact message: contents and metadata


def renamed(old: str, new: str) -> BodyMutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        return {new if key == old else key: value for key, value in body.items()}

    return mutate


def as_json_number(field: str) -> BodyMutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        return body | {field: float(body[field])}

    return mutate


def dropped(field: str) -> BodyMutation:
    def mutate(body: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in body.items() if key != field}

    return mutate


def in_body(mutation: BodyMutation) -> Mutation:
    def mutate(message: dict[str, Any]) -> dict[str, Any]:
        return message | {"contents": json.dumps(mutation(json.loads(message["contents"]))).encode()}

    return mutate


def on_topic(topic: str) -> Mutation:
    """The same message published to another topic."""

    def mutate(message: dict[str, Any]) -> dict[str, Any]:
        return message | {"metadata": message["metadata"] | {"topic": topic}}

    return mutate


async def producer_messages(provider: str, eventually: Eventually) -> dict[str, dict[str, Any]]:
    if provider == "tradewind-web":
        return await produce_web_messages()
    if provider == "tradewind-oms-ledger":
        return await produce_ledger_messages()
    return await produce_gateway_messages(eventually)


@pytest.mark.parametrize(
    ("provider", "description", "mutation", "named"),
    [
        ("tradewind-web", SUBMITTED_LIMIT, in_body(renamed("client_order_id", "client_order_ref")), "client_order_id"),
        ("tradewind-web", SUBMITTED_LIMIT, in_body(as_json_number("limit_price")), "$.limit_price"),
        ("tradewind-web", on_commands(SUBMITTED_LIMIT), on_topic("order.submitted"), "topic"),
        ("tradewind-oms-ledger", FILLED, in_body(renamed("fill_price", "price")), "fill_price"),
        ("tradewind-oms-ledger", FILLED, in_body(dropped("account_seq")), "account_seq"),
        ("tradewind-gateway", REPORT_FILL, in_body(renamed("account_id", "account")), "account_id"),
    ],
    ids=[
        "renamed-field-in-order.submitted",
        "price-as-json-number",
        "request-on-an-old-topic",
        "renamed-field-in-order.filled",
        "order.filled-without-account_seq",
        "venue-report-without-account_id",
    ],
)
async def test_a_message_that_breaks_a_pact_fails_verification_naming_the_field(
    provider: str, description: str, mutation: Mutation, named: str, eventually: Eventually
) -> None:
    messages = await producer_messages(provider, eventually)
    honest = in_body(lambda body: body)(messages[description])
    assert json.loads(honest["contents"]) == json.loads(messages[description]["contents"])
    broken = {description: mutation(messages[description])}
    verifier = (
        Verifier(provider, host="127.0.0.1").message_handler(broken).filter(description=f"^{re.escape(description)}$")
    )
    with pytest.raises(VerificationFailed) as failed:
        run_verifier(verifier, provider, "(test)")
    report = str(failed.value)
    assert description in report and named in report, report
    assert "does not honour a pact" in report and "Rerun:" in report


def renaming_in_responses(old: str, new: str) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI layer that renames one field of every JSON object the app answers with."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def rewrite(message: Message) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                if message["type"] != "http.response.body":
                    await send(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                try:
                    data = json.loads(body)
                except ValueError:
                    pass
                else:
                    if isinstance(data, dict):
                        data = renamed(old, new)(data)
                    body = json.dumps(data).encode()
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                await send(start | {"headers": [*headers, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body, "more_body": False})

            await app(scope, receive, rewrite)

        return wrapped

    return wrap


def test_a_response_that_breaks_the_clients_pact_fails_verification_naming_the_field() -> None:
    with (
        ApiUnderTest(wrap=renaming_in_responses("filled_qty", "filled_quantity")) as api,
        StateServer(api.set_up) as states,
    ):
        verifier = (
            Verifier("tradewind-api", host="127.0.0.1")
            .add_transport(url=api.url)
            .state_handler(states.url, body=True)
            .filter(description="^get an order$")
        )
        with pytest.raises(VerificationFailed) as failed:
            run_verifier(verifier, "tradewind-api", "(test)")
    report = str(failed.value)
    assert "get an order" in report and "filled_qty" in report, report
    assert states.errors == []
