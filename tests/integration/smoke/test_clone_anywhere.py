"""Clone anywhere (issue 12): a fresh clone of this commit under a directory others cannot enter
(a home of mode 700, say) still gets a PostgreSQL from ``scripts/services up``. As root the
server runs as user ``postgres``, which cannot traverse such a checkout, so the cluster must go
where it can (``/var/tmp/tradewind-pg-<hash>``) and the script must say where.

PostgreSQL only, on a port of its own, beside the session's servers: the cheapest service that
has the problem (initdb plus one start, a few seconds)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    *cmd: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_services_up_postgres_works_in_a_clone_under_a_mode_700_directory() -> None:
    head = run("git", "rev-parse", "HEAD", cwd=REPO).stdout.strip()
    top = Path(tempfile.mkdtemp(prefix="tw-clone-"))
    private = top / "home"
    private.mkdir(mode=0o700)
    os.chmod(private, 0o700)  # mkdir's mode is filtered by the umask
    clone = private / "tradewind"
    env = {**os.environ, "TRADEWIND_PG_PORT": str(free_port())}
    cluster: Path | None = None
    try:
        cloned = run("git", "clone", "--quiet", "--no-checkout", str(REPO), str(clone), cwd=top)
        assert cloned.returncode == 0, cloned.stderr
        checkout = run("git", "checkout", "--quiet", head, cwd=clone)
        assert checkout.returncode == 0, checkout.stderr

        up = run("scripts/services", "up", "postgres", cwd=clone, env=env)
        assert up.returncode == 0, f"stdout:\n{up.stdout}\nstderr:\n{up.stderr}"
        assert re.search(r"^postgres\s+127\.0\.0\.1:\d+\s+up", up.stdout, re.M), up.stdout
        if os.geteuid() == 0:  # the server runs as user postgres, who cannot enter the clone
            found = re.search(r"cluster in (/var/tmp/tradewind-pg-[0-9a-f]+)", up.stderr)
            assert found, up.stderr
            cluster = Path(found.group(1))
            assert (cluster / "data" / "PG_VERSION").is_file()
            assert (clone / ".local" / "postgres").resolve() == cluster
        else:  # the server runs as this user, who can: the cluster stays in the checkout
            assert (clone / ".local" / "postgres" / "data" / "PG_VERSION").is_file()
        status = run("scripts/services", "status", "postgres", cwd=clone, env=env)
        assert status.returncode == 0, status.stdout + status.stderr
    finally:
        down = run("scripts/services", "down", "postgres", cwd=clone, env=env) if clone.exists() else None
        shutil.rmtree(top, ignore_errors=True)
        if cluster is not None:
            shutil.rmtree(cluster, ignore_errors=True)
    assert down is not None and down.returncode == 0, down and (down.stdout + down.stderr)
    assert "stopped" in down.stdout
