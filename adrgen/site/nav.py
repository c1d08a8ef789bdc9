"""Where adrgen's pages go in a site, and how its section joins the site's navigation.

A team's site is theirs: adrgen adds one section, by default at ``decisions/``, the way a
blog plugin adds a blog. Its pages live under that URL section; in the nav they go where the
site has a placeholder entry (the section's index: ``- Decisions: decisions/index.md``, or
just ``decisions/``), else at the end. Their pages, their home page and their order stay.

Plain data in, plain data out (MkDocs' nav format: strings and one-key mappings), so the
core never imports a builder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The generated pages a site may have besides one per decision (plugin option ``pages``).
OPTIONAL_PAGES = ("index", "graph", "tags")
#: Beyond this many records, the nav lists pages of decisions by number range (this many
#: each) instead of every decision. A sidebar of 400 entries is unusable, and Material (like
#: most themes) writes the whole nav into every page: at 400 records that made each
#: decision page weigh 175 KB of HTML, most of it links. A page per range keeps every
#: page light on any theme, with or without Material's navigation.prune.
NAV_GROUP = 50
#: The folder of the range pages, inside the section.
RANGES = "by-number/"
DEFAULT_TITLE = "Decisions"


def normal_section(section: str) -> str:
    """``decisions/`` from ``/decisions``, ``decisions`` or ``decisions/``; ``""``: the root."""
    cleaned = "/".join(part for part in section.strip().split("/") if part not in ("", "."))
    return f"{cleaned}/" if cleaned else ""


@dataclass(frozen=True)
class SiteLayout:
    """The URL section of adrgen's pages, which optional pages exist, and the URL style."""

    section: str = "decisions/"
    pages: tuple[str, ...] = OPTIONAL_PAGES
    use_directory_urls: bool = True
    #: The nav title of the section when the site's nav has no placeholder naming one.
    title: str = DEFAULT_TITLE

    def __post_init__(self) -> None:
        object.__setattr__(self, "section", normal_section(self.section))

    def uri(self, name: str) -> str:
        """A path inside the section: ``decisions/graph.md``."""
        return f"{self.section}{name}"

    @property
    def index_uri(self) -> str:
        """The section's index page."""
        return self.uri("index.md")

    @property
    def graph_uri(self) -> str:
        """The decision graph page."""
        return self.uri("graph.md")

    @property
    def tags_uri(self) -> str:
        """The tags page."""
        return self.uri("tags.md")

    def has(self, page: str) -> bool:
        """Whether the optional page (``index``, ``graph``, ``tags``) is generated."""
        return page in self.pages


def number_ranges(refs: Sequence[str], layout: SiteLayout) -> list[tuple[str, str, list[str]]]:
    """``(label, uri, refs)`` of each range page: ``("0001–0050", "…/0001-0050.md", […])``.

    None up to :data:`NAV_GROUP` records, which the nav lists one by one.
    """
    if len(refs) <= NAV_GROUP:
        return []
    chunks = [list(refs[i : i + NAV_GROUP]) for i in range(0, len(refs), NAV_GROUP)]
    return [
        (f"{chunk[0]}–{chunk[-1]}", layout.uri(f"{RANGES}{chunk[0]}-{chunk[-1]}.md"), chunk)
        for chunk in chunks
    ]


def section_entries(layout: SiteLayout, decision_uris: Sequence[tuple[str, str]]) -> list[Any]:
    """The nav entries of adrgen's section: index, graph, the decisions, tags.

    ``decision_uris`` are ``(ref, uri)`` in number order. Beyond :data:`NAV_GROUP` records
    the nav lists the range pages instead (``0001–0050``), each of which lists its records.
    At the site's root the decisions are one sub-section, so they do not crowd the top level.
    """
    ranges = number_ranges([ref for ref, _uri in decision_uris], layout)
    decisions: list[Any] = (
        [{label: uri} for label, uri, _refs in ranges]
        if ranges
        else [uri for _ref, uri in decision_uris]
    )
    entries: list[Any] = [
        uri
        for page, uri in (("index", layout.index_uri), ("graph", layout.graph_uri))
        if layout.has(page)
    ]
    if layout.section or not decisions:
        entries.extend(decisions)
    else:
        entries.append({layout.title: decisions})
    if layout.has("tags"):
        entries.append(layout.tags_uri)
    return entries


def place_section(nav: Sequence[Any], entries: list[Any], layout: SiteLayout) -> list[Any]:
    """``nav`` with adrgen's section in it: where the placeholder is, else at the end.

    The placeholder is any entry whose target is the section's index or the section folder
    (``decisions/index.md``, ``decisions/``); its title, if it has one, names the section.
    At the site's root (an empty section) the entries join the top level instead.
    """
    targets = {layout.index_uri, layout.section, layout.section.rstrip("/")} - {""}
    if not layout.section:
        targets = {"index.md", "./", "."}
    placed = False

    def walk(items: Sequence[Any]) -> list[Any]:
        nonlocal placed
        out: list[Any] = []
        for item in items:
            if placed:
                out.append(item)
                continue
            title, target = _split(item)
            if isinstance(target, str) and target in targets:
                placed = True
                if layout.section:
                    out.append({title or layout.title: entries})
                else:
                    out.extend(entries)
                continue
            if isinstance(target, list):
                out.append({title: walk(target)} if title is not None else walk(target))
                continue
            out.append(item)
        return out

    result = walk(nav)
    if not placed:
        result = [*result, {layout.title: entries}] if layout.section else [*entries, *result]
    return result


def merge_auto_section(nav: Sequence[Any], layout: SiteLayout) -> tuple[list[Any], list[Any]]:
    """An automatic nav (MkDocs' from the files) with the section folder's own pages moved
    out of the way: they follow adrgen's entries inside its section.

    Returns the nav without that folder, plus the folder's entries (empty when none).
    """
    if not layout.section:
        return list(nav), []
    kept: list[Any] = []
    inside: list[Any] = []
    for item in nav:
        _title, target = _split(item)
        if (
            isinstance(target, list)
            and target
            and all(_all_under(child, layout.section) for child in target)
        ):
            inside.extend(target)
            continue
        kept.append(item)
    return kept, inside


def _all_under(item: Any, section: str) -> bool:
    _title, target = _split(item)
    if isinstance(target, list):
        return all(_all_under(child, section) for child in target)
    return isinstance(target, str) and target.startswith(section)


def _split(item: Any) -> tuple[str | None, Any]:
    """``(title, target)`` of a nav entry: a string, or a one-key mapping."""
    if isinstance(item, dict) and len(item) == 1:
        ((title, target),) = item.items()
        return (None if title is None else str(title)), target
    return None, item
