"""Who is writing: each catalog that writes has a random key, stored on the rows it leaves ``pending``.

On PostgreSQL the key is also a session advisory lock, held on a connection of its own for as long as
the catalog may write: it vanishes with the process (crash, SIGKILL, lost host), so recovery in any
process can tell a crashed writer's half-written articles (lock free) from a live one's (lock held),
and leaves the live writer alone. SQLite keeps one writing host, as before: every other writer's pending
rows count as abandoned.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, func, select

__all__ = ["Writer"]


class Writer:
    """This catalog's writer key, and the lock that says it is alive."""

    def __init__(self) -> None:
        self.key = secrets.randbits(62) + 1  # a positive bigint, also the advisory lock's key
        self._held: Connection | None = None
        self._lock = threading.Lock()

    def hold(self, engine: Engine) -> None:
        """Take the liveness lock (PostgreSQL), before the first pending row carries the key."""
        if engine.dialect.name != "postgresql":
            return
        with self._lock:
            if self._held is None:
                connection = engine.connect()
                connection.execute(select(func.pg_advisory_lock(self.key)))
                connection.commit()
                self._held = connection

    def abandoned(self, engine: Engine, keys: Iterable[int | None]) -> set[int | None]:
        """The keys among ``keys`` whose writer is gone (or unknown: rows from before revision 0002).
        This writer's own key counts as gone: its caller is the one recovering."""
        keys = set(keys)
        if engine.dialect.name != "postgresql":
            return keys
        gone: set[int | None] = {k for k in keys if k is None or k == self.key}
        with engine.connect() as connection:
            for key in keys - gone:
                if connection.execute(select(func.pg_try_advisory_lock(key))).scalar():
                    connection.execute(select(func.pg_advisory_unlock(key)))
                    gone.add(key)
            connection.commit()
        return gone

    def release(self) -> None:
        with self._lock:
            if self._held is not None:
                self._held.execute(select(func.pg_advisory_unlock(self.key)))
                self._held.commit()
                self._held.close()
                self._held = None
