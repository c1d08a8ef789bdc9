"""Turning record text into PlantUML text that can only ever be text.

PlantUML reads its input through a preprocessor (``!include``, ``%getenv()``, ``$vars``),
then diagram syntax (quotes, ``@enduml``, ``'`` comments, ``{{ }}`` sub-diagrams), then Creole
markup inside labels (``**bold**``, ``<img:…>``, ``[[links]]``, ``<color>``). A string from a
record must survive all three as literal characters, in every place a template puts it, on
PlantUML 1.2020 (Debian bookworm) and on a current PlantUML (1.2026).

The tool is PlantUML's Unicode escape ``<U+XXXX>``: it is decoded only when a label is drawn,
after every other stage has run, and works on 1.2020 and later (HTML entities do not:
``&#92;`` and ``&#36;`` crash 1.2020's Creole parser). Characters that any stage treats
specially are written this way; letters, digits and harmless punctuation stay readable.
Newlines become PlantUML's ``\\n`` so a string never spans two source lines, and other
control characters are dropped. Long lines are wrapped (see :data:`WRAP`).

Every rule below was found by rendering, not by reading PlantUML's grammar:
``tools/plantuml_char_sweep.py`` draws every punctuation, symbol, format, space and
private-use character alone, first, last and doubled through the real templates on both
versions, and the tests in ``tests/test_escaping.py`` pin each case.
"""

from __future__ import annotations

import re
import unicodedata

#: Always escaped: preprocessor sigils, quotes, comment and markup openers, brackets, and
#: the Unicode look-alikes PlantUML also reads as syntax: « » (stereotypes) and “ ” (quotes).
_ALWAYS = frozenset("!@%$'\"<>[]{}&*#~\\`|^«»“”")
#: Escaped when doubled (Creole's ``//italic//``, ``__underline__``, ``--strike--``,
#: ``==heading``, ``,,sub``) or when first: a label never starts with markup, and a title
#: starting with ``:`` loses it (``title : x`` is the ``title:`` form; both versions).
_PAIRED = frozenset("/_-=+,.:;?")
#: Not syntax, but changed on the way: both versions draw a typed EN DASH (U+2013) as ``-``,
#: in every position; ``<U+2013>`` draws the dash.
_CHANGED = frozenset("\u2013")
#: Private-use characters: PlantUML keeps markers of its own there. Typed raw, 1.2020 drew
#: U+E000-U+E0FF as nothing or as something else, and U+E00A in a note ended its whole
#: -pipe process (an IllegalArgumentException in its Creole parser: the rest of the batch
#: was never drawn); 1.2026 drew U+E000-U+E100, U+E103 and U+E111 as nothing or as line
#: breaks. As ``<U+XXXX>`` every one shows on 1.2020, and all but three on 1.2026, which
#: draws U+E100, U+E103 and U+E111 as ``↵``, ``⏎`` and a tab however they are spelt (its
#: classes for %newline(), %breakline() and %tab() use them as markers).
_PRIVATE_USE = "Co"

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")

#: The longest line, in characters, that a label or a note line keeps. PlantUML draws a
#: line of any length on one row: a 10,000-character label made a diagram 277,992 px wide
#: on 1.2020 (302,739 px on 1.2026) that no page can show. Longer lines are wrapped, at the
#: last space when there is one, into ``\\n`` line breaks (labels) or source lines (notes).
#: 100 is above every line of this repository's own records (83 at most).
WRAP = 100


def _code(ch: str) -> str:
    """``<U+XXXX>`` for ``ch``; astral characters as their UTF-16 surrogate pair.

    Both versions decode only four or five hex digits (``<U+10FFFD>`` shows as typed), but
    each decodes a surrogate pair, written as two escapes, into the one character.
    """
    point = ord(ch)
    if point <= 0xFFFF:
        return f"<U+{point:04X}>"
    point -= 0x10000
    return f"<U+{0xD800 + (point >> 10):04X}><U+{0xDC00 + (point & 0x3FF):04X}>"


def _is_noncharacter(ch: str) -> bool:
    point = ord(ch)
    return 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE


def _always_coded(ch: str) -> bool:
    """Characters written as ``<U+XXXX>`` wherever they stand."""
    return (
        ch in _ALWAYS
        or ch in _CHANGED
        or ch == "\ufeff"  # a byte-order mark: a reader may drop it as encoding noise
        or unicodedata.category(ch) == _PRIVATE_USE
        or _is_noncharacter(ch)
    )


def _anchors_title(ch: str) -> bool:
    """Whether ``ch`` lets ``title …`` parse on both versions.

    The title command wants a letter, an ASCII digit, ``_`` or ``.`` somewhere after the
    keyword: ``title )``, ``title ±`` and ``title ²`` are syntax errors on 1.2020 (1.2026
    accepts any digit). A letter counts only if it is one in Unicode 3.2 and in Python's
    Unicode alike, so that the Java running PlantUML surely agrees: U+0870 (a letter since
    Unicode 14) failed on both versions with Java 17, and so did U+1885 (a letter in 3.2,
    a combining mark since Unicode 9).
    """
    return (
        ch in "_."
        or "0" <= ch <= "9"
        or (
            unicodedata.category(ch).startswith("L")
            and unicodedata.ucd_3_2_0.category(ch).startswith("L")
        )
    )


def _lines(text: str) -> list[str]:
    """The text's lines, with control characters dropped and tabs made spaces."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", str(text))).replace("\t", " ")
    return text.split("\n")


def _wrap(line: str) -> list[str]:
    """``line`` cut into pieces of at most :data:`WRAP` characters; nothing is dropped.

    A piece ends at its last space when it has one (the space becomes the line break),
    otherwise after :data:`WRAP` characters, moved back so that a combining mark or a
    joiner stays with the character before it.
    """
    pieces: list[str] = []
    while len(line) > WRAP:
        cut = line.rfind(" ", 1, WRAP + 1)
        if cut > 0:
            pieces.append(line[:cut])
            line = line[cut + 1 :]
            continue
        cut = WRAP
        while cut > 1 and _clings(line[cut]):
            cut -= 1
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


def _clings(ch: str) -> bool:
    """A character that belongs to the one before it (a combining mark, a joiner)."""
    return unicodedata.category(ch).startswith("M") or ch in "\u200c\u200d\ufe0e\ufe0f"


def _escape_piece(piece: str) -> list[str]:
    """One drawn line, escaped, as a list of output fragments (one per input character)."""
    out: list[str] = []
    at_start = True  # at the start of the line, spaces aside
    previous = ""
    for index, ch in enumerate(piece):
        if _always_coded(ch) or (ch in _PAIRED and (previous == ch or at_start)):
            out.append(_code(ch))
        elif at_start and ch in "eE" and piece[index : index + 3].lower() == "end":
            # Inside a note block a line reading "end note" closes the note: a record
            # line must never be able to say it, wherever the template puts it.
            out.append(_code(ch))
        else:
            out.append(ch)
        if ch != " ":
            at_start = False
        previous = ch
    return out


def _escape_lines(text: str) -> list[str]:
    """Every drawn line of ``text``: split at its newlines, wrapped, escaped.

    Whitespace only (or nothing at all once control characters are gone) becomes one
    escaped space: a bare space after ``title`` or an arrow's ``:`` is a syntax error on
    both versions, and an empty ``""`` name on both for a package; ``<U+0020>`` draws
    nothing visible and parses everywhere. A value with nothing that anchors a title (see
    :func:`_anchors_title`) gets its first character escaped, whose ``U`` does.
    """
    lines = [piece for line in _lines(text) for piece in _wrap(line)]
    if not any(line.strip() for line in lines):
        return [_code(" ")]
    escaped = [_escape_piece(line) for line in lines]
    if not any(_anchors_title(ch) for line in lines for ch in line if not _always_coded(ch)):
        for line, pieces in zip(lines, escaped, strict=True):
            first = len(line) - len(line.lstrip(" "))
            if first < len(line):
                pieces[first] = _code(line[first])
                break
    return ["".join(pieces) for pieces in escaped]


def escape_line(text: str) -> str:
    """Escape text for one PlantUML line; newlines (and wraps) become ``\\n``."""
    return "\\n".join(_escape_lines(text))


def escape_block(text: str) -> PumlSafe:
    """Escape text for the body of a multi-line block (a note), one source line per line.

    Inside ``note … end note`` PlantUML shows ``\\n`` literally, so line breaks in the
    text (and wraps of long lines) become real source lines; each is escaped as a line of
    its own, which also guards its start (``end note``, ``@enduml``, ``!include``).
    """
    return PumlSafe("\n".join(_escape_lines(text)))


class PumlSafe(str):
    """Text already valid as PlantUML source; the template finaliser passes it through."""

    __slots__ = ()


def finalize(value: object) -> str:
    """Jinja ``finalize`` hook for diagram templates: escape everything not marked safe.

    Making escaping the default means a template author who forgets a filter produces
    escaped text, not an injection.
    """
    if isinstance(value, PumlSafe):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return escape_line(str(value))


def raw(value: object) -> PumlSafe:
    """Mark template-built text as PlantUML syntax. For fixed keywords, never record text."""
    return PumlSafe(str(value))
