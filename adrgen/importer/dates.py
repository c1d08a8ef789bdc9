"""Dates as people write them in ADRs, from file names, and from git history.

Accepted in text: ISO (``2018-05-02``, ``2018/05/02``), day.month.year (``25.05.2020``),
slashed dates (``05/02/2018``, ``10/04/18``), month names in English and French
(``Dec 19, 2022``, ``19 December 2022``, ``14 avril 2021``), and a month alone
(``May 2025``, ``2018-11``), which is kept as a month: no day is invented. The first date in
a value counts: ``2022-10-05 (Updated 2023-07-12)`` is 2022-10-05. An impossible date such
as ``2023-13-10`` is not guessed at.

A slashed date whose day and month could be swapped (``05/02/2018``) is resolved per folder
by :class:`DateOrder`, from the other dates of that folder, the language of its records and
their spelling, and the report says how.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from adrgen.records.format import MonthDate

__all__ = [
    "DateOrder",
    "DateReading",
    "date_in_file_name",
    "git_added_date",
    "read_date",
]

DateValue = dt.date | MonthDate

_MONTHS = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "dec": 12, "december": 12,
    # French
    "janvier": 1, "janv": 1, "fevrier": 2, "février": 2, "févr": 2, "fevr": 2, "mars": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "décembre": 12,
}  # fmt: skip
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<![\d.])(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?![\d])")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?!\d)")
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\d/])")
_NAME_FIRST = re.compile(
    rf"\b(?P<month>{_MONTH_NAME})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?P<month>{_MONTH_NAME})\.?,?\s+(?P<year>\d{{4}})\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{_MONTH_NAME})\.?,?\s+(?P<year>\d{{4}})\b", re.IGNORECASE)
_YEAR_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


@dataclass(frozen=True)
class DateReading:
    """A date read from text.

    ``ambiguous``: a slashed date whose day and month could be swapped; ``value`` is then
    the day-first reading until :class:`DateOrder` decides, and ``swapped`` the other one.
    ``problem``: why a date-like text gave no date (``2023-13-10``).
    """

    value: DateValue | None
    text: str
    start: int = 0
    end: int = 0
    ambiguous: bool = False
    swapped: dt.date | None = None
    problem: str = ""


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years in ADRs are this century's; ADRs are younger than 2000.
        year += 2000
    return year


def read_date(text: str) -> DateReading | None:
    """The first date in ``text``, in any accepted form; ``None`` if there is none.

    A date-like text that is not a date gives a reading with no value and a ``problem``.
    """
    found: list[DateReading] = []
    for match in _ISO.finditer(text):
        found.append(_make(match, int(match[1]), int(match[2]), int(match[3])))
    for match in _DOTTED.finditer(text):
        found.append(_make(match, int(match[3]), int(match[2]), int(match[1])))
    for match in _SLASHED.finditer(text):
        first, second, year = int(match[1]), int(match[2]), _year(match[3])
        if first > 12 or second > 12 or first == second:
            day, month = (first, second) if first > 12 or first == second else (second, first)
            found.append(_make(match, year, month, day))
            continue
        reading = _make(match, year, second, first)  # day first, until the folder decides
        try:
            swapped = dt.date(year, first, second)
        except ValueError:
            swapped = None
        found.append(
            DateReading(
                reading.value,
                reading.text,
                reading.start,
                reading.end,
                ambiguous=swapped is not None and reading.value is not None,
                swapped=swapped,
                problem=reading.problem,
            )
        )
    for pattern in (_NAME_FIRST, _DAY_FIRST):
        for match in pattern.finditer(text):
            month = _MONTHS[match["month"].lower().rstrip(".")]
            found.append(_make(match, int(match["year"]), month, int(match["day"])))
    if not found:
        for match in _MONTH_YEAR.finditer(text):
            month = _MONTHS[match["month"].lower().rstrip(".")]
            found.append(DateReading(MonthDate(int(match["year"]), month), match[0], *match.span()))
        whole = _YEAR_MONTH.match(text)
        if whole and 1 <= int(whole[2]) <= 12:
            found.append(
                DateReading(MonthDate(int(whole[1]), int(whole[2])), text.strip(), *whole.span())
            )
    if not found:
        return None
    # The first date written is the record's; overlapping forms: the longest.
    found.sort(key=lambda r: (r.start, -(r.end - r.start)))
    return found[0]


def _make(match: re.Match[str], year: int, month: int, day: int) -> DateReading:
    try:
        return DateReading(dt.date(year, month, day), match[0], *match.span())
    except ValueError:
        return DateReading(
            None, match[0], *match.span(), problem=f"{match[0]!r} is not a valid date"
        )


def only_date(text: str) -> DateReading | None:
    """The date when ``text`` says nothing else (``"2021-08-30"``, ``"on 2023-02-07."``)."""
    reading = read_date(text)
    if reading is None or reading.value is None:
        return None
    rest = (text[: reading.start] + text[reading.end :]).strip(" \t.,;:()[]*_")
    rest = re.sub(r"^(?:on|le|am|op|since|depuis)$", "", rest, flags=re.IGNORECASE)
    return reading if not rest.strip() else None


_FILE_DATE = re.compile(
    r"^(?P<y>(?:19|20)\d{2})(?P<sep>[-_]?)(?P<m>\d{2})(?P=sep)(?P<d>\d{2})"
    r"(?:(?P<hms>\d{4}|\d{6})(?!\d))?(?=[-_. ]|$)"
)


def date_in_file_name(stem: str) -> tuple[dt.date, str] | None:
    """A date that starts a file name (``2021-06-05_001-x``, ``20200924-x``,
    ``20260805142324-x``), with the text it took; ``None`` otherwise."""
    match = _FILE_DATE.match(stem)
    if match is None:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"])), match[0]
    except ValueError:
        return None


def _git(folder: Path, *args: str) -> str | None:
    """git's output in ``folder``, or ``None`` when git fails or is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


@functools.lru_cache(maxsize=256)
def _in_work_tree(folder: Path) -> bool:
    return (_git(folder, "rev-parse", "--is-inside-work-tree") or "").strip() == "true"


def git_added_date(path: Path) -> dt.date | None:
    """The day the commit that added ``path`` was made (following renames), from git.

    ``None`` when the file is not in a git work tree, is not committed, or git is missing.
    """
    folder = path.parent.resolve()
    if not _in_work_tree(folder):
        return None
    out = _git(folder, "log", "--diff-filter=A", "--follow", "--format=%as", "--", path.name)
    days = [line.strip() for line in (out or "").splitlines() if line.strip()]
    if not days:
        return None
    try:
        return dt.date.fromisoformat(days[-1])  # the earliest: the commit that added it
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Day or month first?

_US = re.compile(
    r"\b(?:behavior|favor|favorite|color|honor|labor|neighbor|flavor|center|catalog|"
    r"analyze|organiz\w+|optimiz\w+|prioritiz\w+|recogniz\w+|standardiz\w+|minimiz\w+|"
    r"maximiz\w+)s?\b",
    re.IGNORECASE,
)
_UK = re.compile(
    r"\b(?:behaviour|favour|favourite|colour|honour|labour|neighbour|flavour|centre|"
    r"catalogue|analyse|organis\w+|optimis\w+|prioritis\w+|recognis\w+|standardis\w+|"
    r"minimis\w+|maximis\w+)s?\b",
    re.IGNORECASE,
)
_FRENCH = re.compile(r"\b(les|des|est|une|pour|dans|nous|avec|sont|décision)\b", re.IGNORECASE)
_DUTCH = re.compile(r"\b(het|een|van|voor|niet|worden|wordt|zijn|deze)\b", re.IGNORECASE)
_GERMAN = re.compile(r"\b(der|die|das|und|nicht|wird|wir|mit|für)\b", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(the|and|is|we|to|of|for|with|that)\b", re.IGNORECASE)


def _spelling(text: str) -> int:
    """Positive for American spelling, negative for British."""
    return len(_US.findall(text)) - len(_UK.findall(text))


@dataclass(frozen=True)
class DateOrder:
    """Whether the slashed dates of one folder are written day first, and why."""

    day_first: bool
    reason: str

    @classmethod
    def decide(
        cls,
        slashed: Iterable[tuple[str, DateReading]],
        texts: Iterable[str],
        setting: str = "auto",
    ) -> DateOrder:
        """Decide from the folder's slashed dates (file, reading) and its records' text.

        ``setting`` (``[import] date_order``) overrides: ``day-first`` or ``month-first``.
        """
        if setting == "day-first":
            return cls(True, "date_order = day-first in adrgen.toml")
        if setting == "month-first":
            return cls(False, "date_order = month-first in adrgen.toml")
        day_first: list[str] = []
        month_first: list[str] = []
        for name, reading in slashed:
            first, second = (int(p) for p in reading.text.split("/")[:2])
            if first > 12:
                day_first.append(f"{reading.text!r} in {name}")
            elif second > 12:
                month_first.append(f"{reading.text!r} in {name}")
        if day_first and not month_first:
            return cls(True, f"the folder writes day/month elsewhere ({day_first[0]})")
        if month_first and not day_first:
            return cls(False, f"the folder writes month/day elsewhere ({month_first[0]})")
        text = "\n".join(texts)
        english = len(_ENGLISH.findall(text))
        for name, pattern in (("French", _FRENCH), ("Dutch", _DUTCH), ("German", _GERMAN)):
            if len(pattern.findall(text)) > english:
                return cls(True, f"the records are written in {name}, which writes day/month")
        spelling = _spelling(text)
        if spelling > 0:
            return cls(False, "the records use American spelling, and the US writes month/day")
        if spelling < 0:
            return cls(True, "the records use British spelling, and the UK writes day/month")
        return cls(
            True,
            "nothing in the folder tells; day/month, as adr-tools wrote dates before it "
            "switched to ISO 8601",
        )

    def apply(self, reading: DateReading) -> DateValue | None:
        """The date ``reading`` means in this folder."""
        if not reading.ambiguous:
            return reading.value
        return reading.value if self.day_first else reading.swapped
