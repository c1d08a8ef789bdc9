"""SQLite backend: the embedded default. One connection per thread per process, in WAL mode."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from ..sanitize import SafeHtml
from .base import DatabaseUnavailable, Notification

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    read INTEGER NOT NULL DEFAULT 0 CHECK (read IN (0, 1))
);
-- Only unread rows are ever looked up by user: the partial index stays small as rows are read.
CREATE INDEX IF NOT EXISTS notifications_unread_by_user
    ON notifications (user_id, id) WHERE NOT read;
"""

UNREAD = """
SELECT id, body, created_at FROM notifications
WHERE user_id = ? AND NOT read ORDER BY id DESC LIMIT ?
"""


def path_from_url(url: str) -> str:
    """Map ``sqlite:///relative`` or ``sqlite:////absolute`` (SQLAlchemy style) to a path."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"POLLING_DATABASE_URL: expected sqlite:///path, got {url!r}")
    path = url[len(prefix) :]
    if path == ":memory:":
        # Each thread has its own connection, so each would see its own empty database.
        raise ValueError("POLLING_DATABASE_URL: in-memory SQLite is not supported; use a file")
    return path


class SQLiteStorage:
    """Notifications in a SQLite file, shared safely by threads and gunicorn workers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = path_from_url(url)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._schema_pid = 0

    def _connection(self) -> sqlite3.Connection:
        # sqlite3 connections must not cross threads or a fork; keep one per thread per pid
        # so a request never pays for a connect.
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False only so close() may run from another thread at shutdown;
        # during requests each connection is used by the thread that opened it.
        conn = sqlite3.connect(
            self.path, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        conn.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL, far fewer fsyncs
        self._local.conn, self._local.pid = conn, pid
        with self._lock:
            self._opened.append((pid, conn))
        return conn

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._connection()
            if self._schema_pid != os.getpid():
                conn.executescript(SCHEMA)
                self._schema_pid = os.getpid()
            return work(conn)
        except sqlite3.OperationalError as exc:  # locked, unreadable, disk full, ...
            raise DatabaseUnavailable(f"sqlite: {exc}") from exc

    def init_schema(self) -> None:
        """Create the table and the partial index if missing."""
        self._schema_pid = 0
        self._run(lambda conn: None)

    def add(self, user_id: int, body: SafeHtml) -> int:
        """Insert one notification; return its id."""

        def work(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO notifications (user_id, body) VALUES (?, ?)", (user_id, body)
            )
            return int(cur.lastrowid or 0)

        return self._run(work)

    def add_many(self, rows: Iterable[tuple[int, SafeHtml]]) -> int:
        """Insert many notifications in one transaction."""
        batch = list(rows)

        def work(conn: sqlite3.Connection) -> int:
            with conn:  # BEGIN ... COMMIT (or ROLLBACK on error)
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO notifications (user_id, body) VALUES (?, ?)", batch)
            return len(batch)

        return self._run(work)

    def unread(self, user_id: int, limit: int) -> list[Notification]:
        """The user's unread notifications, newest first."""
        rows = self._run(lambda conn: conn.execute(UNREAD, (user_id, limit)).fetchall())
        return [{"id": r[0], "body": r[1], "created_at": r[2]} for r in rows]

    def mark_read(self, user_id: int, notification_id: int) -> bool:
        """Mark read if it is the user's; already-read counts as success (idempotent)."""
        cur = self._run(
            lambda conn: conn.execute(
                "UPDATE notifications SET read = 1 WHERE id = ? AND user_id = ?",
                (notification_id, user_id),
            )
        )
        return cur.rowcount > 0

    def close(self) -> None:
        """Close every connection this process opened."""
        pid = os.getpid()
        with self._lock:
            mine = [conn for owner, conn in self._opened if owner == pid]
            self._opened = [(o, c) for o, c in self._opened if o != pid]
        for conn in mine:
            conn.close()
        self._local = threading.local()
