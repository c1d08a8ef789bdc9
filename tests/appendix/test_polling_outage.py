"""A real PostgreSQL outage: 503 with Retry-After while it is down, recovery without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from adrgen.appendix.polling import create_app, notify
from adrgen.appendix.polling.notifications import get_storage
from tests.appendix.conftest import started
from tests.servers import (
    GunicornServer,
    PostgresServer,
    mint_session_cookie,
)

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(90)]

UNREAD = "/notifications/unread"
SECRET = "outage-secret"


@pytest.fixture
def own_pg() -> Iterator[PostgresServer]:
    """A cluster of this test's own: stopping it must not break the shared one."""
    with started(PostgresServer) as server:
        yield server


@pytest.fixture
def outage_app(own_pg: PostgresServer) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "POLLING_DATABASE_URL": own_pg.url(),
            "POLLING_DB_TIMEOUT": 1.0,
        }
    )
    yield app
    get_storage(app).close()


def signed_in(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


def wait_for_status(get: object, status: int, timeout: float) -> float:
    """Call get() until it returns ``status``; return how long that took."""
    start = time.monotonic()
    while True:
        code = get()  # type: ignore[operator]
        if code == status:
            return time.monotonic() - start
        assert time.monotonic() - start < timeout, f"still {code} after {timeout} s"
        time.sleep(0.25)


def test_outage_gives_503_and_recovers_without_restart(
    own_pg: PostgresServer, outage_app: Flask
) -> None:
    with outage_app.app_context():
        note = notify(1, "survives the outage")
    client = signed_in(outage_app, 1)
    assert client.get(UNREAD).status_code == 200

    own_pg.stop()
    started = time.monotonic()
    response = client.get(UNREAD)
    assert response.status_code == 503
    assert time.monotonic() - started < 5, "an outage must fail fast, not hang the worker"
    assert response.is_json and "database" in response.json["error"]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert client.post(f"/notifications/{note}/read").status_code == 503
    # Still down: now an immediate 503 (the app holds off instead of waiting for the pool
    # again), while the pool keeps reconnecting in the background.
    started = time.monotonic()
    assert client.get(UNREAD).status_code == 503
    assert time.monotonic() - started < 0.5

    own_pg.start()
    took = wait_for_status(lambda: client.get(UNREAD).status_code, 200, timeout=30)
    print(f"recovered {took:.1f} s after PostgreSQL came back")
    assert [n["id"] for n in client.get(UNREAD).json["notifications"]] == [note]
    assert client.post(f"/notifications/{note}/read").status_code == 204


def test_app_started_while_database_down_comes_up_with_it(
    own_pg: PostgresServer, outage_app: Flask
) -> None:
    own_pg.stop()
    client = signed_in(outage_app, 1)
    assert client.get(UNREAD).status_code == 503  # first use: pool opens, cannot connect
    own_pg.start()
    wait_for_status(lambda: client.get(UNREAD).status_code, 200, timeout=30)
    assert client.get(UNREAD).json == {"notifications": []}  # schema created on the way


@pytest.mark.slow
def test_outage_behind_gunicorn_workers(own_pg: PostgresServer) -> None:
    """The same with 2 gunicorn workers, each with its own pool opened after the fork."""
    env = {
        "POLLING_DATABASE_URL": own_pg.url(),
        "SECRET_KEY": SECRET,
    }
    cookie = {"session": mint_session_cookie(SECRET, 1)}
    with GunicornServer(env, workers=2) as server, requests.Session() as http:
        url = server.url + UNREAD

        def status() -> int:
            return http.get(url, cookies=cookie, timeout=10).status_code

        assert {status() for _ in range(10)} == {200}
        own_pg.stop()
        codes = [status() for _ in range(6)]
        assert set(codes) == {503}, codes
        own_pg.start()
        wait_for_status(status, 200, timeout=30)
        # Both workers recover: a run of requests (spread over them) all succeed.
        wait_for_status(lambda: 200 if {status() for _ in range(10)} == {200} else 0, 200, 30)
