"""``adrgen import``: turn Markdown ADRs into YAML records.

Reads MADR 2, 3 and 4 (front matter or ``* Status:`` bullets, considered options, pros and
cons, "Chosen option: …", consequences, confirmation, drivers, people) and Nygard/adr-tools
records (``# N. Title``, ``Date:``, ``## Status`` with "Superseded by [N. …](…)" links,
Context, Decision, Consequences), and writes one ``NNNN-slug.yaml`` record per file.

The rules that shape it:

* **Nothing is lost.** Text the record format has no field for (an unknown ``## Notes``
  section, More Information, a relation such as "Amended by") is kept in ``context`` under a
  ``### … (imported)`` heading, and every such move is reported per file.
* **Nothing is invented silently.** The format requires values some sources never state
  (an option's complexity and time, a date). Those get a placeholder that is marked with a
  ``# TODO(import)`` comment in the YAML, said on the page where readers would otherwise
  take it at face value, and reported.
* **The result validates as it stands.** Links are kept only where both ends can agree
  (the other record is imported in the same run, or already lists the reverse link);
  statuses are adjusted only where the validator demands it, and each adjustment is
  reported. Before anything is written, the new records are validated together with the
  existing ones; a run that would leave the folder invalid writes nothing.
* **Existing files are never overwritten**, not even in a race: each record is written to a
  temporary sibling and hard-linked into place, which fails if the name exists (on a
  filesystem without hard links: checked, then renamed).
* **Numbers are kept, or moved on request.** A record keeps its source's number. One whose
  number is taken is skipped, or with ``renumber`` (``adrgen import --renumber``) gets the
  next free number; links among the imported records and the numbers in their link text
  follow, and each move is reported. A source an earlier run already imported (same title,
  or a header naming it) is not imported again, under whatever number it got then.
* **Same input, same bytes.** Files are processed in sorted order and the output has no
  timestamps or absolute paths.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from adrgen.errors import AdrgenError, OutputError, Problem, ValidationFailed, display_path
from adrgen.loader import DEFAULT_MAX_BYTES, LoadedDocument, load_file
from adrgen.model import RECORD_FILENAME
from adrgen.pipeline import discover_records, load_documents
from adrgen.record import BUILTIN_STATUSES, STATUSES_WITH_OUTCOME, RecordRules
from adrgen.validate import build_decision_set

__all__ = ["FileReport", "ImportFailed", "ImportReport", "import_adrs"]

Format = Literal["madr2", "madr3", "madr4", "nygard"]
Action = Literal["written", "would write", "skipped"]
LinkKind = Literal["supersedes", "superseded_by", "relates_to"]

#: Marks every placeholder in the YAML, so `grep TODO(import)` finds what needs a human.
TODO = "TODO(import)"
SCHEMA_HEADER = "# yaml-language-server: $schema=../schema/adr.schema.json"
#: The format requires these for every option; Markdown ADRs never state them.
PLACEHOLDER_COMPLEXITY = "medium"
PLACEHOLDER_TIME = "1 week"
#: Unmistakably not a real date, so nobody reads it as one; it is reported and marked.
PLACEHOLDER_DATE = dt.date(1970, 1, 1)
#: Files in ADR folders that are not records.
SKIPPED_NAMES = re.compile(
    r"^(readme|index|template|adr-template(-[a-z-]+)?)\.(md|markdown)$", re.I
)
MARKDOWN_SUFFIXES = (".md", ".markdown")

_INVERSE: dict[LinkKind, LinkKind] = {
    "supersedes": "superseded_by",
    "superseded_by": "supersedes",
    "relates_to": "relates_to",
}
_LINK_KINDS: tuple[LinkKind, ...] = ("supersedes", "superseded_by", "relates_to")


class ImportFailed(AdrgenError):
    """Some input could not be read or is not a supported Markdown file; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self._problems = tuple(sorted(set(problems)))
        count = len(self._problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''}; nothing was imported")

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, sorted by file and position."""
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems)


@dataclass(frozen=True)
class FileReport:
    """What happened to one Markdown file.

    ``notes`` lists everything that did not map one to one: text kept elsewhere than its own
    field, placeholders, adjusted statuses, dropped links. Each is a :class:`Problem` about
    the *source* file, printed as ``path:line:col: field: message`` (line 0: the whole file).
    """

    source: Path
    output: Path | None
    format: Format | None
    action: Action
    number: int | None = None
    title: str = ""
    reason: str = ""
    notes: tuple[Problem, ...] = ()
    #: The number the source gave the record, when it was imported under another one.
    renumbered_from: int | None = None

    def lines(self) -> list[str]:
        """The report of this file as the CLI prints it: a summary line, then the notes."""
        source = display_path(self.source)
        if self.action == "skipped":
            head = f"{source}: skipped: {self.reason}"
        else:
            target = display_path(self.output) if self.output else "?"
            head = f"{source} → {target} ({self.format}): {self.action}"
        return [head, *(f"  {note}" for note in self.notes)]


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one :func:`import_adrs` run, one entry per Markdown file found."""

    files: tuple[FileReport, ...]
    dry_run: bool = False

    @property
    def written(self) -> tuple[FileReport, ...]:
        """Files that became records (or would, in a dry run)."""
        return tuple(f for f in self.files if f.action != "skipped")

    @property
    def skipped(self) -> tuple[FileReport, ...]:
        """Files that were not imported, each with its reason."""
        return tuple(f for f in self.files if f.action == "skipped")

    def lines(self) -> list[str]:
        """Every file's report, then a one-line summary."""
        out = [line for f in self.files for line in f.lines()]
        verb = "would write" if self.dry_run else "wrote"
        notes = sum(len(f.notes) for f in self.written)
        out.append(
            f"{verb} {len(self.written)} record(s), skipped {len(self.skipped)} file(s), "
            f"{notes} note(s) to review"
        )
        return out


# ---------------------------------------------------------------------------------------------
# Markdown structure: sections (by ATX heading), then blocks (paragraphs and lists).

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?:[*+-]|\d{1,9}[.)])(?:[ \t]+(?P<text>.*))?$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: Comments that MADR's templates put everywhere; they say nothing about the decision.
_BOILERPLATE = re.compile(
    r"optional|can vary|feel free to remove|neutral\" if|required if|use only if|markdownlint",
    re.I,
)
_MD_LINK = re.compile(
    r"!?\[(?P<text>[^\]]*)\]\((?P<href><[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\)"
)
_AUTOLINK = re.compile(r"<(?P<url>https?://[^>\s]+)>")
_ADR_REF = re.compile(r"\bADR[-_ ]?0*(\d+)\b", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_BULLET_PREFIX = re.compile(r"^\s*(?:[*+-]|\d{1,9}[.)])\s+")


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


@dataclass
class _Section:
    title: str
    level: int
    line: int
    body: list[tuple[int, str]] = field(default_factory=list)
    children: list[_Section] = field(default_factory=list)

    @property
    def key(self) -> str:
        return _norm(self.title)

    def markdown(self, shift: int = 0, *, children: bool = True) -> str:
        """The section's Markdown (without its own heading), sub-headings moved ``shift`` down."""
        lines = [text for _, text in self.body]
        if children:
            for child in self.children:
                lines += ["", "#" * min(child.level + shift, 6) + " " + child.title]
                lines.append(child.markdown(shift))
        return _trim("\n".join(lines))


def _trim(text: str) -> str:
    """Drop blank lines at both ends and trailing spaces at the end (content stays as is)."""
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines).rstrip()


def _strip_boilerplate(text: str) -> str:
    """Remove MADR's template comments; a newline inside one is kept, so lines stay aligned."""

    def repl(match: re.Match[str]) -> str:
        comment = match.group(0)
        return "\n" * comment.count("\n") if _BOILERPLATE.search(comment) else comment

    return _COMMENT.sub(repl, text)


def _parse_sections(lines: Sequence[tuple[int, str]]) -> tuple[_Section, str, int]:
    """Split a document into its title (first H1) and a tree of sections.

    Returns the root (whose body is everything outside any H2 section, the "preamble"),
    the title text, and its line. A second H1 is treated as an H2: some ADRs use H1 for
    every heading.
    """
    root = _Section("", 0, 0)
    stack = [root]
    fence = ""
    title, title_line = "", 0
    for number, line in lines:
        if fence:
            stack[-1].body.append((number, line))
            if line.strip().startswith(fence):
                fence = ""
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[0] * len(opened.group(1))
            stack[-1].body.append((number, line))
            continue
        heading = _ATX.match(line)
        if heading is None:
            stack[-1].body.append((number, line))
            continue
        level = len(heading.group(1))
        text = _COMMENT.sub("", heading.group(2) or "").strip()
        if level == 1 and not title:
            title, title_line = text, number
            del stack[1:]
            continue
        level = max(level, 2)
        section = _Section(text, level, number)
        while stack[-1].level >= level:
            stack.pop()
        stack[-1].children.append(section)
        stack.append(section)
    return root, title, title_line


@dataclass
class _Item:
    text: str
    line: int


@dataclass
class _Block:
    kind: Literal["list", "text"]
    line: int
    text: str
    items: list[_Item] = field(default_factory=list)


def _blocks(body: Sequence[tuple[int, str]]) -> list[_Block]:
    """Paragraphs, fenced code and lists of a section body, in order."""
    blocks: list[_Block] = []
    i = 0
    while i < len(body):
        number, line = body[i]
        if not line.strip():
            i += 1
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)[0] * len(opened.group(1))
            j = i + 1
            while j < len(body) and not body[j][1].strip().startswith(fence):
                j += 1
            j = min(j + 1, len(body))
            blocks.append(_Block("text", number, "\n".join(t for _, t in body[i:j])))
            i = j
            continue
        if _BULLET.match(line) and _indent(line) <= 3:
            j, items = _read_list(body, i)
            blocks.append(_Block("list", number, _trim("\n".join(t for _, t in body[i:j])), items))
            i = j
            continue
        j = i + 1
        while j < len(body):
            text = body[j][1]
            if (
                not text.strip()
                or _FENCE.match(text)
                or (_BULLET.match(text) and _indent(text) <= 3)
            ):
                break
            j += 1
        blocks.append(_Block("text", number, "\n".join(t for _, t in body[i:j]).strip()))
        i = j
    return blocks


def _read_list(body: Sequence[tuple[int, str]], start: int) -> tuple[int, list[_Item]]:
    """Read a list from ``start``; items join their continuation lines, sub-items with '; '."""
    base = _indent(body[start][1])
    items: list[_Item] = []
    parts: list[list[str]] = []
    j = start
    while j < len(body):
        number, line = body[j]
        if not line.strip():
            k = j + 1
            while k < len(body) and not body[k][1].strip():
                k += 1
            # A blank line ends the list unless what follows is indented or another item.
            if k < len(body) and (
                _indent(body[k][1]) > base
                or (_BULLET.match(body[k][1]) and _indent(body[k][1]) == base)
            ):
                j = k
                continue
            break
        bullet = _BULLET.match(line)
        indent = _indent(line)
        if bullet and indent <= base + 1:
            items.append(_Item("", number))
            parts.append([(bullet.group("text") or "").strip()])
        elif bullet and parts:
            parts[-1].append("; " + (bullet.group("text") or "").strip())
        elif parts:
            if _FENCE.match(line):
                break
            parts[-1].append(" " + line.strip())
        j += 1
    for item, texts in zip(items, parts, strict=True):
        item.text = "".join(texts).strip()
    return j, [i for i in items if i.text and i.text not in ("…", "...")]


# ---------------------------------------------------------------------------------------------
# Text helpers


def _plain(text: str) -> str:
    """Markdown inline → plain text for names and titles: links keep their text only."""
    text = _MD_LINK.sub(lambda m: m.group("text"), text)
    text = _AUTOLINK.sub(lambda m: m.group("url"), text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _plain_item(text: str) -> str:
    """Markdown inline → plain text for list fields the page shows as text: URLs are kept."""

    def link(match: re.Match[str]) -> str:
        label, href = match.group("text").strip(), match.group("href").strip("<>")
        return label if not href or href == label else f"{label} ({href})"

    text = _MD_LINK.sub(link, text)
    return re.sub(r"\s+", " ", _AUTOLINK.sub(lambda m: m.group("url"), text)).strip()


def _norm(text: str) -> str:
    """A comparable form of a name: plain, lowercase, no quotes or trailing punctuation."""
    text = _plain(text).lower().strip(" \"'“”‘’`*")
    text = re.sub(r"^option\s*\d+\s*[:.\-–]\s*", "", text)
    return re.sub(r"\s+", " ", text).rstrip(" .:;,")


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", folded.lower())


def _slug(title: str) -> str:
    """Lowercase ASCII words joined with '-', at most 80 characters (whole words)."""
    slug = ""
    for word in _ascii_words(title):
        if slug and len(slug) + 1 + len(word) > 80:
            break
        slug = f"{slug}-{word}" if slug else word[:80]
    return slug


def _identifier(name: str, taken: set[str]) -> str:
    """A valid, unique option id from its name: ``Use PostgreSQL`` → ``use_postgresql``."""
    base = ""
    for word in _ascii_words(name):
        if base and len(base) + 1 + len(word) > 32:
            break
        base = f"{base}_{word}" if base else word[:32]
    base = base or "option"
    if not base[0].isalpha():
        base = f"option_{base}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _first_sentence(text: str, limit: int = 200) -> str:
    plain = _plain(text)
    match = re.match(r"(.+?[.!?])(\s|$)", plain)
    sentence = match.group(1) if match else plain
    if len(sentence) > limit:
        sentence = sentence[:limit].rsplit(" ", 1)[0] + " …"
    return sentence


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text


_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")


def _parse_date(value: Any) -> tuple[dt.date | None, str, str]:
    """A date from front matter or text: the date, text around it, and how it was read.

    ISO 8601 is read as is. adr-tools wrote ``dd/mm/yyyy`` before it switched to ISO (its own
    ADR 8), so a slashed date is read day first unless that is impossible; either way the
    third value says so, because the reading is a guess the user should check.
    """
    if isinstance(value, dt.datetime):
        return value.date(), "", ""
    if isinstance(value, dt.date):
        return value, "", ""
    text = str(value).strip()
    how = ""
    match = _ISO_DATE.search(text)
    try:
        if match is not None:
            date = dt.date(int(match[1]), int(match[2]), int(match[3]))
        elif (match := _SLASH_DATE.search(text)) is not None:
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            day_first = first > 12 or second <= 12
            day, month = (first, second) if day_first else (second, first)
            date = dt.date(year, month, day)
            order = "day/month/year (adr-tools' old default)" if day_first else "month/day/year"
            how = f"{match[0]!r} read as {order}: {date.isoformat()}"
        else:
            return None, text, ""
    except ValueError:
        return None, text, ""
    rest = (text[: match.start()] + text[match.end() :]).strip(" ,;()")
    return date, rest, how


def _people(value: Any) -> list[str]:
    """``deciders: a, b`` or a YAML list → names."""
    if isinstance(value, list):
        raw = [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()]
    elif isinstance(value, (str, int, float)):
        raw = re.split(r"[,;]", str(value))
    else:
        return []
    names = [_plain_item(n) for n in raw]
    return [n for n in names if n and not (n.startswith("{") and n.endswith("}"))]


# ---------------------------------------------------------------------------------------------
# Statuses and links


_STATUS_SYNONYMS = {
    "approved": "accepted",
    "adopted": "accepted",
    "agreed": "accepted",
    "draft": "proposed",
    "proposal": "proposed",
    "in review": "proposed",
    "under review": "proposed",
    "declined": "rejected",
    "obsolete": "deprecated",
    "retired": "deprecated",
    "superceded": "superseded",
    "superseeded": "superseded",
}


def _match_status(raw: str, known: Sequence[str]) -> tuple[str | None, str, bool]:
    """The status a phrase starts with, the rest of the phrase, and whether it was a synonym."""
    text = _plain(raw).strip(" *_:.-")
    low = text.lower()
    candidates = [(s, False) for s in known] + [(k, True) for k in _STATUS_SYNONYMS]
    for word, synonym in sorted(candidates, key=lambda c: -len(c[0])):
        if low == word or re.match(rf"{re.escape(word)}\b", low):
            status = _STATUS_SYNONYMS[word] if synonym else word
            return status, text[len(word) :].strip(" :,.-–—()"), synonym
    return None, text, False


@dataclass
class _Link:
    kind: LinkKind
    label: str
    text: str
    line: int
    number: int | None
    href: Path | None
    target: int | None = None


def _link_kind(label: str) -> LinkKind:
    low = re.sub(r"\s+", " ", label.lower()).strip(" :-*_")
    if re.match(r"^super[sc]e+ded by\b", low):
        return "superseded_by"
    if re.match(r"^super[sc]e+des\b", low):
        return "supersedes"
    return "relates_to"


def _number_in(text: str) -> int | None:
    match = re.match(r"^\s*(?:ADR[-_ ]?)?0*(\d+)(?:[-_.:\s]|$)", text, re.I) or _ADR_REF.search(
        text
    )
    return int(match.group(1)) if match else None


def _links_in(line: str, number: int, base: Path) -> tuple[list[_Link], str]:
    """ADR links in one line of text, and what remains of the line without them.

    adr-tools writes ``Superseded by [3. Use X](0003-use-x.md)``; MADR writes
    ``superseded by [ADR-0005](0005-example.md)`` or plain ``superseded by ADR-0005``.
    Links to web pages are not ADR links and stay in the remainder.
    """
    links: list[_Link] = []
    spans: list[tuple[int, int]] = []
    text = _BULLET_PREFIX.sub("", line).strip()
    for match in _MD_LINK.finditer(line):
        href = match.group("href").strip("<>")
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or not href.split("#")[0]:
            continue  # a URL or an anchor: not a link to another record file
        path_part = href.split("#")[0]
        target = _number_in(Path(path_part).name)
        if target is None:
            target = _number_in(match.group("text"))
        if target is None and Path(path_part).suffix.lower() not in MARKDOWN_SUFFIXES:
            continue  # a picture or another document, not a record
        links.append(_Link("relates_to", "", text, number, target, base / path_part))
        spans.append(match.span())
    if not links:
        for match in _ADR_REF.finditer(line):
            links.append(_Link("relates_to", "", text, number, int(match.group(1)), None))
            spans.append(match.span())
    if not links:
        return [], line.strip()
    # The relation is the text before the first link ("Superseded by"); if there is none,
    # the text after it ("[ADR-0005](…) refines this").
    before = _BULLET_PREFIX.sub("", line[: spans[0][0]]).strip(" :-–*_")
    after = line[spans[-1][1] :].strip(" :-–*_.")
    between = [line[spans[i][1] : spans[i + 1][0]].strip(" ,;&") for i in range(len(spans) - 1)]
    label, remainder = (before, after) if before else (after, "")
    remainder = " ".join(p for p in [*between, remainder] if p and p.lower() not in ("and", "or"))
    for link in links:
        link.label = label
        link.kind = _link_kind(label)
    return links, remainder


# ---------------------------------------------------------------------------------------------
# One file → a draft record


@dataclass
class _Option:
    name: str
    line: int
    #: The option as the list of considered options wrote it, Markdown and all.
    listed: str = ""
    summary: list[str] = field(default_factory=list)
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    id: str = ""


@dataclass
class _Draft:
    """Everything read from one file, before numbers and links are settled across files."""

    source: Path
    display: str
    format: Format
    title: str
    number: int | None = None
    status: str = "proposed"
    date: dt.date | None = None
    people: dict[str, list[str]] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    links: list[_Link] = field(default_factory=list)
    context: str = ""
    #: (heading, text, holds links): text kept in context; the flag marks text with record
    #: links in it (status lines), whose numbers follow a renumbering like link texts do.
    extras: list[tuple[str, str, bool]] = field(default_factory=list)
    link_texts: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    options: list[_Option] = field(default_factory=list)
    chosen: int | None = None
    outcome_summary: str = ""
    rationale: list[str] = field(default_factory=list)
    good: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    neutral: list[str] = field(default_factory=list)
    confirmation: list[str] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    comments: dict[tuple[Any, ...], str] = field(default_factory=dict)
    resolved: dict[LinkKind, set[int]] = field(
        default_factory=lambda: {k: set() for k in _LINK_KINDS}
    )
    # Set when numbers are settled.
    output: Path | None = None
    skip_reason: str = ""
    #: The number read from the source; ``number`` differs from it once renumbered.
    source_number: int | None = None

    def note(self, field_path: str, message: str, line: int = 0) -> None:
        self.notes.append(Problem(self.display, line, 1 if line else 0, field_path, message))

    def keep(
        self,
        heading: str,
        text: str,
        field_path: str,
        why: str,
        line: int = 0,
        *,
        links: bool = False,
    ) -> None:
        """Keep text the format has no field for in context, and say so.

        ``links``: the text holds links to other records (a status line), so the numbers in
        it are rewritten when those records are renumbered.
        """
        text = _trim(text)
        if not text:
            return
        self.extras.append((heading, text, links))
        self.note(field_path, f"{why}; kept in context under '### {heading} (imported)'", line)


class _NotAnAdr(Exception):
    """The file is Markdown, but not an architecture decision record."""


def _read_text(path: Path) -> str:
    """The file's text; unreadable, oversized or non-UTF-8 files raise :class:`ImportFailed`."""
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > DEFAULT_MAX_BYTES:
            raise ImportFailed(
                [
                    Problem(
                        shown,
                        0,
                        0,
                        "",
                        f"file is {size:,} bytes; the limit is {DEFAULT_MAX_BYTES:,}",
                    )
                ]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(
            [Problem(shown, 0, 0, "", f"cannot read: {exc.strerror or exc}")]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ImportFailed(
            [Problem(shown, line, col, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x})")]
        ) from None
    if "\x00" in text:
        raise ImportFailed(
            [Problem(shown, 1, 1, "", "binary file (contains NUL bytes), not Markdown")]
        )
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _front_matter(text: str, shown: str) -> tuple[dict[str, Any], list[str], int]:
    """YAML front matter: its mapping, its raw lines, and the line the body starts on."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, [], 1
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, [], 1  # a thematic break, not front matter
    raw = lines[1:end]
    try:
        data = yaml.load("\n".join(raw), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 2, mark.column + 1) if mark else (1, 1)
        reason = re.sub(r"\s+", " ", "; ".join(p for p in (exc.context, exc.problem) if p))
        raise ImportFailed([Problem(shown, line, col, "", f"front matter: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ImportFailed([Problem(shown, 1, 1, "", f"front matter: {exc}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ImportFailed(
            [Problem(shown, 2, 1, "", "front matter must be a mapping (key: value)")]
        )
    return {str(k): v for k, v in data.items()}, raw, end + 2


def _front_key_lines(raw: Sequence[str]) -> dict[str, tuple[int, int]]:
    """File lines [start, end) of each top-level front matter key (the body starts on line 2)."""
    spans: dict[str, tuple[int, int]] = {}
    current = ""
    for index, line in enumerate(raw):
        match = re.match(r"^(?:\"([^\"]+)\"|'([^']+)'|([^\s#'\"][^:]*?))\s*:(?:\s|$)", line)
        if match:
            current = next(g for g in match.groups() if g)
            spans[current] = (index + 2, index + 3)
        elif current and (line[:1].isspace() or line.startswith("-")):
            spans[current] = (spans[current][0], index + 3)
    return spans


_META_KEYS = {
    "status": "status",
    "date": "date",
    "deciders": "decision_makers",
    "decision-makers": "decision_makers",
    "decision makers": "decision_makers",
    "decision_makers": "decision_makers",
    "consulted": "consulted",
    "informed": "informed",
    "tags": "tags",
}
_META_LINE = re.compile(
    r"^(?:[*+-][ \t]+)?(?:\*\*|__)?(?P<key>status|date|deciders|decision[- _]makers|consulted|informed|tags)"
    r"(?:\*\*|__)?[ \t]*:(?:\*\*|__)?[ \t]*(?P<value>.*)$",
    re.I,
)

# Section names, normalised (see _norm), by role.
_CONTEXT = {"context", "context and problem statement", "problem statement", "context and problem"}
_DRIVERS = {"decision drivers", "drivers"}
_OPTIONS = {
    "considered options",
    "options",
    "options considered",
    "considered alternatives",
    "alternatives",
}
_OUTCOME = {"decision outcome", "outcome"}
_PROS_CONS = {"pros and cons of the options", "pros and cons of the alternatives", "pros and cons"}
_CONSEQUENCES = {"consequences"}
_GOOD_CONSEQUENCES = {"positive consequences", "good consequences"}
_BAD_CONSEQUENCES = {"negative consequences", "bad consequences"}
_CONFIRMATION = {"confirmation", "validation"}
_STATUS = {"status"}
_LINKS = {"links", "related decisions"}
_MADR_MARKERS = _OPTIONS | _OUTCOME | _PROS_CONS | {"context and problem statement"}
_ARGUMENT = re.compile(
    r"^(?:\*\*|__)?(?P<kind>good|bad|neutral|pro|con)(?:\*\*|__)?"
    r"(?:\s*,\s*because\b|\s+because\b|\s*:|\s*,)(?:\*\*|__)?\s*(?P<text>.*)$",
    re.I | re.S,
)
_CHOSEN = re.compile(
    r"^(?:\*\*|__)?chosen option(?:\*\*|__)?\s*:?(?:\*\*|__)?\s*(?P<rest>.*)$", re.I | re.S
)
_CHOSEN_AFTER = re.compile(
    r"^(?P<name>\"[^\"]+\"|“[^”]+”|\*\*[^*]+\*\*|`[^`]+`)\s+(?:is|was)\s+(?:the\s+)?chosen"
    r"(?:\s+option)?\b(?P<rest>.*)$",
    re.I | re.S,
)
_QUOTED = re.compile(
    r'^(?:"(?P<a>[^"]+)"|“(?P<b>[^”]+)”|\*\*(?P<c>[^*]+)\*\*|`(?P<d>[^`]+)`|(?P<e>\[[^\]]+\](?:\([^)]*\))?))(?P<tail>.*)$',
    re.S,
)


def _argument(text: str) -> tuple[str, str] | None:
    """``Good, because X`` → ("good", "X"); also Bad/Neutral and ``Pro:``/``Con:``."""
    match = _ARGUMENT.match(text)
    if match is None or not match.group("text").strip():
        return None
    kind = {"pro": "good", "con": "bad"}.get(
        match.group("kind").lower(), match.group("kind").lower()
    )
    return kind, _plain_item(match.group("text"))


def _chosen(paragraph: str) -> tuple[str, str] | None:
    """``Chosen option: "X", because Y`` → ("X", "Y"); None if the paragraph is no such line."""
    after = _CHOSEN_AFTER.match(paragraph.strip())
    if after is not None:  # '"X" is the chosen option, because Y'
        tail = re.sub(r"^[\s,]*(?:because\b)?\s*:?\s*", "", after.group("rest"), flags=re.I)
        return after.group("name").strip('"“”*`'), tail.strip()
    match = _CHOSEN.match(paragraph.strip())
    if match is None:
        return None
    rest = match.group("rest").strip()
    quoted = _QUOTED.match(rest)
    if quoted:
        name = next(g for g in quoted.group("a", "b", "c", "d", "e") if g)
        name = re.sub(r"^\[([^\]]+)\]$", r"\1", name)  # MADR 2: Chosen option: "[option 1]"
        tail = quoted.group("tail")
    else:
        parts = re.split(r",?\s+because\b", rest, maxsplit=1, flags=re.I)
        if len(parts) == 2:
            name, tail = parts[0], "because" + parts[1]
        else:
            first, _, tail = rest.partition("\n")
            name = first.rstrip(" .")
    tail = re.sub(r"^[\s,]*(?:because\b)?\s*:?\s*", "", tail, flags=re.I)
    if not _plain(name):
        return None  # "Chosen option:" with nothing after it names nothing
    return name.strip(), tail.strip()


def _detect(front: dict[str, Any], root: _Section, sections: list[_Section]) -> Format | None:
    keys = {s.key for s in sections}
    sub_keys = {c.key for s in sections for c in s.children}
    preamble = "\n".join(t for _, t in root.body)
    madr = bool(keys & _MADR_MARKERS) or bool(re.search(r"(?im)^\s*chosen option", preamble))
    nygard = bool(keys & ({"decision"} | _STATUS)) and not madr
    if front:
        if not (madr or nygard or keys & _CONTEXT):
            return None
        if any(k.lower() in ("decision-makers", "decision_makers") for k in front):
            return "madr4"
        return "madr4" if "confirmation" in keys | sub_keys else "madr3"
    if nygard:
        return "nygard"
    if not madr and not (keys & _CONTEXT and keys & ({"decision"} | _CONSEQUENCES)):
        return None
    if not madr:
        return "nygard"
    bullets = re.search(r"(?im)^\s*[*-]\s*(status|deciders|date)\s*:", preamble)
    if bullets or (sub_keys | keys) & (_GOOD_CONSEQUENCES | _BAD_CONSEQUENCES):
        return "madr2"
    if (
        re.search(r"(?im)^\s*[*-]\s*decision[- ]makers\s*:", preamble)
        or "confirmation" in keys | sub_keys
    ):
        return "madr4"
    if "consequences" in sub_keys | keys:
        return "madr3"
    return "madr2"


def _parse_file(path: Path, statuses: Sequence[str]) -> _Draft:
    """Read one Markdown ADR into a draft. Raises _NotAnAdr or ImportFailed."""
    shown = display_path(path)
    text = _strip_boilerplate(_read_text(path))
    front, front_raw, body_start = _front_matter(text, shown)
    body_lines = text.split("\n")[body_start - 1 :]
    root, title, title_line = _parse_sections(list(enumerate(body_lines, start=body_start)))
    sections = root.children
    if not title and isinstance(front.get("title"), str):
        title = front["title"]
    if not _plain(title):
        raise _NotAnAdr("no '# Title' heading")
    fmt = _detect(front, root, sections)
    if fmt is None:
        raise _NotAnAdr(
            "no ADR sections (Context, Decision, Status, Considered Options, Decision Outcome)"
        )

    draft = _Draft(source=path, display=shown, format=fmt, title=_plain(title))
    known = tuple(dict.fromkeys([*BUILTIN_STATUSES, *statuses]))
    _read_number(draft, title, title_line)
    status_raw: tuple[str, int] | None = None
    date_raw: tuple[Any, int] | None = None

    # Front matter (MADR 3/4).
    front_leftover: list[str] = []
    front_lines = _front_key_lines(front_raw)
    for key, value in front.items():
        role = _META_KEYS.get(key.lower())
        key_line = front_lines.get(key, (2, 2))[0]
        if role == "status" and isinstance(value, (str, int, float)):
            status_raw = (str(value), key_line)
        elif role == "date":
            date_raw = (value, key_line)
        elif role in ("decision_makers", "consulted", "informed") and isinstance(
            value, (list, str)
        ):
            draft.people.setdefault(role, []).extend(_people(value))
        elif role == "tags" and isinstance(value, (list, str)):
            _read_tags(draft, value)
        elif key.lower() != "title":
            front_leftover.append(key)
    if front_leftover:
        kept = [
            front_raw[n - 2] for key in front_leftover for n in range(*front_lines.get(key, (2, 2)))
        ]
        draft.keep(
            "Front matter",
            "```yaml\n" + "\n".join(kept) + "\n```",
            "",
            f"front matter key(s) {', '.join(front_leftover)} have no field in the record format",
            front_lines.get(front_leftover[0], (1, 1))[0],
        )

    # Preamble: MADR 2 "* Status:" bullets, Nygard "Date:" lines, and any free text.
    preamble_text: list[str] = []
    for number, line in root.body:
        meta = _META_LINE.match(line.strip())
        role = _META_KEYS.get(re.sub(r"[ _]", "-", meta.group("key").lower())) if meta else None
        if meta is None or role is None:
            preamble_text.append(line)
            continue
        value = meta.group("value").strip()
        if role == "status" and status_raw is None:
            status_raw = (value, number)
        elif role == "date" and date_raw is None:
            date_raw = (value, number)
        elif role in ("decision_makers", "consulted", "informed"):
            draft.people.setdefault(role, []).extend(_people(value))
        elif role == "tags":
            _read_tags(draft, value)
        else:
            preamble_text.append(line)
    preamble = _trim("\n".join(preamble_text))

    # Sections, by role. A role seen twice keeps its first section; the second is kept
    # as text, like any section the format has no field for.
    context = ""
    option_names: list[tuple[str, int, str]] = []
    pros_cons: _Section | None = None
    outcome: _Section | None = None
    consequences: list[_Section] = []
    loose: list[_Section] = []
    seen: set[str] = set()
    for section in sections:
        role = _role(section.key)
        if role in seen and role not in ("consequences", "unknown"):
            draft.keep(
                section.title,
                section.markdown(1),
                "",
                f"a second '{section.title}' section",
                section.line,
            )
            continue
        seen.add(role)
        if role == "context":
            context = section.markdown()
        elif role == "drivers":
            _read_list_section(draft, section, draft.drivers, "drivers")
        elif role == "options":
            for block in _blocks(section.body):
                if block.kind == "list":
                    option_names += [(_plain(i.text), i.line, i.text) for i in block.items]
                else:
                    draft.keep(
                        section.title,
                        block.text,
                        "options",
                        "text beside the list of options",
                        block.line,
                    )
            for child in section.children:
                draft.keep(
                    child.title,
                    child.markdown(1),
                    "options",
                    "a sub-section of the options",
                    child.line,
                )
        elif role == "outcome":
            outcome = section
        elif role == "pros_cons":
            pros_cons = section
        elif role == "consequences":
            consequences.append(section)
        elif role == "confirmation":
            draft.confirmation.append(section.markdown())
        elif role == "status":
            found = _read_status_section(draft, section, status_raw is None)
            status_raw = status_raw or found
        elif role == "links":
            _read_links_section(draft, section)
        elif pros_cons is not None and fmt != "nygard":
            loose.append(section)  # perhaps an option's pros and cons; see _madr_options
        else:
            _keep_unknown(draft, section)
    if preamble:
        if context:
            first = next(n for n, t in root.body if t.strip())
            draft.note(
                "context", "text before the first section kept at the start of context", first
            )
        context = f"{preamble}\n\n{context}" if context else preamble
    draft.context = context

    _read_status(draft, status_raw, known)
    _read_date(draft, date_raw)
    if fmt == "nygard":
        _nygard_options(draft, outcome)
    else:
        _madr_options(draft, option_names, pros_cons, loose)
        _keep_listed_text(draft)
        _madr_outcome(draft, outcome)
    for section in consequences:
        _read_consequences(draft, section)
    return draft


def _keep_unknown(draft: _Draft, section: _Section) -> None:
    why = (
        f"section '{section.title}' has no field in the record format"
        if section.key == "more information"
        else f"section '{section.title}' is not part of MADR or Nygard"
    )
    draft.keep(section.title, section.markdown(1), "", why, section.line)


def _role(key: str) -> str:
    """What a section (by its normalised heading) is for."""
    roles = (
        ("context", _CONTEXT),
        ("drivers", _DRIVERS),
        ("options", _OPTIONS),
        ("outcome", _OUTCOME | {"decision"}),  # Nygard's Decision; some MADRs use it too
        ("pros_cons", _PROS_CONS),
        ("consequences", _CONSEQUENCES | _GOOD_CONSEQUENCES | _BAD_CONSEQUENCES),
        ("confirmation", _CONFIRMATION),
        ("status", _STATUS),
        ("links", _LINKS),
    )
    return next((role for role, keys in roles if key in keys), "unknown")


def _read_number(draft: _Draft, title: str, title_line: int) -> None:
    stem = draft.source.stem
    from_name = re.match(r"^(?:adr[-_]?)?(\d+)(?:[-_. ]|$)", stem, re.I)
    heading = re.match(r"^(?:ADR[-_ ]?)?0*(\d+)\s*(?:[.:)\]]|-|–|—)\s+(.*)$", title, re.I)
    if heading:
        draft.title = _plain(heading.group(2))
    if from_name:
        draft.number = int(from_name.group(1))
        if heading and int(heading.group(1)) != draft.number:
            draft.note(
                "",
                f"the title says {int(heading.group(1))} but the file name says {draft.number}; "
                "the file name's number is used",
                title_line,
            )
    elif heading:
        draft.number = int(heading.group(1))


def _read_tags(draft: _Draft, value: Any) -> None:
    raw = value if isinstance(value, list) else str(value).split(",")
    for tag in (str(t).strip() for t in raw if isinstance(t, (str, int, float))):
        if re.match(r"^[^\s,][^,]{0,63}$", tag):
            draft.tags.append(tag)
        elif tag:
            draft.keep(
                "Tags",
                f"- {tag}",
                "tags",
                f"tag {tag!r} is not a valid tag (no commas, at most 64 characters)",
            )


def _read_list_section(draft: _Draft, section: _Section, target: list[str], name: str) -> None:
    for block in _blocks(section.body):
        if block.kind == "list":
            target.extend(_plain_item(i.text) for i in block.items)
        else:
            draft.keep(
                section.title, block.text, name, f"text beside the list of {name}", block.line
            )
    for child in section.children:
        draft.keep(child.title, child.markdown(1), name, f"a sub-section of {name}", child.line)


def _read_status_section(
    draft: _Draft, section: _Section, want_status: bool
) -> tuple[str, int] | None:
    """Nygard's ``## Status``: a status line, and lines of links to other records.

    adr-tools writes one item per paragraph: ``Accepted``, ``Supersedes [1. …](0001-….md)``,
    ``Amended by [4. …](0004-….md)``. The first line without a link is the status; every
    other line without a link is text the format has no field for.
    """
    status: tuple[str, int] | None = None
    leftover: list[str] = []
    for number, line in section.body:
        text = _BULLET_PREFIX.sub("", line).strip()
        if not text:
            continue
        links, remainder = _links_in(text, number, draft.source.parent)
        if links:
            draft.links.extend(links)
            if remainder:
                leftover.append(text)
        elif status is None and want_status:
            status = (text, number)
        else:
            leftover.append(text)
    if leftover:
        draft.keep(
            section.title,
            "\n\n".join(leftover),
            "status",
            "status text that is neither the status nor a link",
            section.line,
            links=True,
        )
    for child in section.children:
        draft.keep(
            child.title, child.markdown(1), "status", "a sub-section of the status", child.line
        )
    return status


def _read_links_section(draft: _Draft, section: _Section) -> None:
    """MADR 2's ``## Links``: ``* Refined by [ADR-0005](0005-example.md)``; web links stay text."""
    other: list[str] = []
    for block in _blocks(section.body):
        items = block.items if block.kind == "list" else [_Item(block.text, block.line)]
        for item in items:
            links, _ = _links_in(item.text, item.line, draft.source.parent)
            draft.links.extend(links)
            if not links:
                other.append(item.text)
    if other:
        # Same home as the wording of links that cannot be kept: one "Links (imported)".
        draft.link_texts.extend(other)
        draft.note(
            "links",
            f"{len(other)} link(s) to things other than records kept in context under "
            "'### Links (imported)'",
            section.line,
        )
    for child in section.children:
        draft.keep(
            child.title, child.markdown(1), "links", "a sub-section of the links", child.line
        )


def _read_status(draft: _Draft, raw: tuple[str, int] | None, known: Sequence[str]) -> None:
    """Map the source's status onto a known one; anything else becomes 'proposed', reported."""
    if raw is not None:
        text, line = raw
        links, _ = _links_in(text, line, draft.source.parent)
        draft.links.extend(links)  # MADR: "superseded by [ADR-0005](0005-example.md)"
        words = _ADR_REF.sub("", _MD_LINK.sub("", text))
        status, rest, synonym = _match_status(words, known)
    else:
        text, line, status, rest, synonym = "", 0, None, "", False
    superseded = any(link.kind == "superseded_by" for link in draft.links)
    if status == "superseded":
        rest = re.sub(r"^(?:by|with)\b", "", rest, flags=re.I).strip(" :,.-")
    if status is None:
        draft.status = "superseded" if superseded else "proposed"
        if not superseded:
            said = f"{_plain(text)!r} is not a known status" if raw else "no status in the source"
            draft.note("status", f"{said}; set to 'proposed'", line)
            draft.comments[("status",)] = f"{TODO}: {said}"
        return
    draft.status = status
    if synonym:
        draft.note("status", f"{_plain(text)!r} read as {status!r}", line)
    if rest:
        draft.keep(
            "Status",
            text,
            "status",
            f"status text {rest!r} beyond the status itself",
            line,
            links=True,
        )
    if superseded and status != "superseded":
        draft.note(
            "status",
            f"{status!r} in the source, but a 'Superseded by' link says otherwise; "
            "set to 'superseded'",
            line,
        )
        draft.status = "superseded"


def _read_date(draft: _Draft, raw: tuple[Any, int] | None) -> None:
    if raw is not None:
        date, rest, how = _parse_date(raw[0])
        if date is not None:
            draft.date = date
            if how:
                draft.note("date", how, raw[1])
            if rest:
                draft.keep("Date", str(raw[0]), "date", f"text {rest!r} beside the date", raw[1])
            return
        draft.keep("Date", str(raw[0]), "date", f"{str(raw[0])!r} is not a date", raw[1])
        said = "the source's date cannot be read"
    else:
        said = "no date in the source"
    draft.date = PLACEHOLDER_DATE
    draft.note("date", f"{said}; set to {PLACEHOLDER_DATE.isoformat()} as a placeholder")
    draft.comments[("date",)] = f"{TODO}: placeholder, {said}"


def _match_option(name: str, options: Sequence[_Option]) -> int | None:
    """The option a name refers to: exactly, else by prefix, else as the only substring match."""
    wanted = _norm(name)
    if not wanted:
        return None
    norms = [_norm(o.name) for o in options]
    tests: list[Callable[[str], bool]] = [
        lambda n: n == wanted,
        lambda n: n.startswith(wanted) or wanted.startswith(n),
        lambda n: wanted in n or n in wanted,
    ]
    for test in tests:
        hits = [i for i, n in enumerate(norms) if n and test(n)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            return None
    return None


def _madr_options(
    draft: _Draft,
    names: list[tuple[str, int, str]],
    pros_cons: _Section | None,
    loose: list[_Section],
) -> None:
    """Options from "Considered Options", with pros and cons from their own sections.

    ``loose`` are sections the dispatcher did not know, found after "Pros and Cons of the
    Options": MADR's own records put each option there as an H2, not an H3. Those whose
    title is exactly an option's name are read as its pros and cons; the rest are kept.
    """
    for name, line, raw in names:
        draft.options.append(_Option(name=name or raw, line=line, listed=raw))
    sections: list[_Section] = []
    if pros_cons is not None:
        for block in _blocks(pros_cons.body):
            draft.keep(
                pros_cons.title,
                block.text,
                "options",
                "text outside any option's pros and cons",
                block.line,
            )
        sections += pros_cons.children
    for section in loose:
        exact = [i for i, o in enumerate(draft.options) if _norm(o.name) == section.key]
        if exact and pros_cons is not None:
            sections.append(section)
        else:
            _keep_unknown(draft, section)
    for child in sections:
        index = _match_option(child.title, draft.options)
        heading = _plain(child.title)
        if index is None:
            draft.options.append(_Option(name=heading, line=child.line))
            index = len(draft.options) - 1
            if names:
                draft.note(
                    f"options[{index}]",
                    f"'{heading}' has pros and cons but is not among the considered options; "
                    "added it",
                    child.line,
                )
        option = draft.options[index]
        if _norm(option.name).startswith(_norm(heading)) and _norm(option.name) != _norm(heading):
            # MADR 1/2 list "Title - description" and head the pros and cons "### Title":
            # the heading is the name (and what "Chosen option" quotes).
            option.name = heading
        option.summary.extend(_option_details(option, child))


def _option_details(option: _Option, section: _Section) -> list[str]:
    """Read an option's Good/Bad/Neutral bullets (at any depth); return the rest as Markdown."""
    description: list[str] = []
    for block in _blocks(section.body):
        arguments = [(item, _argument(item.text)) for item in block.items]
        if not any(argument for _, argument in arguments):
            description.append(block.text)  # prose or a plain list: verbatim
            continue
        others: list[str] = []
        for item, argument in arguments:
            if argument is None:
                others.append(f"- {item.text}")
            else:
                kind, text = argument
                {"good": option.pros, "bad": option.cons}.get(kind, option.neutral).append(text)
        if others:
            description.append("\n".join(others))
    for sub in section.children:
        inner = _option_details(option, sub)
        if inner:  # a "#### Pros/cons" heading over nothing but arguments says nothing more
            description.append("#" * sub.level + " " + sub.title + "\n\n" + "\n\n".join(inner))
    return description


def _keep_listed_text(draft: _Draft) -> None:
    """Put an option's list entry in its summary when the name does not say all of it."""
    for option in draft.options:
        if option.listed and option.listed not in (option.name, _plain(option.name)):
            option.summary.insert(0, option.listed)


def _madr_outcome(draft: _Draft, section: _Section | None) -> None:
    chosen_name: str | None = None
    justification = ""
    rest: list[str] = []
    chosen_line = section.line if section else 0
    if section is not None:
        for block in _blocks(section.body):
            parsed = _chosen(block.text) if block.kind == "text" and chosen_name is None else None
            if parsed is not None:
                chosen_name, justification = parsed
                chosen_line = block.line
            else:
                rest.append(block.text)
    if chosen_name is not None:
        index = _match_option(chosen_name, draft.options)
        if index is None:
            draft.options.append(_Option(name=_plain(chosen_name), line=chosen_line))
            index = len(draft.options) - 1
            if len(draft.options) > 1:
                draft.note(
                    f"options[{index}]",
                    f"chosen option {_plain(chosen_name)!r} is not among the considered options; added it",
                    chosen_line,
                )
        elif _norm(chosen_name) != _norm(draft.options[index].name):
            draft.note(
                "outcome.chosen",
                f"'Chosen option: {_plain(chosen_name)}' taken to mean '{draft.options[index].name}'",
                chosen_line,
            )
        draft.chosen = index
        draft.outcome_summary = f"Chosen option: {draft.options[index].name}"
        if justification:
            draft.rationale.append(_capitalise(justification))
        draft.rationale.extend(rest)
    elif (
        section is not None
        and _trim("\n\n".join(rest))
        and draft.status not in STATUSES_WITH_OUTCOME
    ):
        # An open proposal may say "TBD" here; that is no choice, so it stays text.
        draft.keep(
            section.title,
            "\n\n".join(rest),
            "outcome",
            "an outcome that names no option",
            section.line,
        )
    elif section is not None and _trim("\n\n".join(rest)):
        # An accepted record whose outcome is written down but names no option we can point
        # at. Keep the status the team gave it and make the recorded text the chosen option,
        # as for Nygard records: that is what the source says was decided.
        text = _trim("\n\n".join(rest))
        draft.options.append(
            _Option(name="Decision as recorded", line=section.line, summary=[text])
        )
        draft.chosen = len(draft.options) - 1
        draft.outcome_summary = _first_sentence(text)
        draft.note(
            f"options[{draft.chosen}]",
            "the Decision Outcome has no 'Chosen option: …' line; its text became the chosen "
            "option 'Decision as recorded' (point outcome.chosen at the real option by hand)",
            section.line,
        )
    if section is not None:
        for child in section.children:
            _outcome_subsection(draft, child)
    if not draft.options:
        draft.options.append(_Option(name="No options recorded", line=0))
        draft.note(
            "options",
            "the source lists no options; added a placeholder option (the format needs one)",
        )
    if draft.chosen is None and draft.status in STATUSES_WITH_OUTCOME:
        draft.note(
            "status",
            f"{draft.status!r} in the source, but it names no chosen option and has no decision "
            "text; set to 'proposed' (a record with that status needs an outcome)",
        )
        draft.comments[("status",)] = f"{TODO}: {draft.status!r} in the source, no chosen option"
        draft.status = "proposed"


def _outcome_subsection(draft: _Draft, child: _Section) -> None:
    key = child.key
    if key in _CONSEQUENCES | _GOOD_CONSEQUENCES | _BAD_CONSEQUENCES:
        _read_consequences(draft, child)
    elif key in _CONFIRMATION:
        draft.confirmation.append(child.markdown())
    elif draft.chosen is not None:
        draft.rationale.append("#### " + child.title + "\n\n" + child.markdown(1))
        draft.note(
            "outcome.rationale",
            f"section '{child.title}' of the outcome kept in the rationale",
            child.line,
        )
    else:
        draft.keep(
            child.title,
            child.markdown(1),
            "outcome",
            f"section '{child.title}' of the outcome",
            child.line,
        )


def _read_consequences(draft: _Draft, section: _Section) -> None:
    """Consequences: MADR 3/4 "Good, because" bullets, MADR 2 Positive/Negative sections,
    or Nygard's free text (kept as neutral, since the source does not say which)."""
    key = section.key
    default = (
        "good" if key in _GOOD_CONSEQUENCES else "bad" if key in _BAD_CONSEQUENCES else "neutral"
    )
    if draft.chosen is None:
        draft.keep(
            section.title,
            section.markdown(1),
            "outcome.consequences",
            "consequences, but no chosen option",
            section.line,
        )
        return
    unsorted = 0
    for block in _blocks(section.body):
        entries = [i.text for i in block.items] if block.kind == "list" else [block.text]
        for entry in entries:
            argument = _argument(entry) if block.kind == "list" else None
            if argument is None:
                argument = (default, _plain_item(entry))
                unsorted += default == "neutral"
            getattr(draft, argument[0]).append(argument[1])
    if unsorted:
        draft.note(
            "outcome.consequences.neutral",
            f"{unsorted} consequence(s) not marked good or bad in the source; kept as neutral",
            section.line,
        )
    for child in section.children:
        if _role(child.key) == "consequences":
            _read_consequences(draft, child)
        else:
            draft.keep(
                child.title,
                child.markdown(1),
                "outcome.consequences",
                f"section '{child.title}' of the consequences",
                child.line,
            )


def _nygard_options(draft: _Draft, decision: _Section | None) -> None:
    text = decision.markdown() if decision is not None else ""
    if not text:
        draft.options.append(_Option(name="No decision recorded", line=0))
        draft.note(
            "options",
            "the source has no Decision section; added a placeholder option (the format needs one)",
        )
        if draft.status in STATUSES_WITH_OUTCOME:
            draft.note(
                "status",
                f"{draft.status!r} in the source, but there is no decision; set to 'proposed'",
            )
            draft.comments[("status",)] = f"{TODO}: {draft.status!r} in the source, no decision"
            draft.status = "proposed"
        return
    draft.options.append(
        _Option(name=draft.title, line=decision.line if decision else 0, summary=[text])
    )
    draft.options[0].id = "decision"
    draft.chosen = 0
    draft.outcome_summary = _first_sentence(text)
    draft.note(
        "options",
        "Nygard records state only the decision: one option 'decision' holds it (the "
        "alternatives that were considered are not recorded)",
        decision.line if decision else 0,
    )


# ---------------------------------------------------------------------------------------------
# Across files: numbers, links, statuses


#: The first line of the header every imported record starts with (see _render).
_IMPORTED_FROM = re.compile(r"^# Imported from (?P<name>.+) by `adrgen import`\.$")


@dataclass(frozen=True)
class _Known:
    """An existing record as re-import detection sees it."""

    name: str
    number: int
    slug: str
    #: "" when the file has no title (or cannot be read).
    title: str
    #: The source file named by an ``adrgen import`` header; "" for records written by hand.
    imported_from: str


@dataclass
class _Existing:
    """The records already in the destination folder."""

    documents: list[LoadedDocument]
    names: set[str]
    numbers: dict[int, str]
    links: dict[int, dict[LinkKind, set[int]]]
    records: list[_Known] = field(default_factory=list)

    @classmethod
    def read(cls, decisions_dir: Path) -> _Existing:
        """Load every record of ``decisions_dir`` (an unreadable one simply has no links)."""
        paths = discover_records(decisions_dir)
        documents, _ = load_documents(paths, DEFAULT_MAX_BYTES)
        numbers: dict[int, str] = {}
        for path in paths:
            if match := RECORD_FILENAME.match(path.name):
                numbers.setdefault(int(match["number"]), path.name)
        links: dict[int, dict[LinkKind, set[int]]] = {}
        records: list[_Known] = []
        for doc in documents:
            match = RECORD_FILENAME.match(doc.path.name)
            if match is None:
                continue
            data = doc.data if isinstance(doc.data, dict) else {}
            raw = data.get("links")
            if isinstance(raw, dict):
                links[int(match["number"])] = {
                    kind: _numbers(raw.get(kind)) for kind in _LINK_KINDS
                }
            title = data.get("title")
            records.append(
                _Known(
                    name=doc.path.name,
                    number=int(match["number"]),
                    slug=match["slug"],
                    title=title if isinstance(title, str) else "",
                    imported_from=_imported_from(doc.text),
                )
            )
        names = {p.name for p in decisions_dir.iterdir()} if decisions_dir.is_dir() else set()
        records.sort(key=lambda k: k.name)
        return cls(documents, names, numbers, links, records)


def _imported_from(text: str) -> str:
    """The source file named in the header comments of a record this command wrote."""
    for line in text.split("\n"):
        if not line.startswith("#"):
            break
        if match := _IMPORTED_FROM.match(line):
            return match["name"]
    return ""


def _numbers(value: Any) -> set[int]:
    """The record numbers in an existing record's link list (anything else is ignored)."""
    items = value if isinstance(value, list) else []
    return {t for t in items if isinstance(t, int) and not isinstance(t, bool)}


def _output_slug(draft: _Draft) -> str:
    """From the title; from the file name when the title has no ASCII words (e.g. Cyrillic)."""
    stem = re.sub(r"^(?:adr[-_]?)?\d+[-_. ]*", "", draft.source.stem, flags=re.I)
    return _slug(draft.title) or _slug(stem) or "decision"


def _title_key(title: str) -> str:
    """Titles compare without regard to case or spacing."""
    return " ".join(title.split()).casefold()


def _number_order(draft: _Draft) -> tuple[bool, int, str]:
    """Numbered drafts by number, then path; drafts without a number last, by path."""
    return (draft.number is None, draft.number or 0, draft.source.as_posix())


def _earlier_imports(drafts: Sequence[_Draft], existing: _Existing) -> dict[Path, _Known]:
    """The existing record each draft already became in an earlier run, by source path.

    An existing record is a draft's earlier import when it has the same title, or when its
    header names the draft's source file and its slug is the draft's (the title was edited
    since). Each existing record stands for one draft at most, claimed in order of evidence:
    first the very file name the draft would get, then the header naming this source, then
    the title alone. So two sources with the same title map to their own records, and a
    record that merely shares a file name (``adrgen init``'s 0001 and adr-tools' 0001 are
    both ``0001-record-architecture-decisions``) is not taken for this one.
    """
    by_name: dict[str, list[_Known]] = {}
    by_header: dict[str, list[_Known]] = {}
    by_title: dict[str, list[_Known]] = {}
    for known in existing.records:  # sorted by name, so each list is too
        by_name.setdefault(known.name, []).append(known)
        if known.imported_from:
            by_header.setdefault(known.imported_from, []).append(known)
        if known.title:
            by_title.setdefault(_title_key(known.title), []).append(known)
    ordered = sorted(drafts, key=_number_order)
    slugs = {d.source: _output_slug(d) for d in ordered}

    def same(draft: _Draft, known: _Known) -> bool:
        if known.title and _title_key(known.title) == _title_key(draft.title):
            return True
        return known.imported_from == draft.source.name and known.slug == slugs[draft.source]

    tiers: tuple[Callable[[_Draft], list[_Known]], ...] = (
        lambda d: (
            by_name.get(f"{d.number:04d}-{slugs[d.source]}.yaml", [])
            if d.number is not None
            else []
        ),
        lambda d: by_header.get(d.source.name, []),
        lambda d: by_title.get(_title_key(d.title), []),
    )
    found: dict[Path, _Known] = {}
    claimed: set[str] = set()
    for candidates in tiers:
        for draft in ordered:
            if draft.source in found:
                continue
            for known in candidates(draft):
                if known.name not in claimed and same(draft, known):
                    found[draft.source] = known
                    claimed.add(known.name)
                    break
    return found


def _assign_numbers(
    drafts: list[_Draft], decisions_dir: Path, existing: _Existing, *, renumber: bool = False
) -> None:
    """Give each draft its output path, or a reason to skip it. Never reuses a taken number.

    Without ``renumber`` a draft whose number is taken is skipped; with it, the draft gets
    the next free number (see :func:`_renumber`).
    """
    for draft in drafts:
        draft.source_number = draft.number
    earlier = _earlier_imports(drafts, existing)
    if renumber:
        _renumber(drafts, decisions_dir, existing, earlier)
        return
    by_name = {k.name: k for k in existing.records}
    claimed: dict[int, _Draft] = {}
    for draft in drafts:
        if draft.number is None:
            continue
        name = f"{draft.number:04d}-{_output_slug(draft)}.yaml"
        draft.output = decisions_dir / name
        before = earlier.get(draft.source)
        if name in existing.names:
            draft.skip_reason = f"{display_path(draft.output)} already exists; not overwritten"
            other = by_name.get(name)
            if before is not None and before.name != name:
                draft.skip_reason += f" (this file was imported before as {before.name})"
            elif before is None and other is not None and other.title:
                draft.skip_reason += (
                    f"; it is another record ({other.title!r}): import with --renumber to "
                    "import this one as the next free number"
                )
        elif draft.number in existing.numbers:
            draft.skip_reason = (
                f"number {draft.number:04d} is taken by {existing.numbers[draft.number]}; "
                + (
                    f"this file was imported before as {before.name}"
                    if before is not None
                    else "import with --renumber to give it the next free number (links to "
                    "it follow), or renumber the Markdown file (and links to it) by hand"
                )
            )
        elif draft.number in claimed:
            draft.skip_reason = (
                f"number {draft.number:04d} is also used by {claimed[draft.number].display}, "
                "which is imported instead; import with --renumber to import both"
            )
        else:
            claimed[draft.number] = draft
    used = set(existing.numbers) | {d.number for d in drafts if d.number is not None}
    next_free = max(used, default=0) + 1
    for draft in drafts:
        if draft.number is not None:
            continue
        slug = _output_slug(draft)
        earlier_names = sorted(
            n for n in existing.names if re.match(rf"^[0-9]{{4,}}-{re.escape(slug)}\.ya?ml$", n)
        )
        if earlier_names:
            draft.output = decisions_dir / earlier_names[0]
            draft.skip_reason = (
                f"no number in the source, and {earlier_names[0]} has the same title "
                "(imported before?)"
            )
            continue
        draft.number = next_free
        next_free += 1
        draft.output = decisions_dir / f"{draft.number:04d}-{slug}.yaml"
        claimed[draft.number] = draft
        draft.note("", f"no number in the file name or title; numbered {draft.number:04d}")


def _renumber(
    drafts: list[_Draft], decisions_dir: Path, existing: _Existing, earlier: dict[Path, _Known]
) -> None:
    """Number the drafts so that none is skipped for a taken number.

    A draft an earlier run already imported is skipped, and stands for that record (its
    number becomes the record's, so links to it resolve there). Every other draft keeps its
    number if no existing file and no draft before it (by number, then path) has it; the
    rest, in that order and then the drafts without a number, get the next number above
    everything existing or assigned. Each move is reported on the draft; _resolve_links and
    _renumber_references then carry it into links and link text.
    """
    ordered = sorted(drafts, key=_number_order)
    for draft in ordered:
        known = earlier.get(draft.source)
        if known is None:
            continue
        draft.output = decisions_dir / known.name
        draft.number = known.number
        exact = draft.source_number is not None and known.name == (
            f"{draft.source_number:04d}-{_output_slug(draft)}.yaml"
        )
        if exact:
            draft.skip_reason = f"{display_path(draft.output)} already exists; not overwritten"
        else:
            why = (
                "same title"
                if known.title and _title_key(known.title) == _title_key(draft.title)
                else f"its header names {draft.source.name}"
            )
            draft.skip_reason = f"imported before as {known.name} ({why}); not imported again"
    kept: dict[int, _Draft] = {}
    for draft in ordered:
        if draft.skip_reason or draft.number is None:
            continue
        name = f"{draft.number:04d}-{_output_slug(draft)}.yaml"
        if draft.number in existing.numbers or draft.number in kept or name in existing.names:
            continue
        kept[draft.number] = draft
        draft.output = decisions_dir / name
    taken = set(existing.numbers) | set(kept)
    next_number = max(taken, default=0) + 1
    for draft in ordered:
        if draft.skip_reason or draft.output is not None:
            continue
        slug = _output_slug(draft)
        while next_number in taken or f"{next_number:04d}-{slug}.yaml" in existing.names:
            next_number += 1
        number, old = next_number, draft.number
        taken.add(number)
        draft.number = number
        draft.output = decisions_dir / f"{number:04d}-{slug}.yaml"
        if old is None:
            draft.note("", f"no number in the file name or title; numbered {number:04d}")
            continue
        if old in existing.numbers:
            why = f"number {old:04d} is taken by {existing.numbers[old]}"
        elif old in kept:
            why = f"number {old:04d} is also used by {kept[old].display}"
        else:  # pragma: no cover - a folder or non-record file with the record's name
            why = f"{old:04d}-{slug}.yaml exists"
        draft.note("", f"{why}; imported as {number:04d}")


def _resolve_links(drafts: list[_Draft], existing: _Existing) -> None:
    """Settle every link so that both ends agree, or drop it (text kept) and say why.

    A link is kept when its target is written in this run (the target then gets the reverse
    link) or already exists and lists the reverse link itself. Existing files are never
    edited, so any other link is dropped and reported for the user to fix by hand.

    A link names its target as the source numbered it; a target imported under another
    number (renumbered, or imported before under another number) is linked under that one.
    """
    by_source = _drafts_by_source(drafts)
    by_number = _drafts_by_source_number(drafts)
    written = {d.number: d for d in drafts if d.number is not None and not d.skip_reason}
    for draft in written.values():
        assert draft.number is not None
        for link in draft.links:
            # A link names a file (adr-tools, MADR) or a number; the file is the surer guide.
            # The number is the source's: the draft found by it may have another one now.
            other = by_source.get(link.href.resolve()) if link.href is not None else None
            if other is None and link.number is not None:
                other = by_number.get(link.number)
            target = other.number if other is not None else link.number
            link.target = target
            inverse = _INVERSE[link.kind]
            # A source skipped because its record exists counts as that record; one skipped
            # for a clash of numbers is not the record that now holds the number.
            clash = (
                other is not None
                and other.skip_reason
                and (other.output is None or other.output.name not in existing.names)
            )
            if other is not None and clash:
                _drop_link(draft, link, f"{other.display} is not imported: {other.skip_reason}")
            elif target is None:
                _drop_link(draft, link, "the record's number cannot be read from the link")
            elif target == draft.number:
                _drop_link(draft, link, "it links the record to itself")
            elif target < 1 or draft.number < 1:
                _drop_link(draft, link, "record 0000 cannot be linked (link numbers start at 1)")
            elif other is not None and target in written:
                draft.resolved[link.kind].add(target)
                written[target].resolved[inverse].add(draft.number)
                _note_moved_target(draft, link, other)
            elif target in existing.links and draft.number in existing.links[target][inverse]:
                draft.resolved[link.kind].add(target)
                _note_moved_target(draft, link, other)
            elif target in existing.numbers:
                _drop_link(
                    draft,
                    link,
                    f"{existing.numbers[target]} does not list {draft.number:04d} in "
                    f"links.{inverse}, and existing records are not edited; add the link at both "
                    "ends by hand",
                )
            else:
                _drop_link(draft, link, f"there is no record {target:04d}")
            if link.kind == "relates_to" and link.label and target in draft.resolved["relates_to"]:
                # relates_to says less than "Amended by"; the wording stays readable in context.
                draft.link_texts.append(link.text)
                draft.note(
                    "links.relates_to",
                    f"'{link.label}' {target:04d} kept as relates_to (the format has no such "
                    "relation); its wording kept in context",
                    link.line,
                )
    # Existing records that already link to a number this run creates: complete the pair.
    for number, kinds in sorted(existing.links.items()):
        for kind, targets in kinds.items():
            for target in sorted(targets & set(written)):
                draft = written[target]
                inverse = _INVERSE[kind]
                if number not in draft.resolved[inverse]:
                    draft.resolved[inverse].add(number)
                    draft.note(
                        f"links.{inverse}",
                        f"added {number:04d}: {existing.numbers.get(number, 'that record')} already "
                        f"lists {target:04d} in links.{kind}",
                    )


def _drafts_by_source(drafts: Iterable[_Draft]) -> dict[Path, _Draft]:
    return {d.source.resolve(): d for d in drafts}


def _drafts_by_source_number(drafts: Iterable[_Draft]) -> dict[int, _Draft]:
    """Drafts by the number their source gave them (the first in path order wins a tie).

    A draft without one is found under the number it was given. A renumbered draft is *not*
    found under its new number: a link to that number in some source means another record.
    """
    by_number: dict[int, _Draft] = {}
    for d in drafts:
        number = d.source_number if d.source_number is not None else d.number
        if number is not None:
            by_number.setdefault(number, d)
    return by_number


def _moved(draft: _Draft | None) -> bool:
    """Whether the draft's record has another number than its source gave it."""
    return (
        draft is not None
        and draft.source_number is not None
        and draft.number is not None
        and draft.number != draft.source_number
    )


def _note_moved_target(draft: _Draft, link: _Link, other: _Draft | None) -> None:
    if other is None or not _moved(other):
        return
    assert other.source_number is not None and other.number is not None
    where = (
        f"was imported before as {other.output.name if other.output else f'{other.number:04d}'}"
        if other.skip_reason
        else f"is imported as {other.number:04d}"
    )
    draft.note(
        f"links.{link.kind}",
        f"{other.source_number:04d} in the source {where}; linked as {other.number:04d}",
        link.line,
    )


def _drop_link(draft: _Draft, link: _Link, why: str) -> None:
    draft.link_texts.append(link.text)
    draft.note(
        f"links.{link.kind}",
        f"'{_plain(link.text)}' not kept as a link: {why}; its text kept in context",
        link.line,
    )


def _settle_statuses(drafts: list[_Draft]) -> None:
    """Make statuses agree with the links the validator will see."""
    by_number = {d.number: d for d in drafts if d.number is not None and not d.skip_reason}
    for draft in by_number.values():
        superseded_by = draft.resolved["superseded_by"]
        if superseded_by and draft.status != "superseded":
            if draft.chosen is not None or "superseded" not in STATUSES_WITH_OUTCOME:
                draft.note(
                    "status",
                    f"{draft.status!r} in the source, but {_refs(superseded_by)} supersedes it; set to 'superseded'",
                )
                draft.comments[("status",)] = f"{TODO}: {draft.status!r} in the source"
                draft.status = "superseded"
            else:
                # Where 'superseded' needs an outcome and this record has none, drop the
                # pair rather than invent one.
                for number in sorted(superseded_by):
                    other = by_number.get(number)
                    if other is not None:
                        other.resolved["supersedes"].discard(draft.number or 0)
                        other.link_texts += [
                            k.text for k in other.links if k.target == draft.number
                        ]
                        other.note(
                            "links.supersedes",
                            f"{draft.number:04d} not linked: it has no chosen option, so it "
                            "cannot be 'superseded'; the link's text kept in context",
                        )
                draft.link_texts += [k.text for k in draft.links if k.target in superseded_by]
                draft.note(
                    "links.superseded_by",
                    f"{_refs(superseded_by)} not linked: a superseded record needs a chosen "
                    "option, and this one has none",
                )
                superseded_by.clear()
    for draft in by_number.values():
        if draft.status == "superseded" and not draft.resolved["superseded_by"]:
            can_deprecate = draft.chosen is not None or "deprecated" not in STATUSES_WITH_OUTCOME
            new = "deprecated" if can_deprecate else "proposed"
            draft.note(
                "status",
                f"'superseded' in the source, but the superseding record is not linked; set to {new!r} "
                "(restore it when both ends are linked)",
            )
            draft.comments[("status",)] = f"{TODO}: 'superseded' in the source"
            draft.status = new


def _refs(numbers: Iterable[int]) -> str:
    return ", ".join(f"{n:04d}" for n in sorted(numbers))


# ---------------------------------------------------------------------------------------------
# Renumbered records: the numbers in the text


_NUMBER_IN_LABEL = re.compile(r"^(?P<pre>\s*(?:ADR[-_ ]?)?)(?P<digits>\d+)(?=[-_.:\s]|$)", re.I)
_NUMBER_IN_FILE = re.compile(r"^(?P<pre>(?:adr[-_]?)?)(?P<digits>\d+)(?=[-_. ]|$)", re.I)
_ADR_MENTION = re.compile(r"\b(?P<pre>ADR[-_ ]?)(?P<digits>\d+)\b", re.I)

#: (number in the source, number in the destination)
Move = tuple[int, int]


def _swap_number(pattern: re.Pattern[str], text: str, old: int, new: int) -> str:
    """Replace ``old`` where ``pattern`` finds a number, keeping its zero padding."""

    def repl(match: re.Match[str]) -> str:
        if int(match["digits"]) != old:
            return match[0]
        return f"{match['pre']}{new:0{len(match['digits'])}d}"

    return pattern.sub(repl, text)


def _local_href(match: re.Match[str]) -> str | None:
    """The file part of a Markdown link to a local file; None for URLs, anchors, pictures."""
    if match[0].startswith("!"):
        return None
    href = match["href"].strip("<>")
    path = href.split("#")[0]
    if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or not path:
        return None
    return path


@dataclass
class _References:
    """Finds references to records that were imported under another number, and fixes them.

    Only *links* are rewritten: Markdown links to a record's file (in any text), and in link
    text (what ``_links_in`` read as links) also plain ``ADR-0002`` references. A plain
    ``ADR-0002`` in prose is the author's words: it is reported, not changed.
    """

    by_source: dict[Path, _Draft]
    by_number: dict[int, _Draft]

    def _link_target(self, match: re.Match[str], base: Path, *, by_number: bool) -> _Draft | None:
        path = _local_href(match)
        if path is None or Path(path).suffix.lower() not in (*MARKDOWN_SUFFIXES, ""):
            return None
        target = self.by_source.get((base / path).resolve())
        if target is None and by_number:
            number = _number_in(Path(path).name)
            if number is None:
                number = _number_in(match["text"])
            target = self.by_number.get(number) if number is not None else None
        return target if _moved(target) else None

    def _mentioned(self, match: re.Match[str]) -> _Draft | None:
        target = self.by_number.get(int(match["digits"]))
        return target if _moved(target) else None

    def rewrite(
        self, text: str, base: Path, *, link_text: bool
    ) -> tuple[str, set[Move], set[Move]]:
        """``text`` with links to moved records renumbered; the moves made and those only
        mentioned. ``link_text``: the text is a link's own wording (see the class)."""
        out: list[str] = []
        rewritten: set[Move] = set()
        mentioned: set[Move] = set()
        fence = ""
        for line in text.split("\n"):
            if fence or (not link_text and _FENCE.match(line)):
                # Code is quoted as it is; a fence opens and closes on lines of its own.
                opened = _FENCE.match(line)
                if not fence and opened:
                    fence = opened.group(1)[0] * len(opened.group(1))
                elif fence and line.strip().startswith(fence):
                    fence = ""
                out.append(line)
                continue
            edits: list[tuple[int, int, str]] = []
            local = False
            for match in _MD_LINK.finditer(line):
                local = local or _local_href(match) is not None
                target = self._link_target(match, base, by_number=link_text)
                if target is None:
                    continue
                assert target.source_number is not None and target.number is not None
                move = (target.source_number, target.number)
                edits.append((*match.span(), self._relabel(match, *move)))
                rewritten.add(move)
            for match in _ADR_MENTION.finditer(line):
                target = self._mentioned(match)
                if target is None or any(a <= match.start() < b for a, b, _ in edits):
                    continue
                assert target.source_number is not None and target.number is not None
                move = (target.source_number, target.number)
                if link_text and not local:  # _links_in read these as the links
                    edits.append((*match.span(), _swap_number(_ADR_MENTION, match[0], *move)))
                    rewritten.add(move)
                else:
                    mentioned.add(move)
            for start, end, replacement in sorted(edits, reverse=True):
                line = line[:start] + replacement + line[end:]
            out.append(line)
        return "\n".join(out), rewritten, mentioned

    def mentions(self, text: str) -> set[Move]:
        """The moved records that plain ``ADR-0002`` references in ``text`` name."""
        found = (self._mentioned(m) for m in _ADR_MENTION.finditer(text))
        return {(t.source_number or 0, t.number or 0) for t in found if t is not None}

    @staticmethod
    def _relabel(match: re.Match[str], old: int, new: int) -> str:
        """The link with ``old`` → ``new`` in its text (``3. Title``, ``ADR-0003``) and in its
        file name (``0003-title.md``); anything else in it stays."""
        label = match["text"]
        relabelled = _swap_number(_NUMBER_IN_LABEL, label, old, new)
        if relabelled == label:
            relabelled = _swap_number(_ADR_MENTION, label, old, new)
        href = match["href"]
        cut = max(href.rfind("/"), 0 if not href.startswith("<") else 1)
        cut = cut + 1 if href[cut : cut + 1] == "/" else cut
        href = href[:cut] + _swap_number(_NUMBER_IN_FILE, href[cut:], old, new)
        whole, at = match[0], match.start()
        return (
            whole[: match.start("text") - at]
            + relabelled
            + whole[match.end("text") - at : match.start("href") - at]
            + href
            + whole[match.end("href") - at :]
        )


def _renumber_references(drafts: list[_Draft]) -> None:
    """Carry renumberings into the text of the records written: links follow, mentions are
    reported (see :class:`_References`)."""
    if not any(_moved(d) for d in drafts):
        return
    refs = _References(_drafts_by_source(drafts), _drafts_by_source_number(drafts))
    for draft in drafts:
        if not draft.skip_reason:
            _renumber_references_in(draft, refs)


def _renumber_references_in(draft: _Draft, refs: _References) -> None:
    base = draft.source.parent
    rewritten: set[Move] = set()
    mentioned: set[Move] = set()

    def fix(text: str, *, link_text: bool = False) -> str:
        new, done, seen = refs.rewrite(text, base, link_text=link_text)
        rewritten.update(done)
        mentioned.update(seen)
        return new

    draft.link_texts = [fix(t, link_text=True) for t in draft.link_texts]
    draft.extras = [(h, fix(t, link_text=links), links) for h, t, links in draft.extras]
    draft.context = fix(draft.context)
    draft.rationale = [fix(t) for t in draft.rationale]
    draft.confirmation = [fix(t) for t in draft.confirmation]
    plain = [draft.title, *draft.drivers, *draft.good, *draft.bad, *draft.neutral]
    for option in draft.options:
        option.summary = [fix(t) for t in option.summary]
        plain += [option.name, *option.pros, *option.cons, *option.neutral]
    for text in plain:
        mentioned |= refs.mentions(text)
    if rewritten:
        draft.note(
            "",
            "links to records imported under new numbers rewritten in the text: "
            + ", ".join(f"{old:04d} → {new:04d}" for old, new in sorted(rewritten)),
        )
    if mentioned:
        draft.note(
            "",
            "the text mentions records imported under new numbers: "
            + ", ".join(f"ADR {old:04d} (now {new:04d})" for old, new in sorted(mentioned))
            + "; mentions in prose are left as written: check them",
        )


# ---------------------------------------------------------------------------------------------
# Draft → record data → YAML


def _finalize(draft: _Draft) -> None:
    """Last per-record decisions: option ids, placeholders, and text that lost its home."""
    if draft.chosen is None and draft.confirmation:
        draft.keep(
            "Confirmation",
            "\n\n".join(draft.confirmation),
            "outcome.confirmation",
            "a confirmation, but no chosen option",
        )
        draft.confirmation = []
    taken = {o.id for o in draft.options if o.id}
    for i, option in enumerate(draft.options):
        if not option.name.strip():
            option.name = f"Option {i + 1}"
            draft.note(
                f"options[{i}].name", f"empty in the source; set to {option.name!r}", option.line
            )
        option.id = option.id or _identifier(option.name, taken)
        if option.neutral:
            option.summary.append("\n".join(f"- Neutral, because {n}" for n in option.neutral))
            draft.note(
                f"options[{i}]",
                f"{len(option.neutral)} neutral argument(s) kept in summary "
                "(options have only pros and cons)",
                option.line,
            )
        # The page shows complexity and time as facts; say there that these are not.
        option.summary.append(
            "_Imported: complexity and time estimate are placeholders; the source did not "
            "state them._"
        )
        for name, value in (("complexity", PLACEHOLDER_COMPLEXITY), ("time", PLACEHOLDER_TIME)):
            draft.comments[("options", i, name)] = f"{TODO}: placeholder, not in the source"
            draft.note(
                f"options[{i}].{name}",
                f"not in the source; set to {value!r} (placeholder)",
                option.line,
            )


def _record_data(draft: _Draft) -> dict[str, Any]:
    """The record as plain data, keys in record.py's field order, empty fields left out."""
    data: dict[str, Any] = {"title": draft.title, "status": draft.status, "date": draft.date}
    people = {
        k: list(dict.fromkeys(draft.people[k]))
        for k in ("decision_makers", "consulted", "informed")
        if draft.people.get(k)
    }
    if people:
        data["people"] = people
    if draft.tags:
        data["tags"] = list(dict.fromkeys(draft.tags))
    links = {k: sorted(draft.resolved[k]) for k in _LINK_KINDS if draft.resolved[k]}
    if links:
        data["links"] = links
    context = [draft.context] if draft.context else []
    context += [f"### {heading} (imported)\n\n{text}" for heading, text, _ in draft.extras]
    if draft.link_texts:
        lines = "\n".join(f"- {text}" for text in dict.fromkeys(draft.link_texts))
        context.append(f"### Links (imported)\n\n{lines}")
    if context:
        data["context"] = _block("\n\n".join(context))
    if draft.drivers:
        data["drivers"] = draft.drivers
    options = []
    for option in draft.options:
        entry: dict[str, Any] = {"id": option.id, "name": option.name}
        entry["summary"] = _block("\n\n".join(option.summary))
        entry["complexity"] = PLACEHOLDER_COMPLEXITY
        entry["time"] = PLACEHOLDER_TIME
        if option.pros:
            entry["pros"] = option.pros
        if option.cons:
            entry["cons"] = option.cons
        options.append(entry)
    data["options"] = options
    if draft.chosen is not None:
        chosen = draft.options[draft.chosen]
        outcome: dict[str, Any] = {
            "chosen": chosen.id,
            "summary": draft.outcome_summary or f"Chosen option: {chosen.name}",
        }
        rationale = _trim("\n\n".join(draft.rationale))
        if rationale:
            outcome["rationale"] = _block(rationale)
        consequences = {
            k: getattr(draft, k) for k in ("good", "bad", "neutral") if getattr(draft, k)
        }
        if consequences:
            outcome["consequences"] = consequences
        confirmation = _trim("\n\n".join(draft.confirmation))
        if confirmation:
            outcome["confirmation"] = _block(confirmation)
        data["outcome"] = outcome
    return data


def _block(text: str) -> str:
    """Multi-line Markdown ends with one newline, so it is written as a ``|`` block."""
    text = _trim(text)
    return text + "\n" if "\n" in text else text


_NON_PRINTABLE = re.compile("[^\x09\x0a\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loads_as(document: str, expected: Any) -> bool:
    try:
        return bool(yaml.load(document, Loader=_SafeLoader) == expected)
    except yaml.YAMLError:
        return False


def _plain_ok(text: str, *, flow: bool = False) -> bool:
    """Whether ``text`` can be written unquoted and reads back as the same string."""
    if (
        not text
        or text != text.strip()
        or "\n" in text
        or "\t" in text
        or _NON_PRINTABLE.search(text)
    ):
        return False
    if text[0] in "!&*-?:,[]{}#|>@`\"'%" or ": " in text or " #" in text or text.endswith(":"):
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    return (
        _loads_as(f"k: [{text}]", {"k": [text]}) if flow else _loads_as(f"k: {text}", {"k": text})
    )


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif _NON_PRINTABLE.match(char) or char in "\x85\u2028\u2029\ufeff":
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _literal_ok(text: str) -> bool:
    return (
        "\n" in text
        and text.endswith("\n")
        and not text.endswith("\n\n")
        and not text[:1].isspace()
        and not _NON_PRINTABLE.search(text)
        and "\r" not in text
    )


class _Emitter:
    """A small YAML writer: block style, ``|`` for Markdown, comments where we flag things.

    PyYAML cannot attach comments, and ruamel.yaml is not a dependency of adrgen; the record
    format is plain enough (mappings, lists, strings, numbers, dates) that a direct writer is
    simpler than either, and every document it writes is read back and compared.
    """

    #: Top-level keys that start a new paragraph, as hand-written records do.
    BLANK_BEFORE = frozenset({"context", "options", "outcome"})
    FLOW_KEYS = frozenset({"decision_makers", "consulted", "informed", "tags"})

    def __init__(self, comments: dict[tuple[Any, ...], str], *, literal: bool = True) -> None:
        self.comments = comments
        self.literal = literal
        self.out: list[str] = []

    def scalar(self, value: Any, indent: int, *, flow: bool = False) -> list[str]:
        """The scalar's text: one line, or a header line plus indented block lines."""
        if isinstance(value, bool):
            return ["true" if value else "false"]
        if isinstance(value, (int, float)):
            return [str(value)]
        if isinstance(value, dt.date):
            return [value.isoformat()]
        text = str(value)
        if _plain_ok(text, flow=flow):
            return [text]
        if self.literal and not flow and _literal_ok(text):
            pad = " " * (indent + 2)
            return ["|", *((pad + line) if line else "" for line in text[:-1].split("\n"))]
        return [_double_quoted(text)]

    def flow(self, items: list[Any], key: str) -> str | None:
        """``[a, b]`` for lists of numbers, names and tags, as hand-written records use.

        Lists of sentences (pros, cons, drivers) stay one item per line.
        """
        if not items or not all(
            isinstance(i, (int, str)) and not isinstance(i, bool) for i in items
        ):
            return None
        if key not in self.FLOW_KEYS and not all(isinstance(i, int) for i in items):
            return None
        if not all(isinstance(i, int) or _plain_ok(i, flow=True) for i in items):
            return None
        return "[" + ", ".join(str(i) for i in items) + "]"

    def mapping(self, data: dict[str, Any], indent: int, path: tuple[Any, ...]) -> None:
        pad = " " * indent
        for key, value in data.items():
            here = (*path, key)
            comment = f"  # {self.comments[here]}" if here in self.comments else ""
            if not path and key in self.BLANK_BEFORE:
                self.out.append("")
            if isinstance(value, dict):
                self.out.append(f"{pad}{key}:{comment}")
                self.mapping(value, indent + 2, here)
            elif isinstance(value, list):
                flow = self.flow(value, key)
                if flow is not None and len(pad) + len(key) + len(flow) + 2 <= 100:
                    self.out.append(f"{pad}{key}: {flow}{comment}")
                else:
                    self.out.append(f"{pad}{key}:{comment}")
                    self.sequence(value, indent + 2, here)
            else:
                first, *rest = self.scalar(value, indent)
                self.out.append(f"{pad}{key}: {first}{comment}")
                self.out.extend(rest)

    def sequence(self, items: list[Any], indent: int, path: tuple[Any, ...]) -> None:
        pad = " " * indent
        for i, item in enumerate(items):
            if isinstance(item, dict):
                if path == ("options",) and i:
                    self.out.append("")
                start = len(self.out)
                self.mapping(item, indent + 2, (*path, i))
                self.out[start] = pad + "- " + self.out[start][indent + 2 :]
            else:
                first, *rest = self.scalar(item, indent)
                self.out.append(f"{pad}- {first}")
                self.out.extend(rest)


def _to_yaml(data: dict[str, Any], comments: dict[tuple[Any, ...], str], header: list[str]) -> str:
    """Write the record; if the fast path would not read back identically, quote everything."""
    for literal in (True, False):
        emitter = _Emitter(comments, literal=literal)
        emitter.mapping(data, 0, ())
        text = "\n".join([*header, *emitter.out]) + "\n"
        if _loads_as(text, data):
            return text
    raise AssertionError("the YAML writer could not represent the record")  # pragma: no cover


def _render(draft: _Draft) -> str:
    _finalize(draft)
    data = _record_data(draft)
    header = [SCHEMA_HEADER, f"# Imported from {draft.source.name} by `adrgen import`."]
    if _moved(draft):
        header.append(
            f"# Renumbered: {draft.source_number:04d} in the source was taken here, so this "
            f"record is {draft.number:04d}."
        )
    if draft.comments:
        header.append(
            f"# Placeholders and adjusted values are marked {TODO}: check them, then remove the marks."
        )
    return _to_yaml(data, draft.comments, header)


# ---------------------------------------------------------------------------------------------
# Files in, files out


def _collect(paths: Sequence[Path]) -> tuple[list[Path], list[FileReport]]:
    """The Markdown files to import (sorted, unique) and reports for files skipped by name."""
    found: list[Path] = []
    skipped: list[FileReport] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in MARKDOWN_SUFFIXES
                and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            if path.suffix.lower() not in MARKDOWN_SUFFIXES:
                problems.append(Problem(display_path(path), 0, 0, "", "not a Markdown file (.md)"))
                continue
            candidates = [path]
        else:
            problems.append(Problem(display_path(path), 0, 0, "", "no such file or directory"))
            continue
        for candidate in candidates:
            if SKIPPED_NAMES.match(candidate.name):
                skipped.append(
                    FileReport(
                        candidate,
                        None,
                        None,
                        "skipped",
                        reason="a README, index or template, not a record",
                    )
                )
            else:
                found.append(candidate)
    if problems:
        raise ImportFailed(problems)
    unique = {p.resolve(): p for p in found}
    seen_skips = {r.source.resolve(): r for r in skipped}
    return sorted(unique.values(), key=lambda p: p.as_posix()), sorted(
        seen_skips.values(), key=lambda r: r.source.as_posix()
    )


def _write_new(path: Path, content: bytes) -> None:
    """Write a file that must not exist yet: temp sibling, fsync, then a no-clobber link."""
    tmp = path.with_name(f".{path.name}.adrgen-import-{os.getpid()}")
    try:
        with tmp.open("xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # link() fails if the name exists, so even a file created a moment ago survives.
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV):
                raise
            # A filesystem without hard links: check, then rename (a small race remains).
            if path.exists():
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _check(planned: list[tuple[_Draft, str]], existing: _Existing, statuses: Sequence[str]) -> None:
    """Validate the new records with the existing ones; any new problem stops the import."""
    with tempfile.TemporaryDirectory(prefix="adrgen-import-") as tmp:
        new_docs: list[LoadedDocument] = []
        for draft, text in planned:
            assert draft.output is not None
            staged = Path(tmp) / draft.output.name
            staged.write_text(text, encoding="utf-8")
            try:
                new_docs.append(replace(load_file(staged), path=draft.output))
            except ValidationFailed as exc:  # pragma: no cover - the writer reads its output back
                raise ImportFailed(exc.problems) from None
        _, before = build_decision_set(existing.documents, RecordRules(tuple(statuses)))
        _, after = build_decision_set(
            [*existing.documents, *new_docs], RecordRules(tuple(statuses))
        )
    new = sorted(set(after) - set(before))
    if new:
        raise ImportFailed(
            [
                replace(
                    p,
                    message=f"{p.message} (the imported records would not validate; nothing was written)",
                )
                for p in new
            ]
        )


def import_adrs(
    paths: Sequence[Path],
    decisions_dir: Path,
    *,
    dry_run: bool = False,
    statuses: Sequence[str] = (),
    renumber: bool = False,
) -> ImportReport:
    """Import Markdown ADRs into ``decisions_dir`` as YAML records.

    ``paths`` are Markdown files or folders (searched recursively for ``*.md``; READMEs,
    ``index.md`` and templates are skipped). ``statuses`` are the project's own statuses
    (``Config.statuses``), so a source status such as "draft" is kept when the project has it.

    Every file gets a :class:`FileReport`: the record it became (or why it was skipped) and
    notes on everything that did not map one to one. Files that are not ADRs are skipped, as
    are records whose file or number already exists: nothing is ever overwritten. All new
    records are validated together with the existing ones before the first is written; with
    ``dry_run`` nothing is written at all.

    With ``renumber``, a record whose number is taken (by an existing file, or by another
    imported record before it in number-then-path order) is imported as the next number
    above all existing and assigned ones instead of being skipped. Links among the imported
    records, and the numbers in link text kept in context, follow the new numbers; each move
    is a note on its file. A source already imported by an earlier run (an existing record
    with its title, or whose header names it) is skipped, whatever number it got then, so
    running the same import twice adds nothing.

    Raises :class:`ImportFailed` (nothing written) for paths that do not exist, files that
    are not Markdown, unreadable or non-UTF-8 files and malformed front matter, and
    :class:`~adrgen.errors.OutputError` if writing fails (files written by this run are
    removed again).
    """
    sources, reports = _collect(paths)
    drafts: list[_Draft] = []
    problems: list[Problem] = []
    for source in sources:
        try:
            drafts.append(_parse_file(source, statuses))
        except ImportFailed as exc:
            problems.extend(exc.problems)
        except _NotAnAdr as exc:
            reports.append(FileReport(source, None, None, "skipped", reason=f"not an ADR: {exc}"))
    if problems:
        raise ImportFailed(problems)

    existing = _Existing.read(decisions_dir)
    _assign_numbers(drafts, decisions_dir, existing, renumber=renumber)
    _resolve_links(drafts, existing)
    _settle_statuses(drafts)
    _renumber_references(drafts)
    planned = [(d, _render(d)) for d in drafts if not d.skip_reason]
    _check(planned, existing, statuses)

    if not dry_run:
        written: list[Path] = []
        try:
            if planned:
                decisions_dir.mkdir(parents=True, exist_ok=True)
            for draft, text in planned:
                assert draft.output is not None
                _write_new(draft.output, text.encode("utf-8"))
                written.append(draft.output)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            where = exc.filename or decisions_dir
            raise OutputError(
                f"could not write {display_path(where)}: {exc.strerror or exc}; nothing was imported"
            ) from None

    action: Action = "would write" if dry_run else "written"
    for draft in drafts:
        reports.append(
            FileReport(
                source=draft.source,
                output=draft.output,
                format=draft.format,
                action="skipped" if draft.skip_reason else action,
                number=draft.number,
                title=draft.title,
                reason=draft.skip_reason,
                notes=tuple(draft.notes) if not draft.skip_reason else (),
                renumbered_from=draft.source_number
                if _moved(draft) and not draft.skip_reason
                else None,
            )
        )
    return ImportReport(tuple(sorted(reports, key=lambda r: r.source.as_posix())), dry_run=dry_run)
