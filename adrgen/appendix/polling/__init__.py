"""Reference implementation of decision 0001's chosen option: in-app notifications by polling.

Run it::

    flask --app adrgen.appendix.polling init-db
    flask --app adrgen.appendix.polling seed --users 1000 --per-user 3
    flask --app adrgen.appendix.polling notify --user 1 "Your <b>report</b> is ready"
    flask --app adrgen.appendix.polling run
    gunicorn -w 2 'adrgen.appendix.polling:create_app()'

HTTP:

- ``GET /notifications/unread``: 200 ``{"notifications": [{"id", "body", "created_at"}]}``
  (the signed-in user's own, newest first, ``body`` already-sanitised HTML), with an
  ``ETag``; ``If-None-Match`` gives 304. 401 JSON without a session, 429 JSON with
  ``Retry-After`` past the per-user limit, 503 JSON with ``Retry-After`` while the database is
  down (the app reconnects by itself when it returns).
- ``POST /notifications/<id>/read``: 204; another user's or an unknown id: 404.
- ``POST /session`` with ``{"user_id": N}``: 204 and a session cookie, only with
  ``POLLING_DEMO_LOGIN=1``; otherwise 404. A host application signs users in by setting
  ``session["user_id"]`` itself (same SECRET_KEY).
- ``GET /``: a demo page whose script polls every 30 s (±20 % jitter; ``?interval=SECONDS``
  overrides it), sends ``If-None-Match``, honours ``Retry-After``, backs off exponentially on
  errors and pauses while the tab is hidden.

Every response carries ``Cache-Control: private, no-cache``. A request body larger than
``POLLING_MAX_CONTENT_LENGTH`` is a 413 JSON error, refused without being read into memory
(with a Content-Length or chunked); a body ``POST /session`` cannot decode (not
``Content-Type: application/json``, not UTF-8, malformed or too deeply nested JSON, NaN,
duplicate keys, not an object, a ``user_id`` that is not an integer in range) is a 400 JSON
error.

Environment (the same names work as keys of the ``config`` mapping given to ``create_app``,
which wins over the environment):

``POLLING_DATABASE_URL``
    ``sqlite:///path`` (default: ``notifications.sqlite3`` in the Flask instance folder) or
    ``postgresql://user:pass@host:port/db`` (psycopg 3, one pool per worker process).
``SECRET_KEY``
    Signs session cookies; all workers and the host app must share it. If unset, a random key
    is generated once and kept in the instance folder (file ``secret_key``, mode 0600).
``POLLING_RATE_LIMIT``
    Per-user limit on the notification endpoints, default ``100/minute``.
``POLLING_RATELIMIT_STORAGE_URI``
    Default ``memory://`` (per process: 2 gunicorn workers allow 2 x the limit);
    ``redis://host:port`` makes the limit exact across workers and hosts.
``POLLING_DEMO_LOGIN``
    ``1`` enables ``POST /session``. Off by default: it lets anyone be anyone.
``POLLING_COOKIE_SECURE``
    Default ``1``: the session cookie is ``Secure`` (sent over https only), as well as
    ``HttpOnly`` and ``SameSite=Lax``. Set ``0`` to try the demo over plain http on localhost.
``POLLING_MAX_CONTENT_LENGTH``
    Largest request body accepted, in bytes; default ``16384`` (16 KiB). The API's only body,
    ``{"user_id": N}``, is a few dozen bytes. Also sets Flask's ``MAX_CONTENT_LENGTH``.

Config-only keys (defaults in :mod:`.settings`): ``POLLING_POLL_INTERVAL``,
``POLLING_DB_POOL_MIN_SIZE``, ``POLLING_DB_POOL_MAX_SIZE``, ``POLLING_DB_TIMEOUT``,
``POLLING_DB_RETRY_AFTER``, ``POLLING_MAX_UNREAD``, ``INSTANCE_PATH``.

Python API for a host application: :func:`notify` (``notify(user_id, text)`` inside an app
context) sanitises once and stores.
"""

from __future__ import annotations

from .app import create_app
from .notifications import notify

__all__ = ["create_app", "notify"]
