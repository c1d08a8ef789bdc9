"""Storage behind one interface: SQLite (embedded default) or PostgreSQL, chosen by URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import MAX_ID, DatabaseUnavailable, Notification, Storage

__all__ = ["MAX_ID", "DatabaseUnavailable", "Notification", "Storage", "open_storage"]


def open_storage(url: str, settings: Mapping[str, Any] | None = None) -> Storage:
    """Return the backend for ``url`` (``sqlite:///...`` or ``postgresql://...``).

    Nothing connects yet: each process connects on first use, which is what makes the
    object safe to create before gunicorn forks its workers.
    """
    settings = settings or {}
    if url.startswith("sqlite:"):
        from .sqlite import SQLiteStorage

        return SQLiteStorage(url)
    if url.startswith(("postgresql://", "postgres://")):
        # Imported here so an SQLite-only install never needs psycopg.
        from .postgres import PostgresStorage

        return PostgresStorage(
            url,
            min_size=int(settings.get("POLLING_DB_POOL_MIN_SIZE", 1)),
            max_size=int(settings.get("POLLING_DB_POOL_MAX_SIZE", 4)),
            timeout=float(settings.get("POLLING_DB_TIMEOUT", 2.0)),
        )
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ValueError(
        f"POLLING_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:/// or postgresql://"
    )


def describe(url: str) -> str:
    """The URL without secrets, for messages."""
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import redact

        return redact(url)
    return url
