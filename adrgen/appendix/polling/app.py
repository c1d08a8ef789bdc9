"""The application factory: wires settings, storage, auth, limiter, views and CLI together."""

from __future__ import annotations

import atexit
import weakref
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.wrappers import Response

from . import auth, body, cli, errors, limits, settings
from .notifications import STORAGE_KEY
from .storage import Storage, open_storage
from .views import api, page

#: Everything but the demo page gets the strictest policy: JSON needs no resources at all.
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the polling app.

    ``config`` overrides any setting (the environment variables by the same name included);
    ``INSTANCE_PATH`` there moves the instance folder (where the default SQLite file and the
    generated secret key live).
    """
    overrides = dict(config or {})
    app = Flask(
        "adrgen.appendix.polling",
        instance_path=overrides.pop("INSTANCE_PATH", None),
    )
    settings.load(app, overrides)

    storage = open_storage(app.config["POLLING_DATABASE_URL"], app.config)
    app.extensions[STORAGE_KEY] = storage
    # Werkzeug/gunicorn exit without app teardown; close the pool so PostgreSQL sees a clean
    # disconnect instead of a reset (harmless if the process already closed it).
    # A weak reference, so apps built and dropped (tests) do not live until exit.
    atexit.register(_close_at_exit, weakref.ref(storage))

    errors.init_app(app)
    body.init_app(app)  # first hook: an oversized declared body is refused before anything
    auth.init_app(app)  # before the limiter: it sets g.user_id and rejects anonymous first
    limits.init_app(app, api)
    app.register_blueprint(api)
    app.register_blueprint(page)
    app.after_request(_common_headers)
    cli.init_app(app)
    return app


def _common_headers(response: Response) -> Response:
    # Notifications are per user and change any time: never shared caches, always revalidate
    # (the ETag makes revalidation cheap).
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _close_at_exit(ref: weakref.ref[Storage]) -> None:
    storage = ref()
    if storage is not None:
        storage.close()
