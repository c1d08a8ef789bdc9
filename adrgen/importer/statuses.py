"""Statuses as people write them, wherever they write them.

A status is read with :func:`adrgen.records.format.read_status` (any case, the project's aliases, a
trailing note), after the decoration people put around it is gone: badges (the image's alt
text), emoji, bold, links (their text) and HTML comments (invisible on the page, so never a
status). On top of the project's words, the importer knows common misspellings and the
words of a few more languages; they are read, never written: the record gets the status
they mean.

Where a status may stand, most specific first, is decided in :mod:`adrgen.importer.mapping`;
here is how one line reads.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from adrgen.importer.dates import DateReading, only_date, read_date
from adrgen.importer.read import Line, Link
from adrgen.records.format import RecordRules, read_status

__all__ = ["StatusReading", "importer_rules", "read_status_line", "read_status_text"]

#: Words sources use that are not in a project's status aliases: misspellings, and other
#: languages than the English and French of the defaults. Read only; never written.
READ_ONLY_WORDS: dict[str, str] = {
    "superceded": "superseded",
    "superseeded": "superseded",
    "supersceded": "superseded",
    "depreciated": "deprecated",
    "deprecate": "deprecated",
    "acceptée et mise en œuvre": "accepted",
    "retenue": "accepted",
    "en attente": "proposed",
    "en discussion": "proposed",
    "à l'étude": "proposed",
    # Dutch
    "geaccepteerd": "accepted",
    "aanvaard": "accepted",
    "goedgekeurd": "accepted",
    "voorgesteld": "proposed",
    "afgewezen": "rejected",
    "vervangen": "superseded",
    "verouderd": "deprecated",
    # German
    "akzeptiert": "accepted",
    "angenommen": "accepted",
    "beschlossen": "accepted",
    "vorgeschlagen": "proposed",
    "abgelehnt": "rejected",
    "ersetzt": "superseded",
    "veraltet": "deprecated",
    # Spanish
    "aceptado": "accepted",
    "aceptada": "accepted",
    "propuesto": "proposed",
    "propuesta": "proposed",
    "rechazado": "rejected",
    "rechazada": "rejected",
    "reemplazado": "superseded",
    "obsoleto": "deprecated",
}
#: Statuses that keep their word as the note: "on hold" is not yet in force, as a proposal.
QUALIFIED_WORDS: dict[str, str] = {
    "on hold": "proposed",
    "postponed": "proposed",
    "deferred": "proposed",
    "paused": "proposed",
}

_QUALIFIER = re.compile(
    r"^(?P<q>partly|partially|partiellement|teilweise|gedeeltelijk)\s+", re.IGNORECASE
)
_SUPERSEDE_REST = re.compile(
    r"^(?:by|with|par|door|durch|por)\b|^(?:ADR|RFC|record)?[\s#-]*\d+\b", re.IGNORECASE
)


def importer_rules(rules: RecordRules) -> RecordRules:
    """The project's rules with the importer's read-only words added (the project wins)."""
    words = {**READ_ONLY_WORDS, **QUALIFIED_WORDS}
    aliases = {**{w: s for w, s in words.items() if s in rules.lifecycle}, **dict(rules.aliases)}
    return dataclasses.replace(rules, aliases=aliases)


@dataclass(frozen=True)
class StatusReading:
    """One status as written: the status, its note, the links and date on its line."""

    status: str
    note: str
    written: str
    line: int
    links: tuple[Link, ...] = ()
    date: DateReading | None = None


def read_status_text(
    text: str, rules: RecordRules, *, line: int = 0, links: tuple[Link, ...] = ()
) -> StatusReading | None:
    """Read plain ``text`` as a status (see :func:`read_status_line`)."""
    written = " ".join(text.split())
    plain = written.strip("[]")
    qualifier = ""
    match = _QUALIFIER.match(plain)
    if match:
        qualifier, plain = match["q"], plain[match.end() :]
    read = read_status(plain, rules)
    if read is None:
        return None
    status, note = read
    # "on hold" reads as proposed, and says so in the note (a project may have its own).
    bare = re.sub(r"^[\W_]+", "", plain.replace("**", "").replace("__", "")).casefold()
    spoken = next((w for w in QUALIFIED_WORDS if bare.startswith(w)), None)
    if spoken is not None and status != spoken:
        # The words as the source writes them ("On hold"), not as the table spells them.
        said = re.search(r"\s+".join(map(re.escape, spoken.split())), plain, re.IGNORECASE)
        spoken = said[0] if said else spoken
        note = f"{spoken}; {note}" if note else spoken
    date = read_date(note) if note else None
    if date is not None and only_date(note) is not None:
        note = ""  # "Accepted on 2023-02-07": the date is the record's, not a note
    if status == "superseded" and (links or _SUPERSEDE_REST.match(note)):
        note = ""  # "Superseded by [ADR 10](…)": a link, kept in links
    if qualifier:
        note = f"{qualifier}; {note}" if note else qualifier
    return StatusReading(status, note.strip().rstrip("."), written, line, links, date)


def read_status_line(line: Line, rules: RecordRules) -> StatusReading | None:
    """The status a line states, or ``None``.

    ``"✅ **Accepted** (documenting an existing thing)"`` → accepted, with the note;
    ``"Superseded by [5. Use Kafka](0005-….md)"`` → superseded, its link kept for the links;
    ``"Accepted on 2023-02-07."`` → accepted, with the date and no note;
    ``"Partly superseded"`` → superseded, note "partly";
    ``"![Accepted](https://img.shields.io/badge/adr-accepted-green)"`` → accepted.
    """
    links = tuple(link for link in line.links() if not link.image)
    found = read_status_text(line.plain, rules, line=line.number, links=links)
    if found is not None:
        return found
    for link in line.links():
        if link.image:
            badge = re.search(r"badge/(?:[^/-]*-)?(?P<word>[A-Za-z %20]+?)-", link.href)
            if badge:
                word = badge["word"].replace("%20", " ")
                reading = read_status_text(word, rules, line=line.number)
                if reading is not None:
                    return dataclasses.replace(reading, written=line.raw)
    return None
