"""Links between records: found in the text, resolved to the records of the run, paired.

A record names another in many ways: a relative ``.md`` link (inline or reference-style),
a site-absolute one (``/adr/23``, resolved through the other records' ``permalink`` or
``slug`` front matter, else by the number in its last segment), an absolute URL or path
that ends in another record's file name, or plain text ("ADR 23", "ADR-0057",
"record 001"). What the link means comes from the words just before it on its line:
"Superseded by", "Supersedes", "Replaces", "remplacé par", "Amends" (a relation the format
reads as ``relates_to``). A link with no such words relates the records.

:func:`pair_links` then makes both ends agree: a record that says "Superseded by B" gets
``superseded_by: [B]`` and B gets ``supersedes`` back (reported as added). A record is
only marked superseded by what its own status says; when "B supersedes A" but A's own
status is something else, the pair is kept as ``relates_to`` at both ends, and reported.

:func:`retarget` then points the links in the records' text at the records the ADRs
became (``[ADR 3](0003-use-x.md)`` → ``0003-use-x-for-y.md``, which the site turns into
that record's page); a relative link to an ADR file that became no record is left as
written and reported as a dangling link.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from adrgen.importer.numbering import number_in_name
from adrgen.importer.read import Line, href_of
from adrgen.records.format import LinkKind

if TYPE_CHECKING:
    from adrgen.importer.draft import Draft

__all__ = [
    "MENTION_DIGITS",
    "Reference",
    "mention_number",
    "references_in_line",
    "relation_before",
    "retarget",
    "rewrite_links",
    "short_label",
]


_SUPERSEDED_BY = re.compile(
    r"\b(?:superseded|superceded|superseeded|replaced|obsoleted|vervangen|reemplazad[oa]|"
    r"remplac[ée]e?s?(?=\s+par\b)|ersetzt(?=\s+durch\b))\b",
    re.IGNORECASE,
)
_SUPERSEDES = re.compile(
    r"\b(?:supersedes|supercedes|supersede|replaces|vervangt|reemplaza|"
    r"remplacent|remplace(?!\s+par\b)|ersetzt(?!\s+durch\b))\b(?!\s+(?:by|par)\b)",
    re.IGNORECASE,
)
_RELATES = re.compile(
    r"\b(?:amended|amends|amend|refined|refines|related|relates|see|voir|consequence of|"
    r"extends|extended|depends|complements|following|cf)\b",
    re.IGNORECASE,
)
#: "ADR 35", "ADR-0057", "ADR #0033", "record 001": a record named in prose. The number is
#: the whole run of digits (one pass, no backtracking into it); a number of more than
#: :data:`MENTION_DIGITS` digits (after its leading zeros) names no record, and says so.
MENTION = re.compile(r"\b(?:ADR|record)\s?[-_#:]?\s?#?(?P<n>\d+)\b", re.IGNORECASE)
MENTION_DIGITS = 5
#: A relation is read from at most this many characters before a link (its clause's end).
_CLAUSE = 80
#: ... which a clause boundary (a stop and a space) just before them can cut: the tail of the
#: text that decides the clause.
_TAIL = _CLAUSE + 2


def mention_number(digits: str) -> int | None:
    """The record number a mention's digits give, or ``None`` when it has too many digits
    to be one (``ADR-`` followed by a 70-digit number)."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= MENTION_DIGITS else None


def short_label(label: str, limit: int = 40) -> str:
    """A reference's words as a note quotes them: at most ``limit`` characters."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def relation_before(text: str) -> LinkKind | None:
    """The relation the words just before a link state, or ``None`` when they state none.

    Only the clause the link ends is read: "Superseded by [B]" → superseded_by,
    "This replaces [A]" → supersedes, "Amended by [C]" → relates_to. Only the last
    characters of ``text`` can decide it, so only they are read, however long the line.
    """
    clause = re.split(r"[.;!?|](?:\s|$)", text[-_TAIL:])[-1][-_CLAUSE:]
    best: tuple[int, LinkKind] | None = None
    patterns: tuple[tuple[re.Pattern[str], LinkKind], ...] = (
        (_SUPERSEDED_BY, "superseded_by"),
        (_SUPERSEDES, "supersedes"),
        (_RELATES, "relates_to"),
    )
    for pattern, kind in patterns:
        for match in pattern.finditer(clause):
            if best is None or match.end() > best[0]:
                best = (match.end(), kind)
    return best[1] if best else None


@dataclass(frozen=True)
class Reference:
    """A record named in a source: by a link (``href``) or in prose (``number`` only)."""

    kind: LinkKind
    line: int
    text: str
    label: str
    href: str | None = None
    number: int | None = None
    #: The words before it said what the relation is (not just a mention).
    stated: bool = False
    #: Why it cannot name a record (a number too long to be one), for the report.
    problem: str = ""


def references_in_line(line: Line, *, default: LinkKind = "relates_to") -> list[Reference]:
    """Every link and every "ADR n" mention in a line of text, with its relation.

    A mention whose number cannot be a record's is a reference too, with its ``problem``:
    the line it is on is then kept as text, like any link that names no record.
    """
    found: list[Reference] = []
    before = ""  # the end of the line so far: all relation_before reads
    text = line.plain
    for piece, link in line.segments():
        if link is None:
            for match in MENTION.finditer(piece):
                start = match.start()
                kind = relation_before(before + piece[max(0, start - _TAIL) : start])
                number = mention_number(match["n"])
                found.append(
                    Reference(
                        kind or default,
                        line.number,
                        text,
                        match[0],
                        number=number,
                        stated=kind is not None,
                        problem=""
                        if number is not None
                        else f"has more than {MENTION_DIGITS} digits, so it names no record",
                    )
                )
            before = (before + piece[-_TAIL:] + " ")[-_TAIL:]
            continue
        kind = relation_before(before)
        numbers = (mention_number(m["n"]) for m in MENTION.finditer(link.text))
        found.append(
            Reference(
                kind or default,
                line.number,
                text,
                link.text,
                href=link.href,
                number=next((n for n in numbers if n is not None), None),
                stated=kind is not None,
            )
        )
        before = (before + link.text[-_TAIL:] + " ")[-_TAIL:]
    return found


# ---------------------------------------------------------------------------------------------
# Resolution


@dataclass
class Target:
    """What the resolver knows of one source of the run."""

    key: int
    path: Path
    number: int | None
    #: ``permalink`` / ``slug`` front matter, normalised (``adr/39``).
    addresses: tuple[str, ...] = ()


@dataclass
class Resolver:
    """Finds the source of the run a reference names."""

    targets: Sequence[Target]
    _by_path: dict[Path, Target] = field(default_factory=dict)
    _by_name: dict[str, list[Target]] = field(default_factory=dict)
    _by_address: dict[str, list[Target]] = field(default_factory=dict)
    _by_stem: dict[str, list[Target]] = field(default_factory=dict)
    _numbered: dict[int, list[Target]] = field(default_factory=dict)
    #: Relative links resolved (a file may link to the same record a thousand times).
    _resolved: dict[tuple[Path, str], Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for target in self.targets:
            self._by_path[target.path.resolve()] = target
            for name in _names(target.path):
                self._by_name.setdefault(name, []).append(target)
            for address in target.addresses:
                self._by_address.setdefault(address, []).append(target)
            self._by_stem.setdefault(_unnumbered_stem(target.path), []).append(target)
            if target.number is not None:
                self._numbered.setdefault(target.number, []).append(target)

    def _by_unnumbered_stem(self, name: str, near: Path) -> Target | None:
        """The source whose file name, without its number, is ``name`` (``watt-time-v3``)."""
        name = re.sub(r"\.(?:md|html)$", "", name)
        if not name or name[0].isdigit():
            return None
        return self._unique(self._by_stem.get(name, []), near)

    def _by_number(self, number: int, near: Path) -> Target | None:
        """The source numbered ``number``: in the same folder first, else the only one."""
        anywhere = self._numbered.get(number, [])
        same = [t for t in anywhere if t.path.parent == near.parent]
        if len(same) == 1:
            return same[0]
        return anywhere[0] if len(anywhere) == 1 else None

    def _local(self, source: Path, path: str) -> Path:
        key = (source.parent, path)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = (source.parent / path).resolve()
        return found

    def _unique(self, found: Iterable[Target], near: Path) -> Target | None:
        found = list(found)
        if len(found) > 1:
            found = [t for t in found if t.path.parent == near.parent] or found
        return found[0] if len(found) == 1 else None

    def resolve(self, ref: Reference, source: Path) -> Target | None:
        """The source ``ref`` (found in ``source``) names, or ``None``."""
        if ref.href is None:
            return self._by_number(ref.number, source) if ref.number is not None else None
        href = ref.href.strip()
        parts = urlsplit(href)
        path = unquote(parts.path)
        if not path:
            return None  # an anchor in the same page
        decisions = bool(_DECISIONS_PATH.search(path.casefold()))
        if parts.scheme or parts.netloc:
            if parts.scheme not in ("http", "https", "file"):
                return None
            # An absolute URL names a record of this run by its file name, or, under an ADR
            # folder, by its slug (Docusaurus drops the number) or by a number its text says
            # too ("[ADR-0009](…/decisions/0009-sdk-as-a-c%23-client-library.md)").
            name = PurePosixPath(path.rstrip("/")).name.casefold()
            found = self._unique(self._by_name.get(name, []), source)
            if found is None and decisions:
                found = self._by_unnumbered_stem(name, source)
                number = re.match(r"^0*(\d{1,5})[-_]", name)
                if found is None and number and ref.number == int(number[1]):
                    # The same number and nearly the same name: the file, renamed since
                    # or spelt otherwise; another project's ADR 9 has another name.
                    renamed = self._by_number(ref.number, source)
                    if renamed is not None and _alike(
                        _unnumbered_stem(Path(name)), _unnumbered_stem(renamed.path)
                    ):
                        found = renamed
            return found
        if path.startswith("/"):
            address = path.strip("/").casefold()
            for candidate in (address, address.removesuffix(".html"), address.removesuffix(".md")):
                found = self._unique(self._by_address.get(candidate, []), source)
                if found is not None:
                    return found
        else:
            local = self._local(source, path)
            for near in (local, local.with_name(local.name + ".md"), local / "index.md"):
                if near in self._by_path:
                    return self._by_path[near]
        name = PurePosixPath(path.rstrip("/")).name.casefold()
        found = self._unique(self._by_name.get(name, []), source)
        if found is None and decisions:
            found = self._by_unnumbered_stem(name, source)
        if found is not None:
            return found
        number = re.match(r"^(?:adr[-_]?)?0*(\d{1,5})(?:[-_.]|$)", name)
        if number and (ref.number is not None or decisions or re.match(r"^\d+-", name)):
            return self._by_number(int(number[1]), source)
        if ref.number is not None and not path.endswith((".png", ".svg", ".jpg", ".pdf")):
            return self._by_number(ref.number, source)
        return None


_DECISIONS_PATH = re.compile(r"(?:^|/)(?:adrs?|decisions?|architecture)(?:/|$)")


def _alike(one: str, other: str) -> bool:
    # The quick ratios bound the ratio from above and cost no more than the names' lengths:
    # a name far longer than the other is not compared character by character.
    matcher = difflib.SequenceMatcher(None, one, other)
    return (
        matcher.real_quick_ratio() >= 0.75
        and matcher.quick_ratio() >= 0.75
        and matcher.ratio() >= 0.75
    )


def _unnumbered_stem(path: Path) -> str:
    """A source's file name without its number (``0009-sdk.md`` → ``sdk``), as sites that
    drop the number (Docusaurus) link to it. Not a title's slug: the name is kept as written."""
    stem = path.parent.name if path.stem.casefold() in ("index", "readme") else path.stem
    return re.sub(r"^(?:adr[-_]?)?\d+[-_. ]+", "", stem.casefold())


def _names(path: Path) -> list[str]:
    """The names a link may use for a source: its file name, with or without ``.md``; for
    a page bundle (``003-release/index.md``), its folder's name."""
    names = [path.name.casefold(), path.stem.casefold()]
    if path.stem.casefold() in ("index", "readme"):
        names = [path.parent.name.casefold()]
    return names


# ---------------------------------------------------------------------------------------------
# Links in the text: to the records the ADRs became


def retarget(
    drafts: Sequence[Draft], resolver: Resolver, records: Sequence[tuple[str, str]]
) -> None:
    """Point the Markdown links of every written draft's text that name an ADR of the run
    at the record it became (``[ADR 3](0003-use-x.md)`` → ``0003-use-x-for-y.md``, the
    name the site turns into that record's page, with the link's ``#anchor`` kept); a link
    to an ADR imported before, at its record. A relative link to an ADR file that is
    neither (not imported now, not a record already) is left as written and reported as a
    dangling link.

    ``records`` are the records already in the folder: (file name, the source they were
    imported from, or ``""``).
    """
    for draft in drafts:
        if not draft.skip_kind:
            _retarget_draft(draft, drafts, resolver, records)


def _retarget_draft(
    draft: Draft, drafts: Sequence[Draft], resolver: Resolver, records: Sequence[tuple[str, str]]
) -> None:
    linked = {ref.href for ref in draft.references if ref.href}
    if not linked:
        return
    found: dict[tuple[str, str], str | None] = {}

    def new_target(destination: str, label: str) -> str | None:
        key = (destination, label)
        if key not in found:
            found[key] = _record_target(destination, label, draft, drafts, resolver, records)
        return found[key]

    def markdown(text: str) -> str:
        return rewrite_links(text, new_target, linked)

    def plain(text: str) -> str:
        return _rewrite_plain(text, new_target, linked)

    draft.context = [markdown(t) for t in draft.context]
    for kept in draft.kept:
        kept.text = markdown(kept.text)
    draft.decision = markdown(draft.decision)
    draft.rationale = [markdown(t) for t in draft.rationale]
    draft.consequence_notes = [markdown(t) for t in draft.consequence_notes]
    draft.confirmation = [markdown(t) for t in draft.confirmation]
    draft.drivers = [plain(t) for t in draft.drivers]
    for items in (draft.good, draft.bad, draft.neutral):
        items[:] = [plain(t) for t in items]
    for option in draft.options:
        option.summary = [markdown(t) for t in option.summary]
        for items in (option.pros, option.cons, option.risks):
            items[:] = [plain(t) for t in items]
    checked: set[str] = set()
    for ref in draft.references:
        if ref.href is None or ref.href in checked:
            continue
        checked.add(ref.href)
        if _dangling(ref, draft, drafts, resolver, records):
            draft.note(
                ref.line,
                "links",
                f"dangling link: {short_label(ref.label)!r} links to {ref.href}, an ADR "
                "file that is neither part of this import nor a record already; left as "
                "written",
            )


def _relative(destination: str) -> str | None:
    """The path of a relative link (no scheme, host or leading ``/``), or ``None``."""
    parts = urlsplit(destination.strip())
    if parts.scheme or parts.netloc or destination.startswith(("/", "#")) or not parts.path:
        return None
    return unquote(parts.path)


def _label_number(label: str) -> int | None:
    return next(
        (n for n in (mention_number(m["n"]) for m in MENTION.finditer(label)) if n is not None),
        None,
    )


def _record_target(
    destination: str,
    label: str,
    draft: Draft,
    drafts: Sequence[Draft],
    resolver: Resolver,
    records: Sequence[tuple[str, str]],
) -> str | None:
    """The link target a record's text uses for what ``destination`` names (its page:
    ``NNNN-slug.md``, as the site rewrites it), or ``None`` to leave it as written."""
    href = href_of(destination)
    path = _relative(href)
    if path is None:
        return None
    fragment = urlsplit(href).fragment
    anchor = f"#{fragment}" if fragment else ""
    ref = Reference("relates_to", 0, "", label, href=href, number=_label_number(label))
    target = resolver.resolve(ref, draft.source)
    if target is not None:
        other = drafts[target.key]
        if other.output is None or other.skip_kind not in ("", "imported before"):
            return None
        return f"{other.output.stem}.md{anchor}"
    known = _known_record(draft.source.parent / path, records)
    return f"{PurePosixPath(known).stem}.md{anchor}" if known else None


def _known_record(path: Path, records: Sequence[tuple[str, str]]) -> str | None:
    """The record already in the folder that the ADR file at ``path`` became."""
    parts = path.resolve().parts
    for name, source in records:
        tail = PurePosixPath(source).parts if source else ()
        if tail and len(tail) <= len(parts) and parts[-len(tail) :] == tail:
            return name
    return None


def _dangling(
    ref: Reference,
    draft: Draft,
    drafts: Sequence[Draft],
    resolver: Resolver,
    records: Sequence[tuple[str, str]],
) -> bool:
    """Whether ``ref`` is a relative link to an ADR file that is neither a source of the
    run nor a record in the folder (by the source it came from, or by its name)."""
    path = _relative(ref.href or "")
    if path is None or not path.casefold().endswith((".md", ".markdown")):
        return False
    if resolver.resolve(ref, draft.source) is not None:
        return False
    local = (draft.source.parent / path).resolve()
    if _known_record(local, records) or any(
        PurePosixPath(name).stem == local.stem for name, _ in records
    ):
        return False
    folders = {d.source.parent.resolve() for d in drafts}
    adr_like = number_in_name(local) is not None or bool(_DECISIONS_PATH.search(path.casefold()))
    return adr_like or (local.parent in folders and not local.exists())


#: Inline links and images ``[text](destination "title")``, with the label and where the
#: destination is; reference definitions ``[label]: destination``.
_INLINE_LINK = re.compile(
    r"(?P<bang>!?)\[(?P<label>(?:[^\[\]\\\n]|\\.|\[(?:[^\[\]\\\n]|\\.)*\])*)\]\([ \t]*"
    r"(?P<dest><[^<>\n]*>|[^\s()<>]+(?:\([^\s()<>]*\)[^\s()<>]*)*)"
)
_DEFINITION = re.compile(
    r"^ {0,3}\[(?P<label>(?:[^\[\]\\\n]|\\.)+)\]:[ \t]*(?P<dest><[^<>\n]*>|\S+)", re.MULTILINE
)
_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
_TICKS = re.compile(r"`+")


def rewrite_links(
    text: str, new_target: Callable[[str, str], str | None], linked: set[str] | None = None
) -> str:
    """``text`` (Markdown) with the destinations of its links (not images, nor anything in
    code) replaced where ``new_target(destination, label)`` gives one; with ``linked``,
    only destinations that are among those hrefs (as markdown-it reads them)."""
    if "](" not in text and "]:" not in text:
        return text
    code = _code_spans(text)
    edits: list[tuple[int, int, str]] = []
    for pattern in (_INLINE_LINK, _DEFINITION):
        for match in pattern.finditer(text):
            if pattern is _INLINE_LINK and match["bang"]:
                continue
            start, end = match.span("dest")
            if _inside(code, match.start()):
                continue
            destination = match["dest"]
            if linked is not None and href_of(destination) not in linked:
                continue
            target = new_target(destination, match["label"])
            if target is not None:
                edits.append((start, end, target))
    for start, end, target in sorted(edits, reverse=True):
        text = text[:start] + target + text[end:]
    return text


_PLAIN_LINK = re.compile(r"(?<=\S) \((?P<dest>[^()\s]+)\)")


def _rewrite_plain(
    text: str, new_target: Callable[[str, str], str | None], linked: set[str]
) -> str:
    """A plain-text item's ``text (destination)`` (as :func:`~adrgen.importer.options.item_text`
    writes a link) with the destination rewritten like a Markdown link's."""
    if " (" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        destination = match["dest"]
        if destination not in linked:
            return match[0]
        before = text[: match.start()]
        label = before.rsplit(";", 1)[-1]
        target = new_target(destination, label)
        return f" ({target})" if target is not None else match[0]

    return _PLAIN_LINK.sub(replace, text)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds code: fenced blocks, and code spans (a run of backticks to the
    next run of the same length), found in one pass each."""
    spans: list[tuple[int, int]] = []
    offset = 0
    fence: str | None = None
    fence_start = 0
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence, fence_start = opened["fence"], offset
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            spans.append((fence_start, offset + len(line)))
            fence = None
        offset += len(line) + 1
    if fence is not None:
        spans.append((fence_start, len(text)))
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text) if not _inside(spans, m.start())]
    following: dict[int, int] = {}
    next_same: list[int | None] = [None] * len(runs)
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        next_same[i] = following.get(length)
        following[length] = i
    i = 0
    inline: list[tuple[int, int]] = []
    while i < len(runs):
        j = next_same[i]
        if j is None:
            i += 1
            continue
        inline.append((runs[i][0], runs[j][1]))
        i = j + 1
    return sorted(spans + inline)


def _inside(spans: Sequence[tuple[int, int]], index: int) -> bool:
    """Whether ``index`` falls in one of ``spans`` (sorted, not overlapping)."""
    at = bisect.bisect_right(spans, index, key=lambda span: span[0]) - 1
    return at >= 0 and spans[at][0] <= index < spans[at][1]
