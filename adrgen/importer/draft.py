"""A draft record: everything read from one source, before numbers and links are settled.

:class:`Draft` is what :mod:`~adrgen.importer.mapping` fills and
:mod:`~adrgen.importer.write` writes. :class:`DocumentReader` is the base of the readers:
the Markdown of a part as the source wrote it, and text kept in context with its lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adrgen.errors import Problem
from adrgen.importer.dates import DateReading, DateValue
from adrgen.importer.links import Reference
from adrgen.importer.read import Block, Document, Item, Section
from adrgen.importer.sections import SectionTable
from adrgen.records.format import UNKNOWN, RecordRules

__all__ = ["DocumentReader", "Draft", "Kept", "LinkLine", "OptionDraft", "clean_markdown"]

#: MADR template comments: hints to the writer, not part of the decision.
_BOILERPLATE = re.compile(
    r"optional|can vary|feel free to|neutral\" if|required if|use only if|markdownlint|"
    r"template|YYYY-MM-DD|\{[^{}]*\}",
    re.IGNORECASE,
)
#: A reference-style link's label as used (``[text]``, ``[text][label]``), and as defined at
#: the start of a line (``[label]: url``). Labels hold no unescaped bracket (CommonMark), so
#: neither pattern rescans: each ``[`` ends its attempt at the next bracket.
_LABEL_USE = re.compile(r"\[((?:[^\[\]\\]|\\.)+)\](?:\[((?:[^\[\]\\]|\\.)*)\])?", re.DOTALL)
_LABEL_DEFINITION = re.compile(r"^[^\S\n]*\[((?:[^\[\]\\]|\\.)+)\]:", re.MULTILINE | re.DOTALL)
#: A ``Key: value`` line, also with the key in bold (``**Status:** …``, ``**Status**: …``).
#: No run of blanks can be split two ways between the quantifiers (``\s*:?\s*`` would be
#: tried at every split of a long run of spaces): the leading blanks are taken whole, and
#: every other ``\s*`` is followed by something a blank is not.
META_LINE = re.compile(
    r"^\s*+(?:(?:\*\*|__)(?P<bkey>[^*_:]{1,40}?)\s*(?::\s*)?(?:\*\*|__)(?:\s*:)?|"
    r"(?P<key>[^:*_\[\]()|`]{1,40}?)\s*:)\s*+(?P<value>.*)$"
)


@dataclass
class OptionDraft:
    """One considered option as the source states it."""

    name: str
    line: int
    summary: list[str] = field(default_factory=list)
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)
    risks: list[str] = field(default_factory=list)
    complexity: str | None = None
    time: str | None = None
    id: str = ""
    #: The source marks it as the selected one ("[SELECTED] Option 1", "(chosen)").
    marked: bool = False


@dataclass(frozen=True)
class LinkLine:
    """A line of links alone (under Status or Links): its wording goes when every link in it
    becomes a record link, and is kept in context when one does not."""

    heading: str
    line: int
    text: str
    refs: tuple[Reference, ...]


@dataclass
class Kept:
    """Text with no field of its own, kept in context under ``heading``."""

    heading: str
    text: str
    start: int
    end: int
    why: str


@dataclass
class Draft:
    """Everything read from one source, before numbers and links are settled across files."""

    source: Path
    display: str
    format: str = "freeform"
    title: str = ""
    title_from: str = "h1"
    title_line: int = 0
    number: int | None = None
    status: str = UNKNOWN
    status_note: str = ""
    status_from: str = ""
    status_written: str = ""
    status_line: int = 0
    date: DateValue | None = None
    date_from: str | None = None
    date_text: str = ""
    date_line: int = 0
    date_reading: DateReading | None = None
    #: A date the source states that could not be read (as written): no date replaces it.
    date_unread: str = ""
    people: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    options: list[OptionDraft] = field(default_factory=list)
    chosen: int | None = None
    decision: str = ""
    rationale: list[str] = field(default_factory=list)
    good: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    consequence_notes: list[str] = field(default_factory=list)
    confirmation: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    #: ``permalink`` and ``slug`` front matter: site-absolute links name the record by them.
    addresses: tuple[str, ...] = ()
    #: The words of a "superseded by …" the links could not follow (for the status note).
    superseded_by_text: str = ""
    #: Lines of links alone, settled when the links are (see :class:`LinkLine`).
    link_lines: list[LinkLine] = field(default_factory=list)
    #: Site-layout front matter keys not imported.
    site_keys: list[str] = field(default_factory=list)
    # Settled across the run (numbers, links, where it goes).
    #: The source as the record names it (``imported.source``).
    source_name: str = ""
    number_out: int | None = None
    output: Path | None = None
    links: dict[str, set[int]] = field(default_factory=dict)
    skip_kind: str = ""
    skip_reason: str = ""

    def note(self, line: int, field_path: str, message: str) -> None:
        """Report something about this source (line 0: the file as a whole)."""
        self.notes.append(Problem(self.display, line, 1 if line else 0, field_path, message))

    def keep(self, heading: str, text: str, start: int, end: int, why: str) -> None:
        """Keep text that has no field in context, under ``heading``, and report it."""
        text = clean_markdown(text)
        if not text:
            return
        self.kept.append(Kept(heading, text, start, end, why))
        where = f"lines {start}-{end}" if end > start else f"line {start}"
        self.note(start, "context", f"{why} ({where}); kept in context under '### {heading}'")


def clean_markdown(text: str) -> str:
    """Markdown without trailing blanks on its lines or blank lines at its ends."""
    lines = [line.rstrip() for line in text.split("\n")]
    first = next((i for i, line in enumerate(lines) if line), len(lines))
    while len(lines) > first and not lines[-1]:
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines[first:]))


def layout_only(block: Block) -> bool:
    """A template hint in a comment, or a table of contents (``{:toc}``, or a list of links
    to the page's own headings): the old site's layout, not the decision's."""
    if block.kind == "comment":
        return bool(_BOILERPLATE.search(block.raw))
    if block.kind == "list":
        return bool(block.items) and all(_anchor_item(item) for item in block.items)
    return block.kind == "html" and "{:toc}" in block.raw


def _anchor_item(item: Item) -> bool:
    links = item.line.links()
    only_link = (
        len(links) == 1 and links[0].href.startswith("#") and item.line.plain == links[0].text
    )
    return only_link and not item.blocks and all(_anchor_item(c) for c in item.children)


@dataclass
class DocumentReader:
    """What every reader of a document shares: the document, the rules, the draft."""

    doc: Document
    rules: RecordRules
    table: SectionTable
    draft: Draft

    def markdown(
        self, blocks: Sequence[Block], children: Sequence[Section] = (), level: int = 3
    ) -> str:
        """Blocks (and sub-sections, headed ``level`` deep) as the Markdown the source wrote.

        Left out: MADR's template hints in comments, and a generated table of contents
        (``{:toc}``), which the old site built and the new one builds itself.
        """
        out: list[str] = []
        previous: Block | None = None
        for block in blocks:
            if layout_only(block):
                previous = None
                continue
            if previous is not None:
                # The lines between two blocks as written: a block right under another
                # (code, then a list) stays right under it.
                gap = self.doc.lines[previous.end : block.start - 1]
                out.extend(gap if all(not g.strip() for g in gap) else [""])
            out.append(block.raw)
            previous = block
        parts = ["\n".join(out)] if out else []
        for child in children:
            parts.append("#" * min(level, 6) + " " + child.heading.raw.strip())
            parts.append(self.markdown(child.blocks, child.children, level + 1))
        text = clean_markdown("\n\n".join(p.strip("\n") for p in parts if p.strip()))
        return self.with_references(text)

    def with_references(self, text: str) -> str:
        """``text`` with the definitions of the reference-style links it uses.

        One pass over ``text`` for the labels used and one for those it defines: a label is
        bracketed text with no bracket inside (``[a]``, ``[a][b]``), as CommonMark's are.
        """
        references = self.doc.references
        if not references or "[" not in text:
            return text
        defined: set[str] | None = None
        used: dict[str, None] = {}
        for match in _LABEL_USE.finditer(text):
            label = (match[2] or match[1]).strip()
            key = " ".join(label.split()).upper()
            ref = references.get(key)
            if not ref:
                continue
            if defined is None:
                defined = {m[1].lower() for m in _LABEL_DEFINITION.finditer(text)}
            if label.lower() not in defined:
                line = f"[{label}]: {ref['href']}" + (
                    f' "{ref["title"]}"' if ref.get("title") else ""
                )
                used.setdefault(line)
        return text + ("\n\n" + "\n".join(used) if used else "")

    def _part(self, section: Section) -> tuple[str | None, str]:
        found = self.table.part_of(section.heading.plain)
        return (found[0], found[1]) if found else (None, "")

    def _keep_section(self, section: Section, text: str, why: str) -> None:
        if text:
            end = max([b.end for s in section.walk() for b in s.blocks] or [section.line])
            self.draft.keep(
                section.heading.plain, text, section.line, end, why.format(t=section.heading.plain)
            )

    def _keep_section_blocks(self, section: Section, blocks: Sequence[Block], why: str) -> None:
        text = self.markdown(blocks)
        if text:
            self.draft.keep(
                section.heading.plain,
                text,
                blocks[0].start,
                blocks[-1].end,
                why.format(t=section.heading.plain),
            )

    def _section(self, section: Section) -> None:
        """Read one section for what it is (the mapper's dispatch)."""
        raise NotImplementedError
