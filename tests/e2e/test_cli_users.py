"""``tradewind users create`` as a user runs it (issue 12): it used to end with "Unclosed
AIOKafkaProducer" on stderr, because the adapters built a Kafka producer the command never
starts. Its stderr must be empty of that, and the token alone on the last line of stdout."""

from __future__ import annotations

import os
import subprocess
import uuid

from tradewind.adapters.aws.settings import Settings

from .conftest import TRADEWIND


def test_users_create_prints_the_token_and_leaves_nothing_unclosed(local_settings: Settings) -> None:
    env = {**os.environ, "TRADEWIND_PROFILE": "local", "TRADEWIND_PG_DATABASE": local_settings.pg_database}
    name = f"cli-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [TRADEWIND, "users", "create", name, "--cash", "2500.50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Unclosed" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.strip().splitlines()
    assert f"for {name} with cash 2500.50" in lines[0]
    assert lines[-1].startswith("tw_") and " " not in lines[-1]
