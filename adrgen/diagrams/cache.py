"""The content-hash cache that keeps unchanged diagrams from being rendered again.

Every SVG adrgen writes carries a stamp, a comment right after the XML declaration:

    <!-- adrgen source-sha256=… key=… -->

``source-sha256`` hashes the ``.puml`` text alone; ``key`` hashes the source, the renderer's
identity (PlantUML's version) and the output options (:func:`cache_key`). A committed SVG
whose key matches is reused as it is, so a fresh clone on the same PlantUML version renders
nothing. Without a renderer, an SVG whose *source* still matches is kept (it is correct for
its source, drawn by some PlantUML), and any other is dropped rather than left stale.

A second, local layer (``.adrgen-cache/svg/<key>.svg``, not committed) remembers every SVG
rendered here, so undoing an edit, or switching branches, renders nothing either.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from adrgen.output import write_file_atomic
from adrgen.walls.published import publishable_svg

_STAMP = re.compile(r"<!-- adrgen source-sha256=([0-9a-f]{64}) key=([0-9a-f]{64}) -->")


def source_hash(source: str) -> str:
    """SHA-256 of a diagram's PlantUML text."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """What an SVG says about how it was made."""

    source_sha256: str
    key: str


def stamp_svg(svg: str, source: str, key: str) -> str:
    """Insert the stamp after the XML declaration (or at the top when there is none)."""
    comment = f"<!-- adrgen source-sha256={source_hash(source)} key={key} -->"
    svg = _STAMP.sub("", svg, count=1)
    if svg.startswith("<?xml"):
        end = svg.find("?>") + 2
        return svg[:end] + comment + svg[end:]
    return comment + svg


def read_stamp(svg_head: str) -> Stamp | None:
    """The stamp of an SVG, given (at least) its first few hundred characters."""
    match = _STAMP.search(svg_head)
    return Stamp(match.group(1), match.group(2)) if match else None


def read_stamp_of(path: Path) -> Stamp | None:
    """The stamp of an SVG file, reading only its head."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            return read_stamp(handle.read(512))
    except OSError:
        return None


class LocalCache:
    """SVGs rendered on this machine, by cache key.

    A pull request can commit files into ``.adrgen-cache/`` like anywhere else, so an entry
    counts only if it holds no script (:func:`adrgen.walls.published.publishable_svg`); one
    that does is a miss, and the diagram is drawn again.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.root = cache_dir / "svg"
        #: Entries checked by this instance, by path, with the size and mtime checked.
        self._checked: dict[Path, tuple[int, int, bool]] = {}

    def path(self, key: str) -> Path:
        """Where the SVG for ``key`` is (or would be) kept."""
        return self.root / f"{key}.svg"

    def get(self, key: str) -> Path | None:
        """The cached SVG file for ``key``, if present and publishable."""
        path = self.path(key)
        try:
            status = path.stat()
        except OSError:
            return None
        seen = self._checked.get(path)
        if seen is None or seen[:2] != (status.st_size, status.st_mtime_ns):
            seen = (status.st_size, status.st_mtime_ns, path.is_file() and publishable_svg(path))
            self._checked[path] = seen
        return path if seen[2] else None

    def put(self, key: str, svg: str) -> Path:
        """Store a rendered SVG atomically; return its path."""
        path = self.path(key)
        write_file_atomic(path, svg.encode("utf-8"))
        return path
