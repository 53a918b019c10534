"""Make the port contract suites (``*_contract.py`` beside this file) importable.

pytest runs with ``--import-mode=importlib``, which puts no test directory on ``sys.path``; a
concrete test module imports its suite by plain name (``from broker_adapter_contract import
...``), so this directory goes on the path once, before the test modules are collected."""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
