"""Fixtures: real PostgreSQL and Redis started from local binaries; apps on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.servers import PostgresServer, RedisServer, ServerUnavailable

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

# Without the appendix extra (pip install adrgen[appendix]) these tests cannot even import.
if importlib.util.find_spec("flask_limiter") is None or importlib.util.find_spec("nh3") is None:
    collect_ignore_glob = ["test_*.py"]

SECRET = "test-secret-key-not-for-production"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's POLLING_* variables must not leak into the tests."""
    from adrgen.appendix.polling.settings import ENV_SETTINGS

    for name in ENV_SETTINGS:
        monkeypatch.delenv(name, raising=False)


_Server = TypeVar("_Server", PostgresServer, RedisServer)


@contextmanager
def started(kind: type[_Server]) -> Iterator[_Server]:
    """A server of ``kind`` started from local binaries for the block; skips the test when
    the binaries are missing (``scripts/bootstrap test`` installs them)."""
    try:
        server = kind()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    with server:
        yield server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session (each test gets its own database in it)."""
    with started(PostgresServer) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the session."""
    with started(RedisServer) as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on an SQLite file and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'notifications.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test's database; their connections are closed at teardown."""
    from adrgen.appendix.polling import create_app
    from adrgen.appendix.polling.notifications import get_storage

    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "TESTING": True,
            "SECRET_KEY": SECRET,
            "POLLING_DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
        config.update(overrides)
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        get_storage(app).close()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The app with default settings (demo login off, 100/minute, memory://)."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with no session."""
    return app.test_client()


def sign_in(client: FlaskClient, user_id: int) -> FlaskClient:
    """Sign ``client`` in the way a host application does: session["user_id"] = id."""
    with client.session_transaction() as session:
        session["user_id"] = user_id
    return client


@pytest.fixture
def user_client(app: Flask) -> Callable[[int], FlaskClient]:
    """``user_client(7)``: a test client signed in as user 7."""
    return lambda user_id: sign_in(app.test_client(), user_id)
