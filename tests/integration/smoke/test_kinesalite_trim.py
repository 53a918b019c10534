"""kinesalite never deletes a record past its stream's retention unless a read passes over it,
so its store grew for ever under a consumer that keeps up; ``services.d/kinesalite/serve.js``
trims every shard on a timer. Two real kinesalite processes of the test's own: one trimming as
if its clock were 25 hours ahead (past the 24-hour retention: every record goes), one 1 hour
ahead (within it: every record stays)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tradewind.adapters.aws.provisioning import aws_session
from tradewind.adapters.aws.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
SERVE = ROOT / "scripts" / "services.d" / "kinesalite" / "serve.js"
MODULES = ROOT / ".local" / "kinesalite" / "node_modules"
HOUR_MS = 3_600_000
Eventually = Callable[..., Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def kinesalites(tmp_path: Path) -> Iterator[Callable[[int], tuple[str, Path]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(clock_offset_ms: int) -> tuple[str, Path]:
        port, log = free_port(), tmp_path / f"kinesalite-{len(started)}.log"
        with log.open("wb") as out:
            started.append(
                subprocess.Popen(
                    [
                        *("node", str(SERVE), "--modules", str(MODULES), "--port", str(port)),
                        *("--path", str(tmp_path / f"data-{len(started)}"), "--createStreamMs", "0"),
                        *("--trimEveryMs", "200", "--trimClockOffsetMs", str(clock_offset_ms)),
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "NODE_PATH": str(MODULES)},
                )
            )
        return f"http://127.0.0.1:{port}", log

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def trims(log: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == "trimmed past retention"]


@pytest.mark.parametrize(
    ("offset", "kept"), [(25 * HOUR_MS, False), (HOUR_MS, True)], ids=["past-retention", "within-retention"]
)
async def test_records_past_retention_are_trimmed_and_younger_ones_kept(
    services: Settings,
    kinesalites: Callable[[int], tuple[str, Path]],
    eventually: Eventually,
    offset: int,
    kept: bool,
) -> None:
    endpoint, log = kinesalites(offset)
    async with aws_session(services).client("kinesis", endpoint_url=endpoint) as kinesis:

        async def listening() -> bool:
            try:
                await kinesis.list_streams()
                return True
            except Exception:  # not listening yet
                return False

        await eventually(listening, timeout=30, what="kinesalite listening")
        await kinesis.create_stream(StreamName="trim", ShardCount=2)
        await kinesis.get_waiter("stream_exists").wait(StreamName="trim", WaiterConfig={"Delay": 0.1})
        put = await kinesis.put_records(
            StreamName="trim", Records=[{"Data": f"r{i}".encode(), "PartitionKey": f"k{i}"} for i in range(20)]
        )
        assert put["FailedRecordCount"] == 0
        trims_before = len(trims(log))
        shards = (await kinesis.describe_stream(StreamName="trim"))["StreamDescription"]["Shards"]

        async def records() -> int:
            total = 0
            for shard in shards:
                it = await kinesis.get_shard_iterator(
                    StreamName="trim", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )
                total += len((await kinesis.get_records(ShardIterator=it["ShardIterator"]))["Records"])
            return total

        async def two_trims_since_the_puts() -> bool:
            return len(trims(log)) >= trims_before + 2

        await eventually(two_trims_since_the_puts, timeout=30, what="two trims after the puts")
        if kept:
            assert await records() == 20
            assert all(t["deleted"] == 0 for t in trims(log))
        else:
            assert await records() == 0  # gone, though GetRecords itself (on the real clock) keeps them
            assert sum(t["deleted"] for t in trims(log)) == 20
