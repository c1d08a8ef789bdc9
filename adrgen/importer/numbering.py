"""Record numbers: read from file names and titles, then assigned so that none repeats.

A source's number comes from its file name (``0001-x.md``, ``001-x.md``, ``adr-001-x.md``,
``ADR-0007-x.md``, ``0001 use redis.md``, ``2021-06-05_001-x.md``, a page bundle's folder
``003-release/index.md``); a date or timestamp at the start of a name is a date, not a number.
A title's own number ("1. ", "ADR-001: ") is read too; when it contradicts the file name,
the file name wins and the report says so.

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
_TITLE_NUMBER = re.compile(r"^\s*(?:0*(?P<n2>\d{1,6})|[nN]{1,4})\s*(?:[.:)\]]|\s[-–—])\s+")
_TITLE_DASHED = re.compile(r"^\s*0*(?P<n3>\d{1,6})-(?=\S)")


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


def split_title(title: str) -> TitleParts:
    """``"ADR-0034: Keep state"`` → ``("Keep state", 34, "ADR-0034: ")``."""
    text = " ".join(title.split())
    number: int | None = None
    prefix = ""
    for pattern in (_TITLE_LABEL, _TITLE_NUMBER, _TITLE_DASHED):
        match = pattern.match(text)
        if match is None or not text[match.end() :].strip():
            continue
        digits = (
            match.groupdict().get("n1")
            or match.groupdict().get("n2")
            or match.groupdict().get("n3")
        )
        if digits:
            number = int(digits)
        prefix += match[0]
        text = text[match.end() :]
        if pattern is _TITLE_LABEL:
            # "Architecture Decision Record: 5. Title", "ADR: 0005 - Title"
            again = _TITLE_NUMBER.match(text)
            if again and text[again.end() :].strip():
                number = number if again["n2"] is None else int(again["n2"])
                prefix += again[0]
                text = text[again.end() :]
        break
    return TitleParts(text.strip(), number, prefix)


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
