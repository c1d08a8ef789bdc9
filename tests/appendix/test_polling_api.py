"""The HTTP contract of adrgen.appendix.polling, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adrgen.appendix.polling import notify
from adrgen.appendix.polling.notifications import get_storage

pytestmark = pytest.mark.timeout(60)

UNREAD = "/notifications/unread"
Signed = Callable[[int], FlaskClient]


def send(app: Flask, user_id: int, text: str) -> int:
    with app.app_context():
        return notify(user_id, text)


def test_unread_requires_a_session(client: FlaskClient) -> None:
    response = client.get(UNREAD)
    assert response.status_code == 401
    assert response.is_json and response.json == {"error": "authentication required"}


def test_mark_read_requires_a_session(app: Flask, client: FlaskClient) -> None:
    note = send(app, 1, "hello")
    response = client.post(f"/notifications/{note}/read")
    assert response.status_code == 401 and response.is_json


def test_unread_lists_own_notifications_newest_first(app: Flask, user_client: Signed) -> None:
    first = send(app, 1, "first")
    second = send(app, 1, "second <b>bold</b>")
    response = user_client(1).get(UNREAD)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    notes = response.json["notifications"]
    assert [n["id"] for n in notes] == [second, first]
    assert set(notes[0]) == {"id", "body", "created_at"}
    assert notes[0]["body"] == "second <b>bold</b>"
    assert notes[0]["created_at"].endswith("Z") and "T" in notes[0]["created_at"]


def test_users_only_see_their_own(app: Flask, user_client: Signed) -> None:
    mine = send(app, 1, "for one")
    theirs = send(app, 2, "for two")
    assert [n["id"] for n in user_client(1).get(UNREAD).json["notifications"]] == [mine]
    assert [n["id"] for n in user_client(2).get(UNREAD).json["notifications"]] == [theirs]
    assert user_client(3).get(UNREAD).json == {"notifications": []}


def test_etag_and_if_none_match(app: Flask, user_client: Signed) -> None:
    send(app, 1, "hello")
    client = user_client(1)
    first = client.get(UNREAD)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    cached = client.get(UNREAD, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == etag
    assert cached.headers["Cache-Control"] == "private, no-cache"
    # Weak form and lists are accepted too (RFC 9110 compares If-None-Match weakly).
    assert client.get(UNREAD, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304

    send(app, 1, "something new")
    changed = client.get(UNREAD, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert len(changed.json["notifications"]) == 2


def test_mark_read_own_then_gone(app: Flask, user_client: Signed) -> None:
    note = send(app, 1, "read me")
    client = user_client(1)
    response = client.post(f"/notifications/{note}/read")
    assert response.status_code == 204 and response.data == b""
    assert client.get(UNREAD).json == {"notifications": []}
    # Marking it read again is harmless: still the user's own notification.
    assert client.post(f"/notifications/{note}/read").status_code == 204


def test_mark_read_of_another_users_notification_is_404(app: Flask, user_client: Signed) -> None:
    theirs = send(app, 2, "private to two")
    response = user_client(1).post(f"/notifications/{theirs}/read")
    assert response.status_code == 404 and response.is_json
    # ...and it is still unread for its owner.
    assert [n["id"] for n in user_client(2).get(UNREAD).json["notifications"]] == [theirs]


@pytest.mark.parametrize("note_id", ["999999", "0", str(2**63 - 1), str(2**63), "1" * 40])
def test_mark_read_of_unknown_id_is_404(user_client: Signed, note_id: str) -> None:
    assert user_client(1).post(f"/notifications/{note_id}/read").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/notifications/1%20OR%201=1/read",
        "/notifications/1;DROP%20TABLE%20notifications/read",
        "/notifications/'%20OR%20''='/read",
        "/notifications/-1/read",
        "/notifications/1e3/read",
        "/notifications/%00/read",
    ],
)
def test_sql_injection_in_the_path_is_404_never_500(
    app: Flask, user_client: Signed, path: str
) -> None:
    send(app, 2, "someone else's")
    response = user_client(1).post(path)
    assert response.status_code in (400, 404)
    assert response.is_json
    # Nothing was touched: user 2 still has their notification, the table still exists.
    assert len(user_client(2).get(UNREAD).json["notifications"]) == 1


@pytest.mark.parametrize(
    "query", ["user_id=2", "user_id=1%20OR%201=1", "id=1'--", "limit=100000;DROP"]
)
def test_query_parameters_are_ignored(app: Flask, user_client: Signed, query: str) -> None:
    send(app, 2, "not yours")
    response = user_client(1).get(f"{UNREAD}?{query}")
    assert response.status_code == 200
    assert response.json == {"notifications": []}


def test_sql_injection_text_is_stored_as_text(app: Flask, user_client: Signed) -> None:
    text = "'); DROP TABLE notifications; --"
    send(app, 1, text)
    notes = user_client(1).get(UNREAD).json["notifications"]
    assert notes[0]["body"] == "'); DROP TABLE notifications; --"


@pytest.mark.parametrize(
    ("payload", "forbidden"),
    [
        ("<script>window.__pwned = 1</script>hi", ["<script", "__pwned"]),
        ('<img src=x onerror="window.__pwned=1">hi', ["<img", "onerror"]),
        ('<a href="javascript:alert(1)">click</a>', ["javascript:"]),
        ('<a href="  JaVaScRiPt:alert(1)">click</a>', ["javascript:", "JaVaScRiPt"]),
        ('<svg onload="alert(1)"><circle/></svg>ok', ["<svg", "onload"]),
        ('<iframe src="https://evil.example"></iframe>ok', ["<iframe"]),
        ('<b style="background:url(javascript:x)">b</b>', ["style", "javascript:"]),
        ('<a href="data:text/html,<script>alert(1)</script>">d</a>', ["data:", "<script"]),
    ],
)
def test_bodies_are_sanitised(
    app: Flask, user_client: Signed, payload: str, forbidden: list[str]
) -> None:
    send(app, 1, payload)
    body = user_client(1).get(UNREAD).json["notifications"][0]["body"]
    for fragment in forbidden:
        assert fragment.lower() not in body.lower()


def test_allowed_markup_survives(app: Flask, user_client: Signed) -> None:
    send(app, 1, 'See <a href="https://example.org/x">the <em>report</em></a>')
    body = user_client(1).get(UNREAD).json["notifications"][0]["body"]
    assert body == (
        'See <a href="https://example.org/x" rel="noopener noreferrer nofollow">'
        "the <em>report</em></a>"
    )


def test_sanitised_once_on_write_not_on_read(
    app: Flask, user_client: Signed, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(app, 1, "<script>x()</script><b>safe</b>")
    # What is stored is already clean...
    with app.app_context():
        stored = get_storage().unread(1, 10)[0]["body"]
    assert stored == "<b>safe</b>"

    # ...and reads never call the sanitiser.
    def explode(*args: object, **kwargs: object) -> str:
        raise AssertionError("nh3.clean called on the read path")

    monkeypatch.setattr("adrgen.appendix.polling.sanitize.nh3.clean", explode)
    assert user_client(1).get(UNREAD).json["notifications"][0]["body"] == "<b>safe</b>"


def test_cache_control_on_every_response(app: Flask, user_client: Signed) -> None:
    note = send(app, 1, "x")
    client = user_client(1)
    anonymous = app.test_client()
    ok = client.get(UNREAD)
    responses = {
        "200": ok,
        "304": client.get(UNREAD, headers={"If-None-Match": ok.headers["ETag"]}),
        "204": client.post(f"/notifications/{note}/read"),
        "404": client.post("/notifications/424242/read"),
        "401": anonymous.get(UNREAD),
        "page": anonymous.get("/"),
        "static": anonymous.get("/static/polling.js"),
        "session-404": anonymous.post("/session", json={"user_id": 1}),
    }
    for name, response in responses.items():
        assert response.headers.get("Cache-Control") == "private, no-cache", name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name


def test_rate_limit_429_on_the_101st_request(app: Flask, user_client: Signed) -> None:
    client = user_client(1)
    statuses = [client.get(UNREAD).status_code for _ in range(100)]
    assert statuses == [200] * 100
    response = client.get(UNREAD)
    assert response.status_code == 429
    assert response.is_json and "rate limit" in response.json["error"]
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.headers["Cache-Control"] == "private, no-cache"
    # The budget is shared by the notification endpoints...
    assert client.post("/notifications/1/read").status_code == 429
    # ...and it is per user: another user (same IP) is unaffected.
    assert user_client(2).get(UNREAD).status_code == 200


def test_rate_limit_is_configurable_and_anonymous_requests_do_not_count(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(POLLING_RATE_LIMIT="3/minute")
    anonymous = app.test_client()
    assert {anonymous.get(UNREAD).status_code for _ in range(10)} == {401}
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = 5
    assert [client.get(UNREAD).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_unread_is_bounded(make_app: Callable[..., Flask]) -> None:
    app = make_app(POLLING_MAX_UNREAD=5)
    with app.app_context():
        for n in range(8):
            notify(1, f"n{n}")
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = 1
    notes = client.get(UNREAD).json["notifications"]
    assert [n["body"] for n in notes] == ["n7", "n6", "n5", "n4", "n3"]


def test_unknown_route_and_wrong_method_are_json(client: FlaskClient) -> None:
    assert client.get("/nope").status_code == 404
    assert client.get("/nope").is_json
    response = client.delete(UNREAD)
    assert response.status_code == 405 and response.is_json
