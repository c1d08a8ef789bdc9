"""Rate limit: Flask-Limiter, per signed-in user, JSON 429 with Retry-After.

Keyed on the session's user id, not the IP: behind a proxy every user shares one address.
The counter lives in POLLING_RATELIMIT_STORAGE_URI. ``memory://`` counts per process, so
gunicorn with 2 workers lets 2 x the limit through; ``redis://`` makes the limit hold across
workers and hosts.
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, Flask, g
from flask_limiter import Limiter, RateLimitExceeded
from werkzeug.wrappers import Response

from .errors import json_error

#: One budget for all notification endpoints: "100 requests a minute per user".
SCOPE = "notifications"


def user_key() -> str:
    """The limiter key: the signed-in user (the auth hook has already rejected anonymous)."""
    return f"user:{g.user_id}"


def init_app(app: Flask, *limited: Blueprint) -> Limiter:
    """Create this app's limiter and apply the shared per-user limit to ``limited``.

    One Limiter per app, not a module-level one: Flask-Limiter keeps its storage on the
    instance, so a shared instance would let the last app created steal the others' storage.
    """
    limiter = Limiter(
        key_func=user_key,
        storage_uri=str(app.config["POLLING_RATELIMIT_STORAGE_URI"]),
        strategy="fixed-window",
        # X-RateLimit-* headers would cost a second storage round trip on every request;
        # the 429 handler below computes Retry-After only when it is needed.
        headers_enabled=False,
        # If Redis goes away, keep limiting per process rather than failing every request.
        in_memory_fallback_enabled=True,
        key_prefix="adrgen-polling",
    )
    limiter.init_app(app)
    for blueprint in limited:
        limiter.shared_limit(str(app.config["POLLING_RATE_LIMIT"]), scope=SCOPE)(blueprint)

    def too_many_requests(exc: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        retry_after = 60
        if current is not None:
            # window[0] is when the window resets (RequestLimit.reset_at rounds it up a second).
            retry_after = max(1, math.ceil(current.window[0] - time.time()))
        return json_error(429, f"rate limit exceeded: {exc.description}", retry_after=retry_after)

    app.register_error_handler(RateLimitExceeded, too_many_requests)
    return limiter
