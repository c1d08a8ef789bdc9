"""What adrgen may publish: no SVG and no generated page ships with script in it.

Everything before this wall (escaping, the PlantUML guard, nh3 on Markdown fields) keeps
record text from becoming markup. This is the last check, on the bytes that ship, whoever
made them: PlantUML, a template, a committed SVG whose stamp says adrgen drew it (a pull
request can forge a stamp), or the local cache. It refuses:

* elements that run or embed script or other documents: ``<script>``, ``<iframe>``,
  ``<object>``, ``<embed>``, ``<foreignObject>``, SVG's ``<handler>``/``<listener>`` and the
  animation elements (``<set attributeName="href" to="javascript:…">``), ``<base>``,
  ``<meta>``, ``<form>``;
* any ``on…`` event attribute;
* ``javascript:``, ``vbscript:`` and ``data:`` URLs in any attribute that holds a URL, or in
  a CSS ``url(…)``, after entities are decoded and the controls and blanks that browsers
  skip are removed (``java&#9;script:``). The one ``data:`` URL allowed is a picture in an
  SVG ``<image>``: adrgen inlines the pictures of ```plantuml blocks that way, and a picture
  runs no script.

A diagram or page that fails the check fails alone: it is not published, and its page says
why (see :class:`~adrgen.errors.UnsafeOutput`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from xml.parsers import expat

#: Elements never published, by lower-case local name.
_FORBIDDEN = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "foreignobject",
        "handler",
        "listener",
        "animate",
        "animatemotion",
        "animatetransform",
        "animatecolor",
        "set",
        "base",
        "meta",
        "form",
    }
)
#: Attributes whose value is a URL (lower-case local names).
_URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "poster", "background", "cite", "data", "srcset"}
)
_BAD_SCHEMES = ("javascript:", "vbscript:", "livescript:", "data:")
#: What browsers drop from a URL before reading its scheme: blanks and controls.
_SKIPPED = re.compile(r"[\x00-\x20\x7f-\x9f]+")
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?([^'\")]*)", re.IGNORECASE)
_CSS_BAD = re.compile(r"expression\s*\(|-moz-binding|behavior\s*:|@import", re.IGNORECASE)
_PICTURE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|svg\+xml)[;,]")
#: Reasons reported per document, at most: the first few say enough.
_MAX_REASONS = 5
#: Everything that could make an SVG unsafe shows one of these in its text (lower-cased):
#: a document without any is clean, and a document with one is parsed to decide. Most
#: diagrams have none, so a build checks its SVGs at the speed of one regular expression
#: (a parse in Python costs about 0.2 s a megabyte). Every scheme that runs script ends in
#: "script" unless blanks or controls split it, and those are caught inside a quoted value;
#: PlantUML 1.2020's root element says ``contentScriptType``, which is no script.
_MAYBE_UNSAFE = re.compile(
    r"(?<!content)(?<!ecma)script|data:|&#|<!(?:d|e|\[)|\bon[a-z0-9_.:-]*\s*=|expression|binding|behavior|@import"
    r"|<\s*(?:[a-z0-9_-]+:)?(?:i?frames?|frameset|object|embed|applet|foreignobject|handler"
    r"|listener|animate|set|base|meta|form)\b|<svg[\s\S]*<svg"
    r"|=\s*\"[^\"]*[\x00-\x1f]|=\s*'[^']*[\x00-\x1f]"
)


def _scheme_problem(value: str, element: str, attribute: str) -> str | None:
    url = _SKIPPED.sub("", value).lower()
    if not url.startswith(_BAD_SCHEMES):
        return None
    if element == "image" and _PICTURE.match(url):
        return None
    scheme = url.split(":", 1)[0]
    return f"a {scheme}: URL in {attribute}= of <{element}>"


def _attribute_problems(element: str, attributes: list[tuple[str, str]]) -> list[str]:
    problems: list[str] = []
    for name, value in attributes:
        local = name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1].lower()
        if local.startswith("on"):
            problems.append(f"an event attribute {local}= on <{element}>")
            continue
        if local in _URL_ATTRIBUTES:
            # A srcset is "url 2x, url 3x": each candidate's URL comes first.
            candidates = (
                [c.split()[0] for c in value.split(",") if c.split()]
                if local == "srcset"
                else [value]
            )
            for candidate in candidates:
                found = _scheme_problem(candidate, element, local)
                if found:
                    problems.append(found)
        if "url" in value.lower() or local == "style":
            problems.extend(_css_problems(value, f"{local}= of <{element}>"))
    return problems


def _css_problems(text: str, where: str) -> list[str]:
    problems = []
    if _CSS_BAD.search(text):
        problems.append(f"script-running CSS in {where}")
    for match in _CSS_URL.finditer(text):
        found = _scheme_problem(match.group(1), "style", "url()")
        if found:
            problems.append(f"a {found.split(' ')[1]} URL in a CSS url() in {where}")
    return problems


def svg_problems(svg: bytes | str) -> list[str]:
    """Why this SVG must not be published (the first few reasons); ``[]`` when it may."""
    data = svg.encode("utf-8") if isinstance(svg, str) else svg
    if not _MAYBE_UNSAFE.search(data.decode("utf-8", "replace").lower()):
        return []
    # PlantUML never writes a document type: one would declare entities, which can hide
    # anything from a check of the text.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return ["a document type declaration"]
    problems: list[str] = []
    stack: list[str] = []

    def start(name: str, attributes: list[str]) -> None:
        local = name.rsplit(" ", 1)[-1].lower()
        if local == "svg" and stack:
            # PlantUML nests no <svg>; 1.2020 pastes a picture's SVG file in raw (script too).
            problems.append("an <svg> pasted inside the diagram")
        stack.append(local)
        if local in _FORBIDDEN:
            problems.append(f"a <{local}> element")
        pairs = list(zip(attributes[::2], attributes[1::2], strict=True))
        problems.extend(_attribute_problems(local, pairs))

    def end(_name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack and stack[-1] == "style":
            problems.extend(_css_problems(data, "a <style> element"))

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.ordered_attributes = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        # PlantUML writes some characters XML forbids (U+FFFE, controls) as they are. A
        # browser refuses to draw such an SVG at all, so it runs nothing; it is still read
        # the lenient way a browser reads HTML, in case a viewer is lenient too.
        return html_problems(data.decode("utf-8", "replace"))
    return problems[:_MAX_REASONS]


class _PageScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        local = tag.rsplit(":", 1)[-1].lower()
        if local in _FORBIDDEN:
            self.problems.append(f"a <{local}> element")
        self.problems.extend(_attribute_problems(local, [(k, v or "") for k, v in attrs]))
        self._in_style = local == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.problems.extend(_css_problems(data, "a <style> element"))


def html_problems(html: str) -> list[str]:
    """Why this page's HTML must not be published (the first few reasons); ``[]`` when it
    may. Read as a browser reads HTML (entities decoded), not as text: a record's text
    that *mentions* ``<script>`` is escaped, and fine."""
    scanner = _PageScanner()
    scanner.feed(html)
    scanner.close()
    return scanner.problems[:_MAX_REASONS]


def svg_file_problems(path: Path) -> list[str]:
    """:func:`svg_problems` of an SVG file; an unreadable file is not publishable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"nothing readable ({exc.strerror or exc})"]
    return svg_problems(data)


def publishable_svg(path: Path) -> bool:
    """Whether an SVG file already made (committed in ``diagrams/``, or in the local cache)
    may be published as it is. A pull request can commit any bytes under a stamp that
    says adrgen drew them, so a file is reused only if it passes the same check as a
    fresh drawing; one that does not is drawn again, or dropped."""
    return not svg_file_problems(path)
