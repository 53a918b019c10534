"""moto's server, started by scripts/services.d/moto.sh, less two things that grow without bound.

1. moto keeps every model object it ever created (``BaseModel.__new__`` appends each instance to
   its class's ``instances_tracked``, for the ``/moto-api/data.json`` dashboard). A DynamoDB
   ``PutItem`` builds a new ``Item``, so an overwritten item is never freed: ~4 KB of RSS per
   conditional PutItem on the positions view, whatever the table's size. Nothing but that
   dashboard reads the list; here instances are not tracked (the dashboard shows no models).
2. werkzeug logs one line per request to moto.log (tens of MB an hour under the soak's load);
   only warnings and errors are logged here.
3. moto's S3 holds every object's body in memory (a ``SpooledTemporaryFile`` of up to 5 MB per
   key): the audit archive, which grows by design, grew moto's RSS by ~150 MB an hour at the
   soak's 20 orders/s. Here a body is a file in ``TRADEWIND_MOTO_S3_DIR`` (``.local/moto/s3``,
   emptied at start: moto starts empty anyway), opened only while it is read or written, so the
   archive's size is disk, not memory, and no file descriptor stays open per object (a rolled-over
   ``SpooledTemporaryFile`` would keep one). Deleting or overwriting an object deletes its file.
4. moto's conditional ``PutObject`` (``If-None-Match: *``) checks that the key is absent, then
   builds and stores the object, on werkzeug's request threads: two writers can both pass the
   check (S3 lets exactly one win). Puts are serialized here, so the check and the store are one
   step, as S3 makes them; with bodies on disk the window had become wide enough to lose.

Usage is moto_server's: ``python moto_serve.py -H 127.0.0.1 -p 5050``.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import sys
import threading
import types
from pathlib import Path
from typing import Any

import moto.s3.models
from moto.core.common_models import BaseModel
from moto.s3.responses import S3Response
from moto.server import main


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    return object.__new__(cls)


class DiskBody:
    """The part of a file moto's ``FakeKey`` uses (seek, read, write, truncate, close), kept in a
    file of its own that is open only during a call. Not thread-safe beyond what moto's key lock
    gives (moto reads and writes a body under ``FakeKey.lock`` or before the key is shared)."""

    _ids = itertools.count()
    directory = Path(".")

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # SpooledTemporaryFile's signature
        self._path: Path | None = self.directory / f"{os.getpid()}-{next(self._ids)}"
        self._path.write_bytes(b"")
        self._pos = 0

    def _file(self) -> Path:
        if self._path is None:
            raise ValueError("I/O operation on closed file")
        return self._path

    def seek(self, pos: int, whence: int = 0) -> int:
        size = self._file().stat().st_size
        self._pos = pos if whence == 0 else self._pos + pos if whence == 1 else size + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        with self._file().open("rb") as f:
            f.seek(self._pos)
            data = f.read() if n is None or n < 0 else f.read(n)
        self._pos += len(data)
        return data

    def write(self, data: bytes) -> int:
        with self._file().open("r+b") as f:
            f.seek(self._pos)
            f.write(data)
        self._pos += len(data)
        return len(data)

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        os.truncate(self._file(), size)
        return size

    def close(self) -> None:
        path, self._path = self._path, None
        if path is not None:
            path.unlink(missing_ok=True)

    @property
    def closed(self) -> bool:
        return self._path is None


def keep_s3_bodies_on_disk(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)  # bodies of a moto that is gone
    directory.mkdir(parents=True)
    DiskBody.directory = directory
    shim = types.SimpleNamespace(**{k: getattr(moto.s3.models.tempfile, k) for k in dir(moto.s3.models.tempfile)})
    shim.SpooledTemporaryFile = DiskBody
    moto.s3.models.tempfile = shim  # type: ignore[assignment]


def serialize_puts() -> None:
    lock = threading.Lock()
    put_object = S3Response.put_object

    def one_at_a_time(self: S3Response) -> Any:
        with lock:
            return put_object(self)

    S3Response.put_object = one_at_a_time  # type: ignore[method-assign]


BaseModel.__new__ = _untracked_new  # type: ignore[method-assign,assignment]
serialize_puts()
logging.getLogger("werkzeug").setLevel(logging.WARNING)
keep_s3_bodies_on_disk(Path(os.environ.get("TRADEWIND_MOTO_S3_DIR", ".local/moto/s3")).resolve())

if __name__ == "__main__":
    sys.exit(main())
