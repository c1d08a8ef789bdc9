"""Turning record text into PlantUML text that can only ever be text.

PlantUML reads its input through a preprocessor (``!include``, ``%getenv()``, ``$vars``),
then diagram syntax (quotes, ``@enduml``, ``'`` comments, ``{{ }}`` sub-diagrams), then Creole
markup inside labels (``**bold**``, ``<img:…>``, ``[[links]]``, ``<color>``). A string from a
record must survive all three as literal characters.

The tool is PlantUML's Unicode escape ``<U+XXXX>``: it is decoded only when a label is drawn,
after every other stage has run, and works on 1.2020 and later (HTML entities do not:
``&#92;`` and ``&#36;`` crash 1.2020's Creole parser). Characters that any stage treats
specially are written this way; letters, digits and harmless punctuation stay readable.
Newlines become PlantUML's ``\\n`` so a string never spans two source lines, and other
control characters are dropped. The property tests in ``tests/test_escaping.py`` render
hostile strings through the real PlantUML and compare the SVG text with the input.
"""

from __future__ import annotations

import re

#: Always escaped: preprocessor sigils, quotes, comment and markup openers, brackets, and
#: the Unicode look-alikes PlantUML also reads as syntax: « » (stereotypes) and “ ” (quotes).
#: That list is not a guess: every punctuation and symbol character of the BMP was rendered
#: through PlantUML 1.2020 in every position a template uses, and these four alone broke it.
_ALWAYS = frozenset("!@%$'\"<>[]{}&*#~\\`|^«»“”")
#: Escaped when doubled (Creole's ``//italic//``, ``__underline__``, ``--strike--``,
#: ``==heading``, ``,,sub``) or when first: a label never starts with markup.
_PAIRED = frozenset("/_-=+,.:;?")

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ufeff]")


def _code(ch: str) -> str:
    return f"<U+{ord(ch):04X}>"


def escape_line(text: str) -> str:
    """Escape text for one PlantUML line; newlines become ``\\n``."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub("\n", str(text))).replace("\t", " ")
    out: list[str] = []
    at_start = True  # at the start of the text or of a line in it, spaces aside
    previous = ""
    for index, ch in enumerate(text):
        if ch == "\n":
            out.append("\\n")
            at_start = True
            previous = ch
            continue
        if ch in _ALWAYS or (ch in _PAIRED and (previous == ch or at_start)):
            out.append(_code(ch))
        elif at_start and ch in "eE" and text[index : index + 3].lower() == "end":
            # Inside a note block a line reading "end note" closes the note: a record
            # line must never be able to say it, wherever the template puts it.
            out.append(_code(ch))
        else:
            out.append(ch)
        if ch != " ":
            at_start = False
        previous = ch
    return "".join(out)


def escape_block(text: str) -> PumlSafe:
    """Escape text for the body of a multi-line block (a note), one source line per line.

    Inside ``note … end note`` PlantUML shows ``\\n`` literally, so line breaks in the
    text become real source lines; each is escaped as a line of its own, which also guards
    its start (``end note``, ``@enduml``, ``!include``).
    """
    lines = _LINE_BREAKS.sub("\n", str(text)).split("\n")
    return PumlSafe("\n".join(escape_line(line) for line in lines))


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
