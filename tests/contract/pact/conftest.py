"""Pact tests: consumers state what they rely on (``test_consumer_*``, which write
``contracts/pacts/``); providers prove they honour every pact that names them (``test_provider_*``).

Pact's core would report anonymous usage over the network; nothing here may leave 127.0.0.1, so
tracking is switched off before ``pact`` is imported. The helper modules beside this file are put
on ``sys.path`` (``--import-mode=importlib`` adds no test directory), as in ``../ports``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["PACT_DO_NOT_TRACK"] = "true"

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
