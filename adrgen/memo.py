"""What a preview session computes once and reuses while its inputs are unchanged.

``adrgen serve`` rebuilds the site on every edit. Most records did not change, so their
parsed documents, their diagrams' PlantUML text and their pages are taken from here instead
of being made again; each is filed under a key that holds everything it was made from. A
one-off build uses no memo: it makes everything once anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Values by kind and key, kept from one build to the next while they are used."""

    def __init__(self) -> None:
        self._values: dict[str, dict[Hashable, Any]] = {}
        self._used: dict[str, dict[Hashable, Any]] = {}

    def get(self, kind: str, key: Hashable, make: Callable[[], T]) -> T:
        """The value filed under ``key``, made (and filed) when there is none."""
        if key in self._used.setdefault(kind, {}):
            return self._used[kind][key]  # type: ignore[no-any-return]
        known = self._values.get(kind, {})
        value: T = known[key] if key in known else make()
        self._used[kind][key] = value
        return value

    def sweep(self) -> None:
        """End a build: keep only what it used, so a session's memory does not grow."""
        self._values, self._used = self._used, {}
