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

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adrgen.authoring import slugify
from adrgen.errors import Problem
from adrgen.importer.dates import DateReading, DateValue, only_date, read_date
from adrgen.importer.links import LinkKind, Reference, references_in_line
from adrgen.importer.numbering import number_in_name, split_title, title_from_name
from adrgen.importer.read import Block, Document, Item, Line, Section, parse_inline
from adrgen.importer.sections import SectionTable, metadata_part, normalise
from adrgen.importer.statuses import StatusReading, read_status_line, read_status_text
from adrgen.quantities import TimeEstimate
from adrgen.record import UNKNOWN, RecordRules

__all__ = ["Draft", "Kept", "OptionDraft", "map_document"]

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
#: MADR template comments: hints to the writer, not part of the decision.
_BOILERPLATE = re.compile(
    r"optional|can vary|feel free to|neutral\" if|required if|use only if|markdownlint|"
    r"template|YYYY-MM-DD|\{[^}]*\}",
    re.IGNORECASE,
)
_META_LINE = re.compile(
    r"^\s*(?:(?:\*\*|__)(?P<bkey>[^*_:]{1,40}?)\s*:?\s*(?:\*\*|__)\s*:?|"
    r"(?P<key>[^:*_\[\]()|`]{1,40}?)\s*:)\s*(?P<value>.*)$"
)
_ESTIMATE_KEYS = ("effort", "estimate", "estimated effort", "time", "time estimate", "duration")
_COMPLEXITY_KEYS = ("complexity",)
_COMPLEXITY = {"low": "low", "medium": "medium", "high": "high"}


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
    title_number: int | None = None
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
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _key(text: str) -> str:
    """A name as names are compared: plain, no case, accents, quotes or "Option 2:"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[\"'`*_“”‘’«»\\]", "", text)
    text = re.sub(r"^\s*(?:option|alternative)\s*[\w]{0,3}\s*[:.)-]\s*", "", text)
    text = re.sub(r"^\s*(?:\d+|[a-z])[.)]\s+", "", text)
    return re.sub(r"\s+", " ", text).strip(" .:;,!?")


_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "for",
        "to",
        "and",
        "or",
        "with",
        "we",
        "will",
        "use",
        "using",
        "our",
        "is",
        "are",
        "be",
        "it",
        "this",
        "that",
        "by",
        "as",
        "at",
        "from",
        "into",
        "un",
        "une",
        "le",
        "la",
        "les",
        "des",
        "de",
        "du",
        "et",
        "ou",
        "avec",
        "pour",
        "en",
        "sur",
    ]
)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w.+#-]+", _key(text)) if w not in _STOP and len(w) > 1]


def match_option(name: str, options: Sequence[OptionDraft]) -> int | None:
    """The option a name refers to: exactly, by prefix, as the only substring, by words."""
    wanted = _key(name)
    if not wanted:
        return None
    keys = [_key(o.name) for o in options]
    tests: tuple[Callable[[str], bool], ...] = (
        lambda k: k == wanted,
        lambda k: k.startswith(wanted) or wanted.startswith(k),
        lambda k: wanted in k or k in wanted,
    )
    for test in tests:
        hits = [i for i, k in enumerate(keys) if k and test(k)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            exact = [i for i in hits if keys[i] == wanted]
            return exact[0] if len(exact) == 1 else None
    wanted_words = set(_words(name))
    # "Rely on upstream" for "Rely on whatever mechanism upstream proposes": the one option
    # that has every word the name has (or whose words the name has, all of them).
    covering: tuple[Callable[[set[str]], bool], ...] = (
        lambda words: bool(wanted_words) and wanted_words <= words,
        lambda words: bool(words) and words <= wanted_words,
    )
    for covers in covering:
        hits = [i for i, o in enumerate(options) if covers(set(_words(o.name)))]
        if len(hits) == 1:
            return hits[0]
    scores = []
    for i, option in enumerate(options):
        words = set(_words(option.name))
        if words and wanted_words:
            scores.append((len(words & wanted_words) / len(words | wanted_words), i))
    scores.sort(reverse=True)
    if scores and scores[0][0] >= 0.6 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        return scores[0][1]
    return None


def option_in_sentence(sentence: str, options: Sequence[OptionDraft]) -> int | None:
    """The one option a decision's first sentence names, by all of its words."""
    said = _words(sentence)
    said_set = set(said)
    found = []
    for i, option in enumerate(options):
        words = _words(option.name)
        if words and set(words) <= said_set:
            found.append((min(said.index(w) for w in words), -len(words), i))
    if not found:
        return None
    found.sort()
    if len(found) > 1 and found[0][:2] == found[1][:2]:
        return None
    return found[0][2]


def option_id(name: str, taken: set[str]) -> str:
    """A valid, unique option id from its name: ``Use PostgreSQL`` → ``use_postgresql``."""
    base = slugify(name, limit=40).replace("-", "_")
    if base == "decision" and not re.search(r"decision", name, re.IGNORECASE):
        base = "option"
    if not base[0].isalpha():
        base = f"option_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


# ---------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    rank: int
    source: str
    line: int
    value: Any
    text: str


@dataclass
class _Mapper:
    doc: Document
    rules: RecordRules
    table: SectionTable
    draft: Draft
    statuses: list[_Candidate] = field(default_factory=list)
    dates: list[_Candidate] = field(default_factory=list)
    option_sections: list[Section] = field(default_factory=list)
    pros_cons: list[Section] = field(default_factory=list)
    decisions: list[tuple[Section, str]] = field(default_factory=list)
    consequences: list[Section] = field(default_factory=list)
    unknown: list[Section] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    order: list[tuple[int, str, Any]] = field(default_factory=list)
    preamble_text: list[str] = field(default_factory=list)

    # -- Markdown out ---------------------------------------------------------------------

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
            if _layout_only(block):
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
        """``text`` with the definitions of the reference-style links it uses."""
        used = []
        for match in re.finditer(r"\[([^\]]+)\](?:\[([^\]]*)\])?", text):
            label = (match[2] or match[1]).strip()
            key = " ".join(label.split()).upper()
            ref = self.doc.references.get(key)
            if ref and not re.search(rf"(?mi)^\s*\[{re.escape(label)}\]:", text):
                line = f"[{label}]: {ref['href']}" + (
                    f' "{ref["title"]}"' if ref.get("title") else ""
                )
                if line not in used:
                    used.append(line)
        return text + ("\n\n" + "\n".join(used) if used else "")

    # -- the whole document ---------------------------------------------------------------

    def run(self) -> Draft:
        self._title()
        self._front_matter()
        self._preamble()
        for section in self.doc.sections:
            self._section(section)
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
        return self.draft

    # -- title and number -----------------------------------------------------------------

    def _title(self) -> None:
        draft, doc = self.draft, self.doc
        draft.number = number_in_name(doc.path)
        heading = doc.h1
        raw_title = ""
        if heading is not None:
            raw_title, draft.title_from, draft.title_line = heading.name, "h1", heading.number
            # "[Superseded by [ADR-0040](…)] Title": a status written into the title.
            prefix = re.match(
                r"^\[(?P<status>[^\]]*(?:\][^\]]*)?)\]\s+(?P<rest>.+)$", heading.plain
            )
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
                    for ref in references_in_line(
                        heading,
                        default="superseded_by" if reading.status == "superseded" else "relates_to",
                    ):
                        draft.references.append(ref)
                    raw_title = prefix["rest"]
        front = doc.front or {}
        if not raw_title and isinstance(front.get("title"), (str, int, float)):
            raw_title, draft.title_from, draft.title_line = str(front["title"]), "front matter", 2
        parts = split_title(raw_title)
        draft.title = parts.title
        draft.title_number = parts.number
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

    # -- front matter ---------------------------------------------------------------------

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

    # -- metadata lines -------------------------------------------------------------------

    def _metadata(self, line: Line, *, preamble: bool) -> bool:
        """Read ``Key: value`` (or a status-word header line); True when consumed."""
        match = _META_LINE.match(line.raw)
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
            if reading_date is None:
                return False
            if reading_date.value is None:
                self.draft.note(line.number, "date", f"{reading_date.problem}; not guessed at")
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
        if reading.status == "superseded" and not self.draft.superseded_by_text:
            words = re.sub(r"^\W*\w+\W*", "", line.plain, count=1).strip()
            self.draft.superseded_by_text = words

    # -- the text between the title and the first section ---------------------------------

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
        if _layout_only(block):
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

    # -- sections -------------------------------------------------------------------------

    def _part(self, section: Section) -> tuple[str | None, str]:
        found = self.table.part_of(section.heading.plain)
        return (found[0], found[1]) if found else (None, "")

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
            if self.decisions:
                self._keep_section(
                    section,
                    self.markdown(section.blocks, section.children, level=4),
                    "a second decision section '{t}'",
                )
            else:
                self.decisions.append((section, suffix))
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

    def _keep_section(self, section: Section, text: str, why: str) -> None:
        if text:
            end = max([b.end for s in section.walk() for b in s.blocks] or [section.line])
            self.draft.keep(
                section.heading.plain, text, section.line, end, why.format(t=section.heading.plain)
            )

    def _list_part(self, section: Section, target: list[str], name: str) -> None:
        rest: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                target.extend(_item_text(item) for item in block.items if _item_text(item))
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
                    continue
                if self._metadata(line, preamble=False):
                    continue
                rest.append(line.raw)
        text = clean_markdown("\n\n".join(rest))
        children = self.markdown([], section.children, level=4)
        self._keep_section(
            section,
            clean_markdown(text + "\n\n" + children),
            "text in '{t}' that is neither the status nor a link",
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
                if not refs:
                    other.append(f"- {line.raw}" if block.kind == "list" else line.raw)
        text = self.with_references(clean_markdown("\n".join(other)))
        text = clean_markdown(text + "\n\n" + self.markdown([], section.children, level=4))
        self._keep_section(section, text, "links in '{t}' to things other than records")

    # -- references -------------------------------------------------------------------------

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

    # -- status and date --------------------------------------------------------------------

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

    def _settle_date(self) -> None:
        draft = self.draft
        if self.dates:
            best = min(self.dates, key=lambda c: (c.rank, c.line))
            reading: DateReading = best.value
            draft.date, draft.date_reading = reading.value, reading
            draft.date_from = "front matter" if best.source == "front matter" else "text"
            draft.date_text, draft.date_line = best.text, best.line
            return
        from adrgen.importer.dates import date_in_file_name

        stem = self.doc.path.stem if self.doc.path.suffix else self.doc.path.name
        if stem.casefold() in ("index", "readme"):
            stem = self.doc.path.parent.name
        named = date_in_file_name(stem)
        if named is not None:
            draft.date, draft.date_from, draft.date_text = named[0], "file name", named[1]

    # -- options, outcome, consequences -----------------------------------------------------

    def _options(self) -> None:
        draft = self.draft
        for section in self.option_sections:
            self._options_section(section)
        for section in self.pros_cons:
            rest = [b for b in section.blocks if b.kind != "comment"]
            if rest:
                self._keep_section_blocks(section, rest, "text in '{t}' outside any option")
            for child in section.children:
                self._option_details_from(child, add=True)
        # MADR's own records head each option's pros and cons as an H2 after the "Pros and
        # Cons" section; a section named exactly like an option is that option's.
        for section in list(self.unknown):
            index = match_option(section.heading.plain, draft.options) if draft.options else None
            if index is not None and _key(section.heading.plain) == _key(draft.options[index].name):
                self.unknown.remove(section)
                self._details(draft.options[index], section.blocks, section.children)

    def _marked_choice(self) -> None:
        """An option marked "[SELECTED]" or "(chosen)" is the chosen one, if nothing else is."""
        draft = self.draft
        marked = [i for i, o in enumerate(draft.options) if o.marked]
        if draft.chosen is None and len(marked) == 1:
            draft.chosen = marked[0]
            draft.note(
                draft.options[marked[0]].line,
                "outcome.chosen",
                f"'{draft.options[marked[0]].name}' is marked as the selected option",
            )

    def _estimate_tables(self) -> None:
        """A table anywhere with a row per option and an Effort (or Complexity) column."""
        if not self.draft.options:
            return
        blocks = [b for s in self.doc.walk() for b in s.blocks] + list(self.doc.preamble)
        for block in blocks:
            if block.kind != "table" or len(block.header) < 2:
                continue
            names = [normalise(c.plain) for c in block.header]
            columns = [
                i for i, n in enumerate(names) if n in _ESTIMATE_KEYS or n in _COMPLEXITY_KEYS
            ]
            if not columns:
                continue
            for row in block.rows:
                if not row:
                    continue
                index = match_option(row[0].plain, self.draft.options)
                if index is None:
                    continue
                for column in columns:
                    if column < len(row):
                        self._estimate(self.draft.options[index], names[column], row[column].plain)

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

    def _options_section(self, section: Section) -> None:
        draft = self.draft
        listed = False
        rest: list[Block] = []
        current: OptionDraft | None = None
        for block in section.blocks:
            if block.kind == "list" and not listed:
                listed = True
                for item in block.items:
                    name, marked = _unmark(option_name(item.line))
                    if not name:
                        continue
                    option = OptionDraft(name, item.start, marked=marked)
                    described = _item_markdown(item)
                    if _key(described) != _key(name):
                        option.summary.append(described)
                    self._details(option, [b for b in item.blocks], [], item_children=item.children)
                    draft.options.append(option)
            elif block.kind == "table" and not listed and block.rows:
                listed = True
                self._option_table(block)
            elif block.kind == "paragraph" and any(_bold_option(ln) for ln in block.lines):
                # "**Option 1:** Use X" lines, each followed by its details.
                listed = True
                before: list[str] = []
                for line in block.lines:
                    bold = _bold_option(line)
                    if bold is not None:
                        current = OptionDraft(*_unmark(bold)[:1], line.number)
                        current.marked = _unmark(bold)[1]
                        draft.options.append(current)
                    elif current is not None:
                        current.summary.append(line.raw)
                    else:
                        before.append(line.raw)
                if before:
                    draft.keep(
                        section.heading.plain,
                        "\n".join(before),
                        block.start,
                        block.start,
                        f"text in '{section.heading.plain}' beside the options",
                    )
            elif current is not None:
                self._details(current, [block], [])
            else:
                rest.append(block)
        for child in section.children:
            self._option_details_from(child, add=True)
        unclaimed = []
        for block in rest:
            # "Offset and limit is what most clients expect, …": a paragraph on one option.
            owner = self._paragraph_owner(block)
            if owner is not None:
                owner.summary.append(block.raw)
            else:
                unclaimed.append(block)
        if unclaimed:
            self._keep_section_blocks(section, unclaimed, "text in '{t}' beside the options")

    def _paragraph_owner(self, block: Block) -> OptionDraft | None:
        if block.kind != "paragraph" or not self.draft.options:
            return None
        text = _key(block.plain)
        owners = [
            o
            for o in self.draft.options
            if _key(o.name) and re.match(rf"{re.escape(_key(o.name))}\b", text)
        ]
        return max(owners, key=lambda o: len(o.name)) if owners else None

    def _option_table(self, block: Block) -> None:
        names = [normalise(c.plain) for c in block.header]
        for row in block.rows:
            if not row or not row[0].plain:
                continue
            option = OptionDraft(row[0].name, row[0].number)
            details = []
            for i, cell in enumerate(row[1:], start=1):
                header = block.header[i].plain if i < len(block.header) else ""
                if not self._estimate(option, names[i] if i < len(names) else "", cell.plain):
                    details.append(f"- {header}: {cell.raw}" if header else f"- {cell.raw}")
            if details:
                option.summary.append("\n".join(details))
            self.draft.options.append(option)

    def _option_details_from(self, section: Section, *, add: bool) -> None:
        draft = self.draft
        index = match_option(section.heading.plain, draft.options) if draft.options else None
        if index is None:
            if not add:
                return
            draft.options.append(OptionDraft(section.heading.name, section.line))
            index = len(draft.options) - 1
        option = draft.options[index]
        heading = section.heading.name
        if _key(option.name) != _key(heading) and _key(option.name).startswith(_key(heading)):
            option.name = heading  # "Title - description" listed, "### Title" headed
        self._details(option, section.blocks, section.children)

    def _details(
        self,
        option: OptionDraft,
        blocks: Sequence[Block],
        children: Sequence[Section],
        *,
        item_children: Sequence[Item] = (),
    ) -> None:
        """An option's arguments, estimates and description, from its blocks."""
        mode: str | None = None
        for item in item_children:
            self._argument_item(option, item, mode)
        for block in blocks:
            if block.kind == "paragraph":
                text: list[str] = []
                for line in block.lines:
                    label = self._argument_label(line.plain)
                    if label is not None and not _argument(line.plain, self.table):
                        mode = label
                        continue
                    found = _argument(line.plain, self.table)
                    if found is not None:
                        self._add_argument(option, found[0], found[1], line.raw)
                        continue
                    meta = _META_LINE.match(line.raw)
                    if meta and self._estimate(
                        option, normalise(meta["bkey"] or meta["key"] or ""), meta["value"]
                    ):
                        continue
                    text.append(line.raw)
                if text:
                    option.summary.append("\n".join(text))
            elif block.kind == "list":
                plain_items = []
                for item in block.items:
                    if not self._argument_item(option, item, mode):
                        plain_items.append(item.raw)
                if plain_items:
                    option.summary.append("\n".join(plain_items))
                mode = None
            elif block.kind == "html":
                summary = re.search(
                    r"<summary>(.*?)</summary>", block.raw, re.IGNORECASE | re.DOTALL
                )
                label = self._argument_label(summary[1]) if summary else None
                if label is not None:
                    mode = label
                elif not re.fullmatch(r"\s*</?details[^>]*>\s*", block.raw):
                    option.summary.append(block.raw)
            elif block.kind == "table":
                self._argument_table(option, block)
            elif block.kind != "comment":
                option.summary.append(block.raw)
        for child in children:
            label = self._argument_label(child.heading.plain)
            if label is not None:
                before = len(option.summary)
                self._details_mode(option, child, label)
                if len(option.summary) == before:
                    continue
            else:
                inner = OptionDraft(option.name, option.line)
                self._details(inner, child.blocks, child.children)
                option.pros += inner.pros
                option.cons += inner.cons
                option.risks += inner.risks
                option.complexity = option.complexity or inner.complexity
                option.time = option.time or inner.time
                if inner.summary:
                    option.summary.append(
                        "#### " + child.heading.raw.strip() + "\n\n" + "\n\n".join(inner.summary)
                    )

    def _details_mode(self, option: OptionDraft, section: Section, mode: str) -> None:
        for block in section.blocks:
            if block.kind == "list":
                for item in block.items:
                    self._argument_item(option, item, mode)
            elif block.kind != "comment":
                option.summary.append(block.raw)

    def _argument_label(self, text: str) -> str | None:
        """ "Pros:", "**Cons**", "➕ Pros", "Risks": what the list below it holds."""
        key = normalise(text)
        if key in ("risks", "risk", "risques"):
            return "risks"
        for kind in ("good", "bad"):
            if key in self.table.names(kind) or key in _LABELS[kind]:
                return kind
        return None

    def _argument_item(self, option: OptionDraft, item: Item, mode: str | None) -> bool:
        text = _item_text(item, children=False)
        found = _argument(text, self.table)
        if found is None and mode is None:
            label = self._argument_label(item.line.plain)
            if label is not None and item.children:
                for child in item.children:
                    self._argument_item(option, child, label)
                return True
            return False
        kind, said = found if found is not None else (mode or "neutral", text)
        if item.children:
            said = "; ".join([said, *(_item_text(c) for c in item.children)])
        self._add_argument(option, kind, said, item.raw)
        return True

    def _add_argument(self, option: OptionDraft, kind: str, text: str, raw: str) -> None:
        text = text.strip()
        if not text or text in ("…", "..."):
            return
        if kind == "good":
            option.pros.append(text)
        elif kind == "bad":
            option.cons.append(text)
        elif kind == "risks":
            option.risks.append(text)
        else:  # options have no neutral list: the argument stays in the description
            option.summary.append(raw if raw.lstrip().startswith(("-", "*", "+")) else f"- {raw}")

    def _argument_table(self, option: OptionDraft, block: Block) -> None:
        kinds = [self._argument_label(c.plain) for c in block.header]
        if not any(kinds):
            option.summary.append(block.raw)
            return
        for row in block.rows:
            for kind, cell in zip(kinds, row, strict=False):
                if kind is not None and cell.plain:
                    self._add_argument(option, kind, cell.plain, cell.raw)

    def _estimate(self, option: OptionDraft, key: str, value: str) -> bool:
        """An effort or complexity the source states for this option: kept when it fits."""
        value = value.strip().strip("*_ ")
        if key in _COMPLEXITY_KEYS and value.casefold() in _COMPLEXITY:
            option.complexity = _COMPLEXITY[value.casefold()]
            return True
        if key in _ESTIMATE_KEYS:
            try:
                TimeEstimate.parse(value)
            except (ValueError, TypeError):
                return False
            option.time = value
            return True
        return False

    def _outcome(self) -> None:
        draft = self.draft
        if not self.decisions:
            return
        section, suffix = self.decisions[0]
        blocks = [b for b in section.blocks if b.kind != "comment"]
        if suffix and draft.options:
            # "## Proposal: fixed-window counters" over "## Alternatives": the proposal is an
            # option too, and the one the record puts forward.
            index = match_option(suffix, draft.options)
            if index is None:
                draft.options.insert(0, OptionDraft(suffix, section.line))
                index = 0
            draft.chosen = index
            draft.decision = self.markdown(blocks, self._outcome_children(section))
            return
        chosen_at = None
        found: tuple[str, str, int, int] | None = None
        for position, block in enumerate(blocks):
            found = self._chosen_line(_first_lines(block), position, blocks)
            if found is not None:
                chosen_at = position
                break
        children = self._outcome_children(section)
        if chosen_at is not None and found is not None:
            name, tail, used, lines_used = found
            index = match_option(name, draft.options) if draft.options else None
            if index is not None:
                draft.chosen = index
                if _key(name) != _key(draft.options[index].name):
                    draft.note(
                        blocks[chosen_at].start,
                        "outcome.chosen",
                        f"'Chosen option: {name}' taken to mean '{draft.options[index].name}'",
                    )
                rest = [b for i, b in enumerate(blocks) if not chosen_at <= i < chosen_at + used]
                first = blocks[chosen_at]
                extra = (
                    [ln.raw for ln in first.lines[lines_used:]]
                    if first.kind == "paragraph" and used == 1
                    else []
                )
                rationale = clean_markdown("\n".join([_capitalise(tail), *extra]))
                if rationale:
                    draft.rationale.append(self.with_references(rationale))
                text = self.markdown(rest, children)
                if text:
                    draft.rationale.append(text)
                return
            draft.note(
                blocks[chosen_at].start,
                "outcome.chosen",
                f"chosen option {name!r} is not among the considered options; the outcome is kept as written in outcome.decision",
            )
            draft.decision = self.markdown(blocks, children)
            return
        if draft.options:
            first_text = next((b for b in blocks if b.kind in ("paragraph", "list")), None)
            if first_text is not None:
                sentence = (
                    first_text.plain
                    if first_text.kind == "paragraph"
                    else first_text.items[0].line.plain
                )
                sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", sentence)[0]
                index = _option_by_number(sentence, draft.options)
                if index is None:
                    index = option_in_sentence(sentence, draft.options)
                if index is not None:
                    draft.chosen = index
                    draft.note(
                        first_text.start,
                        "outcome.chosen",
                        f"the decision names '{draft.options[index].name}'; read as the chosen option",
                    )
        draft.decision = self.markdown(blocks, children)

    def _outcome_children(self, section: Section) -> list[Section]:
        """Sub-sections of the decision that are parts of their own (consequences…) are read
        as such; the rest stay with the decision."""
        rest = []
        for child in section.children:
            part = self._part(child)[0]
            if part in ("consequences", "good_consequences", "bad_consequences"):
                self.consequences.append(child)
            elif part == "confirmation":
                text = self.markdown(child.blocks, child.children)
                if text:
                    self.draft.confirmation.append(text)
            elif part in ("status", "date", "links"):
                self._section(child)
            else:
                rest.append(child)
        return rest

    def _chosen_line(
        self, lines: Sequence[str], position: int, blocks: Sequence[Block]
    ) -> tuple[str, str, int, int] | None:
        """``Chosen option: "X", because Y`` → (X, Y, blocks used, lines used of the first);
        None if the block does not open with such a line."""
        if not lines:
            return None
        text = lines[0].strip()
        pattern = self.table.phrase_pattern("chosen_option")
        after = re.match(
            r"^(?P<name>\"[^\"]+\"|“[^”]+”|«[^»]+»|\*\*[^*]+\*\*|`[^`]+`)\s+(?:is|was|est)\s+(?:the\s+|l'option\s+)?(?:chosen|choisie?|retenue?)\b(?P<rest>.*)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if after:
            return _unquote(after["name"]), _because(after["rest"]), 1, 1
        match = re.match(
            rf"^(?:\*\*|__)?(?:{pattern})(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*:?\s*(?P<rest>.*)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if match is None:
            return None
        rest = match["rest"].strip()
        used, lines_used = 1, 1
        if not rest and len(lines) > 1:
            # "Chosen option:" alone on its line, the option on the next ones.
            rest, lines_used = " ".join(line.strip() for line in lines[1:]), len(lines)
        elif not rest and position + 1 < len(blocks):
            following = blocks[position + 1]
            if following.kind == "list" and len(following.items) > 1:
                return None  # "Chosen options:" over a list: more than one
            nxt = _first_lines(following)
            if nxt:
                rest, used = " ".join(line.strip() for line in nxt), 2
        if not rest:
            return None
        name, tail = _split_chosen(rest)
        plain = _plain(name)
        return (plain, tail, used, lines_used) if plain else None

    def _consequences(self, section: Section) -> None:
        draft = self.draft
        part = self._part(section)[0]
        default = {"good_consequences": "good", "bad_consequences": "bad"}.get(part or "")
        notes: list[Block] = []
        for block in section.blocks:
            if block.kind == "list":
                marked = [
                    (item, _argument(_item_text(item, children=False), self.table))
                    for item in block.items
                ]
                if default is None and not any(a for _, a in marked):
                    notes.append(block)
                    continue
                unmarked = []
                for item, argument in marked:
                    if argument is None and default is None:
                        unmarked.append(item.raw)
                        continue
                    kind, text = (
                        argument
                        if argument is not None
                        else (default or "neutral", _item_text(item, children=False))
                    )
                    if item.children:
                        text = "; ".join([text, *(_item_text(c) for c in item.children)])
                    {"good": draft.good, "bad": draft.bad}.get(kind, draft.neutral).append(text)
                if unmarked:
                    draft.consequence_notes.append("\n".join(unmarked))
            elif block.kind != "comment":
                notes.append(block)
        children = []
        for child in section.children:
            if self._part(child)[0] in ("consequences", "good_consequences", "bad_consequences"):
                self._consequences(child)
            else:
                children.append(child)
        text = self.markdown(notes, children)
        if text:
            draft.consequence_notes.append(text)

    # -- context ----------------------------------------------------------------------------

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


def _layout_only(block: Block) -> bool:
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
_LABELS = {
    "good": (
        "advantages",
        "benefits",
        "strengths",
        "upsides",
        "pour",
        "avantages",
        "vorteile",
        "voordelen",
    ),
    "bad": (
        "disadvantages",
        "drawbacks",
        "weaknesses",
        "downsides",
        "contre",
        "inconvenients",
        "nachteile",
        "nadelen",
    ),
}


def _argument(text: str, table: SectionTable) -> tuple[str, str] | None:
    """``Good, because X`` → ("good", "X"); also Bad/Neutral, ``Pro:``/``Con:`` and French."""
    for kind in ("good", "bad", "neutral"):
        words = table.phrase_pattern(kind)
        match = re.match(
            rf"^\s*(?:\*\*|__)?(?:{words})(?:\*\*|__)?\s*(?:,\s*(?:because|parce que|parce qu'|car)\b|\s+(?:because|parce que|parce qu'|car)\b|\s*:)(?:\*\*|__)?\s*(?P<text>.+)$",
            text,
            re.IGNORECASE | re.DOTALL,
        )
        if match and match["text"].strip():
            return kind, match["text"].strip()
    return None


def _item_text(item: Item, *, children: bool = True) -> str:
    """A list item as one line of plain text; links keep their URL when it says more."""
    parts = []
    for segment, link in item.line.segments():
        if link is None or not link.href or link.href == link.text or link.href.startswith("#"):
            parts.append(segment)
        else:
            parts.append(f"{segment} ({link.href})")
    text = re.sub(r"\s+", " ", "".join(parts)).strip()
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    if children and item.children:
        text = "; ".join([text, *(_item_text(c) for c in item.children)])
    return text


def _item_markdown(item: Item) -> str:
    """A list item's Markdown without its bullet, dedented."""
    lines = item.raw.split("\n")
    first = re.sub(r"^\s*(?:[*+-]|\d{1,9}[.)])\s?", "", lines[0])
    rest = lines[1:]
    indent = min((len(ln) - len(ln.lstrip()) for ln in rest if ln.strip()), default=0)
    return clean_markdown("\n".join([first, *(ln[indent:] for ln in rest)]))


_MARK = re.compile(
    r"\s*[\[(](?:selected|chosen|choisie?|retenue?)(?:\s+option)?[\])]\s*", re.IGNORECASE
)


def _unmark(name: str) -> tuple[str, bool]:
    """``"[SELECTED] Option 1: X"`` → ``("Option 1: X", True)``."""
    bare = _MARK.sub(" ", name).strip()
    return " ".join(bare.split()), bare != name.strip()


def _bold_option(line: Line) -> str | None:
    """A line that opens with ``**Option 1:**`` names an option: the whole line."""
    if re.match(
        r"^\s*(?:\*\*|__)(?:\[\w+\]\s*)?(?:option|alternative)\s*\w{0,3}\s*[:.)-]?\s*(?:\*\*|__)",
        line.raw,
        re.IGNORECASE,
    ):
        return line.name
    return None


def _option_by_number(sentence: str, options: Sequence[OptionDraft]) -> int | None:
    """ "We decided to go with option 2": the second option (or the one named "Option 2")."""
    found = {int(n) for n in re.findall(r"\boption\s*#?(\d{1,2})\b", sentence, re.IGNORECASE)}
    if len(found) != 1:
        return None
    (number,) = found
    named = [
        i
        for i, o in enumerate(options)
        if re.match(rf"^option\s*{number}\b", _plain(o.name), re.IGNORECASE)
    ]
    if len(named) == 1:
        return named[0]
    if not any(re.match(r"^option\s*\d", _plain(o.name), re.IGNORECASE) for o in options):
        return number - 1 if 1 <= number <= len(options) else None
    return None


def option_name(line: Line) -> str:
    """The name an option's list entry gives it.

    ``**LaunchDarkly**: hosted, …`` → ``LaunchDarkly``; ``[Rancher](…)`` → ``Rancher``;
    ``Offset and limit: `?offset=200```. → ``Offset and limit``; ``Version in the URL path``
    stays whole; code spans keep their backticks.
    """
    tokens = list(line.tokens)
    if tokens and tokens[0].type == "text" and not tokens[0].content.strip():
        tokens = tokens[1:]
    if tokens and tokens[0].type == "strong_open":
        close = next((i for i, t in enumerate(tokens) if t.type == "strong_close"), None)
        if close is not None:
            from adrgen.importer.read import inline_text

            bold = inline_text(tokens[1:close], code=True).strip().rstrip(":").strip()
            if bold and not re.match(
                r"^(?:option|alternative)\s*\w{0,3}\s*[:.)-]?$", bold, re.IGNORECASE
            ):
                return bold
    if tokens and tokens[0].type == "link_open":
        close = next((i for i, t in enumerate(tokens) if t.type == "link_close"), None)
        if close is not None:
            from adrgen.importer.read import inline_text

            label = inline_text(tokens[1:close], code=True)
            after = inline_text(tokens[close + 1 :], code=True)
            if label and (not after or re.match(r"^\s*(?:[,:;(]|[-–—]\s)", after)):
                return label
    name = line.name
    cut = re.match(r"^(?P<head>.{1,80}?)(?:\s[-–—]\s|:\s)", name)
    if (
        cut
        and not re.match(r"^(?:option|alternative)\s*\w{0,3}$", cut["head"], re.IGNORECASE)
        and len(cut["head"].split()) <= 10
        and cut["head"].count("(") == cut["head"].count(")")
        and cut["head"].count("`") % 2 == 0
    ):
        return cut["head"].strip()
    if len(name) > 120:
        name = re.split(r"(?<=[.!?])\s+(?=[A-Z])", name)[0]
    return name.strip()


def _plain(markdown: str) -> str:
    from adrgen.importer.read import inline_text

    return inline_text(parse_inline(markdown), code=False).strip()


def _first_lines(block: Block) -> list[str]:
    """A paragraph's lines, or a list's first item, as written."""
    if block.kind == "paragraph":
        return [line.raw for line in block.lines]
    if block.kind == "list" and block.items:
        return [block.items[0].line.raw]
    return []


def _unquote(name: str) -> str:
    name = name.strip()
    for opening, closing in (
        ('"', '"'),
        ("“", "”"),
        ("«", "»"),
        ("**", "**"),
        ("`", "`"),
        ("'", "'"),
        ("__", "__"),
    ):
        if (
            name.startswith(opening)
            and name.endswith(closing)
            and len(name) > len(opening) + len(closing)
        ):
            return name[len(opening) : -len(closing)].strip()
    return name


def _because(text: str) -> str:
    return re.sub(
        r"^[\s,.;:]*(?:because|parce que|parce qu'|car)?\b\s*:?\s*", "", text, flags=re.IGNORECASE
    ).strip()


def _split_chosen(rest: str) -> tuple[str, str]:
    """The chosen option's name and the justification after it."""
    quotes = {'"': '"', "“": "”", "«": "»", "'": "'", "`": "`"}
    for opening in ("**", "__"):
        if rest.startswith(opening):
            end = rest.find(opening, len(opening))
            if end > 0:
                return rest[len(opening) : end].strip(), _because(rest[end + len(opening) :])
    if rest[:1] in quotes:
        closing = quotes[rest[0]]
        for match in re.finditer(re.escape(closing), rest[1:]):
            end = match.start() + 1
            after = rest[end + 1 :]
            if re.match(r"^\s*(?:$|[,.;:]|because\b|car\b|parce\b|\()", after, re.IGNORECASE):
                return rest[1:end].strip(), _because(after)
    parts = re.split(
        r",?\s+(?:because|parce que|parce qu'|car)\b", rest, maxsplit=1, flags=re.IGNORECASE
    )
    if len(parts) == 2:
        return parts[0].strip().rstrip(",").strip(), parts[1].strip(" ,:")
    name, _, tail = rest.partition(", ")
    return name.strip().rstrip("."), tail.strip()


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


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
    names = [_plain(" ".join(n.split())) for n in raw]
    return [
        n
        for n in names
        if n and not (n.startswith("{") and n.endswith("}")) and not re.fullmatch(r"[\W_]+", n)
    ]


def _date_of(value: Any) -> DateReading | None:
    import datetime as dt

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
