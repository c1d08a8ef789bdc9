"""One read Markdown ADR → a draft record: every part of the source in its place.

Sections are matched to record parts by name (:mod:`adrgen.importer.sections`), at any
depth, so a record that nests Issue / Decision / Status under "Summary" reads like one that
does not. Metadata is read where people write it: front matter, ``Status: …`` lines and
bullets under the title, a Status section anywhere (also after the Decision), a table under
the title, a badge, a header line ``Superseded: 2019-12-19 by [ADR 14](…)``, a change log.

Nothing is dropped: text that matches no part is kept in ``context`` under its own heading,
and reported with its lines. Nothing is invented: a value the source does not state is left
out (``unknown`` for a status or date, no estimate for an option); an estimate is read only
when the source states it per option ("Effort: 2 weeks", an Effort column).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adrgen.importer.dates import (
    DateReading,
    date_in_file_name,
    date_like,
    only_date,
    read_date,
)
from adrgen.importer.draft import META_LINE, Draft, LinkLine, clean_markdown, layout_only
from adrgen.importer.links import Reference, references_in_line
from adrgen.importer.numbering import number_in_name, split_title, title_from_name
from adrgen.importer.options import OptionsReader, item_text, option_id, plain_text
from adrgen.importer.read import Block, Document, Line, Section, parse_inline
from adrgen.importer.sections import (
    PROPOSAL_NAMES,
    SectionTable,
    after_name,
    metadata_part,
    normalise,
)
from adrgen.importer.statuses import StatusReading, read_status_line, read_status_text
from adrgen.records.format import LinkKind, RecordRules

__all__ = ["map_document"]

#: Front matter keys that only lay out the old site (Jekyll, Docusaurus, Hugo): they say
#: nothing about the decision, and are reported as not imported.
SITE_KEYS = frozenset(
    {
        "layout",
        "parent",
        "grand_parent",
        "nav_order",
        "nav_exclude",
        "has_children",
        "has_toc",
        "permalink",
        "slug",
        "sidebar_position",
        "sidebar_label",
        "sidebar_class_name",
        "hide_title",
        "hide_table_of_contents",
        "pagination_label",
        "pagination_next",
        "pagination_prev",
        "custom_edit_url",
        "weight",
        "toc",
        "id",
    }
)


#: "[Superseded by [ADR-0040](…)] Title": a status written into the title.
_STATUS_PREFIX = re.compile(r"^\[(?P<status>[^\]]*(?:\][^\]]*)?)\]\s+(?P<rest>.+)$", re.DOTALL)


@dataclass
class _Candidate:
    rank: int
    source: str
    line: int
    value: Any
    text: str


@dataclass
class _Mapper(OptionsReader):
    statuses: list[_Candidate] = field(default_factory=list)
    dates: list[_Candidate] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    order: list[tuple[int, str, Any]] = field(default_factory=list)
    preamble_text: list[str] = field(default_factory=list)
    #: Dates the source states that could not be read: (line, as written).
    unread_dates: list[tuple[int, str]] = field(default_factory=list)
    #: Every section named like a decision or a proposal, with what follows its name.
    decision_sections: list[tuple[Section, str]] = field(default_factory=list)

    def run(self) -> Draft:
        self._title()
        self._front_matter()
        self._preamble()
        for section in self.doc.sections:
            self._section(section)
        self._settle_decision()
        self._references()
        self._settle_status()
        self._settle_date()
        self._options()
        self._outcome()
        self._marked_choice()
        self._estimate_tables()
        for section in self.consequences:
            self._consequences(section)
        self._context()
        self.draft.format = self._format()
        taken: set[str] = set()
        suffixes: dict[str, int] = {}
        for option in self.draft.options:  # as the import names them (the same ids)
            option.id = option_id(option.name, taken, suffixes)
        self.link_decision_options()
        return self.draft

    def _title(self) -> None:
        draft, doc = self.draft, self.doc
        draft.number = number_in_name(doc.path)
        heading = doc.h1
        raw_title = ""
        if heading is not None:
            # The title's Markdown as written (code, emphasis, spacing): the page renders it.
            raw_title, draft.title_from, draft.title_line = heading.raw, "h1", heading.number
            # "[Superseded by [ADR-0040](…)] Title": a status written into the title.
            prefix = _STATUS_PREFIX.match(heading.plain)
            if prefix:
                reading = read_status_text(
                    prefix["status"],
                    self.rules,
                    line=heading.number,
                    links=tuple(link for link in heading.links() if not link.image),
                )
                if reading is not None:
                    self.statuses.append(
                        _Candidate(9, "title", heading.number, reading, prefix["status"])
                    )
                    refs = references_in_line(
                        heading,
                        default="superseded_by" if reading.status == "superseded" else "relates_to",
                    )
                    draft.references.extend(refs)
                    self._keep_unlinkable(refs, "Title", heading)
                    written = _STATUS_PREFIX.match(heading.raw)
                    raw_title = written["rest"] if written else prefix["rest"]
        front = doc.front or {}
        if not raw_title and isinstance(front.get("title"), (str, int, float)):
            raw_title, draft.title_from, draft.title_line = str(front["title"]), "front matter", 2
        parts = split_title(raw_title, doc.path)
        draft.title = parts.title
        if not draft.title:
            draft.title, draft.title_from = title_from_name(doc.path), "file name"
        if draft.number is None and parts.number is not None and draft.title_from != "file name":
            draft.number = parts.number
        elif draft.number is not None and parts.number is not None and parts.number != draft.number:
            draft.note(
                draft.title_line,
                "title",
                f"the title says {parts.number} but the file name says {draft.number}; "
                "the file name's number is used",
            )

    def _front_matter(self) -> None:
        draft, doc = self.draft, self.doc
        if doc.front_unread is not None:
            line, text = doc.front_unread
            draft.keep(
                "Front matter",
                f"```yaml\n{text}\n```",
                line,
                line + text.count("\n"),
                "front matter that is not a mapping of keys",
            )
        front = doc.front or {}
        leftover: list[str] = []
        for key, value in front.items():
            line = doc.front_keys.get(key, (2, []))[0]
            part = metadata_part(self.table, key)
            if key.casefold() == "title":
                continue
            if key.casefold() in ("permalink", "slug") and isinstance(value, (str, int)):
                draft.addresses += (str(value).strip("/").casefold(),)
            if key.casefold() in SITE_KEYS:
                draft.site_keys.append(key)
                continue
            if part == "status" and isinstance(value, (str, int, float)):
                reading = read_status_text(
                    str(value), self.rules, line=line, links=tuple(_links_of(str(value), line, doc))
                )
                if reading is not None:
                    self.statuses.append(_Candidate(1, "front matter", line, reading, str(value)))
                    self._status_references(str(value), line, reading)
                    continue
            elif part == "date":
                reading_date = _date_of(value)
                if reading_date is not None and reading_date.value is not None:
                    self.dates.append(_Candidate(1, "front matter", line, reading_date, str(value)))
                    continue
                if isinstance(value, (str, int, float)):
                    self._unreadable_date(str(value), line, reading_date)
            elif part in ("decision_makers", "consulted", "informed") and _people(value):
                draft.people.setdefault(part, []).extend(_people(value))
                continue
            elif part == "tags" and isinstance(value, (list, str)):
                self._tags(value, line, from_front=True)
                continue
            leftover.append(key)
        if leftover:
            lines = [
                text
                for key in leftover
                for text in doc.front_keys.get(key, (0, [f"{key}: {front[key]!r}"]))[1]
            ]
            first = min(doc.front_keys.get(k, (2, []))[0] for k in leftover)
            draft.keep(
                "Front matter",
                "```yaml\n" + "\n".join(lines) + "\n```",
                first,
                first + len(lines) - 1,
                f"front matter {', '.join(leftover)} has no field in the record",
            )
        if draft.site_keys:
            draft.note(
                2,
                "",
                f"site settings {', '.join(draft.site_keys)} lay out the old site; not imported",
            )

    def _tags(self, value: Any, line: int, *, from_front: bool = False) -> None:
        raw = value if isinstance(value, list) else re.split(r"[,;]", str(value))
        for tag in (str(t).strip() for t in raw if isinstance(t, (str, int, float))):
            if not tag:
                continue
            reading = read_status_text(tag, self.rules, line=line) if from_front else None
            if reading is not None and not reading.note:
                self.statuses.append(_Candidate(11, "tags", line, reading, tag))
            if re.match(r"^[^\s,][^,]{0,63}$", tag) and tag not in self.draft.tags:
                self.draft.tags.append(tag)
            elif tag not in self.draft.tags:
                self.draft.keep(
                    "Tags",
                    f"- {tag}",
                    line,
                    line,
                    f"tag {tag!r} cannot be a tag (no commas, at most 64 characters)",
                )

    def _metadata(self, line: Line, *, preamble: bool) -> bool:
        """Read ``Key: value`` (or a status-word header line); True when consumed."""
        match = META_LINE.match(line.raw)
        if match is None:
            return False
        key = (match["bkey"] or match["key"] or "").strip()
        value_raw = match["value"].strip()
        value_raw = re.sub(r"^(?:\*\*|__)\s*", "", value_raw)
        value_line = Line(
            line.number, value_raw, tuple(parse_inline(value_raw, self.doc.references))
        )
        part = metadata_part(self.table, key)
        if part == "status":
            reading = read_status_line(value_line, self.rules)
            if reading is None:
                return False
            self.statuses.append(
                _Candidate(2 if preamble else 3, "status line", line.number, reading, value_raw)
            )
            self._status_references_line(value_line, reading)
            return True
        if part == "date":
            reading_date = read_date(value_line.plain)
            if reading_date is None or reading_date.value is None:
                # Kept as text where it stands, and reported; no other date replaces it.
                self._unreadable_date(value_line.plain, line.number, reading_date)
                return False
            self.dates.append(
                _Candidate(
                    2 if preamble else 3, "text", line.number, reading_date, value_line.plain
                )
            )
            return True
        if part in ("decision_makers", "consulted", "informed"):
            names = _people(value_line.plain)
            if not names:
                return False
            self.draft.people.setdefault(part, []).extend(names)
            return True
        if part == "tags":
            self._tags(value_line.plain, line.number)
            return True
        # "Superseded: 2019-12-19 by [ADR 10](…)", "Decided: 2022-01-20": the key is a status.
        reading = read_status_text(key, self.rules, line=line.number)
        if reading is not None and not reading.note and (value_raw or preamble):
            whole = Line(line.number, line.raw, line.tokens)
            full = read_status_line(whole, self.rules) or reading
            self.statuses.append(_Candidate(6, "header line", line.number, full, line.plain))
            self._status_references_line(whole, full)
            when = read_date(value_line.plain)
            if (
                when is not None
                and when.value is not None
                and reading.status in ("accepted", "proposed")
            ):
                self.dates.append(_Candidate(4, "text", line.number, when, value_line.plain))
            return True
        return False

    def _status_references(self, text: str, line: int, reading: StatusReading) -> None:
        self._status_references_line(
            Line(line, text, tuple(parse_inline(text, self.doc.references))), reading
        )

    def _status_references_line(self, line: Line, reading: StatusReading) -> None:
        default: LinkKind = "superseded_by" if reading.status == "superseded" else "relates_to"
        refs = references_in_line(line, default=default)
        self.draft.references.extend(refs)
        self._keep_unlinkable(refs, "Status", line)
        if reading.status == "superseded" and not self.draft.superseded_by_text:
            words = re.sub(r"^\W*\w+\W*", "", line.plain, count=1).strip()
            self.draft.superseded_by_text = words

    def _keep_unlinkable(self, refs: Sequence[Reference], heading: str, line: Line) -> None:
        """A status line is read for its status and its links, and its words go; when it
        names a record by a number no record can have ("ADR-" and 70 digits), its words
        are kept (under ``heading``), as those of a link that names no record are."""
        if any(ref.problem for ref in refs):
            self.draft.link_lines.append(LinkLine(heading, line.number, line.raw, tuple(refs)))

    def _preamble(self) -> None:
        kept: list[str] = []
        first = 0
        for block in self.doc.preamble:
            leftover = self._meta_block(block, preamble=True)
            if leftover:
                first = first or block.start
                kept.append(leftover)
        text = clean_markdown("\n\n".join(kept))
        if text:
            self.preamble_text.append(self.with_references(text))
            self.draft.note(
                first, "context", "text before the first section kept at the start of context"
            )

    def _meta_block(self, block: Block, *, preamble: bool) -> str:
        """Read the metadata in a block; return what is left of it, as written."""
        if layout_only(block):
            return ""
        if block.kind == "paragraph":
            rest: list[str] = []
            for line in block.lines:
                if self._metadata(line, preamble=preamble):
                    continue
                if preamble and self._bare_line(line):
                    continue
                rest.append(
                    self.doc.lines[line.number - 1]
                    if line.number <= len(self.doc.lines)
                    else line.raw
                )
            return "\n".join(rest)
        if block.kind == "list":
            items = [
                item for item in block.items if not self._metadata(item.line, preamble=preamble)
            ]
            if len(items) == len(block.items):
                return block.raw
            return "\n".join(item.raw for item in items)
        if block.kind == "table":
            self._status_table(block, rank=5 if preamble else 10)
            return block.raw
        return block.raw

    def _bare_line(self, line: Line) -> bool:
        """A line under the title that is only a date, a status or a badge."""
        date = only_date(line.plain)
        if date is not None:
            self.dates.append(_Candidate(6, "text", line.number, date, line.plain))
            return True
        reading = read_status_line(line, self.rules)
        links = [link for link in line.links() if not link.image]
        if reading is not None and (not reading.note or links) and len(line.plain) <= 80:
            badge = any(link.image for link in line.links())
            self.statuses.append(
                _Candidate(
                    8 if badge else 7,
                    "badge" if badge else "status line",
                    line.number,
                    reading,
                    line.plain,
                )
            )
            self._status_references_line(line, reading)
            return True
        return False

    def _status_table(self, block: Block, rank: int) -> None:
        """A table with a Status column (a header table, or a change log): its last row."""
        names = [normalise(cell.plain) for cell in block.header]
        status_col = next((i for i, n in enumerate(names) if n in self.table.names("status")), None)
        date_col = next((i for i, n in enumerate(names) if n in self.table.names("date")), None)
        if status_col is None:
            return
        for row in reversed(block.rows):
            if status_col >= len(row):
                continue
            reading = read_status_line(row[status_col], self.rules)
            if reading is None:
                continue
            source = "table" if rank < 10 else "change log"
            self.statuses.append(
                _Candidate(rank, source, row[status_col].number, reading, row[status_col].plain)
            )
            if date_col is not None and date_col < len(row):
                when = read_date(row[date_col].plain)
                if when is not None and when.value is not None:
                    self.dates.append(
                        _Candidate(
                            5 if rank < 10 else 8,
                            "text",
                            row[date_col].number,
                            when,
                            row[date_col].plain,
                        )
                    )
            return

    def _has_part(self, section: Section) -> bool:
        return any(self._part(s)[0] is not None for s in section.walk())

    def _section(self, section: Section) -> None:
        part, suffix = self._part(section)
        draft = self.draft
        if part is None:
            if any(self._has_part(child) for child in section.children):
                # "Summary" over Issue / Decision / Status: its own text is kept, its
                # sub-sections are read for what they are.
                text = self.markdown(section.blocks)
                for block in section.blocks:
                    if block.kind == "table":
                        self._status_table(block, rank=10)
                self._keep_section(section, text, "section '{t}' has no field in the record")
                for child in section.children:
                    self._section(child)
            else:
                for s in section.walk():
                    for block in s.blocks:
                        if block.kind == "table":
                            self._status_table(block, rank=10)
                self.unknown.append(section)
                self.order.append((section.line, "unknown", section))
            return
        if part in ("context",):
            text = self.markdown(section.blocks, section.children)
            if text:
                heading = "" if "context" not in self.seen else section.heading.raw.strip()
                self.order.append((section.line, "context", (heading, text)))
            self.seen.add("context")
        elif part == "drivers":
            self._list_part(section, draft.drivers, "drivers")
        elif part == "options":
            self.option_sections.append(section)
        elif part == "pros_and_cons":
            self.pros_cons.append(section)
        elif part == "decision":
            self.decision_sections.append((section, suffix))
        elif part in ("consequences", "good_consequences", "bad_consequences"):
            self.consequences.append(section)
        elif part == "confirmation":
            text = self.markdown(section.blocks, section.children)
            if text:
                draft.confirmation.append(text)
        elif part == "status":
            self._status_section(section)
        elif part == "date":
            self._date_section(section)
        elif part == "links":
            self._links_section(section)
        elif part in ("decision_makers", "consulted", "informed"):
            names = [
                n
                for block in section.blocks
                for line in block.all_lines()
                for n in _people(line.plain)
            ]
            if names:
                draft.people.setdefault(part, []).extend(names)
            else:
                self._keep_section(
                    section,
                    self.markdown(section.blocks, section.children, level=4),
                    "section '{t}' names nobody",
                )
        elif part == "tags":
            for block in section.blocks:
                for line in block.all_lines():
                    self._tags(line.plain, line.number)
        else:  # pragma: no cover - every part is handled above
            self.unknown.append(section)

    def _settle_decision(self) -> None:
        """The record's decision: the first section named like a decision ("Decision",
        "Decision Outcome", "Décision"), whatever stands around it; a proposal ("Proposal",
        "Proposed solution", "Recommendation") only when there is none. Another proposal
        is context, under its heading; another decision is kept in context and reported."""
        found = self.decision_sections
        decided = [s for s in found if not self._proposal(s[0])]
        chosen = (decided or found)[:1]
        self.decisions[:] = chosen
        for section, _suffix in found:
            if any(section is first for first, _ in chosen):
                continue
            if self._proposal(section) and decided:
                text = self.markdown(section.blocks, section.children, level=4)
                if text:
                    self.order.append(
                        (section.line, "context", (section.heading.raw.strip(), text))
                    )
                    self.draft.note(
                        section.line,
                        "context",
                        f"section '{section.heading.plain}' is a proposal and the record has "
                        f"a decision ('{chosen[0][0].heading.plain}'): kept in context "
                        "under its heading",
                    )
                continue
            self._keep_section(
                section,
                self.markdown(section.blocks, section.children, level=4),
                "a second decision section '{t}'",
            )

    def _proposal(self, section: Section) -> bool:
        """Whether a decision section is named as a proposal, not as the decision."""
        key = normalise(section.heading.plain)
        return any(
            key == name or (key.startswith(name) and after_name(key, len(name)))
            for name in PROPOSAL_NAMES
        )

    def _list_part(self, section: Section, target: list[str], name: str) -> None:
        rest: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                target.extend(item_text(item) for item in block.items if item_text(item))
            elif block.kind != "comment":
                rest.append(block)
        text = self.markdown(rest, section.children, level=4)
        self._keep_section(section, text, f"text beside the list of {name} in '{{t}}'")

    def _status_section(self, section: Section) -> None:
        found = False
        rest: list[str] = []
        for block in section.blocks:
            if block.kind in ("comment",):
                continue
            if block.kind == "table":
                self._status_table(block, rank=3)
                rest.append(block.raw)
                continue
            lines = (
                list(block.lines) if block.kind == "paragraph" else [i.line for i in block.items]
            )
            if not lines:
                rest.append(block.raw)
                continue
            for line in lines:
                reading = read_status_line(line, self.rules) if not found else None
                if reading is not None:
                    found = True
                    self.statuses.append(
                        _Candidate(3, "status section", line.number, reading, line.plain)
                    )
                    self._status_references_line(line, reading)
                    continue
                refs = references_in_line(line)
                if refs:
                    self.draft.references.extend(refs)
                    if _says_more(refs):
                        rest.append(line.raw)
                    else:
                        self.draft.link_lines.append(
                            LinkLine(section.heading.plain, line.number, line.raw, tuple(refs))
                        )
                    continue
                if self._metadata(line, preamble=False):
                    continue
                rest.append(line.raw)
        text = clean_markdown("\n\n".join(rest))
        children = self.markdown([], section.children, level=4)
        self._keep_section(
            section,
            clean_markdown(text + "\n\n" + children),
            "text in '{t}' beside the status (links in it are linked too)",
        )

    def _date_section(self, section: Section) -> None:
        rest: list[Block] = []
        found = False
        for block in section.blocks:
            if not found and block.kind == "paragraph":
                reading = read_date(block.plain)
                if reading is not None and reading.value is not None:
                    self.dates.append(_Candidate(3, "text", block.start, reading, block.plain))
                    found = True
                    if only_date(block.plain):
                        continue
                elif len(block.plain) <= 80:
                    before = len(self.unread_dates)
                    self._unreadable_date(block.plain, block.start, reading)
                    found = len(self.unread_dates) > before
            rest.append(block)
        self._keep_section(
            section, self.markdown(rest, section.children, level=4), "text in '{t}' beside the date"
        )

    def _links_section(self, section: Section) -> None:
        other: list[str] = []
        for block in section.blocks:
            lines = [i.line for i in block.items] if block.kind == "list" else list(block.lines)
            if not lines:
                other.append(block.raw)
            for line in lines:
                refs = references_in_line(line)
                self.draft.references.extend(refs)
                written = f"- {line.raw}" if block.kind == "list" else line.raw
                if not refs or _says_more(refs):
                    other.append(written)
                else:
                    self.draft.link_lines.append(
                        LinkLine(section.heading.plain, line.number, written, tuple(refs))
                    )
        text = self.with_references(clean_markdown("\n".join(other)))
        text = clean_markdown(text + "\n\n" + self.markdown([], section.children, level=4))
        self._keep_section(
            section, text, "links in '{t}' that say more than relates_to, or name no record"
        )

    def _references(self) -> None:
        """Every link and "ADR n" in the body (status lines were read with their status)."""
        seen_lines = {(r.line, r.label) for r in self.draft.references}
        blocks = list(self.doc.preamble) + [b for s in self.doc.walk() for b in s.blocks]
        headings = [s.heading for s in self.doc.walk()]
        for line in [
            *(
                ln
                for b in blocks
                if b.kind not in ("code", "comment", "html")
                for ln in b.all_lines()
            ),
            *headings,
        ]:
            for ref in references_in_line(line):
                if (ref.line, ref.label) not in seen_lines:
                    self.draft.references.append(ref)
                    seen_lines.add((ref.line, ref.label))

    def _settle_status(self) -> None:
        if not self.statuses:
            return
        best = min(self.statuses, key=lambda c: (c.rank, c.line))
        reading: StatusReading = best.value
        draft = self.draft
        draft.status, draft.status_note = reading.status, reading.note
        draft.status_from, draft.status_written, draft.status_line = (
            best.source,
            best.text,
            best.line,
        )
        if (
            reading.date is not None
            and reading.date.value is not None
            and reading.status in ("accepted", "proposed", "rejected", "deprecated")
        ):
            self.dates.append(_Candidate(7, "text", best.line, reading.date, reading.date.text))
        others = {c.value.status for c in self.statuses if c.rank < 10} - {reading.status}
        if others:
            draft.note(
                best.line,
                "status",
                f"read as {reading.status!r} from the {best.source}; the source also says "
                + ", ".join(repr(o) for o in sorted(others)),
            )

    def _unreadable_date(self, text: str, line: int, reading: DateReading | None) -> None:
        """A date the source states that cannot be read: reported, never replaced (not by
        the file name's date, nor by git history's)."""
        text = text.strip()
        if not text or not date_like(text):
            return
        self.unread_dates.append((line, text))
        why = (
            reading.problem
            if reading is not None and reading.problem
            else f"{text!r} is not a date"
        )
        self.draft.note(
            line,
            "date",
            f"the date is written {text!r}, which cannot be read as a date ({why}); not "
            "guessed at, and no other date replaces it: date unknown",
        )

    def _settle_date(self) -> None:
        draft = self.draft
        if self.dates:
            best = min(self.dates, key=lambda c: (c.rank, c.line))
            reading: DateReading = best.value
            draft.date, draft.date_reading = reading.value, reading
            draft.date_from = "front matter" if best.source == "front matter" else "text"
            draft.date_text, draft.date_line = best.text, best.line
            if reading.warning:
                draft.note(best.line, "date", reading.warning)
            return
        if self.unread_dates:
            draft.date_line, draft.date_text = self.unread_dates[0]
            draft.date_unread = draft.date_text
            return
        stem = self.doc.path.stem if self.doc.path.suffix else self.doc.path.name
        if stem.casefold() in ("index", "readme"):
            stem = self.doc.path.parent.name
        named = date_in_file_name(stem)
        if named is not None:
            draft.date, draft.date_from, draft.date_text = named[0], "file name", named[1]

    def _context(self) -> None:
        draft = self.draft
        for section in self.unknown:
            self._keep_section(
                section,
                self.markdown(section.blocks, section.children, level=4),
                "section '{t}' has no field in the record",
            )
        parts = list(self.preamble_text)
        for _, kind, value in sorted(self.order, key=lambda o: o[0]):
            if kind == "context":
                heading, text = value
                parts.append(f"### {heading}\n\n{text}" if heading else text)
        draft.context = parts

    def _format(self) -> str:
        """madr2/3/4 by their markers, nygard by its sections, else freeform."""
        parts = {self._part(s)[0] for s in self.doc.walk()}
        headings = {normalise(s.heading.plain) for s in self.doc.walk()}
        front = {k.casefold() for k in (self.doc.front or {})}
        madr = (
            bool(parts & {"pros_and_cons"})
            or bool(headings & _MADR_HEADINGS)
            or any(
                re.search(self.table.phrase_pattern("chosen_option"), b.raw, re.IGNORECASE)
                for s, _ in self.decisions
                for b in s.blocks
            )
        )
        if madr:
            if "decision-makers" in front or "confirmation" in parts or "decision_makers" in front:
                return "madr4"
            if front & {"status", "date", "deciders", "statut"}:
                return "madr3"
            if self.draft.status_from == "status line" and self.draft.people:
                return "madr2"
            if parts & {"good_consequences", "bad_consequences"}:
                return "madr2"
            return "madr3" if "consequences" in parts else "madr2"
        if "options" not in parts and (
            {"context", "decision"} <= parts or {"status", "decision"} <= parts
        ):
            return "nygard"
        return "freeform"


def _says_more(refs: Sequence[Reference]) -> bool:
    """Whether links name a relation the record can only call relates_to ("Amended by",
    "Refines"): their wording is kept beside the link."""
    return any(r.stated and r.kind == "relates_to" for r in refs)


#: Headings only MADR uses (in English and French, normalised).
_MADR_HEADINGS = frozenset(
    {
        "considered options",
        "decision outcome",
        "context and problem statement",
        "pros and cons of the options",
        "options envisagees",
        "resultat de la decision",
        "contexte et enonce du probleme",
    }
)


def _people(value: Any) -> list[str]:
    """``Deciders: a, b (and c)`` or a YAML list → names; placeholders are not names."""
    if isinstance(value, list):
        raw = [
            str(v.get("name", "")) if isinstance(v, dict) else str(v)
            for v in value
            if isinstance(v, (str, int, float, dict))
        ]
    elif isinstance(value, (str, int, float)):
        raw, depth, current = [], 0, ""
        for char in str(value):
            depth += char in "([{"
            depth -= char in ")]}"
            if char in ",;" and depth <= 0:
                raw.append(current)
                current = ""
            else:
                current += char
        raw.append(current)
    else:
        return []
    names = [plain_text(" ".join(n.split())) for n in raw]
    return [
        n
        for n in names
        if n and not (n.startswith("{") and n.endswith("}")) and not re.fullmatch(r"[\W_]+", n)
    ]


def _date_of(value: Any) -> DateReading | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return DateReading(value, value.isoformat())
    if isinstance(value, (str, int)):
        return read_date(str(value))
    return None


def _links_of(text: str, line: int, doc: Document) -> Iterable[Any]:
    return Line(line, text, tuple(parse_inline(text, doc.references))).links()


def map_document(doc: Document, rules: RecordRules, table: SectionTable) -> Draft:
    """Read a parsed document into a :class:`Draft`."""
    draft = Draft(source=doc.path, display=doc.display)
    draft.notes.extend(doc.warnings)
    return _Mapper(doc, rules, table, draft).run()
