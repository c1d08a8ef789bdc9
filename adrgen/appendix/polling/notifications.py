"""The write path: validate, sanitise once, store. Used by the CLI and by host applications."""

from __future__ import annotations

from flask import Flask, current_app

from .sanitize import MAX_TEXT_CHARS, SafeHtml, clean
from .storage import MAX_ID, Storage

STORAGE_KEY = "adrgen_polling_storage"


def get_storage(app: Flask | None = None) -> Storage:
    """The app's storage (the current app when ``app`` is None)."""
    target = app if app is not None else current_app
    storage: Storage = target.extensions[STORAGE_KEY]
    return storage


def check_user_id(user_id: object) -> int:
    """Return ``user_id`` if it is a usable id (a positive 64-bit int, not a bool)."""
    if type(user_id) is not int or not 0 < user_id <= MAX_ID:
        raise ValueError(f"user id must be an integer from 1 to {MAX_ID}, got {user_id!r}")
    return user_id


def prepare(text: str) -> SafeHtml:
    """Validate notification text and sanitise it: the only way to obtain a body to store."""
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"notification text is longer than {MAX_TEXT_CHARS} characters")
    body = clean(text)
    if not body.strip():
        raise ValueError("notification text is empty once sanitised")
    return body


def notify(user_id: int, text: str, app: Flask | None = None) -> int:
    """Send ``text`` to ``user_id`` and return the new notification's id.

    The text may contain a little HTML (links, emphasis, lists); everything else, scripts and
    event handlers included, is removed here, once, before it is stored.
    """
    return get_storage(app).add(check_user_id(user_id), prepare(text))


def seed(users: int, per_user: int, app: Flask | None = None) -> int:
    """Give users 1..``users`` ``per_user`` unread notifications each; return how many."""
    rows = [
        (user, prepare(f"Notification <b>{n}</b> of {per_user} for user {user}"))
        for user in range(1, users + 1)
        for n in range(1, per_user + 1)
    ]
    return get_storage(app).add_many(rows)
