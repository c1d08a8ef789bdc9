"""Record text on a page: Markdown fields rendered and sanitised, plain text escaped.

A record is data written by anyone who can open a pull request, and its text ends up inside
a page that MkDocs (or another builder) turns into HTML with *its own* Markdown pass. So
every piece of record text reaches a page in one of three shapes, chosen by the template:

* :func:`render_markdown` for the Markdown fields (context, summaries, rationale…): the text
  is converted here with Python-Markdown, then cleaned by nh3 (an allow-list: no
  ``<script>``, no ``on*=`` attributes, no ``javascript:`` URLs, no external images), and
  wrapped in a block-level ``<div>``. Python-Markdown passes a block-level HTML element
  through untouched, so the builder's Markdown pass cannot re-interpret what nh3 approved.
* :func:`html_text` for plain text placed inside raw HTML written by a template.
* :func:`md_text` for plain text placed where the builder reads Markdown (headings, link
  text, table cells): Markdown punctuation is backslash-escaped, so ``**``, ``[x](y)``,
  ``{: onclick=…}`` (attr_list) or a fence stay text, and ``<``/``&`` become entities.

All three return :class:`markupsafe.Markup`, the marker the page templates' finaliser lets
through unchanged; anything *not* marked is escaped with :func:`md_text`, so a template that
forgets a filter shows a stray backslash, never live markup.

Jinja syntax in a record (``{{ 7*7 }}``) is harmless here by construction: record text is a
value handed to templates, never template source, and nothing downstream evaluates it.

```plantuml fences are found here too (:func:`find_plantuml_fences`), at any depth of lists,
blockquotes and admonitions, and replaced in place by one line that keeps the structure
around them (:class:`PlantumlFence`): HTML for a record field, Markdown for a hand-written
page (:func:`markdown_image`, which MkDocs links right), or a warning as one line of HTML
whose text cannot be read as Markdown (:func:`inline_html`).
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import markdown
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from adrgen.diagrams.fenced import BlockOptions, plantuml_options

#: Control characters are never meaningful in a record, and Python-Markdown uses \x02/\x03
#: for its internal placeholders: a record must not be able to forge one.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WHITESPACE = re.compile(r"\s+")
#: What Python-Markdown (with the tables extension) accepts a backslash before.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")

#: Tags a Markdown field may produce or contain. No forms, media, frames, styles or scripts.
ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "details",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "s",
        "samp",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
#: Link targets a record may use. Relative URLs (``../other/``, ``#anchor``) pass as well.
URL_SCHEMES = frozenset({"http", "https", "mailto"})


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    # Images must come from the site itself: an external image would break "works offline"
    # and let a record author track who reads the page.
    if element == "img" and attribute == "src":
        parts = urlsplit(value.strip())
        if parts.scheme or parts.netloc or value.strip().startswith("//"):
            return None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
)

_local = threading.local()


def _converter() -> markdown.Markdown:
    # Building a Markdown instance costs about a millisecond; one per thread is reused.
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=["fenced_code", "tables", "sane_lists"], output_format="html"
        )
        _local.md = md
    md.reset()
    return md


def clean_text(text: object) -> str:
    """The text without control characters (tabs and newlines kept)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def one_line(text: object) -> str:
    """The text on one line: plain-text fields never span lines on a page."""
    return _WHITESPACE.sub(" ", clean_text(text)).strip()


def html_text(text: object) -> Markup:
    """Plain text for an HTML context (element content or a quoted attribute)."""
    return Markup(html.escape(clean_text(text), quote=True))


def md_text(text: object) -> Markup:
    """Plain text for a Markdown context: one line, Markdown syntax and HTML both inert."""
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line(text))
    # After the backslashes: the entities html.escape writes contain '#' and must stay whole.
    return Markup(html.escape(escaped, quote=True))


_inline_lock = threading.Lock()
_inline: MarkdownIt | None = None


def _inline_parser() -> MarkdownIt:
    """CommonMark with raw HTML off: in a one-line field, ``<b>`` is text, shown as typed."""
    global _inline
    with _inline_lock:
        if _inline is None:
            _inline = MarkdownIt("commonmark", {"html": False})
        return _inline


def inline_markdown(text: object) -> Markup:
    """A one-line field (a title) with its inline Markdown rendered: ``Use `nh3` to
    sanitise`` shows ``nh3`` as code. Raw HTML is text, as typed; links are sanitised like
    every Markdown field's (no ``javascript:``)."""
    line = one_line(text)
    if not line:
        return Markup("")
    # The HTML goes into a Markdown page (a heading, a table cell), which the builder reads
    # again: its text as entities, so that nothing in it is Markdown a second time (an
    # attribute list `{: onclick=…}`, a `[link](javascript:…)` that CommonMark refused).
    return Markup(inline_html(sanitize_html(_inline_parser().renderInline(line))))


def plain_text(text: object) -> str:
    """A one-line field as plain text, its inline Markdown dropped: ``Use nh3 to sanitise``.
    For the nav, the browser's title and link labels, which show no markup."""
    line = one_line(text)
    if not line:
        return ""
    tokens = _inline_parser().parseInline(line)
    children = tokens[0].children if tokens and tokens[0].children else []
    kept = ("text", "code_inline", "softbreak", "html_inline")
    return "".join(t.content for t in children if t.type in kept).strip() or line


def safe_url(url: object) -> str | None:
    """``url`` if it is an http(s) URL or a relative path, else ``None`` (e.g. ``javascript:``)."""
    text = one_line(url)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme and parts.scheme.lower() not in ("http", "https"):
        return None
    if re.search(r"[\s<>\"']", text):
        return None
    return text


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment with adrgen's allow-list."""
    return _CLEANER.clean(fragment)


# ---------------------------------------------------------------------------------------------
# ```plantuml fences, wherever the Markdown nests them

#: Called for each ```plantuml fence of a field. Returns trusted HTML for the diagram.
DiagramHook = Callable[["PlantumlFence"], str]

#: Container-block openers of Python-Markdown's admonitions and pymdownx's details and tabs,
#: after any blockquote markers and indentation: their content is indented by four spaces.
_INDENTED_BLOCK = re.compile(
    r"^(?P<lead>(?:[ \t]*>)*[ \t]*)"
    r"(?:!!! ?[\w-]+(?: +[\w-]+)*(?: +\".*?\")?"
    r"|\?{3}\+? ?(?:(?:[\w-]+(?: +[\w-]+)*?)?(?: +\".*?\")|[\w-]+(?: +[\w-]+)*?)"
    r"|={3}(?:\+|\+!|!\+|!)? +\".*?\")"
    r" *$"
)
#: Cheap test that a text may hold a diagram fence at all, before it is parsed.
_MAYBE_FENCE = re.compile(
    r"(?:`{3}|~{3})[ \t]*\{?[ \t]*\.?(?:c4plantuml|plantuml|puml|uml)|::uml::", re.I
)
_LINE_BREAKS = re.compile(r"\r\n?")

_parser_lock = threading.Lock()
_parser: MarkdownIt | None = None


def _block_parser() -> MarkdownIt:
    global _parser
    with _parser_lock:
        if _parser is None:
            # CommonMark's block structure only: lists, blockquotes, fences, indented code,
            # HTML blocks. Inline parsing is not needed to find fences.
            parser = MarkdownIt("commonmark").disable(["inline", "text_join"], ignoreInvalid=True)
            parser.parse("")  # its rule chains are compiled on first use: here, under the lock
            _parser = parser
        return _parser


@dataclass(frozen=True)
class PlantumlFence:
    """A ```plantuml fence: where it stands, what it says, and what precedes it on its line.

    ``start`` and ``stop`` are 0-based line indices into ``text.split("\\n")`` (``stop`` is
    the line after the closing fence). ``body`` has the container's indentation and ``>``
    markers taken off. ``info`` is what follows the fence's three backticks (or tildes):
    ``plantuml`` and the options. A ``::uml::`` block is a fence too, its ``info`` ``uml``
    and the options.
    """

    start: int
    stop: int
    body: str
    info: str
    #: What precedes the fence characters on their line: indentation, ``>``, a list marker.
    lead: str
    #: An empty line inside the same container: ``""``, or ``">"`` in a blockquote.
    blank: str
    #: Whether an empty line goes before / after the replacement, so that it is a block of
    #: its own and the list, quote or admonition around it stays whole.
    space_before: bool
    space_after: bool
    #: 1-based column of ``info``'s first character on the fence line, for messages.
    info_column: int

    @property
    def column(self) -> int:
        """1-based column of the fence characters."""
        return len(self.lead) + 1

    def replacement(self, line: str) -> list[str]:
        """The lines that replace the fence: ``line`` (one line of Markdown or HTML) at the
        fence's place in its list, quote or admonition."""
        out = [self.blank] if self.space_before else []
        out.append(self.lead + line)
        if self.space_after:
            out.append(self.blank)
        return out


def _is_blank(line: str) -> bool:
    return not line.strip(" \t>")


def find_plantuml_fences(text: str, *, admonitions: bool = True) -> list[PlantumlFence]:
    """Every ```plantuml fence of a Markdown text, at any depth of lists and blockquotes,
    and (with ``admonitions``) inside ``!!!`` admonitions, ``???`` details and ``===`` tabs.

    The structure is CommonMark's, read by markdown-it-py: a fence inside another code block
    (fenced or indented) is code, not a diagram. As in plantuml-markdown, a diagram fence is
    exactly three backticks or tildes: a longer fence (````` ````plantuml `````) is how a page
    shows PlantUML source as code. A fence left open runs to the end of its container, as
    CommonMark has it. Admonitions are not CommonMark: each opening line is read as a list
    item whose content, like an admonition's, is indented by four spaces. plantuml-markdown's
    other syntax, ``::uml:: options`` … ``::end-uml::`` (same indentation), is found too,
    outside code blocks.
    """
    if not _MAYBE_FENCE.search(text):
        return []
    original = _LINE_BREAKS.sub("\n", text).split("\n")
    lines = list(original)
    changed: set[int] = set()
    if admonitions:
        for index, line in enumerate(lines):
            opener = _INDENTED_BLOCK.match(line)
            if opener:
                lines[index] = opener["lead"] + "-   item"
                changed.add(index)
    found: list[PlantumlFence] = []
    #: Lines inside code blocks, raw HTML and the fences found, where no `::uml::` starts.
    code: set[int] = set()
    for token in _block_parser().parse("\n".join(lines)):
        if token.map is None or token.type not in ("fence", "code_block", "html_block"):
            continue
        if token.type != "fence" or len(token.markup) != 3:
            code.update(range(*token.map))
            continue
        start, stop = token.map
        line = lines[start]
        lead = line[: line.find(token.markup)]
        options = line[len(lead) + 3 :]
        if plantuml_options(options) is None:
            code.update(range(start, stop))
            continue
        body = token.content.split("\n")
        if body and body[-1] == "":
            body.pop()
        for index in changed:
            # A line inside the fence that looked like an admonition: its own text back.
            row = index - start - 1
            if 0 <= row < len(body):
                cut = len(lines[index]) - len(body[row])
                if cut >= 0 and lines[index][:cut] == original[index][:cut]:
                    body[row] = original[index][cut:]
        found.append(_fence(original, start, stop, "\n".join(body), options, lead, len(lead) + 4))
        code.update(range(start, stop))
    found += _uml_blocks(original, code)
    return sorted(found, key=lambda fence: fence.start)


def _fence(
    lines: list[str], start: int, stop: int, body: str, info: str, lead: str, info_column: int
) -> PlantumlFence:
    blank = ">" if ">" in lead else ""
    # No empty line between a list marker and its item's first block.
    opens_item = bool(lead.strip(" \t>"))
    before = start > 0 and not _is_blank(lines[start - 1]) and not opens_item
    after = stop < len(lines) and not _is_blank(lines[stop])
    return PlantumlFence(start, stop, body, info, lead, blank, before, after, info_column)


#: plantuml-markdown's other block syntax (Pelican's): ``::uml:: options`` … ``::end-uml::``.
_UML_OPEN = re.compile(r"^(?P<lead>[ \t>]*)::uml::(?P<options>(?:[ \t].*)?)$")


def _uml_blocks(lines: list[str], code: set[int]) -> list[PlantumlFence]:
    """The ``::uml::`` blocks of a text, outside code blocks (``code``: their lines)."""
    found = []
    index = 0
    while index < len(lines):
        opener = _UML_OPEN.match(lines[index]) if index not in code else None
        if opener is None:
            index += 1
            continue
        lead = opener["lead"]
        closing = lead + "::end-uml::"
        end = index + 1
        while end < len(lines) and lines[end].rstrip(" \t") != closing:
            end += 1
        if end == len(lines):  # never closed: plantuml-markdown reads no block there either
            index += 1
            continue
        body = [
            line[len(lead) :] if line.startswith(lead) else line.lstrip(" \t>")
            for line in lines[index + 1 : end]
        ]
        # `uml` before the options, so that they read like a fence's; the column of the
        # options' first character stays that of the text after `::uml::`.
        info = "uml" + opener["options"]
        found.append(_fence(lines, index, end + 1, "\n".join(body), info, lead, len(lead) + 5))
        index = end + 1
    return found


def replace_fences(
    text: str, fences: list[PlantumlFence], replacement: Callable[[PlantumlFence], str]
) -> str:
    """``text`` with each fence replaced by ``replacement(fence)`` (one line) in its place."""
    lines = _LINE_BREAKS.sub("\n", text).split("\n")
    out: list[str] = []
    cursor = 0
    for fence in fences:
        out.extend(lines[cursor : fence.start])
        out.extend(fence.replacement(replacement(fence)))
        cursor = fence.stop
    out.extend(lines[cursor:])
    return "\n".join(out)


def _entities(text: str) -> str:
    """Every character but letters, digits and spaces as a numeric character reference.

    Text in a line of HTML or Markdown that Python-Markdown may read as a paragraph (inside
    a list item, say): no character can start emphasis, a link, an attribute list or an
    autolink, and a newline becomes ``&#10;``, so the line stays one line.
    """
    return "".join(c if c.isalnum() or c == " " else f"&#{ord(c)};" for c in text)


def inline_html(fragment: str) -> str:
    """Trusted HTML as one line that reads the same as an HTML block or inside a paragraph.

    Python-Markdown takes raw HTML as a block only at the top level; inside a list item or
    an admonition it reads the line as a paragraph, keeping the tags but reading the text
    between them as Markdown. Text between tags is therefore written as entities.
    """
    parts = re.split(r"(<[^<>]*>)", fragment)
    return "".join(
        part if index % 2 else _entities(html.unescape(part)) for index, part in enumerate(parts)
    )


def markdown_image(target: str, options: BlockOptions, default_alt: str) -> str:
    """A linked picture in Markdown, ``[![alt](target "title"){: …}](target)``, carrying a
    fence's options. ``target`` must be a relative URL adrgen made (MkDocs rewrites it).

    The alt and title are untrusted text, written as entities (nothing in them can end the
    brackets or quotes). Classes, id and size need the attr_list extension, which adrgen's
    MkDocs plugin turns on; they are validated names and CSS lengths (see
    :func:`adrgen.diagrams.fenced.parse_options`), and written only when a fence asks.
    """
    alt = _entities(one_line(options.alt) or default_alt)
    title = f' "{_entities(one_line(options.title))}"' if options.title else ""
    attributes = [f".{name}" for name in options.classes]
    if options.id:
        attributes.append(f"#{options.id}")
    if options.style:
        # plantuml-markdown's sizing: the picture fills its box up to the given size.
        attributes += ['width="100%"', f'style="{options.style}"']
    attribute_list = "{: " + " ".join(attributes) + " }" if attributes else ""
    return f"[![{alt}]({target}{title}){attribute_list}]({target})"


def render_markdown(text: object, *, diagrams: DiagramHook | None = None) -> Markup:
    """A Markdown field as sanitised HTML in one block-level ``<div>``; empty text → ``""``.

    ```plantuml fences (also in lists and blockquotes) are handed to ``diagrams`` and
    replaced by the HTML it returns (an ``<img>`` of the rendered SVG, or the source under a
    warning); without a hook they stay ordinary code blocks. The converter here has no
    admonitions, so an indented ``!!! note`` body is read as the code block it is here.
    """
    source = clean_text(text)
    if not source.strip():
        return Markup("")
    replacements: dict[str, str] = {}
    if diagrams is not None:
        fences = find_plantuml_fences(source, admonitions=False)
        if fences:
            # A random token per call: a record cannot know it, so cannot forge a placeholder.
            nonce = secrets.token_hex(8)

            def placeholder(fence: PlantumlFence) -> str:
                token = f"adrgenplantuml{nonce}n{len(replacements)}"
                replacements[token] = diagrams(fence)
                return token

            source = replace_fences(source, fences, placeholder)
    converted = _converter().convert(source)
    cleaned = sanitize_html(converted)
    for token, replacement in replacements.items():
        cleaned = cleaned.replace(f"<p>{token}</p>", replacement).replace(token, replacement)
    return Markup(f'<div class="adrgen-md">\n{cleaned}\n</div>')
