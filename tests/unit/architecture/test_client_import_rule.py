"""``tradewind.client`` is what other teams install: it must never import the server's layers or
frameworks. A copy of the tree with one such import injected into the client fails
``lint-imports`` naming the client's contract (the untouched copy passing is proven beside this
file, by ``test_import_rules``, whose copy-and-lint helpers this reuses)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


def _import_rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_rules", Path(__file__).with_name("test_import_rules.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rules = _import_rules()


@pytest.mark.parametrize(
    "line",
    ["import tradewind.domain.money  # injected", "import litestar  # injected"],
    ids=["server-layer", "server-framework"],
)
def test_the_client_importing_the_server_fails_lint_imports(tmp_path: Path, line: str) -> None:
    sources = rules._copy_tree(tmp_path)
    rules._inject(tmp_path, "packages/client/src/tradewind/client/models.py", line)
    result = rules._lint(tmp_path, sources)
    assert result.returncode != 0, result.stdout
    assert "the HTTP client imports no server layer" in result.stdout and "BROKEN" in result.stdout, result.stdout
