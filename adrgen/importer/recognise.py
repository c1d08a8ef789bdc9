"""Which files are ADRs: everything Markdown in the given folders but READMEs, index pages
and templates, each skipped with its reason.

A folder is read flat; with ``recursive`` its subfolders too (ADR trees with one log per
folder, page bundles such as ``003-release/index.md``). An ``index.md`` or ``README.md``
alone in a folder of its own is that folder's page: a decision, named by the folder. A
symbolic link to another file of the run is the same record, skipped as a duplicate. A file
with no extension but a record's name (``0016-handle-git-operations``) is read as Markdown.

ADRs to import are somebody else's text, read as adrgen reads its own repository's
(:mod:`adrgen.walls.reads`): a file is read only if, after resolving symlinks, it lies
inside the repository it comes from (its git work tree, or else the folder given) and not
in ``.git/`` or an ignored folder. One that does not is skipped, with the reason.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adrgen.errors import ImportFailed, Problem, display_path
from adrgen.walls.reads import ReadPolicy

__all__ = ["Found", "collect"]

MARKDOWN_SUFFIXES = (".md", ".markdown")
_INDEX_NAMES = ("index", "_index", "readme")
#: Words a template's file name is made of ("adr-template-bare-minimal", "0000-modele-adr",
#: "TEMPLATE"); a name with other words ("django-templates") names a decision.
_TEMPLATE_WORDS = frozenset(
    [
        "template",
        "templates",
        "modele",
        "modèle",
        "vorlage",
        "plantilla",
        "skeleton",
        "adr",
        "madr",
        "ladr",
        "bare",
        "minimal",
        "short",
        "long",
        "full",
        "decision",
        "record",
    ]
)
_TEMPLATE_MARKERS = frozenset(
    ["template", "templates", "modele", "modèle", "vorlage", "plantilla", "skeleton"]
)
_RECORD_NAME = re.compile(r"^(?:adr[-_]?)?\d{3,}[-_ .]\w", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """A file of the run: where it is, how the record will name it, why it is skipped."""

    path: Path
    #: The source as records name it: relative to the folder given, with that folder's name.
    source: str
    skip_kind: str = ""
    skip_reason: str = ""


def _is_markdown(path: Path) -> bool:
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        return True
    if path.suffix or not _RECORD_NAME.match(path.name):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return b"\x00" not in head and bool(re.search(rb"^\s*(?:#|---)", head))


def _files(folder: Path, recursive: bool, policy: ReadPolicy) -> list[Path]:
    """The Markdown files of a folder; a file the policy refuses is listed unopened (a file
    without a suffix is sniffed only when it may be read), so that its refusal is reported."""
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(
        p
        for p in pattern
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and (p.is_file() or p.is_symlink())
        and (
            p.suffix.lower() in MARKDOWN_SUFFIXES
            or (not p.suffix and _RECORD_NAME.match(p.name) and not policy.readable(p))
            or (p.is_file() and policy.readable(p) and _is_markdown(p))
        )
    )


def collect(paths: Sequence[Path], *, recursive: bool = False) -> list[Found]:
    """Every Markdown file under ``paths``, sorted, each with its skip reason if any.

    Raises :class:`~adrgen.errors.ImportFailed` for a path that does not exist or a file
    that is not Markdown.
    """
    problems: list[Problem] = []
    chosen: dict[Path, tuple[Path, str, Path]] = {}
    policies: dict[Path, ReadPolicy] = {}
    for given in paths:
        if given.is_dir():
            base = given.absolute().parent
            policies[given] = source_policy(given)
            for path in _files(given, recursive, policies[given]):
                chosen.setdefault(path.absolute(), (path, _relative(path, base), given))
        elif given.is_file():
            if source_policy(given.parent).readable(given) and not _is_markdown(given):
                problems.append(Problem(display_path(given), 0, 0, "", "not a Markdown file (.md)"))
                continue
            source = _relative(given, given.absolute().parent.parent)
            policies[given.parent] = source_policy(given.parent)
            chosen.setdefault(given.absolute(), (given, source, given.parent))
        else:
            problems.append(Problem(display_path(given), 0, 0, "", "no such file or directory"))
    if problems:
        raise ImportFailed(problems)
    found: list[Found] = []
    for absolute, (path, source, root) in list(chosen.items()):
        why = policies[root].why_not(path)
        if why is not None:
            found.append(Found(path, source, "refused", f"not read: it {why}"))
            del chosen[absolute]
    # Several names for one file (symbolic links): the file itself is the record.
    real: dict[Path, Path] = {}
    for _absolute, (path, _source, _root) in sorted(
        chosen.items(), key=lambda kv: (kv[1][0].is_symlink(), kv[0])
    ):
        real.setdefault(path.resolve(), path)
    for _absolute, (path, source, root) in sorted(chosen.items(), key=lambda kv: kv[1][1]):
        original = real[path.resolve()]
        if original != path:
            found.append(
                Found(
                    path,
                    source,
                    "duplicate",
                    f"a link to {display_path(original)}, which is imported instead",
                )
            )
            continue
        kind, reason = _skip(path, root, chosen, real)
        found.append(Found(path, source, kind, reason))
    return sorted(found, key=lambda item: item.source)


def source_policy(folder: Path) -> ReadPolicy:
    """What may be read of ADRs in ``folder``: its git work tree (or the folder itself, when
    it is in none), without ``.git/`` and what that repository's ``.gitignore`` ignores."""
    try:
        top = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        top = None
    if top is not None and top.returncode == 0 and top.stdout.strip():
        return ReadPolicy.for_root(Path(top.stdout.strip()))
    return ReadPolicy.for_root(folder)


def _relative(path: Path, base: Path) -> str:
    try:
        return path.absolute().relative_to(base).as_posix()
    except ValueError:
        return path.name


def _skip(
    path: Path, root: Path, chosen: dict[Path, tuple[Path, str, Path]], real: dict[Path, Path]
) -> tuple[str, str]:
    stem = path.stem.casefold() if path.suffix else path.name.casefold()
    if stem in _INDEX_NAMES:
        if _page_bundle(path, root, chosen, real):
            return "", ""
        kind = "readme" if stem == "readme" else "index"
        return kind, f"{'a README' if kind == 'readme' else 'an index page'}, not a record"
    words = set(re.split(r"[-_ .]+", re.sub(r"^(?:adr[-_]?)?\d+[-_ .]*", "", stem))) - {""}
    if words & _TEMPLATE_MARKERS and words <= _TEMPLATE_WORDS:
        return "template", "a template, not a record"
    return "", ""


def _page_bundle(
    path: Path, root: Path, chosen: dict[Path, tuple[Path, str, Path]], real: dict[Path, Path]
) -> bool:
    """An index or README alone in a folder below the one given: the folder's decision."""
    folder = path.parent
    if folder.resolve() == root.resolve():
        return False
    for other, _source, _root in chosen.values():
        if other == path or real.get(other.resolve()) == path:
            continue  # itself, or a link to it
        if folder in other.parents:
            return False
    return True
