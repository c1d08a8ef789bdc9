"""Which folders adrgen may replace: only those it owns.

adrgen replaces a few folders whole (``diagrams/``, the site, a ``--pages-only`` folder) and
writes inside one more (its cache). A setting or a flag names each of them, and a wrong
one (``diagrams_dir = "decisions"``, ``--site-dir .git``, ``".."``) must never cost a
user their records or their repository. So every such folder passes two checks:

* :func:`placement` (when the setting is read): it is not the repository root or a folder
  above it, not in ``.git``, not the records, templates or docs folder or inside them, and
  it neither is nor holds another folder adrgen owns or reads;
* :func:`claim` (just before writing): it does not exist, is empty, or holds adrgen's
  marker file (written into it every time, see :func:`marker`). A folder from before
  markers existed is accepted only when everything in it is provably adrgen's: SVGs that
  carry adrgen's stamp and the ``.puml`` files those stamps hash, or a site that MkDocs
  built (MkDocs cleans its own site folder whatever adrgen does).

Either refusal is an :class:`~adrgen.errors.OwnershipError` that names the setting (at its
``adrgen.toml:line:col``) or the flag, before anything is touched.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from adrgen.errors import OwnershipError, display_path

Kind = Literal["diagrams", "site", "pages", "cache"]

#: The marker each kind of folder holds, so that a later run knows it may replace it.
MARKERS: dict[str, str] = {
    "diagrams": ".adrgen-diagrams",
    "site": ".adrgen-site",
    "pages": ".adrgen-pages",
    # The standard tag of cache folders (https://bford.info/cachedir/): backup tools skip it.
    "cache": "CACHEDIR.TAG",
}
_MARKER_TEXT: dict[str, bytes] = {
    "diagrams": b"Written by `adrgen render`: this folder is replaced on every run.\n",
    "site": b"Written by `adrgen build`: this folder is replaced on every build.\n",
    "pages": b"Written by `adrgen build --pages-only`; replaced on every run.\n",
    "cache": (
        b"Signature: 8a477f597d28d172789f06886806bc55\n"
        b"# This folder is adrgen's cache: its contents can be deleted at any time.\n"
    ),
}
#: What a folder of each kind is called in messages.
_NOUNS = {
    "diagrams": "diagrams folder",
    "site": "site folder",
    "pages": "pages folder",
    "cache": "cache folder",
}
_STAMP_HEAD = b"<!-- adrgen source-sha256="
#: A temporary file of adrgen's atomic writes (``.name.adrgen-tmp-PID``).
_TEMPORARY = re.compile(r"^\..+\.adrgen-(?:tmp|new)-\d+$")


def marker(kind: Kind) -> tuple[str, bytes]:
    """The marker file (name, bytes) that a folder of ``kind`` gets on every write."""
    return MARKERS[kind], _MARKER_TEXT[kind]


@dataclass(frozen=True)
class Folders:
    """The folders of one docs repository that an owned folder must keep clear of."""

    root: Path
    decisions: Path
    templates: Path
    #: The builder's docs folder, when a site is involved.
    docs: Path | None = None
    #: The other folders adrgen owns, by kind (a site must not be ``diagrams/``).
    owned: Mapping[str, Path] | None = None

    def protected(self, kind: str) -> list[tuple[str, Path, bool]]:
        """(name, folder, whether a folder inside it is refused too)."""
        folders = [
            ("the records folder", self.decisions, True),
            ("the templates folder", self.templates, True),
        ]
        if self.docs is not None:
            folders.append(("the docs folder", self.docs, True))
        for other, path in (self.owned or {}).items():
            if other != kind:
                folders.append((f"the {_NOUNS.get(other, other)}", path, False))
        return folders


def placement(target: Path, kind: Kind, folders: Folders) -> str | None:
    """Why a folder of ``kind`` may not be at ``target``; ``None`` when it may.

    ``target`` as given, not resolved: a folder inside the repository that is a symlink to
    somewhere outside it is not adrgen's (a pull request can commit ``diagrams -> /x``), and
    ``diagrams/``, committed with the records, must be inside the repository.
    """
    resolved = target.resolve()
    root = folders.root.resolve()
    given = Path(os.path.abspath(target))
    if given.is_relative_to(root) and not resolved.is_relative_to(root):
        return f"it is a symlink to {display_path(resolved)}, outside the repository"
    if resolved == root:
        return "it is the repository root"
    if root.is_relative_to(resolved):
        return "it holds the repository"
    if ".git" in resolved.parts:
        return "it is inside .git/"
    if kind == "diagrams" and not resolved.is_relative_to(root):
        return "it is outside the repository (diagrams/ is committed with the records)"
    for name, folder, inside_too in folders.protected(kind):
        other = folder.resolve()
        if resolved == other:
            return f"it is {name}"
        if other.is_relative_to(resolved):
            return f"it holds {name} ({display_path(other)})"
        if inside_too and resolved.is_relative_to(other):
            return f"it is inside {name} ({display_path(other)})"
    return None


def check_placement(target: Path, kind: Kind, folders: Folders, named: str) -> None:
    """Raise :class:`OwnershipError` naming ``named`` (a setting's place, or a flag) when
    a folder of ``kind`` may not be at ``target``."""
    why = placement(target, kind, folders)
    if why is not None:
        raise OwnershipError(
            f"{named}: refusing to use {display_path(target)} as the {_NOUNS[kind]}: {why}"
        )


def unowned(
    target: Path, kind: Kind, planned: Mapping[str, bytes | Path] | None = None
) -> list[str]:
    """What in ``target`` shows that adrgen does not own it (sorted names); ``[]`` when it
    may be replaced. ``planned`` is what this run writes there (a ``.puml`` of one of those
    names is adrgen's)."""
    try:
        entries = sorted(target.iterdir()) if target.is_dir() else []
    except OSError:
        return []
    if not target.is_dir() and target.exists():
        return [target.name]  # a file where the folder should be
    names = {p.name for p in entries}
    if ".git" in names:
        return [".git"]  # a checkout (a gh-pages worktree, say) is never replaced
    if MARKERS[kind] in names and (target / MARKERS[kind]).is_file():
        return []
    if kind == "site" and (target / "sitemap.xml.gz").is_file():
        return []  # a site MkDocs built: MkDocs empties its site folder on every build
    if kind == "cache":
        if (target / "lock").is_file() or (target / "svg").is_dir():
            return []  # adrgen's cache from before it was tagged
        # Another run may be writing the tag this instant: its temporary file is adrgen's.
        entries = [p for p in entries if not _TEMPORARY.match(p.name)]
    if kind == "diagrams":
        return _not_diagrams(entries, planned or {})
    # Without a marker or a proof, the folder must be empty.
    return [p.name for p in entries]


def _not_diagrams(entries: Iterable[Path], planned: Mapping[str, bytes | Path]) -> list[str]:
    """The entries of an unmarked ``diagrams/`` that adrgen cannot prove it wrote."""
    stamped: set[str] = set()
    others: list[Path] = []
    for path in entries:
        if path.name.startswith(".") and path.is_file() and not path.is_symlink():
            continue  # .gitattributes, .gitkeep: carried over, never removed
        if path.suffix == ".svg" and path.is_file() and not path.is_symlink():
            head = _head(path)
            at = head.find(_STAMP_HEAD)
            if at != -1:
                stamped.add(head[at + len(_STAMP_HEAD) : at + len(_STAMP_HEAD) + 64].decode())
                continue
        others.append(path)
    planted = set(planned)
    strays = []
    for path in others:
        if path.suffix == ".puml" and path.is_file() and not path.is_symlink():
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            # adrgen's if an SVG's stamp hashes it, or if this run writes a file of that name
            # (a diagram of today's records, drawn before without PlantUML).
            if hashlib.sha256(data).hexdigest() in stamped or path.name in planted:
                continue
        strays.append(path.name)
    return strays


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(512)
    except OSError:
        return b""


def claim(
    target: Path, kind: Kind, named: str, planned: Mapping[str, bytes | Path] | None = None
) -> None:
    """Raise :class:`OwnershipError` unless adrgen owns ``target`` (see :func:`unowned`)."""
    strays = unowned(target, kind, planned)
    if strays:
        shown = ", ".join(strays[:3]) + (f" and {len(strays) - 3} more" if len(strays) > 3 else "")
        raise OwnershipError(
            f"{named}: refusing to replace {display_path(target)}: it holds files adrgen did not "
            f"write ({shown}); move them, or choose another folder"
        )
