"""The layer rules bite: a copy of the tree with one injected violation fails ``lint-imports``.

Only the copy's source folders are on the path, so the namespace portions analysed are the
copy's (the untouched copy passes and each injected copy fails, naming the broken contract).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SRC_DIRS = [*sorted((ROOT / "packages").glob("*/src")), *sorted((ROOT / "apps").glob("*/src"))]


def _copy_tree(dest: Path) -> list[Path]:
    copies = []
    for src in SRC_DIRS:
        target = dest / src.relative_to(ROOT)
        shutil.copytree(src, target, ignore=shutil.ignore_patterns("__pycache__", "*.csv.gz"))
        copies.append(target)
    shutil.copy(ROOT / ".importlinter", dest / ".importlinter")
    return copies


def _lint(dest: Path, src_dirs: list[Path]) -> subprocess.CompletedProcess[str]:
    # ``-S``: no site processing, so the workspace's editable ``.pth`` paths (the real tree) stay
    # out; the venv's site-packages is added by hand for import-linter itself.
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*(str(p) for p in src_dirs), site_packages])}
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run(
        [sys.executable, "-S", "-c", code, str(dest / ".importlinter"), "--no-cache"],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, list[Path]]:
    return tmp_path, _copy_tree(tmp_path)


def _inject(dest: Path, relative: str, line: str) -> None:
    path = dest / relative
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_untouched_copy_passes(tree: tuple[Path, list[Path]]) -> None:
    dest, srcs = tree
    result = _lint(dest, srcs)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("relative", "line", "broken"),
    [
        (
            "packages/domain/src/tradewind/domain/money.py",
            "import redis  # injected",
            "domain and application import no framework",
        ),
        (
            "packages/application/src/tradewind/application/ports.py",
            "import tradewind.adapters.aws.settings  # injected",
            "cli > apps > adapters > application > domain",
        ),
        (
            "packages/adapters-broker/src/tradewind/adapters/broker/history.py",
            "import tradewind.adapters.aws.settings  # injected",
            "cli > apps > adapters > application > domain",
        ),
        (
            "apps/web/src/tradewind/apps/web/errors.py",
            "import tradewind.apps.worker.main  # injected",
            "cli > apps > adapters > application > domain",
        ),
    ],
    ids=["driver-in-domain", "adapter-in-application", "adapter-to-adapter", "app-to-app"],
)
def test_an_injected_violation_fails(tree: tuple[Path, list[Path]], relative: str, line: str, broken: str) -> None:
    dest, srcs = tree
    _inject(dest, relative, line)
    result = _lint(dest, srcs)
    assert result.returncode != 0, result.stdout
    assert f"{broken}" in result.stdout and "BROKEN" in result.stdout, result.stdout
