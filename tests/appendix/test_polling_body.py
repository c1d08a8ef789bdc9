"""Hostile request bodies: size limit (413) and undecodable JSON (400), never a 500.

The streamed bodies are generated as they are read, so a 60 MB body never exists in the
test either, and the count of bytes read shows the app stopped at the limit.
"""

from __future__ import annotations

import io
import json
import select
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from adrgen.appendix.polling.body import MAX_DEPTH
from tests.servers import GunicornServer

pytestmark = pytest.mark.timeout(60)

UNREAD = "/notifications/unread"
LIMIT = 16 * 1024  # the default POLLING_MAX_CONTENT_LENGTH
HUGE = 60 * 1024 * 1024
TOO_LARGE = {"error": f"request body is larger than {LIMIT} bytes"}


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Body handling does not touch the database: SQLite only (no PostgreSQL variant)."""
    return f"sqlite:///{tmp_path / 'notifications.sqlite3'}"


@pytest.fixture
def demo(make_app: Callable[..., Flask]) -> FlaskClient:
    """A client of an app with the demo login on."""
    return make_app(POLLING_DEMO_LOGIN=True).test_client()


class GeneratedBody(io.RawIOBase):
    """A ``wsgi.input`` of ``size`` bytes (``prefix``, then spaces) made as it is read."""

    def __init__(self, size: int, prefix: bytes = b'{"user_id": 1}') -> None:
        super().__init__()
        self.size = size
        self.prefix = prefix
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = min(len(buffer), self.size - self.consumed)
        head = self.prefix[self.consumed : self.consumed + count]
        buffer[:count] = head + b" " * (count - len(head))
        self.consumed += count
        return count


def post_stream(
    client: FlaskClient, path: str, body: GeneratedBody, *, chunked: bool
) -> TestResponse:
    """POST ``body`` as a server hands it to the app: with its Content-Length, or chunked
    (no length, and ``wsgi.input_terminated`` as gunicorn and Werkzeug's server set it)."""
    environ: dict[str, object] = {"wsgi.input": body, "CONTENT_TYPE": "application/json"}
    if chunked:
        environ["wsgi.input_terminated"] = True
        headers = {"Transfer-Encoding": "chunked"}
    else:
        environ["CONTENT_LENGTH"] = str(body.size)
        headers = {}
    return client.post(path, environ_overrides=environ, headers=headers)


def assert_json_error(response: TestResponse, status: int) -> None:
    assert response.status_code == status, response.get_data()
    assert response.is_json
    assert set(response.json or {}) == {"error"}


# --------------------------------------------------------------------------- size limit


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_60_mb_body_is_413_json_without_being_read(demo: FlaskClient, chunked: bool) -> None:
    body = GeneratedBody(HUGE)
    started = time.monotonic()
    response = post_stream(demo, "/session", body, chunked=chunked)
    assert time.monotonic() - started < 2
    assert_json_error(response, 413)
    assert response.json == TOO_LARGE
    # A declared length is refused before reading; a chunked body one byte past the limit.
    assert body.consumed == (LIMIT + 1 if chunked else 0)
    assert demo.get(UNREAD).status_code == 401


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_limit_is_exact(demo: FlaskClient, chunked: bool) -> None:
    assert post_stream(demo, "/session", GeneratedBody(LIMIT), chunked=chunked).status_code == 204
    over = post_stream(demo, "/session", GeneratedBody(LIMIT + 1), chunked=chunked)
    assert_json_error(over, 413)


def test_a_declared_oversize_is_413_on_every_endpoint(
    make_app: Callable[..., Flask], user_client: Callable[[int], FlaskClient]
) -> None:
    # Even where the body is ignored, or the route would be a 404 (demo login off).
    for client, path in [
        (user_client(1), "/notifications/1/read"),
        (user_client(1), UNREAD),
        (make_app().test_client(), "/session"),
    ]:
        body = GeneratedBody(HUGE)
        response = post_stream(client, path, body, chunked=False)
        assert_json_error(response, 413)
        assert body.consumed == 0


def test_the_limit_is_configurable(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    small = make_app(POLLING_DEMO_LOGIN=True, POLLING_MAX_CONTENT_LENGTH=32).test_client()
    response = small.post("/session", data=json.dumps({"user_id": 1}) + " " * 32)
    assert_json_error(response, 413)
    assert response.json == {"error": "request body is larger than 32 bytes"}
    assert small.post("/session", json={"user_id": 1}).status_code == 204

    monkeypatch.setenv("POLLING_MAX_CONTENT_LENGTH", "1048576")
    app = make_app()
    assert app.config["POLLING_MAX_CONTENT_LENGTH"] == 1048576
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576
    assert make_app(POLLING_MAX_CONTENT_LENGTH="2048").config["MAX_CONTENT_LENGTH"] == 2048


@pytest.mark.parametrize(
    "value",
    ["0", "-1", "lots", "16 KiB", "", 0, True, 1.5],
    ids=repr,
)
def test_a_bad_limit_fails_fast(make_app: Callable[..., Flask], value: object) -> None:
    with pytest.raises(ValueError, match="POLLING_MAX_CONTENT_LENGTH"):
        make_app(POLLING_MAX_CONTENT_LENGTH=value)


# --------------------------------------------------------------------------- undecodable JSON


def nested(depth: int, inner: bytes = b"1") -> bytes:
    return b"[" * depth + inner + b"]" * depth


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 10_000, id="10000-open-brackets"),
        pytest.param(b'{"user_id": ' + b"[" * 10_000, id="deep-value"),
        pytest.param(b'{"a":' * 2_000 + b"1" + b"}" * 2_000, id="deep-objects"),
        pytest.param(nested(5_000), id="deep-valid-array"),
        pytest.param(nested(MAX_DEPTH + 1), id="one-level-too-deep"),
        pytest.param(b'{"user_id": ' + nested(MAX_DEPTH) + b"}", id="deep-user-id"),
    ],
)
def test_deeply_nested_json_is_400(demo: FlaskClient, body: bytes) -> None:
    assert len(body) <= LIMIT
    response = demo.post("/session", data=body, content_type="application/json")
    assert_json_error(response, 400)
    assert demo.get(UNREAD).status_code == 401


def test_100000_open_brackets(make_app: Callable[..., Flask]) -> None:
    body = b"[" * 100_000
    default = make_app(POLLING_DEMO_LOGIN=True).test_client()
    # Over the default limit, it is refused for its size before any parsing...
    assert_json_error(default.post("/session", data=body, content_type="application/json"), 413)
    # ...and with a limit that lets it through, for its depth.
    roomy = make_app(POLLING_DEMO_LOGIN=True, POLLING_MAX_CONTENT_LENGTH=2**20).test_client()
    response = roomy.post("/session", data=body, content_type="application/json")
    assert_json_error(response, 400)
    assert response.json == {"error": f"JSON nested deeper than {MAX_DEPTH} levels"}


def test_brackets_inside_strings_do_not_count_as_nesting(demo: FlaskClient) -> None:
    body = json.dumps({"note": "[" * 1000 + '"\\' + "{" * 1000, "user_id": 5})
    assert demo.post("/session", data=body, content_type="application/json").status_code == 204


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"user_id": "x"}', id="string"),
        pytest.param(b'{"user_id": "1"}', id="numeric-string"),
        pytest.param(b'{"user_id": true}', id="true"),
        pytest.param(b'{"user_id": false}', id="false"),
        pytest.param(b'{"user_id": null}', id="null"),
        pytest.param(b'{"user_id": [1]}', id="list"),
        pytest.param(b'{"user_id": {"id": 1}}', id="object"),
        pytest.param(b'{"user_id": 1.0}', id="float"),
        pytest.param(b'{"user_id": 1e400}', id="float-overflow"),
        pytest.param(b'{"user_id": ' + str(10**400).encode() + b"}", id="10**400"),
        pytest.param(b'{"user_id": -' + str(10**400).encode() + b"}", id="-10**400"),
        pytest.param(b'{"user_id": 1' + b"0" * 5000 + b"}", id="past-int-max-str-digits"),
        pytest.param(b'{"user_id": 9223372036854775808}', id="2**63"),
        pytest.param(b'{"user_id": NaN}', id="NaN"),
        pytest.param(b'{"user_id": Infinity}', id="Infinity"),
        pytest.param(b'{"user_id": -Infinity}', id="-Infinity"),
        pytest.param(b'{"user_id": 1, "user_id": 2}', id="duplicate-key"),
        pytest.param(b"", id="empty"),
        pytest.param(b"   ", id="blank"),
        pytest.param(b'{"user_id": 1', id="truncated"),
        pytest.param(b'{"user_id": 1}}', id="trailing-garbage"),
        pytest.param(b"{'user_id': 1}", id="single-quotes"),
        pytest.param(b'{"user_id": 01}', id="leading-zero"),
        pytest.param(b'{"user_id": \xff}', id="not-utf8"),
        pytest.param(b'{"user_id": 1, "n": "\xe9"}', id="latin-1"),
        pytest.param(b'{"user_id": 1, "n": "\xed\xa0\x80"}', id="utf8-surrogate"),
        pytest.param('{"user_id": 1}'.encode("utf-16"), id="utf-16"),
        pytest.param(b'\xef\xbb\xbf{"user_id": 1}', id="utf8-bom"),
        pytest.param(b'{"user_id": 1\x00}', id="nul"),
        pytest.param(b"[1]", id="array"),
        pytest.param(b"1", id="number"),
        pytest.param(b'"user_id"', id="string-document"),
        pytest.param(b"null", id="null-document"),
    ],
)
def test_bad_json_is_400(demo: FlaskClient, body: bytes) -> None:
    response = demo.post("/session", data=body, content_type="application/json")
    assert_json_error(response, 400)
    assert demo.get(UNREAD).status_code == 401


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "text/json",
    ],
)
def test_a_body_that_is_not_declared_json_is_400(
    demo: FlaskClient, content_type: str | None
) -> None:
    response = demo.post("/session", data=b'{"user_id": 1}', content_type=content_type)
    assert_json_error(response, 400)
    assert response.json == {"error": "expected a JSON body (Content-Type: application/json)"}


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
)
def test_json_content_types_sign_in(demo: FlaskClient, content_type: str) -> None:
    response = demo.post("/session", data=b'{"user_id": 7}', content_type=content_type)
    assert response.status_code == 204
    assert demo.get(UNREAD).status_code == 200


# --------------------------------------------------------------------------- real server


def send_until_answered(port: int, head: bytes, piece: bytes, total: int) -> tuple[int, bytes]:
    """Send ``head``, then ``piece`` repeatedly up to ``total`` bytes, stopping as soon as
    the server answers (or drops the connection); return the bytes sent and the answer."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        pending = memoryview(piece)
        while sent < total:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable or not writable:
                break
            try:
                count = sock.send(pending)
            except BlockingIOError:
                continue
            except OSError:  # reset: the answer may still be readable
                break
            sent += count
            pending = pending[count:] or memoryview(piece)
        sock.setblocking(True)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
                head_end = answer.find(b"\r\n\r\n")
                if head_end >= 0 and answer.endswith(b"}"):
                    break
        except OSError:
            pass
    return sent, answer


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_gunicorn_refuses_a_60_mb_body_quickly(tmp_path: Path, chunked: bool) -> None:
    env = {
        "POLLING_DATABASE_URL": f"sqlite:///{tmp_path / 'n.sqlite3'}",
        "SECRET_KEY": "body-secret",
        "POLLING_DEMO_LOGIN": "1",
    }
    block = b" " * 65536
    if chunked:
        framing = b"Transfer-Encoding: chunked"
        piece = b"%x\r\n%s\r\n" % (len(block), block)
    else:
        framing = b"Content-Length: %d" % HUGE
        piece = block
    head = (
        b"POST /session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        + framing
        + b"\r\n\r\n"
    )
    with GunicornServer(env, workers=1) as server:
        started = time.monotonic()
        sent, answer = send_until_answered(server.port, head, piece, HUGE)
        elapsed = time.monotonic() - started
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413 "), answer[:200]
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert json.loads(payload) == TOO_LARGE
    assert sent < HUGE // 4, f"the server let {sent} bytes in before answering"
    assert elapsed < 5
