"""``adrgen import --migrate``: ADRs that are pages of the site become its records, once.

Imported the plain way, ADRs that a site already publishes as Markdown pages would stay
there beside their generated pages: every decision twice in the nav, and old and new URLs
competing. A migration makes the records the only copy, and keeps the site whole:

* each record keeps its ADR's number (a migration never renumbers: URLs and links name it);
* the original pages are removed as ``git rm`` removes them, so history keeps them;
* each original URL redirects to its decision's page (mkdocs-redirects' ``redirect_maps``,
  which MkDocs and Zensical both read);
* nav entries that listed an original are taken out, and the decisions section goes where
  the first of them was; links in the site's other pages that pointed at an original point
  at its decision's page.

:func:`plan` computes all of it, as values; :meth:`Migration.apply` writes it. ``--dry-run``
shows the plan. The records themselves are written by :func:`adrgen.importer.import_adrs`.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from adrgen.errors import ConfigError, ImportFailed, Problem, display_path
from adrgen.importer.report import ImportReport
from adrgen.output import write_file_atomic
from adrgen.site.nav import SiteLayout
from adrgen.site.wiring import Wiring

#: An inline link or image target: ``](target)`` or ``](<target>)``.
_INLINE_TARGET = re.compile(r"\]\(\s*(?P<target><[^<>\n]*>|[^\s()<>]+)")
#: A reference definition: ``[label]: target``.
_REFERENCE = re.compile(r"^(?P<lead> {0,3}\[[^\]\n]+\]:[ \t]*)(?P<target><[^<>\n]*>|\S+)", re.M)
_FENCE = re.compile(r"^ {0,3}(?P<mark>`{3,}|~{3,})")


@dataclass(frozen=True)
class Move:
    """One ADR page that becomes a record."""

    #: The Markdown page, and its site path (relative to ``docs_dir``).
    source: Path
    old_uri: str
    #: The record it becomes (none for the folder's index page, which adrgen's index
    #: replaces), and the site path of the generated page its URL now leads to.
    record: Path | None
    new_uri: str


@dataclass
class Migration:
    """Everything a migration changes, computed before anything is written."""

    moves: list[Move]
    #: Hand-written pages whose links change: path → (text before, text after).
    pages: dict[Path, tuple[str, str]] = field(default_factory=dict)
    #: The edit of ``mkdocs.yml``: redirects, and the nav.
    wiring: Wiring | None = None

    @property
    def redirects(self) -> dict[str, str]:
        """Old site path → new site path, as mkdocs-redirects' ``redirect_maps`` has them."""
        return {move.old_uri: move.new_uri for move in self.moves}

    def lines(self) -> list[str]:
        """What the migration does (or, in a dry run, would do), in words."""
        out = [
            f"{display_path(m.source)}: removed (git rm), its URL redirects to {m.new_uri}"
            + ("" if m.record is not None else " (adrgen's index is the log now)")
            for m in self.moves
        ]
        for path, (before, after) in sorted(self.pages.items()):
            count = sum(
                1 for a, b in zip(before.split("\n"), after.split("\n"), strict=False) if a != b
            )
            out.append(f"{display_path(path)}: {count} line(s) of links now point at the decisions")
        if self.wiring is not None:
            out.extend(
                f"{display_path(self.wiring.path)}: {change}" for change in self.wiring.changes
            )
        return out

    def apply(self, root: Path) -> None:
        """Write the pages and ``mkdocs.yml``, then remove the originals as ``git rm`` does
        (from the index and the working tree; a file git does not track is deleted)."""
        for path, (_before, after) in sorted(self.pages.items()):
            write_file_atomic(path, after.encode("utf-8"))
        if self.wiring is not None and self.wiring.changed:
            write_file_atomic(self.wiring.path, self.wiring.after.encode("utf-8"))
        sources = [m.source for m in self.moves]
        tracked = _tracked(root, sources)
        if tracked:
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(root),
                    "rm",
                    "-q",
                    "--",
                    *(os.path.relpath(p, root) for p in tracked),
                ],
                check=True,
                capture_output=True,
            )
        for source in sources:
            if source not in tracked:
                source.unlink(missing_ok=True)


def _tracked(root: Path, paths: Sequence[Path]) -> list[Path]:
    """The files of ``paths`` that git tracks in the repository at ``root``."""
    if not (root / ".git").exists() or not paths:
        return []
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "ls-files",
            "-z",
            "--",
            *(os.path.relpath(p, root) for p in paths),
        ],
        capture_output=True,
        check=False,
        env={**os.environ, "GIT_LITERAL_PATHSPECS": "1"},
    )
    names = {name for name in listed.stdout.decode("utf-8", "replace").split("\0") if name}
    return [p for p in paths if os.path.relpath(p, root) in names]


def pages_of_the_site(paths: Sequence[Path], docs_dir: Path) -> list[Path]:
    """The paths (files or folders) that lie inside the site's docs folder."""
    docs = docs_dir.resolve()
    return [p for p in paths if p.resolve().is_relative_to(docs)]


def plan(
    report: ImportReport,
    *,
    docs_dir: Path,
    mkdocs_yml: Path,
    layout: SiteLayout,
) -> Migration:
    """The migration of what ``report`` imports (a dry run's report will do).

    Raises :class:`ImportFailed` when a source is not a page of the site, or when a record
    would not keep its ADR's number.
    """
    docs = docs_dir.resolve()
    problems: list[Problem] = []
    moves: list[Move] = []
    for item in report.written:
        source = item.source.resolve()
        if not source.is_relative_to(docs):
            problems.append(
                Problem(
                    display_path(item.source),
                    0,
                    0,
                    "",
                    "not a page of the site: import it without --migrate",
                )
            )
            continue
        if item.renumbered_from is not None or item.output is None:
            problems.append(
                Problem(
                    display_path(item.source),
                    0,
                    0,
                    "",
                    f"number {item.renumbered_from} is taken: a migration keeps each ADR's number "
                    "(its URL and the links to it name it); free the number first",
                )
            )
            continue
        old_uri = source.relative_to(docs).as_posix()
        moves.append(Move(item.source, old_uri, item.output, layout.uri(f"{item.output.stem}.md")))
    for item in report.skipped:
        if item.skip_kind == "number taken":
            # Migrated under another number, its URL and every link to it would mislead.
            problems.append(
                Problem(
                    display_path(item.source),
                    0,
                    0,
                    "",
                    f"{item.reason.split(';')[0]}: a migration keeps each ADR's number (its URL "
                    "and the links to it name it); move or remove that record first",
                )
            )
    if problems:
        raise ImportFailed(problems)
    # The ADR folder's own index (its log of decisions) gives way to adrgen's index page:
    # its URL leads there. A template, or a README elsewhere, stays.
    folders = {m.source.resolve().parent for m in moves}
    target = layout.index_uri if layout.has("index") else (moves[0].new_uri if moves else "")
    for item in report.skipped:
        source = item.source.resolve()
        if (
            item.skip_kind in ("index", "readme")
            and source.parent in folders
            and target
            and source.suffix == ".md"
            and source.is_relative_to(docs)
        ):
            moves.append(Move(item.source, source.relative_to(docs).as_posix(), None, target))
    moved = {m.old_uri: m.new_uri for m in moves}
    migration = Migration(moves)
    sources = {m.source.resolve() for m in moves}
    for page in sorted(docs.rglob("*.md")):
        if page.resolve() in sources or any(
            part.startswith(".") for part in page.relative_to(docs).parts
        ):
            continue
        try:
            text = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        after = rewrite_links(text, page.relative_to(docs).as_posix(), moved)
        if after != text:
            migration.pages[page] = (text, after)
    migration.wiring = wire_migration(mkdocs_yml, moved, layout)
    return migration


def rewrite_links(text: str, page_uri: str, moved: Mapping[str, str]) -> str:
    """``text`` (a Markdown page at ``page_uri``) with every link to a moved page pointing at
    its new page instead, relative to the page, anchors kept. Code is left as written."""
    folder = posixpath.dirname(page_uri)
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened["mark"][0] == fence[0] and len(opened["mark"]) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if opened:
            fence = opened["mark"]
            out.append(line)
            continue

        def relink(target: str) -> str:
            bare = target[1:-1] if target.startswith("<") else target
            path, hash_, anchor = bare.partition("#")
            if not path or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/", path):
                return target
            resolved = posixpath.normpath(posixpath.join(folder, path))
            if resolved not in moved:
                return target
            new = posixpath.relpath(moved[resolved], folder or ".") + hash_ + anchor
            return f"<{new}>" if target.startswith("<") else new

        line = _INLINE_TARGET.sub(
            lambda m: m.group(0)[: m.start("target") - m.start()] + relink(m["target"]), line
        )
        line = _REFERENCE.sub(lambda m: m["lead"] + relink(m["target"]), line)
        out.append(line)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# mkdocs.yml: the redirects, and the nav. Edited line by line at the places the YAML parser
# reports, so that every line the migration does not change stays byte for byte (a YAML
# round trip re-indents blocks and quotes `...`).


def wire_migration(path: Path, moved: Mapping[str, str], layout: SiteLayout) -> Wiring:
    """The edit of the site's ``mkdocs.yml`` for a migration: each moved page's URL
    redirected (mkdocs-redirects' ``redirect_maps``, merged into an entry the site has), and
    the nav entries of moved pages taken out, the decisions section in their place.

    Raises :class:`~adrgen.errors.ConfigError` when the file is not a site configuration,
    or when it does not use the adrgen plugin (the records would not be published).
    """
    before = path.read_text(encoding="utf-8")
    try:
        data = YAML().load(before)
    except YAMLError as exc:
        raise ConfigError(
            f"{display_path(path)}:1:1: cannot read the site configuration: {exc}"
        ) from None
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"{display_path(path)}:1:1: the site configuration is not a mapping")
    plugins = data.get("plugins")
    names = [_entry_name(p) for p in plugins] if isinstance(plugins, CommentedSeq) else []
    if "adrgen" not in names:
        raise ConfigError(
            f"{display_path(path)}:1:1: plugins: the site does not use adrgen, so the records "
            "would not be published; run `adrgen init` first"
        )
    lines = before.split("\n")
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, replacement)
    changes: list[str] = []
    nav = data.get("nav")
    if isinstance(nav, CommentedSeq):
        _nav_edits(nav, lines, set(moved), layout, edits, changes)
    _redirect_edits(plugins, names, lines, moved, edits, changes)
    for first, end, replacement in sorted(edits, reverse=True):
        lines[first:end] = replacement
    after = "\n".join(lines)
    try:
        YAML().load(after)
    except YAMLError as exc:  # pragma: no cover - a bug: refuse rather than write it
        raise ConfigError(
            f"{display_path(path)}: the migrated configuration would not read: {exc}"
        ) from None
    return Wiring(path, before, after, changes)


def _entry_name(entry: Any) -> str:
    if isinstance(entry, dict) and len(entry) == 1:
        return str(next(iter(entry)))
    return str(entry)


def _block_end(lines: list[str], line: int, dash: int) -> int:
    """The line after the block of the sequence item whose ``-`` is at column ``dash``."""
    end = line + 1
    while end < len(lines):
        text = lines[end]
        if text.strip() and (len(text) - len(text.lstrip(" "))) <= dash:
            break
        end += 1
    while end > line + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines between blocks stay where they are
    return end


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and len(value) == 1:
        return _leaves(next(iter(value.values())))
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return []


def _nav_edits(
    nav: CommentedSeq,
    lines: list[str],
    gone: set[str],
    layout: SiteLayout,
    edits: list[tuple[int, int, list[str]]],
    changes: list[str],
) -> None:
    """Take the migrated pages' entries out of the nav, and put the decisions section where
    the first of them was: under the title of their section when a whole section goes
    (``Decisions: [adr/...]`` becomes ``Decisions: decisions/``), and moving a placeholder
    that ``adrgen init`` put at the end of the nav to that place."""
    targets = {layout.index_uri, layout.section, layout.section.rstrip("/")} - {""}
    migrated: list[tuple[int, int, int, str | None, int]] = []  # line, end, dash, title, leaves
    placeholders: list[tuple[int, int, str | None]] = []

    def walk(seq: CommentedSeq) -> None:
        for index, item in enumerate(seq):
            line, column = seq.lc.item(index)
            dash = column - 2
            leaves = _leaves(item)
            pair = isinstance(item, dict) and len(item) == 1
            title, value = next(iter(item.items())) if pair else (None, item)
            if len(leaves) == 1 and leaves[0] in targets and not isinstance(value, list):
                name = None if title is None else str(title)
                placeholders.append((line, _block_end(lines, line, dash), name))
            elif leaves and all(leaf in gone for leaf in leaves):
                section = str(title) if title is not None and isinstance(value, list) else None
                end = _block_end(lines, line, dash)
                migrated.append((line, end, dash, section, len(leaves)))
            elif isinstance(value, CommentedSeq):
                walk(value)

    walk(nav)
    if not migrated:
        return
    line, end, dash, section, _count = migrated[0]
    title = section or next((t for _l, _e, t in placeholders if t), None)
    entry = f"{title}: {layout.section}" if title else layout.section
    edits.append((line, end, [f"{' ' * dash}- {entry}"]))
    for other, other_end, _dash, _title, _n in migrated[1:]:
        edits.append((other, other_end, []))
    for other, other_end, _title in placeholders:
        edits.append((other, other_end, []))
    removed = sum(item[4] for item in migrated)
    changes.append(
        f"nav: {removed} entr{'y' if removed == 1 else 'ies'} of migrated pages taken out; "
        f"the decisions section ({entry}) is where the first of them was"
    )


def _scalar(text: str) -> str:
    """A YAML scalar for a path: plain when that reads back the same, else double-quoted."""
    return text if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./-]*", text) else json_quote(text)


def json_quote(text: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _redirect_edits(
    plugins: CommentedSeq,
    names: list[str],
    lines: list[str],
    moved: Mapping[str, str],
    edits: list[tuple[int, int, list[str]]],
    changes: list[str],
) -> None:
    """Each moved page's URL redirected: merged into the site's ``redirects`` entry, or a
    new one right after ``adrgen``'s. mkdocs-redirects lists the site's pages in its own
    ``on_files``, so it must come after adrgen, which adds the decision pages there."""
    if not moved:
        return
    maps = [f"{_scalar(old)}: {_scalar(new)}" for old, new in sorted(moved.items())]
    adrgen_line, adrgen_column = plugins.lc.item(names.index("adrgen"))
    after_adrgen = _block_end(lines, adrgen_line, adrgen_column - 2)
    dash = adrgen_column - 2
    block = [f"{' ' * dash}- redirects:", f"{' ' * (dash + 4)}redirect_maps:"]
    block += [f"{' ' * (dash + 6)}{m}" for m in maps]
    if "redirects" in names:
        index = names.index("redirects")
        line, column = plugins.lc.item(index)
        end = _block_end(lines, line, column - 2)
        entry = plugins[index]
        options = entry.get("redirects") if isinstance(entry, dict) else None
        existing = options.get("redirect_maps") if isinstance(options, dict) else None
        if isinstance(existing, CommentedMap) and existing:
            _key_line, key_column = existing.lc.key(next(iter(existing)))
            block = [*lines[line:end], *(f"{' ' * key_column}{m}" for m in maps)]
        if index > names.index("adrgen"):
            edits.append((line, end, block))
        else:
            edits.append((line, end, []))
            edits.append((after_adrgen, after_adrgen, block))
            changes.append("plugins: redirects moved after adrgen (it must see the decision pages)")
    else:
        edits.append((after_adrgen, after_adrgen, block))
    changes.append(
        f"plugins: redirects: {len(moved)} old URL(s) redirect to the decisions (mkdocs-redirects)"
    )
