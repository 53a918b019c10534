"""moto's server, started by scripts/services.d/moto.sh, less what grows without bound or races in it.

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
5. moto's ``TransactWriteItems`` deep-copies the whole table once per action of the transaction,
   as its rollback snapshot (57 ms of CPU per action on a table of 1,000 items, measured here: a
   transaction of 100 costs 100 copies of the table), and its rollback puts the whole copy back,
   erasing what other request threads wrote meanwhile. Here the snapshot is the items the
   transaction touches, the rollback puts back exactly those, and DynamoDB's writes (put,
   update, delete, hence batch writes, and transactions) run one at a time, so a transaction is
   atomic and isolated as in DynamoDB, at a cost that does not grow with the table.

Usage is moto_server's: ``python moto_serve.py -H 127.0.0.1 -p 5050``.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import shutil
import sys
import threading
import types
from pathlib import Path
from typing import Any

import moto.dynamodb.models
import moto.s3.models
from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
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


def transactions_copy_only_their_items() -> None:
    # moto's transaction takes its snapshot with ``copy.deepcopy(table)``: that copy becomes the
    # table itself (the module's ``copy`` is swapped for one that does not copy tables), so its
    # rollback, ``tables[name] = snapshot``, changes nothing and the one below does the work.
    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    moto.dynamodb.models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)  # type: ignore[attr-defined]
    writes = threading.RLock()  # one DynamoDB write at a time (re-entered by the transaction's own puts)

    def one_at_a_time(write: Any) -> Any:
        def serialized(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
            with writes:
                return write(self, *args, **kwargs)

        return serialized

    def touched(backend: DynamoDBBackend, actions: list[dict[str, Any]]) -> list[tuple[Table, Any, Any, Any]]:
        """(table, hash key, range key, a copy of the item or None) of every action that names one."""
        saved = []
        for action in actions:
            if len(action) != 1:
                continue  # moto refuses it before writing anything
            op_type, op = next(iter(action.items()))
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            attrs = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attrs:
                    continue
                range_key = DynamoType(attrs[table.range_key_attr])
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        return saved

    def put_back(saved: list[tuple[Table, Any, Any, Any]]) -> None:
        for table, hash_key, range_key, item in reversed(saved):  # an item named twice: its first copy wins
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                if hash_key in table.items:
                    table.items[hash_key].pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item

    transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with writes:
            saved = touched(self, transact_items) if len(transact_items) <= 100 else []
            try:
                return transact(self, transact_items)
            except Exception:
                put_back(saved)
                raise

    for name in ("put_item", "update_item", "delete_item"):  # BatchWriteItem calls put_item and delete_item
        setattr(DynamoDBBackend, name, one_at_a_time(getattr(DynamoDBBackend, name)))
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


BaseModel.__new__ = _untracked_new  # type: ignore[method-assign,assignment]
serialize_puts()
transactions_copy_only_their_items()
logging.getLogger("werkzeug").setLevel(logging.WARNING)
keep_s3_bodies_on_disk(Path(os.environ.get("TRADEWIND_MOTO_S3_DIR", ".local/moto/s3")).resolve())

if __name__ == "__main__":
    sys.exit(main())
