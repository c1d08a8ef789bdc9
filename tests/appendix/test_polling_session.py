"""Sessions, cookies, demo login and configuration of adrgen.appendix.polling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from adrgen.appendix.polling import create_app
from adrgen.appendix.polling.notifications import get_storage
from tests.servers import mint_session_cookie

pytestmark = pytest.mark.timeout(60)

UNREAD = "/notifications/unread"


def session_cookie(set_cookie: str) -> str:
    name_value = set_cookie.split(";", 1)[0]
    assert name_value.startswith("session=")
    return name_value.removeprefix("session=")


def test_demo_login_is_off_by_default(client: Flask) -> None:
    response = client.post("/session", json={"user_id": 1})
    assert response.status_code == 404
    assert response.is_json
    assert "Set-Cookie" not in response.headers


def test_demo_login_sets_a_hardened_cookie(make_app: Callable[..., Flask]) -> None:
    app = make_app(POLLING_DEMO_LOGIN=True)
    client = app.test_client()
    response = client.post("/session", json={"user_id": 42})
    assert response.status_code == 204
    cookie = response.headers["Set-Cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    assert client.get(UNREAD).status_code == 200


def test_secure_flag_can_be_turned_off_for_local_http(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLLING_DEMO_LOGIN", "1")
    monkeypatch.setenv("POLLING_COOKIE_SECURE", "0")
    app = make_app()
    cookie = app.test_client().post("/session", json={"user_id": 1}).headers["Set-Cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "secure" not in flags
    assert {"httponly", "samesite=lax"} <= flags


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"user_id": "1"},
        {"user_id": "1 OR 1=1"},
        {"user_id": 0},
        {"user_id": -5},
        {"user_id": 1.5},
        {"user_id": True},
        {"user_id": None},
        {"user_id": 2**63},
        [1],
        "user_id=1",
    ],
)
def test_demo_login_rejects_bad_ids(make_app: Callable[..., Flask], payload: object) -> None:
    client = make_app(POLLING_DEMO_LOGIN=True).test_client()
    response = client.post("/session", json=payload)
    assert response.status_code == 400
    assert response.is_json
    assert client.get(UNREAD).status_code == 401


def test_demo_login_rejects_non_json(make_app: Callable[..., Flask]) -> None:
    client = make_app(POLLING_DEMO_LOGIN=True).test_client()
    response = client.post("/session", data="user_id=1")
    assert response.status_code == 400


def test_cross_site_post_to_disabled_demo_login_is_still_404(client: Flask) -> None:
    response = client.post(
        "/session", json={"user_id": 1}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 404


def test_cross_site_post_is_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(POLLING_DEMO_LOGIN=True)
    client = app.test_client()
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/session", json={"user_id": 1}, headers=cross).status_code == 403
    assert client.post("/session", json={"user_id": 1}).status_code == 204
    assert client.post("/notifications/1/read", headers=cross).status_code == 403
    same = {"Sec-Fetch-Site": "same-origin"}
    assert client.post("/notifications/1/read", headers=same).status_code == 404


def test_host_app_cookie_is_accepted(app: Flask) -> None:
    cookie = mint_session_cookie(app.secret_key, 9)  # type: ignore[arg-type]
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get(UNREAD).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature
        lambda c: "eyJ1c2VyX2lkIjoyfQ" + c[c.index(".") :],  # payload swapped to user 2
        lambda c: "eyJ1c2VyX2lkIjoyfQ",  # unsigned payload
        lambda c: "garbage",
        lambda c: "",
    ],
)
def test_tampered_cookie_is_401(
    make_app: Callable[..., Flask], tamper: Callable[[str], str]
) -> None:
    app = make_app(POLLING_DEMO_LOGIN=True)
    client = app.test_client()
    set_cookie = client.post("/session", json={"user_id": 1}).headers["Set-Cookie"]
    forged = tamper(session_cookie(set_cookie))
    attacker = app.test_client()
    attacker.set_cookie("session", forged)
    response = attacker.get(UNREAD)
    assert response.status_code == 401
    assert response.is_json


def test_cookie_signed_with_another_key_is_401(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie("session", mint_session_cookie("some-other-key", 1))
    assert client.get(UNREAD).status_code == 401


@pytest.mark.parametrize("value", ["1", 1.0, True, 0, -1, None, [1]])
def test_a_malformed_session_user_id_is_401(app: Flask, value: object) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = value
    assert client.get(UNREAD).status_code == 401


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'env.sqlite3'}"
    monkeypatch.setenv("POLLING_DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("POLLING_RATE_LIMIT", "7/second")
    monkeypatch.setenv("POLLING_RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("POLLING_DEMO_LOGIN", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance")})
    try:
        assert app.config["POLLING_DATABASE_URL"] == url
        assert app.secret_key == "from-env"
        assert app.config["POLLING_RATE_LIMIT"] == "7/second"
        assert app.config["POLLING_DEMO_LOGIN"] is True
        assert app.config["SESSION_COOKIE_SECURE"] is True
        # The config mapping wins over the environment.
        override = create_app({"SECRET_KEY": "from-config", "POLLING_DEMO_LOGIN": "0"})
        assert override.secret_key == "from-config"
        assert override.config["POLLING_DEMO_LOGIN"] is False
        get_storage(override).close()
    finally:
        get_storage(app).close()


def test_defaults_sqlite_in_instance_folder_and_a_persistent_secret(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance)})
    try:
        expected = instance / "notifications.sqlite3"
        assert app.config["POLLING_DATABASE_URL"] == f"sqlite:///{expected}"
        assert app.config["POLLING_RATE_LIMIT"] == "100/minute"
        assert app.config["POLLING_RATELIMIT_STORAGE_URI"] == "memory://"
        assert app.config["POLLING_DEMO_LOGIN"] is False
        key_file = instance / "secret_key"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert len(app.secret_key) >= 32  # type: ignore[arg-type]
        # A second process (another gunicorn worker) gets the same key.
        again = create_app({"INSTANCE_PATH": str(instance)})
        assert again.secret_key == app.secret_key
        client = app.test_client()
        with client.session_transaction() as session:
            session["user_id"] = 1
        assert client.get(UNREAD).status_code == 200
        assert expected.exists()
        get_storage(again).close()
    finally:
        get_storage(app).close()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"POLLING_DATABASE_URL": "mysql://x"}, "unsupported scheme"),
        ({"POLLING_DATABASE_URL": "sqlite:///:memory:"}, "in-memory"),
        ({"POLLING_RATE_LIMIT": "lots"}, "POLLING_RATE_LIMIT"),
        ({"POLLING_DEMO_LOGIN": "maybe"}, "POLLING_DEMO_LOGIN"),
        ({"POLLING_COOKIE_SECURE": "perhaps"}, "POLLING_COOKIE_SECURE"),
    ],
)
def test_bad_settings_fail_fast(tmp_path: Path, config: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        create_app({"SECRET_KEY": "k", "INSTANCE_PATH": str(tmp_path), **config})
