"""FixBroker (FIX 4.4 initiator, QuickFIX) against a real ``tradewind venue`` process: the same
BrokerAdapter contract as the in-process paper broker. The venue is priced as in production, by
quotes on its Redis channel (``fix_venue.VenueProcess.feed``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from broker_adapter_contract import BrokerAdapterContract, Feed
from fix_venue import VenueProcess, fix_broker

from tradewind.adapters.aws.settings import Settings
from tradewind.adapters.broker.fix.adapter import FixBroker


@pytest.fixture(scope="module")
def venue(services: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VenueProcess]:
    process = VenueProcess(tmp_path_factory.mktemp("fix-venue"), services.redis_port)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def gateway_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One FIX store for the module's adapters: each continues the session the last one left."""
    return tmp_path_factory.mktemp("gateway-fix")


class TestFixBrokerContract(BrokerAdapterContract):
    @pytest.fixture
    def broker(self, venue: VenueProcess, gateway_store: Path) -> Iterator[FixBroker]:
        broker = fix_broker(venue, gateway_store)
        yield broker
        broker.stop()

    @pytest.fixture
    def feed(self, venue: VenueProcess) -> Feed:
        return venue.feed
