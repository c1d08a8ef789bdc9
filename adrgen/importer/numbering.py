"""Record numbers: read from file names and titles, then assigned so that none repeats.

A source's number comes from its file name (``0001-x.md``, ``001-x.md``, ``adr-001-x.md``,
``ADR-0007-x.md``, ``0001 use redis.md``, ``2021-06-05_001-x.md``, a page bundle's folder
``003-release/index.md``); a date or timestamp at the start of a name is a date, not a number.
A title's own number ("1. ", "ADR-001: ", "ADR-0001 ", "[ADR-1] ", "0001 ") is read and
leaves the title (a number that is part of it, "2FA", "100 ms", stays); when it contradicts
the file name, the file name wins and the report says so. The rest of the title is kept as
written, Markdown included.

Numbers are kept where they are free. Without ``--renumber`` a source whose number is taken
(by an existing record, or by another source of the run, as happens across subfolders) is
skipped with the reason; with it, such sources, and those with no number, get the next free
numbers, and links follow (:mod:`adrgen.importer.links` works on sources, not numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from adrgen.importer.dates import date_in_file_name

__all__ = ["TitleParts", "number_in_name", "split_title", "title_from_name"]

_NAME_NUMBER = re.compile(r"^(?:(?:adr|rfc|dr)[-_ ]?)?0*(?P<n>\d{1,6})(?=[-_. ]|$)", re.IGNORECASE)
_AFTER_DATE = re.compile(r"^[-_ ]?0*(?P<n>\d{1,6})(?=[-_. ]|$)")
#: How titles start when they carry a number or a label: "1. ", "0015. ", "n. ",
#: "ADR-001: ", "ADR 7 - ", "001 - ", "Architecture Decision Record: ", "0001-Choix".
_TITLE_LABEL = re.compile(
    r"^\s*(?:architecture\s+decision\s+record|decision\s+record|adr|rfc)"
    r"(?:\s*[-_#]?\s*0*(?P<n1>\d{1,6}))?\s*(?:[:.)\]]|\s[-–—])\s*",
    re.IGNORECASE,
)
#: "ADR-0001 Title", "ADR 12 Title": a label and its number, then the title.
_TITLE_LABEL_BARE = re.compile(
    r"^\s*(?:adr|rfc)\s*[-_#]?\s*0*(?P<n1>\d{1,6})\s+(?=\S)", re.IGNORECASE
)
#: "[ADR-1] Title", "[ADR 0001]: Title", "(ADR-12) Title", "[12] Title".
_TITLE_BRACKET = re.compile(
    r"^\s*(?:\[\s*(?:(?:adr|rfc)\s*[-_#]?\s*)?0*(?P<n1>\d{1,6})\s*\]"
    r"|\(\s*(?:adr|rfc)\s*[-_#]?\s*0*(?P<n2>\d{1,6})\s*\))\s*(?:[:.]|\s[-–—])?\s*",
    re.IGNORECASE,
)
_EMPHASISED_PREFIX = re.compile(
    r"^(?P<mark>\*\*|__|\*|_)(?P<inner>[^*_\n]{1,40}?)(?P=mark)(?P<after>\s*[:.]|\s+[-–—])?\s*"
)
_TITLE_NUMBER = re.compile(r"^\s*(?:0*(?P<n2>\d{1,6})|[nN]{1,4})\s*(?:[.:)\]]|\s[-–—])\s+")
#: "0001 Title", "0001-Choix", "1 Title": a number alone before the title, a prefix only
#: when it is padded, or is the file name's number (see :func:`_bare_number`).
_TITLE_BARE = re.compile(r"^\s*(?P<n3>\d{1,6})(?:\s+|-)(?=\S)")


def number_in_name(path: Path) -> int | None:
    """The number a source's file name gives it, or ``None`` (a date is not a number)."""
    stem = path.stem if path.suffix.lower() in (".md", ".markdown") else path.name
    if stem.casefold() in ("index", "readme"):
        stem = path.parent.name  # a page bundle: 003-release/index.md
    dated = date_in_file_name(stem)
    if dated is not None:
        after = _AFTER_DATE.match(stem[len(dated[1]) :])
        return int(after["n"]) if after and len(after["n"]) <= 4 else None
    match = _NAME_NUMBER.match(stem)
    if match is None or len(match["n"]) >= 6:
        return None
    return int(match["n"])


@dataclass(frozen=True)
class TitleParts:
    """A title without its prefix, and the number the prefix gave (if any)."""

    title: str
    number: int | None
    prefix: str


def split_title(title: str, path: Path | None = None) -> TitleParts:
    """``"ADR-0034: Keep state"`` → ``("Keep state", 34, "ADR-0034: ")``.

    Any ``ADR-NNNN`` or ``NNNN.`` prefix leaves the title (``ADR-0001 Title``,
    ``ADR 1 - Title``, ``[ADR-1] Title``, ``0001. Title``); a number that is part of the
    title stays (``2FA for admins``, ``100 ms budget``): a number alone before the title
    is a prefix only when it is padded (``0001 Title``) or is the number of the file
    (``path``), whose name does not start with it too. The rest is kept as written.
    """
    text = " ".join(title.splitlines()).strip()
    emphasised = _EMPHASISED_PREFIX.match(text)
    if emphasised:
        # "**ADR-0001:** Title": the prefix in bold (the title's Markdown is kept as written).
        inner = split_title(emphasised["inner"] + (emphasised["after"] or "") + " x", path)
        if inner.prefix and inner.title == "x" and text[emphasised.end() :].strip():
            return TitleParts(text[emphasised.end() :].strip(), inner.number, emphasised[0])
    number: int | None = None
    prefix = ""
    for pattern in (_TITLE_BRACKET, _TITLE_LABEL, _TITLE_LABEL_BARE, _TITLE_NUMBER, _TITLE_BARE):
        match = pattern.match(text)
        if match is None or not text[match.end() :].strip():
            continue
        if pattern is _TITLE_BARE and not _bare_number(match["n3"], text[match.end() :], path):
            continue
        groups = match.groupdict()
        digits = groups.get("n1") or groups.get("n2") or groups.get("n3")
        if digits:
            number = int(digits)
        prefix += match[0]
        text = text[match.end() :]
        if pattern in (_TITLE_LABEL, _TITLE_BRACKET):
            # "Architecture Decision Record: 5. Title", "ADR: 0005 - Title"
            again = _TITLE_NUMBER.match(text)
            if again and text[again.end() :].strip():
                number = number if again["n2"] is None else int(again["n2"])
                prefix += again[0]
                text = text[again.end() :]
        break
    return TitleParts(text.strip(), number, prefix)


def _bare_number(digits: str, rest: str, path: Path | None) -> bool:
    """Whether a number alone before a title is its record number: padded (``0001``), or
    the file name's number when the name does not go on with it too (``0100-100-ms-…``)
    and the title's next word starts with a capital ("1 Use Redis", not "3 tier …")."""
    if len(digits) >= 2 and digits.startswith("0"):
        return True
    if path is None or number_in_name(path) != int(digits) or not rest[:1].isupper():
        return False
    stem = path.stem if path.suffix.lower() in (".md", ".markdown") else path.name
    if stem.casefold() in ("index", "readme"):
        stem = path.parent.name
    after = _NAME_NUMBER.sub("", stem, count=1).lstrip("-_. ")
    return not re.match(rf"0*{int(digits)}(?!\d)", after)


def title_from_name(path: Path) -> str:
    """A title from a file name with no title in it: ``0002-retry-failed-webhooks.md`` →
    ``Retry failed webhooks``."""
    stem = path.stem if path.suffix.lower() in (".md", ".markdown") else path.name
    if stem.casefold() in ("index", "readme"):
        stem = path.parent.name
    dated = date_in_file_name(stem)
    if dated is not None:
        stem = stem[len(dated[1]) :]
        stem = re.sub(r"^[-_ ]?\d{1,4}(?=[-_. ]|$)", "", stem)
    else:
        stem = _NAME_NUMBER.sub("", stem, count=1)
    words = re.sub(r"[-_\s.]+", " ", stem).strip()
    return (words[:1].upper() + words[1:]) if words else path.stem
