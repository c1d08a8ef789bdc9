"""Reading one Markdown ADR: its text, its front matter, and a tree of sections.

The body is parsed by markdown-it-py (CommonMark, plus tables), whose tokens carry the
source lines they came from (``token.map``). Everything downstream works on the tree built
here, and every piece of it knows its lines in the file, so a report can say
``file.md:23:1``. What CommonMark makes of a file is what a reader of the rendered page
sees: a ``status: accepted`` inside a code fence is code, text in an HTML comment is
invisible, a setext underline makes a heading, a reference-style link has its target.

Front matter goes through adrgen's hardened YAML loader (positions, no duplicate keys, no
alias bombs, no Python objects). A file with CRLF or CR line ends, a byte order mark, no
final newline or lines of blanks reads like any other.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from markdown_it import MarkdownIt, helpers, rules_inline
from markdown_it.common.utils import unescapeAll
from markdown_it.helpers import parseLinkDestination
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from adrgen.errors import Problem, ValidationFailed, display_path
from adrgen.importer.sections import SectionTable
from adrgen.records.loader import DEFAULT_MAX_BYTES, decode_utf8, load_text, read_bounded

__all__ = [
    "Block",
    "Document",
    "Item",
    "Line",
    "Section",
    "UnreadableFile",
    "href_of",
    "inline_text",
    "parse_inline",
    "read_document",
]

BlockKind = Literal["paragraph", "list", "table", "code", "comment", "html", "quote", "rule"]


class UnreadableFile(Exception):
    """The file cannot be read as text: too big, not UTF-8, binary, or an OS error."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


InlineRule = Callable[[StateInline, bool], bool]


def _closed_only(rule: InlineRule) -> InlineRule:
    """markdown-it's ``link`` or ``image`` rule, asked only where it can succeed.

    A link needs a ``]`` after its ``[``, and a ``](`` when the file defines no reference
    (``[x]: url``) for a ``[x]`` to name. Both rules scan for the ``]`` that closes a label
    through the rest of the paragraph, from every ``[``, before they find that it is not
    there: in a paragraph of ``[`` (or ``![``, or nested brackets) that is a scan per
    character. Where nothing after the position could close a link, the rule is not asked.
    The tokens are those markdown-it makes (up to its nesting limit, 20 brackets deep,
    beyond which it gives up on links anyway).
    """

    def closed_only(state: StateInline, silent: bool) -> bool:
        last = state.env.get(_LAST_CLOSE)
        if last is None or last[0] is not state.src:
            closing = "]" if state.env.get("references") else "]("
            last = (state.src, state.src.rfind(closing))
            state.env[_LAST_CLOSE] = last
        if last[1] < state.pos:
            return False
        return rule(state, silent)

    return closed_only


#: Where :func:`_closed_only` keeps, per paragraph (``env`` is the parse's), the position of
#: the last ``]`` (or ``](``) in it.
_LAST_CLOSE = "adrgen: last ]"


class _Destination:
    """What markdown-it's ``parseLinkDestination`` returns."""

    __slots__ = ("ok", "pos", "str")

    def __init__(self, ok: bool = False, pos: int = 0, text: str = "") -> None:
        self.ok, self.pos, self.str = ok, pos, text


#: The characters that end or nest a bare link destination, or escape the next one.
_DESTINATION_STOPS = re.compile(r"[\x00-\x20\x7f\\()]")


def _link_destination(string: str, pos: int, maximum: int) -> Any:
    """markdown-it's ``parseLinkDestination``, jumping from one character that matters to
    the next instead of stepping through every character in Python.

    The same result for every input (a destination stops at a space or a control
    character; ``\\`` escapes the next character; parentheses nest, at most 32 deep);
    ``<…>`` destinations are left to markdown-it. In a paragraph of ``![a](`` every
    ``(`` starts a destination that is read up to the 33rd ``(``.
    """
    if pos < maximum and string[pos] == "<":
        return parseLinkDestination(string, pos, maximum)
    start, level = pos, 0
    while pos < maximum:
        stop = _DESTINATION_STOPS.search(string, pos, maximum)
        if stop is None:
            pos = maximum
            break
        pos = stop.start()
        char = string[pos]
        if char == "\\":
            if pos + 1 < maximum:
                if string[pos + 1] == " ":
                    break
                pos += 2
            else:
                pos += 1
        elif char == "(":
            level += 1
            if level > 32:
                return _Destination()
            pos += 1
        elif char == ")":
            if level == 0:
                break
            level -= 1
            pos += 1
        else:
            break  # a space or a control character
    if start == pos or level != 0:
        return _Destination()
    return _Destination(True, pos, unescapeAll(string[start:pos]))


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.inline.ruler.at("link", _closed_only(rules_inline.link))
    md.inline.ruler.at("image", _closed_only(rules_inline.image))
    # The rules call the helpers through the instance: this parser's, only.
    md.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkDestination=_link_destination,
        parseLinkLabel=helpers.parseLinkLabel,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    return md


_MD = _parser()


def inline_text(tokens: Sequence[Token], *, code: bool = False) -> str:
    """Inline tokens as plain text: link and image text kept, emphasis and HTML dropped.

    ``code=True`` keeps the backticks of code spans (option names are written that way).
    """
    out: list[str] = []
    for token in tokens:
        if token.type == "text":
            out.append(token.content)
        elif token.type == "code_inline":
            out.append(f"`{token.content}`" if code else token.content)
        elif token.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif token.type == "image":
            out.append(token.content)
    return re.sub(r"\s+", " ", "".join(out)).strip()


@functools.lru_cache(maxsize=4096)
def href_of(destination: str) -> str:
    """A link destination as written (``<0002 x.md>``, ``a&amp;b.md``) as markdown-it gives
    it in its tokens (``0002%20x.md``, ``a&b.md``)."""
    if destination.startswith("<") and destination.endswith(">"):
        destination = destination[1:-1]
    return str(_MD.normalizeLink(unescapeAll(destination)))


def parse_inline(text: str, references: dict[str, Any] | None = None) -> list[Token]:
    """The inline tokens of one line of Markdown (reference links resolved from the file)."""
    env = {"references": references or {}}  # read, not written, by inline rules: not copied
    tokens = _MD.parseInline(text, env)
    return list(tokens[0].children or []) if tokens else []


@dataclass(frozen=True)
class Link:
    """A link or an image in running text."""

    text: str
    href: str
    line: int
    image: bool = False


@dataclass(frozen=True)
class Line:
    """One line of inline Markdown: a paragraph's line, a list item's text, a table cell."""

    number: int
    raw: str
    tokens: tuple[Token, ...] = field(repr=False)

    @property
    def plain(self) -> str:
        """The text a reader sees."""
        return inline_text(self.tokens)

    @property
    def name(self) -> str:
        """The text with code spans in backticks, as names of options are written."""
        return inline_text(self.tokens, code=True)

    def links(self) -> list[Link]:
        """Links and images in the line, in order."""
        found: list[Link] = []
        stack: list[tuple[str, list[Token]]] = []
        for token in self.tokens:
            if token.type == "link_open":
                stack.append((str(token.attrs.get("href", "")), []))
            elif token.type == "link_close" and stack:
                href, inner = stack.pop()
                found.append(Link(inline_text(inner), href, self.number))
            elif token.type == "image":
                found.append(
                    Link(token.content, str(token.attrs.get("src", "")), self.number, True)
                )
            elif stack:
                stack[-1][1].append(token)
        return found

    def segments(self) -> Iterator[tuple[str, Link | None]]:
        """The line as plain-text pieces and links, in order (for reading what a link means)."""
        buffer: list[Token] = []
        inner: list[Token] | None = None
        href = ""
        for token in self.tokens:
            if token.type == "link_open":
                if buffer:
                    yield inline_text(buffer), None
                    buffer = []
                inner, href = [], str(token.attrs.get("href", ""))
            elif token.type == "link_close" and inner is not None:
                yield inline_text(inner), Link(inline_text(inner), href, self.number)
                inner = None
            elif inner is not None:
                inner.append(token)
            elif token.type == "code_inline":
                buffer.append(Token("text", "", 0, content="…"))  # code names no record
            else:
                buffer.append(token)
        if buffer:
            yield inline_text(buffer), None


@dataclass
class Item:
    """One list item: its own text, then whatever it holds."""

    line: Line
    start: int
    end: int
    raw: str
    children: list[Item] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Block:
    """One top-level Markdown block of a section, with its lines in the file (1-based)."""

    kind: BlockKind
    start: int
    end: int
    raw: str
    lines: list[Line] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    ordered: bool = False
    header: list[Line] = field(default_factory=list)
    rows: list[list[Line]] = field(default_factory=list)

    @property
    def plain(self) -> str:
        """The block's text as a reader sees it (paragraphs; raw text otherwise)."""
        if self.kind == "paragraph":
            return " ".join(line.plain for line in self.lines).strip()
        return self.raw

    def all_lines(self) -> Iterator[Line]:
        """Every line of inline text in the block: paragraph lines, items, table cells."""
        yield from self.lines
        for item in self.items:
            yield from _item_lines(item)
        yield from self.header
        for row in self.rows:
            yield from row


def _item_lines(item: Item) -> Iterator[Line]:
    yield item.line
    for block in item.blocks:
        yield from block.all_lines()
    for child in item.children:
        yield from _item_lines(child)


@dataclass
class Section:
    """A heading and everything under it up to the next heading of its level or higher."""

    title: str
    level: int
    line: int
    heading: Line
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        """This section and every section below it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Document:
    """One Markdown file, read."""

    path: Path
    display: str
    lines: list[str]
    front: dict[str, Any] | None
    #: Front matter as written, by key: (first line, lines) for the keys a record has no
    #: field for, which are then kept as written.
    front_keys: dict[str, tuple[int, list[str]]]
    #: A front matter block that could not be read as a mapping: (first line, its text).
    front_unread: tuple[int, str] | None
    h1: Line | None
    #: Blocks before the first section (after the title).
    preamble: list[Block]
    sections: list[Section]
    references: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)

    def walk(self) -> Iterator[Section]:
        """Every section, in document order."""
        for section in self.sections:
            yield from section.walk()

    def source(self, start: int, end: int) -> str:
        """Lines ``start``..``end`` (1-based, inclusive) as written."""
        return "\n".join(self.lines[start - 1 : end])


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file's text with line ends made ``\\n``; raises :class:`UnreadableFile`.

    Read through adrgen's loader, so a file too big, unreadable or not UTF-8 gets the same
    message as a record would.
    """
    try:
        text = decode_utf8(read_bounded(path, max_bytes=max_bytes, what="ADRs"), path)
    except ValidationFailed as exc:
        raise UnreadableFile(exc.problems[0]) from None
    if "\x00" in text:
        raise UnreadableFile(
            Problem(display_path(path), 1, 1, "", "binary file (contains NUL bytes), not Markdown")
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


_SQUASHED = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):(?P<value>\S.*)$")
#: A key at the start of a front matter line: quoted, or the text before the first colon
#: without its trailing blanks (which end it: no blank is tried both in the key and after).
_KEY_LINE = re.compile(r"^(?:\"([^\"]+)\"|'([^']+)'|([^\s#'\"-](?:[^:]*[^:\s])?))\s*:(?:\s|$)")


def _front_matter(
    lines: list[str], path: Path
) -> tuple[
    dict[str, Any] | None,
    dict[str, tuple[int, list[str]]],
    tuple[int, str] | None,
    int,
    list[Problem],
]:
    """Front matter: its mapping, its keys as written, what could not be read, the line
    after it (0-based) and the problems found."""
    if not lines or lines[0].rstrip() != "---":
        return None, {}, None, 0, []
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return None, {}, None, 0, []  # a thematic break, not front matter
    raw = lines[1:end]
    text = "\n".join(raw)
    shown = display_path(path)
    try:
        data = load_text(text, path).data if text.strip() else {}
    except ValidationFailed as exc:
        problems = [
            Problem(
                shown,
                p.line + 1 if p.line else 1,
                p.col,
                "",
                f"front matter: {p.message}; kept as text",
            )
            for p in exc.problems
        ]
        return None, {}, (2, text), end + 1, problems
    if data is None:
        data = {}
    if isinstance(data, str) and all(_SQUASHED.match(line) for line in raw if line.strip()):
        # "tag:General": YAML wants a space after the colon; a reader sees a key and a value.
        data = {m["key"]: m["value"].strip() for m in map(_SQUASHED.match, raw) if m}
        problems = [
            Problem(
                display_path(path),
                2,
                1,
                "",
                "front matter has no space after its colon (key:value); read as key: value",
            )
        ]
    else:
        problems = []
    if not isinstance(data, dict):
        problem = Problem(
            shown, 2, 1, "", "front matter is not a mapping of keys (key: value); kept as text"
        )
        return None, {}, (2, text), end + 1, [problem]
    keys: dict[str, tuple[int, list[str]]] = {}
    current = ""
    for index, line in enumerate(raw):
        match = _KEY_LINE.match(line) or _SQUASHED.match(line)
        if match and not line[:1].isspace():
            current = next(g for g in match.groups() if g)
            keys[current] = (index + 2, [line])
        elif current:
            keys[current][1].append(line)
    return {str(k): v for k, v in data.items()}, keys, None, end + 1, problems


def read_document(
    path: Path, text: str, table: SectionTable, *, display: str | None = None
) -> Document:
    """Parse a file's text (from :func:`read_text`) into a :class:`Document`.

    ``table`` tells a first ``# Context`` (a section) from a first ``# Title``.
    """
    lines = text.split("\n")
    front, front_keys, unread, body_start, problems = _front_matter(lines, path)
    body = "\n".join(lines[body_start:])
    env: dict[str, Any] = {}
    tokens = _MD.parse(body, env)
    builder = _TreeBuilder(lines, body_start, table)
    h1, preamble, sections = builder.build(tokens)
    shown = display or display_path(path)
    problems += [Problem(shown, line, 1, "", message) for line, message in builder.warnings]
    return Document(
        path,
        shown,
        lines,
        front,
        front_keys,
        unread,
        h1,
        preamble,
        sections,
        env.get("references", {}),
        problems,
    )


_BULLET = re.compile(r"^\s*(?:[*+-]|\d{1,9}[.)])(?:\s+\[[ xX]\])?\s+")
_ADMONITION_OPEN = re.compile(r"^:::\s*(?P<kind>[A-Za-z]+)\s*(?P<title>.*)$")


class _TreeBuilder:
    """markdown-it tokens → title, preamble blocks and a tree of sections."""

    def __init__(self, lines: list[str], offset: int, table: SectionTable) -> None:
        self.lines = lines
        self.offset = offset
        self.table = table
        #: (line, message): what the report says about how the file reads.
        self.warnings: list[tuple[int, str]] = []

    def _span(self, token: Token) -> tuple[int, int]:
        start, end = token.map or (0, 1)
        return start + self.offset + 1, end + self.offset

    def _raw(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])

    def build(self, tokens: list[Token]) -> tuple[Line | None, list[Block], list[Section]]:
        h1: Line | None = None
        root = Section("", 0, 0, Line(0, "", ()))
        stack = [root]
        admonition: Section | None = None
        for group in _top_level(tokens):
            first = group[0]
            if first.type == "heading_open":
                level = int(first.tag[1:])
                start, _ = self._span(first)
                inline = group[1]
                heading = Line(start, inline.content, tuple(inline.children or ()))
                if (
                    level == 1
                    and h1 is None
                    and len(stack) == 1
                    and not self._names_section(heading)
                ):
                    h1 = heading
                    continue
                # Some records head every section with '#': below the title, an H1 is a section.
                level = max(level, 2)
                section = Section(heading.name, level, start, heading)
                while stack[-1].level >= level:
                    stack.pop()
                stack[-1].children.append(section)
                stack.append(section)
                admonition = None
                continue
            block = self._block(group)
            if block.kind == "paragraph" and len(block.lines) == 1:
                text = block.lines[0].raw.strip()
                opened = _ADMONITION_OPEN.match(text)
                if admonition is not None and text == ":::":
                    admonition = None
                    continue
                if opened and admonition is None:
                    # Docusaurus ":::info Status" … ":::": a titled box reads like a section.
                    title = opened["title"].strip() or opened["kind"].title()
                    heading = Line(block.start, title, tuple(parse_inline(title)))
                    admonition = Section(
                        heading.name, max(2, stack[-1].level + 1), block.start, heading
                    )
                    stack[-1].children.append(admonition)
                    continue
            (admonition or stack[-1]).blocks.append(block)
        return h1, root.blocks, root.children

    def _names_section(self, heading: Line) -> bool:
        """Whether an H1 names a section rather than the record ("# Context")."""
        found = self.table.part_of(heading.plain)
        return found is not None and not found[1]

    def _block(self, group: list[Token]) -> Block:
        first = group[0]
        start, end = self._span(first)
        raw = self._raw(start, end)
        if first.type == "paragraph_open":
            return Block("paragraph", start, end, raw, lines=self._paragraph_lines(group[1], start))
        if first.type in ("bullet_list_open", "ordered_list_open"):
            return Block(
                "list",
                start,
                end,
                raw,
                items=self._items(group),
                ordered=first.type == "ordered_list_open",
            )
        if first.type == "table_open":
            header, rows = self._table(group)
            return Block("table", start, end, raw, header=header, rows=rows)
        if first.type in ("fence", "code_block"):
            return Block("code", start, end, raw)
        if first.type == "html_block":
            kind: BlockKind = "html"
            if first.content.lstrip().startswith("<!--"):
                if "-->" in first.content:
                    kind = "comment"
                else:
                    # Never closed: CommonMark runs it to the end of the file (or of its
                    # list item or quote). What follows is text someone wrote, not a hint
                    # to drop: kept as written, and said.
                    self.warnings.append(
                        (
                            start,
                            "an HTML comment opened here is never closed (no '-->'): "
                            f"lines {start}-{end} are kept as written, though a browser "
                            "shows none of them",
                        )
                    )
            return Block(kind, start, end, raw)
        if first.type == "blockquote_open":
            inner = [self._block(g) for g in _top_level(group[1:-1], level=1)]
            lines = [line for b in inner for line in b.all_lines()]
            return Block("quote", start, end, raw, lines=lines)
        return Block("rule", start, end, raw)

    def _paragraph_lines(self, inline: Token, start: int) -> list[Line]:
        """A paragraph's lines, each with its own tokens (metadata is written a line each)."""
        out: list[Line] = []
        current: list[Token] = []
        number = start
        for token in [*(inline.children or ()), Token("softbreak", "", 0)]:
            if token.type in ("softbreak", "hardbreak"):
                raw = self.lines[number - 1].strip() if number - 1 < len(self.lines) else ""
                out.append(Line(number, raw, tuple(current)))
                current = []
                number += 1
            else:
                current.append(token)
        return [line for line in out if line.tokens or line.raw]

    def _items(self, group: list[Token]) -> list[Item]:
        items: list[Item] = []
        depth = group[0].level
        index = 1
        while index < len(group) - 1:
            token = group[index]
            if token.type == "list_item_open" and token.level == depth + 1:
                close = _closing(group, index)
                items.append(self._item(group[index : close + 1]))
                index = close + 1
            else:
                index += 1
        return items

    def _item(self, group: list[Token]) -> Item:
        start, end = self._span(group[0])
        item = Item(Line(start, "", ()), start, end, self._raw(start, end))
        first_text = True
        for sub in _top_level(group[1:-1], level=group[0].level + 1):
            head = sub[0]
            if head.type == "paragraph_open" and first_text:
                inline = sub[1]
                text_raw = self._raw(*self._span(head)).split("\n")
                if self._span(head)[0] == start:
                    text_raw[0] = _BULLET.sub("", text_raw[0], count=1)
                text = " ".join(part.strip() for part in text_raw).strip()
                item.line = Line(start, text, tuple(inline.children or ()))
                first_text = False
            elif head.type in ("bullet_list_open", "ordered_list_open"):
                item.children.extend(self._items(sub))
            else:
                item.blocks.append(self._block(sub))
        return item

    def _table(self, group: list[Token]) -> tuple[list[Line], list[list[Line]]]:
        header: list[Line] = []
        rows: list[list[Line]] = []
        row: list[Line] = []
        in_head = False
        for token in group:
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                row = []
            elif token.type == "tr_close":
                if in_head:
                    header = row
                else:
                    rows.append(row)
            elif token.type == "inline":
                number = self._span(token)[0]
                row.append(Line(number, token.content, tuple(token.children or ())))
        return header, rows


def _closing(tokens: Sequence[Token], index: int) -> int:
    """The index of the token that closes the one at ``index``."""
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position
    return len(tokens) - 1


def _top_level(tokens: Sequence[Token], level: int = 0) -> Iterator[list[Token]]:
    """The tokens grouped by block, at one nesting level."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.level != level:
            index += 1
            continue
        if token.nesting == 1:
            close = _closing(tokens, index)
            yield list(tokens[index : close + 1])
            index = close + 1
        else:
            yield [token]
            index += 1
