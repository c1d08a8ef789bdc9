"""The storage interface both backends implement, and the error that means "answer 503"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypedDict

from ..sanitize import SafeHtml

#: Ids and user ids are 64-bit signed in PostgreSQL and SQLite; larger numbers cannot exist,
#: so callers reject them up front instead of letting the driver overflow (a 500).
MAX_ID = 2**63 - 1

#: Advisory-lock key serialising concurrent schema creation across workers ("adrgpoll").
SCHEMA_LOCK_KEY = 0x6164726770_6F6C


class Notification(TypedDict):
    """One unread notification as the API returns it."""

    id: int
    body: str  # sanitised HTML
    created_at: str  # ISO 8601, UTC, millisecond precision, e.g. 2025-01-02T03:04:05.678Z


class DatabaseUnavailable(Exception):
    """The database cannot serve the request now (down, restarting, pool exhausted).

    The web layer answers 503 with Retry-After; the backend reconnects on its own later.
    """


class Storage(Protocol):
    """Notifications persistence. Implementations are safe to share between threads and
    survive a fork: each process opens its own connections on first use."""

    url: str

    def init_schema(self) -> None:
        """Create the table and indexes if they do not exist (idempotent)."""

    def add(self, user_id: int, body: SafeHtml) -> int:
        """Store one unread notification and return its id."""

    def add_many(self, rows: Iterable[tuple[int, SafeHtml]]) -> int:
        """Store many unread notifications in one transaction; return how many."""

    def unread(self, user_id: int, limit: int) -> list[Notification]:
        """Return the user's unread notifications, newest first, at most ``limit``."""

    def mark_read(self, user_id: int, notification_id: int) -> bool:
        """Mark the user's own notification read; False if it is not theirs or does not exist."""

    def close(self) -> None:
        """Release this process's connections."""
