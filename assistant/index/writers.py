"""Who is writing: each catalog that writes has a random key, stored on what it leaves in flight (its
``in_flight`` rows, see :mod:`assistant.index.inflight`).

The key is also a lock held for as long as the catalog may write, which vanishes with the process (crash,
SIGKILL, lost host), so recovery in any process can tell a crashed writer's leftovers (lock free) from a
live one's (lock held), and leaves the live writer alone. On PostgreSQL it is a session advisory lock on
a connection of its own; on SQLite an ``flock`` on a file named after the key beside the catalog
(``catalog.sqlite3.writers/<key>``; one host, as SQLite is). An SQLite catalog in memory has no such
file: there every other writer's leftovers count as abandoned.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, func, select

__all__ = ["Writer"]


class Writer:
    """This catalog's writer key, and the lock that says it is alive."""

    def __init__(self) -> None:
        self.key = secrets.randbits(62) + 1  # a positive bigint, also the advisory lock's key
        self._held: Connection | None = None
        self._file: IO[bytes] | None = None
        self._path: Path | None = None
        self._lock = threading.Lock()

    def hold(self, engine: Engine) -> None:
        """Take the liveness lock, before the first row carries the key."""
        with self._lock:
            if engine.dialect.name == "postgresql":
                if self._held is None:
                    connection = engine.connect()
                    connection.execute(select(func.pg_advisory_lock(self.key)))
                    connection.commit()
                    self._held = connection
            elif self._file is None and (folder := _lock_folder(engine)) is not None:
                self._file, self._path = _locked_file(folder, self.key), folder / str(self.key)

    def abandoned(self, engine: Engine, keys: Iterable[int | None]) -> set[int | None]:
        """The keys among ``keys`` whose writer is gone (or unknown: rows from before revision 0002).
        This writer's own key counts as gone: its caller is the one recovering."""
        keys = set(keys)
        gone: set[int | None] = {k for k in keys if k is None or k == self.key}
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                for key in keys - gone:
                    if connection.execute(select(func.pg_try_advisory_lock(key))).scalar():
                        connection.execute(select(func.pg_advisory_unlock(key)))
                        gone.add(key)
                connection.commit()
            return gone
        folder = _lock_folder(engine)
        if folder is None:
            return keys
        return gone | {k for k in keys - gone if k is not None and not _alive(folder, k)}

    def release(self) -> None:
        with self._lock:
            if self._held is not None:
                self._held.execute(select(func.pg_advisory_unlock(self.key)))
                self._held.commit()
                self._held.close()
                self._held = None
            if self._file is not None and self._path is not None:
                self._path.unlink(missing_ok=True)
                self._file.close()  # the lock goes with the last descriptor
                self._file = self._path = None


def _lock_folder(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path.with_name(f"{path.name}.writers")


def _locked_file(folder: Path, key: int) -> IO[bytes]:
    """The key's file, locked. It is locked under another name first and then renamed into place, so a
    file with a key's name is never seen unlocked while its writer lives."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{key}.{os.getpid()}"
    file = temporary.open("wb")
    fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    temporary.rename(folder / str(key))
    return file


def _alive(folder: Path, key: int) -> bool:
    """Whether the writer with this key still holds its file's lock (a gone one's file is removed)."""
    path = folder / str(key)
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return False
    with file:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        path.unlink(missing_ok=True)
        return False
