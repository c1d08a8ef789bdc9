"""Settings: defaults, then the environment, then the ``config`` mapping given to create_app."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from limits import parse as parse_limit

#: Settings read from the environment, under the same names as the app.config keys.
ENV_SETTINGS = (
    "POLLING_DATABASE_URL",
    "SECRET_KEY",
    "POLLING_RATE_LIMIT",
    "POLLING_RATELIMIT_STORAGE_URI",
    "POLLING_DEMO_LOGIN",
    "POLLING_COOKIE_SECURE",
    "POLLING_MAX_CONTENT_LENGTH",
)

DEFAULTS: dict[str, Any] = {
    "POLLING_RATE_LIMIT": "100/minute",
    "POLLING_RATELIMIT_STORAGE_URI": "memory://",
    "POLLING_DEMO_LOGIN": False,
    "POLLING_COOKIE_SECURE": True,
    # The demo client's poll period, in seconds (decision 0001: 30 s).
    "POLLING_POLL_INTERVAL": 30.0,
    # Per-process PostgreSQL pool. A sync gunicorn worker needs one connection; a few more
    # cover threaded workers and the dev server without letting one worker hog the server.
    "POLLING_DB_POOL_MIN_SIZE": 1,
    "POLLING_DB_POOL_MAX_SIZE": 4,
    # How long a request waits for a pooled connection before it answers 503. Short, so an
    # outage turns into fast 503s instead of a queue of stuck workers.
    "POLLING_DB_TIMEOUT": 2.0,
    # Retry-After (seconds) sent with a 503 when the database is unavailable.
    "POLLING_DB_RETRY_AFTER": 5,
    # Most unread notifications returned by one poll (newest first): bounds the response size.
    "POLLING_MAX_UNREAD": 100,
    # Largest request body accepted, in bytes (413 beyond). The only body the API reads is
    # POST /session's {"user_id": N}, a few dozen bytes; 16 KiB leaves room for any sane
    # client while bounding what one request can make a worker hold and parse.
    "POLLING_MAX_CONTENT_LENGTH": 16 * 1024,
}

_BOOL_SETTINGS = ("POLLING_DEMO_LOGIN", "POLLING_COOKIE_SECURE")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_bool(name: str, value: object) -> bool:
    """Read a boolean setting given as a bool or as an environment-style string ("1", "0", ...)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name}: expected 1/0, true/false, yes/no or on/off, got {value!r}")


def parse_positive_int(name: str, value: object) -> int:
    """Read a positive integer setting given as an int or as an environment-style string."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}") from None
    if number < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return number


def load(app: Flask, overrides: Mapping[str, Any]) -> None:
    """Fill ``app.config``: defaults < environment < ``overrides``; validate; derive Flask keys."""
    cfg = app.config
    for key, value in DEFAULTS.items():
        cfg.setdefault(key, value)
    for key in ENV_SETTINGS:
        if key in os.environ:
            cfg[key] = os.environ[key]
    cfg.update(overrides)

    for key in _BOOL_SETTINGS:
        cfg[key] = parse_bool(key, cfg[key])
    cfg["POLLING_MAX_CONTENT_LENGTH"] = parse_positive_int(
        "POLLING_MAX_CONTENT_LENGTH", cfg["POLLING_MAX_CONTENT_LENGTH"]
    )
    if not cfg.get("POLLING_DATABASE_URL"):
        cfg["POLLING_DATABASE_URL"] = "sqlite:///" + str(
            Path(app.instance_path) / "notifications.sqlite3"
        )
    try:
        parse_limit(str(cfg["POLLING_RATE_LIMIT"]))
    except ValueError as exc:
        raise ValueError(f"POLLING_RATE_LIMIT: {exc}") from exc
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))

    # Session cookie: the host application's login sets session["user_id"]. HttpOnly keeps it
    # away from scripts, Lax stops cross-site POSTs from carrying it, Secure keeps it off
    # plain http unless a developer turns that off for localhost.
    cfg["SESSION_COOKIE_HTTPONLY"] = True
    cfg["SESSION_COOKIE_SAMESITE"] = "Lax"
    cfg["SESSION_COOKIE_SECURE"] = cfg["POLLING_COOKIE_SECURE"]
    # Werkzeug refuses (413) a larger declared Content-Length and bounds a streamed (chunked)
    # body, for every reader of the request (body.py has the API's exact reader).
    cfg["MAX_CONTENT_LENGTH"] = cfg["POLLING_MAX_CONTENT_LENGTH"]


def _instance_secret_key(instance: Path) -> str:
    """Return the key stored in the instance folder, creating it once.

    Why not a random key per process: gunicorn workers would each sign with their own key
    and reject each other's cookies. Why not a fixed "dev" key: anyone could forge a session.
    The key is written to a private temporary file and hard-linked into place, so concurrent
    workers never see a half-written file and all agree on whichever key was linked first.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()
