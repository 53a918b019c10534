"""moto's server, started by scripts/services.d/moto.sh, less two things that grow without bound.

1. moto keeps every model object it ever created (``BaseModel.__new__`` appends each instance to
   its class's ``instances_tracked``, for the ``/moto-api/data.json`` dashboard). A DynamoDB
   ``PutItem`` builds a new ``Item``, so an overwritten item is never freed: ~4 KB of RSS per
   conditional PutItem on the positions view, whatever the table's size. Nothing but that
   dashboard reads the list; here instances are not tracked (the dashboard shows no models).
2. werkzeug logs one line per request to moto.log (tens of MB an hour under the soak's load);
   only warnings and errors are logged here.

Usage is moto_server's: ``python moto_serve.py -H 127.0.0.1 -p 5050``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from moto.core.common_models import BaseModel
from moto.server import main


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


BaseModel.__new__ = _untracked_new  # type: ignore[method-assign,assignment]
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    sys.exit(main())
