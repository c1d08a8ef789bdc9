"""The CLI's progress bar while a PlantUML batch renders.

The renderer reports ``(done, total)`` from its own thread as each diagram comes back (see
:data:`adrgen.diagrams.renderer.Progress`). The bar redraws one terminal line in place, at
most ten times a second, and erases itself when closed, so that the summary line that follows
stands alone. It is only ever shown on a terminal: logs in CI get the summary line only.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TextIO

#: Fewer diagrams than this render in well under a second: a bar would only flicker.
MIN_DIAGRAMS = 10
#: Redraws at most this often (seconds), whatever the rate of diagrams.
REDRAW_EVERY = 0.1
WIDTH = 30


def wants_bar(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line (not ``TERM=dumb``)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        return False
    return tty and os.environ.get("TERM", "") != "dumb"


class ProgressBar:
    """``rendering diagrams [#####.....] 12/40``, redrawn on one line of ``stream``.

    Call it with ``(done, total)``; :meth:`close` erases it. Thread-safe, because the batch
    reports from the rendering thread while MkDocs may log from the main one. A failed write
    (the terminal went away) turns the bar off instead of failing the render.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str = "rendering diagrams",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self._clock = clock
        self._lock = threading.Lock()
        self._drawn_at = -REDRAW_EVERY
        self._visible = False
        self._broken = False

    def __call__(self, done: int, total: int) -> None:
        """Redraw for ``done`` of ``total`` (skipped if drawn less than 0.1 s ago)."""
        if total < MIN_DIAGRAMS or self._broken:
            return
        now = self._clock()
        with self._lock:
            if done < total and now - self._drawn_at < REDRAW_EVERY:
                return
            self._drawn_at = now
            self._write("\r\033[K" + render_line(self.label, done, total))
            self._visible = True

    def close(self) -> None:
        """Erase the bar, if it was drawn."""
        with self._lock:
            if self._visible:
                self._write("\r\033[K")
                self._visible = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self._broken = True


def render_line(label: str, done: int, total: int) -> str:
    """The bar's text, e.g. ``rendering diagrams [##########....................] 10/30``."""
    filled = WIDTH * done // total if total else WIDTH
    return f"{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}"
