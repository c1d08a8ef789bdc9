"""Dates as people write them in ADRs, from file names, and from git history.

Accepted in text: ISO (``2018-05-02``, ``2018/05/02``), day.month.year (``25.05.2020``),
slashed dates (``05/02/2018``, ``10/04/18``), month names in English and French
(``Dec 19, 2022``, ``19 December 2022``, ``14 avril 2021``), and a month alone
(``May 2025``, ``2018-11``), which is kept as a month: no day is invented. The first date in
a value counts: ``2022-10-05 (Updated 2023-07-12)`` is 2022-10-05. An impossible date such
as ``2023-13-10`` is not guessed at. A near miss that can mean one date only
(``2025-11- 05``, ``2025–11–05``, ``20251105``) is read, with a warning naming what was
written; a date-like value that cannot be read is reported, and no other date (the file
name's, git history's) replaces a date the source states.

The day git history added a file dates it only when that commit dates the ADR: not a bulk
commit that added it with the other ADRs (a snapshot, a copy), nor where a shallow clone's
history starts (:func:`git_added_dates`); renames are followed as git records them.

A slashed date whose day and month could be swapped (``05/02/2018``) is resolved per folder
by :class:`DateOrder`, from the other dates of that folder, the language of its records and
their spelling, and the report says how.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adrgen.records.format import MonthDate

__all__ = [
    "DateOrder",
    "DateReading",
    "GitAdded",
    "date_in_file_name",
    "date_like",
    "git_added_date",
    "git_added_dates",
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
#: Near misses of a written date, read when they can mean one date only, with a warning
#: naming what was written: an ISO date with blanks around its dashes or slashes, or with
#: other dashes (``2025-11- 05``, ``2025 – 11 – 05``); a day.month.year date with blanks
#: (``05. 11. 2025``); eight digits alone (``20251105``).
_ISO_NEAR = re.compile(
    r"(?<![\d.])(\d{4})[^\S\n]*[-/–—‐‑][^\S\n]*(\d{1,2})[^\S\n]*[-/–—‐‑][^\S\n]*(\d{1,2})(?![\d])"
)
_DOTTED_NEAR = re.compile(
    r"(?<![\d.])(\d{1,2})[^\S\n]*\.[^\S\n]*(\d{1,2})[^\S\n]*\.[^\S\n]*(\d{4})(?!\d)"
)
_COMPACT = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})\s*$")
#: A value that looks like a date someone wrote (digits and a year, a month name), which
#: is reported as unreadable when no date can be read from it.
_DATE_LIKE = re.compile(rf"\d|\b(?:{_MONTH_NAME})\b", re.IGNORECASE)


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
    #: A near miss read as a date (``2025-11- 05``): what the report says about it.
    warning: str = ""


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
    found.extend(_near_misses(text, found))
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


def _near_misses(text: str, found: list[DateReading]) -> list[DateReading]:
    """Dates written with a slip (:data:`_ISO_NEAR`), where no date was read already."""
    near: list[DateReading] = []
    matches = [(m, int(m[1]), int(m[2]), int(m[3])) for m in _ISO_NEAR.finditer(text)] + [
        (m, int(m[3]), int(m[2]), int(m[1])) for m in _DOTTED_NEAR.finditer(text)
    ]
    whole = _COMPACT.match(text)
    if whole:
        matches.append((whole, int(whole[1]), int(whole[2]), int(whole[3])))
    for match, year, month, day in matches:
        start, end = match.span()
        if any(r.start < end and start < r.end for r in found):
            continue  # a date written as it should be (or overlapping one)
        reading = _make(match, year, month, day)
        if reading.value is None:
            near.append(reading)
            continue
        near.append(
            dataclasses.replace(
                reading,
                text=match[0].strip(),
                warning=f"the date is written {match[0].strip()!r}; read as "
                f"{reading.value.isoformat()}",
            )
        )
    return near


def date_like(text: str) -> bool:
    """Whether ``text`` looks like a date someone wrote, readable or not (digits, or a
    month's name): a date the source states, which no other date replaces."""
    return bool(_DATE_LIKE.search(text))


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
    Whether that day dates the ADR is :func:`git_added_dates`' question.
    """
    added = _added(path)
    return added[1] if added is not None else None


def _added(path: Path) -> tuple[str, dt.date] | None:
    """The commit that added ``path`` and its day, from git: the first commit with the file
    at its path, or, where that commit renamed it, the one that added it under its old name.

    Renames are those git finds in the commit itself (the old path gone, ``-M``), not what
    ``git log --follow`` guesses: it takes a new ADR for a copy of an older one when both
    are short and alike (the same template), and dates it by the older one.
    """
    folder = path.parent.resolve()
    if not _in_work_tree(folder):
        return None
    top = _toplevel(folder)
    if top is None:
        return None
    try:
        name = path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None
    since: str | None = None
    for _hop in range(_RENAMES):
        found = _first_add(top, name, since)
        if found is None:
            return None
        commit, day = found
        old = _renamed_from(top, commit, name)
        if old is None:
            return commit, day
        name, since = old, f"{commit}^"
    return None


#: How many renames of one file are followed back.
_RENAMES = 20


def _first_add(top: Path, name: str, before: str | None) -> tuple[str, dt.date] | None:
    """The earliest commit (up to ``before``) that added the file at ``name``."""
    args = ["log", "--diff-filter=A", "--no-renames", "--format=%H %as"]
    if before is not None:
        args.append(before)
    out = _git(top, *args, "--", f":(top,literal){name}")
    found = [line.split() for line in (out or "").splitlines() if line.strip()]
    if not found or len(found[-1]) != 2:
        return None
    commit, day = found[-1]
    try:
        return commit, dt.date.fromisoformat(day)
    except ValueError:
        return None


def _renamed_from(top: Path, commit: str, name: str) -> str | None:
    """The path ``commit`` renamed to ``name`` (git's rename detection in that commit), or
    ``None`` when it added ``name`` afresh."""
    out = _git(
        top, "diff-tree", "--no-commit-id", "-r", "-M", "--name-status", "-z", "--root", commit
    )
    fields = (out or "").split("\0")
    i = 0
    while i < len(fields):
        status = fields[i]
        if status.startswith(("R", "C")) and i + 2 < len(fields):
            if status.startswith("R") and fields[i + 2] == name:
                return fields[i + 1]
            i += 3
        else:
            i += 2
    return None


#: A commit that adds this many ADRs at once is a bulk commit (see :func:`_bulk`).
BULK_ADRS = 5


def _bulk(added: int, adrs: int) -> bool:
    """Whether a commit that added ``added`` of ``adrs`` ADRs is a bulk commit: a snapshot,
    a copy or a migration of the ADRs, whose day dates the copy, not the decisions. It
    added all of them (two or more), half of them (three or more), or :data:`BULK_ADRS`."""
    return (
        (added >= 2 and added >= adrs) or (added >= 3 and 2 * added >= adrs) or added >= BULK_ADRS
    )


@dataclass(frozen=True)
class GitAdded:
    """What git history says of when a file was added: the day (when it dates the ADR),
    or why it does not."""

    date: dt.date | None
    commit: str
    why: str = ""


def git_added_dates(run: Sequence[Path], undated: Sequence[Path]) -> dict[Path, GitAdded]:
    """For each of ``undated`` in a git work tree, the day git history added it, when that
    day dates the ADR; else why it does not.

    It does not when the commit that added the file also added many of the other ADRs,
    those of the run (``run``: every source imported) and the Markdown files beside it: a
    bulk commit (:data:`BULK_ADRS`), as a snapshot or a copy makes; nor when the commit is
    where a shallow clone's history starts, which git shows adding every file.
    """
    out: dict[Path, GitAdded] = {}
    commits: dict[Path, tuple[str, dt.date]] = {}
    for path in undated:
        added = _added(path)
        if added is not None:
            commits[path] = added
    if not commits:
        return out
    run_files = {p.resolve() for p in run}
    by_commit: dict[str, set[Path]] = defaultdict(set)
    for path, (commit, _day) in commits.items():
        by_commit[commit].add(path.resolve())
    added_by: dict[tuple[Path | None, str], set[Path]] = {}
    beside: dict[Path, set[Path]] = {}
    shallow: dict[Path | None, frozenset[str]] = {}
    for path, (commit, day) in commits.items():
        folder = path.parent.resolve()
        top = _toplevel(folder)
        if (top, commit) not in added_by:
            added_by[top, commit] = _added_by(folder, top, commit)
        if folder not in beside:
            beside[folder] = _markdown_in(folder)
        if top not in shallow:
            shallow[top] = _shallow_commits(folder)
        here = {p for p in run_files if top is not None and _inside(p, top)}
        peers = here | {path.resolve()}
        if not any(p.parent == folder and p != path.resolve() for p in here):
            peers |= beside[folder]  # a file imported alone: the ADRs beside it count
        added_with = (added_by[top, commit] | by_commit[commit]) & peers
        added_with.add(path.resolve())
        short = commit[:7]
        if commit in shallow[top]:
            why = (
                f"the repository is a shallow clone whose history starts at commit {short} "
                f"({day.isoformat()}), which git shows adding every file: that day dates the "
                "clone, not the decision; date unknown"
            )
            out[path] = GitAdded(None, commit, why)
        elif _bulk(len(added_with), len(peers)):
            why = (
                f"git history adds the file in commit {short} ({day.isoformat()}) together "
                f"with {len(added_with) - 1} other ADR(s) of {len(peers)}: a bulk commit (a "
                "snapshot or a copy) dates the copy, not the decision; date unknown"
            )
            out[path] = GitAdded(None, commit, why)
        else:
            out[path] = GitAdded(day, commit)
    return out


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@functools.lru_cache(maxsize=256)
def _toplevel(folder: Path) -> Path | None:
    top = (_git(folder, "rev-parse", "--show-toplevel") or "").strip()
    return Path(top).resolve() if top else None


#: Markdown files beside ADRs that are not ADRs (the log's index, its template).
_NOT_ADRS = re.compile(r"^(?:readme|index|template|adr[-_]template|_?toc)$", re.IGNORECASE)


def _markdown_in(folder: Path) -> set[Path]:
    """The Markdown files in ``folder`` (not below it) but its README, index or template:
    the ADRs beside a file."""
    try:
        return {
            p.resolve()
            for p in folder.iterdir()
            if p.suffix.lower() in (".md", ".markdown")
            and not _NOT_ADRS.match(p.stem)
            and p.is_file()
        }
    except OSError:
        return set()


def _added_by(folder: Path, top: Path | None, commit: str) -> set[Path]:
    """The files ``commit`` added (a root commit: every file it holds)."""
    if top is None:
        return set()
    out = _git(
        folder,
        "diff-tree",
        "--no-commit-id",
        "--name-only",
        "-r",
        "-z",
        "--root",
        "--no-renames",
        "--diff-filter=A",
        commit,
    )
    return {(top / name).resolve() for name in (out or "").split("\0") if name}


def _shallow_commits(folder: Path) -> frozenset[str]:
    """The commits where a shallow clone's history is cut (none in a full clone)."""
    if (_git(folder, "rev-parse", "--is-shallow-repository") or "").strip() != "true":
        return frozenset()
    where = (_git(folder, "rev-parse", "--git-path", "shallow") or "").strip()
    try:
        text = (folder / where).read_text(encoding="ascii") if where else ""
    except (OSError, UnicodeDecodeError):
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


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
