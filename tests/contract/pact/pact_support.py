"""What every pact test shares: where pacts live, the matchers of our wire formats, writing a
pact file, and running a provider verification that fails with a message a person can act on.

Wire formats (DESIGN.md "Shapes"): ids are lowercase UUIDs, times ISO-8601 UTC (``Z``), money and
prices decimal strings (never JSON numbers), quantities integers. Every example value is fixed,
so a consumer test writes the same pact file byte for byte until its expectations change.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pact import Pact, Verifier, match
from pact.match.matcher import AbstractMatcher, GenericMatcher

ROOT = Path(__file__).resolve().parents[3]
PACT_DIR = ROOT / "contracts" / "pacts"

UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
UTC_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"
DECIMAL_RE = r"^-?\d+(\.\d+)?$"
SYMBOL_RE = r"^[A-Z][A-Z0-9.]{0,9}$"
SIDE_RE = r"^(buy|sell)$"
TIF_RE = r"^(day|gtc|ioc|fok)$"
STATUS_RE = (
    r"^(pending|accepted|partially_filled|filled|pending_cancel|pending_replace|canceled|rejected|expired"
    r"|broker_unavailable|unknown)$"
)

# Fixed example values, one per role, so pact files are stable.
ACCOUNT_ID = "0b5c9a4e-8a51-4c1e-9a3e-3f7f0a1d2c11"
OTHER_ACCOUNT_ID = "5d41402a-bc4b-4a76-b971-9d911017c592"
ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
CORRELATION_ID = "a87ff679-a2f3-471d-8181-a67b7542122c"
OCCURRED_AT = "2026-01-02T14:30:00.123456Z"
CREATED_AT = "2026-01-02T14:29:59.5Z"


def uuid(example: str = ORDER_ID) -> AbstractMatcher[str]:
    return match.regex(example, regex=UUID_RE)


def utc(example: str = OCCURRED_AT) -> AbstractMatcher[str]:
    return match.regex(example, regex=UTC_RE)


def money(example: str) -> AbstractMatcher[str]:
    """A decimal string: ``"101.25"``, never ``101.25`` and never ``"1E+2"``."""
    return match.regex(example, regex=DECIMAL_RE)


def symbol(example: str = "AAPL") -> AbstractMatcher[str]:
    return match.regex(example, regex=SYMBOL_RE)


def one_of(example: str, pattern: str) -> AbstractMatcher[str]:
    return match.regex(example, regex=pattern)


def string_rules(body: Any, path: str = "$") -> dict[str, Any]:
    """Extra matching rules so that every regex-matched value must also *be a string*.

    Pact's regex matcher also accepts a JSON number whose text matches, so ``money("99.50")``
    alone would let a producer send ``99.5`` (a float) where we promise a decimal string. Adding
    a type rule to the same path (rules combine with AND) closes that hole. Walks dicts, literal
    lists and ``each_like`` arrays (``$[*]``)."""
    rules: dict[str, Any] = {}
    if isinstance(body, GenericMatcher):
        if body.type == "regex":
            rules[path] = {"combine": "AND", "matchers": [{"match": "type"}]}
        elif body.type == "type" and isinstance(body.value, list) and body.value:
            rules |= string_rules(body.value[0], f"{path}[*]")
    elif isinstance(body, dict):
        for key, value in body.items():
            rules |= string_rules(value, f"{path}.{key}")
    elif isinstance(body, list):
        for index, value in enumerate(body):
            rules |= string_rules(value, f"{path}[{index}]")
    return rules


def write_pact(pact: Pact) -> Path:
    """Write ``pact`` to ``contracts/pacts/`` whole (never merged with an older file), and only
    when its content changed; the replace is atomic, so a verification running at the same time
    reads the old file or the new one, never half of one."""
    PACT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pact.write_file(tmp, overwrite=True)
        [written] = Path(tmp).glob("*.json")
        target = PACT_DIR / written.name
        if not target.exists() or json.loads(target.read_text()) != json.loads(written.read_text()):
            staged = PACT_DIR / f".{written.name}.{os.getpid()}.tmp"
            shutil.copyfile(written, staged)
            os.replace(staged, target)
    return target


def message_examples(pact: Pact) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Every message the pact states, by description: the example body and its metadata, as the
    consumer will be handed them (Pact's consumer-side message verification)."""
    seen: dict[str, tuple[bytes, dict[str, Any]]] = {}
    for message in pact.interactions("Async"):
        description = message.description
        pact_one = message.contents
        assert pact_one is not None, description
        body = pact_one.contents
        raw = body.encode() if isinstance(body, str) else bytes(body) if body is not None else b""
        metadata: dict[str, Any] = {}
        for pair in pact_one.metadata:
            try:
                metadata[pair.key] = json.loads(pair.value)
            except json.JSONDecodeError:
                metadata[pair.key] = pair.value
        seen[str(description)] = (raw, metadata)
    return seen


def kafka_message(topic: str, key: str, payload: bytes) -> dict[str, Any]:
    """A pact ``Message`` for one Kafka record: the payload, and topic and key as metadata."""
    return {
        "contents": payload,
        "metadata": {"topic": topic, "key": key},
        "content_type": "application/json",
    }


class VerificationFailed(AssertionError):
    pass


def run_verifier(verifier: Verifier, provider: str, rerun: str) -> dict[str, Any]:
    """Run a configured verifier over every pact in ``contracts/pacts/`` that names ``provider``.

    A broken contract fails with the verifier's own report (which interaction, which field,
    expected and actual) and says how to rerun it. Pending interactions (a consumer's stated
    need the provider has not built yet) are reported in the results, never fatal."""
    verifier.add_source(PACT_DIR).set_error_on_empty_pact(enabled=True).set_coloured_output(enabled=False)
    try:
        verifier.verify()
    except RuntimeError:
        raise VerificationFailed(
            f"provider {provider!r} does not honour a pact in {PACT_DIR.relative_to(ROOT)}/.\n"
            f"{verifier.output(strip_ansi=True)}\n"
            f"Either change the provider back, or agree a new contract with the consumer (change its "
            f"consumer test, which rewrites the pact). Rerun: {rerun}"
        ) from None
    return verifier.results


def interaction_results(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per verified interaction: consumer, description, result ("OK"/"Error"), pending."""
    return list(results.get("interactionResults", []))


def pacts_naming(provider: str) -> list[Path]:
    """The pact files in ``contracts/pacts/`` whose provider is ``provider``."""
    return sorted(p for p in PACT_DIR.glob("*.json") if json.loads(p.read_text())["provider"]["name"] == provider)


async def verify_messages(provider: str, messages: Mapping[str, dict[str, Any]], rerun: str) -> list[dict[str, Any]]:
    """Verify ``provider``'s messages (description -> pact ``Message``, built by its own code)
    against every pact naming it; returns the per-interaction results, all of them OK."""
    assert pacts_naming(provider), f"no pact in contracts/pacts/ names {provider}: run the consumer tests first"
    verifier = Verifier(provider, host="127.0.0.1").message_handler(dict(messages))
    verified = interaction_results(await asyncio.to_thread(run_verifier, verifier, provider, rerun))
    assert verified and all(r["result"] == "OK" for r in verified), verified
    return verified
