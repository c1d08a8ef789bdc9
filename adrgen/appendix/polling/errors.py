"""Every error is a small JSON document; none carries a traceback."""

from __future__ import annotations

import json
import logging

from flask import Flask, current_app
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .storage import DatabaseUnavailable

log = logging.getLogger(__name__)


def json_error(status: int, message: str, *, retry_after: int | None = None) -> Response:
    """A JSON error response ``{"error": message}``, with Retry-After when given."""
    response = current_app.response_class(
        json.dumps({"error": message}), status=status, mimetype="application/json"
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def _http_error(exc: HTTPException) -> Response:
    response = json_error(exc.code or 500, exc.description or exc.name)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":  # e.g. Allow on a 405
            response.headers[name] = value
    return response


def _database_unavailable(exc: DatabaseUnavailable) -> Response:
    log.warning("database unavailable: %s", exc)
    return json_error(
        503,
        "database unavailable, retry later",
        retry_after=int(current_app.config["POLLING_DB_RETRY_AFTER"]),
    )


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return json_error(500, "internal error")


def init_app(app: Flask) -> None:
    """Register the JSON error handlers."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DatabaseUnavailable, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
