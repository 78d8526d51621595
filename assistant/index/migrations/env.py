"""Alembic's environment: migrate the connection that :func:`assistant.index.database.migrate` hands over
(in its transaction, so PostgreSQL applies a whole upgrade or none of it)."""

from __future__ import annotations

from alembic import context

from assistant.index.schema import metadata

__all__ = ["run_migrations"]


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("the catalog's migrations run in code (assistant.index.database.migrate), "
                           "with a connection; offline SQL generation is not supported")
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if getattr(context, "config", None) is not None:  # run by Alembic; a plain import does nothing
    run_migrations()
