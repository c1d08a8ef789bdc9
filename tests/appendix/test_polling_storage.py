"""Storage: idempotent schema, the partial index, pooled connections opened after fork."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable

import psycopg
import pytest
from flask import Flask

from adrgen.appendix.polling.notifications import get_storage, prepare
from adrgen.appendix.polling.storage import Storage, open_storage

pytestmark = pytest.mark.timeout(60)


def test_schema_is_idempotent(database_url: str) -> None:
    storage = open_storage(database_url)
    try:
        for _ in range(3):
            storage.init_schema()
        new_id = storage.add(1, prepare("x"))
        storage.init_schema()  # data survives a re-run
        assert [n["id"] for n in storage.unread(1, 10)] == [new_id]
    finally:
        storage.close()


def test_sqlite_partial_index_is_used(tmp_path: object) -> None:
    path = f"{tmp_path}/n.sqlite3"
    storage = open_storage(f"sqlite:///{path}")
    storage.init_schema()
    storage.close()
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'notifications_unread_by_user'"
        ).fetchone()
        assert "WHERE NOT read" in sql
        plan = " ".join(
            str(row[-1])
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT id, body, created_at FROM notifications "
                "WHERE user_id = 1 AND NOT read ORDER BY id DESC LIMIT 100"
            )
        )
        assert "notifications_unread_by_user" in plan
    conn.close()


@pytest.mark.postgres
def test_postgres_partial_index_is_used(pg_url: str) -> None:
    storage = open_storage(pg_url)
    try:
        storage.init_schema()
        storage.add_many([(u, prepare(f"n{u}")) for u in range(1, 2001)])
    finally:
        storage.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'notifications_unread_by_user'"
        ).fetchone()
        assert row is not None and "WHERE (NOT read)" in row[0]
        conn.execute("ANALYZE notifications")
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM notifications WHERE user_id = 7 AND NOT read "
                "ORDER BY id DESC LIMIT 100"
            )
        )
        assert "notifications_unread_by_user" in plan, plan


def _use_in_child(storage: Storage, queue: multiprocessing.Queue[object]) -> None:
    try:
        queue.put([n["body"] for n in storage.unread(1, 10)])
        storage.close()
    except BaseException as exc:  # report, don't hang the parent
        queue.put(repr(exc))


def test_works_across_fork_with_its_own_connections(database_url: str) -> None:
    """gunicorn forks workers from a process that may already have used the storage."""
    storage = open_storage(database_url)
    try:
        storage.init_schema()
        storage.add(1, prepare("before fork"))
        assert len(storage.unread(1, 10)) == 1  # the parent has live connections now
        ctx = multiprocessing.get_context("fork")
        queue: multiprocessing.Queue[object] = ctx.Queue()
        child = ctx.Process(target=_use_in_child, args=(storage, queue))
        child.start()
        result = queue.get(timeout=30)
        child.join(10)
        assert result == ["before fork"]
        # The parent's connections were not disturbed by the child.
        storage.add(1, prepare("after fork"))
        assert [n["body"] for n in storage.unread(1, 10)] == ["after fork", "before fork"]
    finally:
        storage.close()


@pytest.mark.postgres
def test_requests_reuse_pooled_connections(pg_url: str, make_app: Callable[..., Flask]) -> None:
    app = make_app(POLLING_DATABASE_URL=pg_url)
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = 1
    dbname = pg_url.rsplit("/", 1)[1]

    def sessions_opened() -> int:
        with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute("SELECT pg_stat_clear_snapshot()")
            row = conn.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s", (dbname,)
            ).fetchone()
            return int(row[0]) if row else 0

    assert client.get("/notifications/unread").status_code == 200  # opens the pool
    before = sessions_opened()
    for _ in range(60):
        assert client.get("/notifications/unread").status_code == 200
    # Not one connection per request: at most the pool's size, and in practice none.
    assert sessions_opened() - before <= app.config["POLLING_DB_POOL_MAX_SIZE"]
    get_storage(app).close()
