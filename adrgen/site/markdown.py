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
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import markdown
import nh3
from markupsafe import Markup

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


#: Called for each ```plantuml fence of a field: its source and the 0-based line of the fence
#: inside the field. Returns trusted HTML for the diagram.
DiagramHook = Callable[[str, int], str]

_FENCE_OPEN = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[ \t]*\{?[ \t]*\.?(?P<lang>plantuml|puml)\b[^\n`]*$",
    re.IGNORECASE,
)


def find_plantuml_fences(text: str) -> list[tuple[int, int, str]]:
    """Top-level ```plantuml fences: (first line, line after the closing fence, source).

    Lines are 0-based indices into ``text.split("\\n")``. A fence left open runs to the end,
    as CommonMark has it.
    """
    lines = text.split("\n")
    found = []
    index = 0
    while index < len(lines):
        match = _FENCE_OPEN.match(lines[index])
        if not match:
            index += 1
            continue
        fence = match["fence"]
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        body = "\n".join(lines[index + 1 : end])
        found.append((index, min(end + 1, len(lines)), body))
        index = end + 1
    return found


def render_markdown(text: object, *, diagrams: DiagramHook | None = None) -> Markup:
    """A Markdown field as sanitised HTML in one block-level ``<div>``; empty text → ``""``.

    ```plantuml fences are handed to ``diagrams`` and replaced by the HTML it returns (an
    ``<img>`` of the rendered SVG, or the source under a warning); without a hook they stay
    ordinary code blocks.
    """
    source = clean_text(text)
    if not source.strip():
        return Markup("")
    replacements: dict[str, str] = {}
    if diagrams is not None:
        fences = find_plantuml_fences(source)
        if fences:
            # A random token per call: a record cannot know it, so cannot forge a placeholder.
            nonce = secrets.token_hex(8)
            lines = source.split("\n")
            out: list[str] = []
            cursor = 0
            for number, (start, stop, body) in enumerate(fences):
                token = f"adrgenplantuml{nonce}n{number}"
                replacements[token] = diagrams(body, start)
                out.extend(lines[cursor:start])
                out.extend(["", token, ""])
                cursor = stop
            out.extend(lines[cursor:])
            source = "\n".join(out)
    converted = _converter().convert(source)
    cleaned = sanitize_html(converted)
    for token, replacement in replacements.items():
        cleaned = cleaned.replace(f"<p>{token}</p>", replacement).replace(token, replacement)
    return Markup(f'<div class="adrgen-md">\n{cleaned}\n</div>')
