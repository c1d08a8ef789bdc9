"""The one place notification text becomes HTML: an nh3 allow-list, applied once on write.

Sanitising on write (not on every poll) keeps the hot read path to a query and a JSON dump;
the stored body is already safe HTML. nh3 replaces bleach, which is no longer maintained.
"""

from __future__ import annotations

from typing import NewType

import nh3

#: HTML that has been through :func:`clean`. Storage accepts only this type for bodies.
SafeHtml = NewType("SafeHtml", str)

#: Longest notification text accepted, in characters (a notification is a line, not a page).
MAX_TEXT_CHARS = 4000

ALLOWED_TAGS = frozenset({"a", "b", "strong", "i", "em", "code", "br", "p", "ul", "ol", "li"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
#: No javascript:, data: or vbscript: — a link can only go somewhere ordinary.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


def clean(text: str) -> SafeHtml:
    """Return ``text`` reduced to the allow-list: scripts, handlers and bad URLs removed.

    ``<script>``/``<style>`` lose their content too; other unknown tags keep their text.
    Links get ``rel="noopener noreferrer nofollow"``.
    """
    return SafeHtml(
        nh3.clean(
            text,
            tags=set(ALLOWED_TAGS),
            attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(ALLOWED_URL_SCHEMES),
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )
