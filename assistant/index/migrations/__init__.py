"""Alembic migrations of the catalog (SQLite and PostgreSQL), run in code by
:func:`assistant.index.database.migrate` whenever a catalog opens; users need no ``alembic.ini``.

``versions/`` holds the revisions, oldest first (r0001 is the schema newsdesk made before migrations
existed). To add one: copy the newest file there (``script.py.mako`` is the template), set ``revision``
and ``down_revision``, write ``upgrade``/``downgrade``, and update :mod:`assistant.index.schema` to match.
"""

from pathlib import Path

__all__ = ["SCRIPT_LOCATION"]

SCRIPT_LOCATION = Path(__file__).resolve().parent  # Alembic's script_location: env.py, versions/
