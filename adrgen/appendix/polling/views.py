"""HTTP endpoints: the polled JSON API and the demo page."""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, abort, current_app, g, render_template, request
from werkzeug.wrappers import Response

from .auth import refuse_cross_site
from .notifications import get_storage
from .storage import MAX_ID

api = Blueprint("notifications", __name__, url_prefix="/notifications")
page = Blueprint("page", __name__)

#: The demo page loads only its own script and stylesheet; nothing inline can run, so even a
#: body that slipped past the sanitiser could not execute a handler or a script.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

#: Bounds for the demo page's ?interval= (seconds); tests poll fast, nobody polls slower.
MIN_INTERVAL, MAX_INTERVAL = 0.2, 3600.0


@api.get("/unread")
def unread() -> Response:
    """The signed-in user's unread notifications, with an ETag; If-None-Match gives 304."""
    rows = get_storage().unread(g.user_id, int(current_app.config["POLLING_MAX_UNREAD"]))
    body = json.dumps({"notifications": rows}, separators=(",", ":"), ensure_ascii=False).encode()
    # A strong validator of exactly what the client would receive; most polls find nothing
    # new, and a 304 saves the body on the wire and the re-render in the page.
    etag = hashlib.blake2b(body, digest_size=16).hexdigest()
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    return response


@api.post("/<int:notification_id>/read")
def mark_read(notification_id: int) -> tuple[str, int]:
    """Mark one of the user's notifications read: 204; someone else's or unknown: 404."""
    refuse_cross_site()
    # The two cases are indistinguishable on purpose: a 403 would confirm the id exists.
    if notification_id > MAX_ID or not get_storage().mark_read(g.user_id, notification_id):
        abort(404, description="no such notification")
    return "", 204


@page.get("/")
def index() -> Response:
    """The demo page; its script polls the API. ``?interval=SECONDS`` overrides the period."""
    interval = float(current_app.config["POLLING_POLL_INTERVAL"])
    try:
        interval = float(request.args.get("interval", interval))
    except ValueError:
        abort(400, description="interval must be a number of seconds")
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:  # also rejects nan and inf
        abort(400, description=f"interval must be between {MIN_INTERVAL} and {MAX_INTERVAL}")
    html = render_template(
        "polling/index.html",
        user_id=g.user_id,
        demo_login=current_app.config["POLLING_DEMO_LOGIN"],
        interval_ms=round(interval * 1000),
    )
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
