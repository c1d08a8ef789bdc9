"""Who is asking: session["user_id"], set by the host application's login (or the demo login)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, current_app, g, request, session
from werkzeug.wrappers import Response

from .body import json_object
from .errors import json_error
from .notifications import check_user_id

#: Blueprints whose every request needs a signed-in user.
PROTECTED_BLUEPRINTS = frozenset({"notifications"})

bp = Blueprint("session", __name__)


def current_user_id() -> int | None:
    """The signed-in user's id, or None. A tampered cookie never gets here: Flask discards a
    session whose signature does not verify, so it reads as empty."""
    try:
        return check_user_id(session.get("user_id"))
    except ValueError:
        return None


def load_user() -> Response | None:
    """Set ``g.user_id``; answer 401 for protected endpoints without a session.

    Registered before the rate limiter so anonymous requests are rejected without being
    counted against anyone, and so the limiter can key on ``g.user_id``.
    """
    g.user_id = current_user_id()
    if g.user_id is None and request.blueprint in PROTECTED_BLUEPRINTS:
        return json_error(401, "authentication required")
    return None


def refuse_cross_site() -> None:
    """Abort with 403 if a browser says this state-changing request comes from another site.

    SameSite=Lax already keeps the cookie off cross-site POSTs; this also refuses a sibling
    subdomain (same-site, not same-origin). Browsers always send Sec-Fetch-Site; other
    clients do not, and are not affected.
    """
    if request.headers.get("Sec-Fetch-Site") in {"cross-site", "same-site"}:
        abort(403, description="cross-origin request refused")


@bp.post("/session")
def demo_login() -> tuple[str, int]:
    """Demo login: POST {"user_id": N} signs in as N. Stands in for the host app's login,
    so it exists only when POLLING_DEMO_LOGIN is on; otherwise the route is a 404."""
    if not current_app.config["POLLING_DEMO_LOGIN"]:
        abort(404)
    refuse_cross_site()
    data = json_object()  # 400 unless a JSON object, 413 past the size limit
    try:
        user_id = check_user_id(data.get("user_id"))
    except ValueError as exc:
        abort(400, description=str(exc))
    session.clear()  # a new identity gets a fresh session, nothing carried over
    session["user_id"] = user_id
    return "", 204


def init_app(app: Flask) -> None:
    """Install the user loader (call before the rate limiter) and the demo login route."""
    app.before_request(load_user)
    app.register_blueprint(bp)
