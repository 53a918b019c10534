"""The image the stack runs (``Dockerfile`` at the repository root). Docker cannot build here,
so its structure is checked: built from the lock, every member's pyproject present for uv, one
entry point whose subcommands are the services' commands, the provisioning script where the
task looks for it."""

from __future__ import annotations

import glob
import json
import re
import tomllib

from conftest import REPO
from tradewind_infra.provision import CREATE_TOPICS

DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_multi_stage_build_then_runtime():
    stages = [rest for op, rest in instructions() if op == "FROM"]
    assert [s.split(" AS ")[-1] for s in stages] == ["build", "runtime"]
    runtime = instructions()[[i for i, (op, _) in enumerate(instructions()) if op == "FROM"][1] :]
    assert ("COPY", "--from=build /app/.venv /app/.venv") in runtime
    assert any(op == "USER" and rest != "root" for op, rest in runtime)


def test_dependencies_come_from_the_lock_only():
    runs = [rest for op, rest in instructions() if op == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert len(syncs) == 2
    assert all("--frozen" in r and "--no-dev" in r for r in syncs)
    assert "--no-install-workspace" in syncs[0]
    assert not [r for r in runs if "uv lock" in r or "uv pip" in r]
    assert ("COPY", "pyproject.toml uv.lock ./") in instructions()


def test_every_workspace_member_is_copied_before_the_first_sync():
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    members = sorted(
        p.removeprefix(str(REPO) + "/")
        for pattern in root["tool"]["uv"]["workspace"]["members"]
        for p in glob.glob(str(REPO / pattern))
        if (REPO / p / "pyproject.toml").exists()
    )
    ops = instructions()
    first_sync = next(i for i, (op, rest) in enumerate(ops) if op == "RUN" and "uv sync" in rest)
    copied = {rest.split()[0].removesuffix("/pyproject.toml") for op, rest in ops[:first_sync] if op == "COPY"}
    assert set(members) <= copied, set(members) - copied


def test_entry_point_is_the_tradewind_command_of_the_cli_package():
    (entry,) = [rest for op, rest in instructions() if op == "ENTRYPOINT"]
    assert json.loads(entry) == ["tradewind"]
    cli = tomllib.loads((REPO / "apps/cli/pyproject.toml").read_text())
    assert "tradewind" in cli["project"]["scripts"]
    syncs = [rest for op, rest in instructions() if op == "RUN" and "uv sync" in rest]
    assert all(f"--package {cli['project']['name']}" in s for s in syncs)


def test_the_provisioning_script_lands_where_the_task_runs_it():
    copies = [rest.split() for op, rest in instructions() if op == "COPY"]
    assert ["infra/provision/create_topics.py", CREATE_TOPICS] in copies


def test_the_build_context_leaves_out_local_environments():
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"**/.venv", ".git", "**/node_modules"} <= set(ignored)
