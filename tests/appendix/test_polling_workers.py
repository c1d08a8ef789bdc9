"""The rate limit behind `gunicorn -w 2`: memory:// counts per worker, redis:// holds exactly."""

from __future__ import annotations

import collections
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.appendix.conftest import started
from tests.servers import GunicornServer, RedisServer, mint_session_cookie

pytestmark = pytest.mark.timeout(120)

SECRET = "workers-secret"
UNREAD = "/notifications/unread"


def burst(
    base_url: str, user_id: int, total: int, concurrency: int = 8
) -> collections.Counter[int]:
    """``total`` GETs as one user from ``concurrency`` threads; count the status codes.

    Concurrent clients keep both workers busy, so the kernel has to hand connections to
    both (a sequential client may be served by whichever worker wakes first every time).
    """
    cookie = {"session": mint_session_cookie(SECRET, user_id)}
    local = threading.local()

    def one(_: int) -> int:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        return int(local.http.get(base_url + UNREAD, cookies=cookie, timeout=10).status_code)

    with ThreadPoolExecutor(concurrency) as pool:
        return collections.Counter(pool.map(one, range(total)))


def test_memory_storage_counts_per_worker(tmp_path: Path) -> None:
    env = {
        "POLLING_DATABASE_URL": f"sqlite:///{tmp_path / 'n.sqlite3'}",
        "SECRET_KEY": SECRET,
        "POLLING_RATELIMIT_STORAGE_URI": "memory://",
    }
    with GunicornServer(env, workers=2) as server:
        counts = burst(server.url, user_id=1, total=400)
    print(f"memory:// with 2 workers: {dict(counts)}")
    assert set(counts) <= {200, 429}
    # Each worker allows 100 within the minute: about 200 in all, never more.
    assert 150 <= counts[200] <= 200, counts
    assert counts[200] > 100, "per-worker counters should let more than the limit through"


@pytest.mark.redis
@pytest.mark.postgres
def test_redis_storage_holds_the_limit_exactly(redis_server: RedisServer, pg_url: str) -> None:
    env = {
        "POLLING_DATABASE_URL": pg_url,
        "SECRET_KEY": SECRET,
        "POLLING_RATELIMIT_STORAGE_URI": redis_server.url,
    }
    with GunicornServer(env, workers=2) as server:
        counts = burst(server.url, user_id=1, total=300)
        other_user = burst(server.url, user_id=2, total=10)
        response = requests.get(
            server.url + UNREAD,
            cookies={"session": mint_session_cookie(SECRET, 1)},
            timeout=10,
        )
    print(f"redis:// with 2 workers: {dict(counts)}")
    assert counts == {200: 100, 429: 200}
    assert other_user == {200: 10}  # per user, not per IP
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/json"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


@pytest.mark.redis
def test_redis_outage_falls_back_to_per_process_limits(tmp_path: Path) -> None:
    """Losing Redis must not turn every poll into a 500: the limiter keeps counting in memory."""
    from adrgen.appendix.polling import create_app
    from adrgen.appendix.polling.notifications import get_storage

    with started(RedisServer) as redis:
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "POLLING_DATABASE_URL": f"sqlite:///{tmp_path / 'n.sqlite3'}",
                "POLLING_RATELIMIT_STORAGE_URI": redis.url,
                "POLLING_RATE_LIMIT": "5/minute",
            }
        )
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = 1
        assert [client.get(UNREAD).status_code for _ in range(3)] == [200] * 3
        redis.stop()
        statuses = [client.get(UNREAD).status_code for _ in range(7)]
        get_storage(app).close()
    assert statuses == [200] * 5 + [429] * 2
