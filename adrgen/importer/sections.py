"""The multilingual table of section names: which heading (or metadata key) is which part.

People write the same parts of a decision under many names: "Context", "Background",
"Contexte et énoncé du problème". The importer compares a heading with the names below after
:func:`normalise` (no case, no accents, no numbering or emphasis), so "## 2. Contexte :"
is "contexte". English and French are built in; a project adds names in ``adrgen.toml``::

    [import.sections]
    context = ["Hintergrund", "Ausgangslage"]
    decision = ["Entscheidung"]

    [import.phrases]
    chosen_option = ["Gewählte Option"]
    good = ["Gut"]

Names a project adds are matched before the built-in ones, so a project can also claim a
name for another part. Of the decision's names, those of a proposal (:data:`PROPOSAL_NAMES`)
give the record its decision only when no section is named as the decision itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from adrgen.config import IMPORT_METADATA_PARTS, IMPORT_SECTION_PARTS

__all__ = ["BUILTIN_NAMES", "PROPOSAL_NAMES", "SectionTable", "after_name", "normalise"]

#: part → the names people write for it, in English and French (compared normalised).
BUILTIN_NAMES: dict[str, tuple[str, ...]] = {
    # Sections (and, for the metadata parts at the end, `Key: value` lines and front matter).
    "context": (
        "context",
        "context and problem statement",
        "context and problem",
        "problem statement",
        "problem",
        "the problem",
        "background",
        "issue",
        "situation",
        "motivation",
        "what we need",
        "contexte",
        "contexte et enonce du probleme",
        "enonce du probleme",
        "contexte et probleme",
        "contexte et problematique",
        "problematique",
        "probleme",
    ),
    "drivers": (
        "decision drivers",
        "drivers",
        "forces",
        "facteurs de decision",
        "criteres de decision",
        "criteres",
    ),
    "options": (
        "considered options",
        "options considered",
        "options",
        "considered alternatives",
        "alternatives considered",
        "alternatives",
        "candidates",
        "implementation options",
        "available options",
        "positions",
        "options envisagees",
        "options considerees",
        "alternatives envisagees",
        "solutions envisagees",
    ),
    "decision": (
        "decision",
        "decision outcome",
        "outcome",
        "decisions",
        "our decision",
        "the decision",
        "what we decided",
        "proposal",
        "proposed decision",
        "proposed solution",
        "recommendation",
        "choice",
        "resultat de la decision",
        "resultat",
        "decision prise",
    ),
    "pros_and_cons": (
        "pros and cons of the options",
        "pros and cons of the alternatives",
        "pros and cons of the considered options",
        "pros and cons",
        "avantages et inconvenients des options",
        "avantages et inconvenients",
    ),
    "consequences": ("consequences", "implications", "impact", "consequence"),
    "good_consequences": (
        "positive consequences",
        "good consequences",
        "consequences positives",
    ),
    "bad_consequences": (
        "negative consequences",
        "bad consequences",
        "consequences negatives",
    ),
    "confirmation": ("confirmation", "validation"),
    "links": (
        "links",
        "related decisions",
        "related adrs",
        "related adr",
        "related adr(s)",
        "related",
        "see also",
        "liens",
        "decisions liees",
    ),
    "status": ("status", "statut", "etat", "state"),
    "date": ("date",),
    "decision_makers": (
        "deciders",
        "decision makers",
        "decision-makers",
        "decision_makers",
        "decideurs",
        "decisionnaires",
    ),
    "consulted": ("consulted", "consultes"),
    "informed": ("informed", "informes"),
    "tags": ("tags", "tag", "etiquettes"),
    # Phrases inside sections.
    "chosen_option": (
        "chosen option",
        "chosen options",
        "selected option",
        "option choisie",
        "options choisies",
        "option retenue",
        "solution retenue",
    ),
    "good": ("good", "pro", "pros", "positive", "bien", "avantage", "positif", "positive"),
    "bad": ("bad", "con", "cons", "negative", "mauvais", "inconvenient", "negatif", "negative"),
    "neutral": ("neutral", "neutre"),
}

#: Names of the decision part that name a proposal, not the decision: a section named so
#: is the record's decision only when no section is named as the decision itself.
PROPOSAL_NAMES: tuple[str, ...] = (
    "proposal",
    "proposed decision",
    "proposed solution",
    "recommendation",
)

#: What follows a section's name in a heading that says more: "Decision: use X".
_AFTER_NAME = re.compile(r"\s*(?::|\(| - | – | — )")


def after_name(key: str, length: int) -> bool:
    """Whether a normalised heading says more after a name of ``length`` characters
    ("proposal: fixed windows"), rather than going on with the word."""
    return _AFTER_NAME.match(key, length) is not None


#: Headings whose part is remembered per table (then forgotten, and remembered again), up
#: to this long.
_MEMO_SIZE = 50_000
_MEMO_TEXT = 500
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*|[ivx]+|[a-z])[.)]\s+")
_EDGES = " \t.:;,-–—!?\u00a0"


def normalise(text: str) -> str:
    """A heading or key as the table compares it.

    ``"## 2. Résultat de la décision :"`` → ``"resultat de la decision"``: no accents, no
    case, no emphasis, no leading numbering or symbols (emoji), no trailing punctuation.
    """
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    folded = folded.replace("\u2019", "'").replace("*", "").replace("_", " ").replace("`", "")
    folded = re.sub(r"^[^\w(]+", "", folded)
    folded = _NUMBERING.sub("", folded)
    return re.sub(r"\s+", " ", folded).strip(_EDGES)


@dataclass(frozen=True)
class SectionTable:
    """Which part a heading names, with the project's names first."""

    extra: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: What is derived from the names, derived once (lookups, phrase patterns).
    _derived: dict[tuple[str, ...], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def build(cls, extra: Mapping[str, Sequence[str]] | None = None) -> SectionTable:
        """The built-in table extended with a project's names (``[import.sections]`` and
        ``[import.phrases]`` in adrgen.toml)."""
        return cls(
            {part: tuple(normalise(n) for n in names) for part, names in (extra or {}).items()}
        )

    def names(self, part: str) -> tuple[str, ...]:
        """Every name of ``part``, normalised: the project's, then the built-in ones."""
        return (*self.extra.get(part, ()), *BUILTIN_NAMES.get(part, ()))

    def _lookup(self, parts: Sequence[str]) -> list[tuple[str, str]]:
        # Project names first (a project may claim a built-in name for another part), then
        # longer names before their prefixes ("decision outcome" before "decision").
        cache_key = ("lookup", *parts)
        found: list[tuple[str, str]] | None = self._derived.get(cache_key)
        if found is None:
            project = [(n, p) for p in parts for n in self.extra.get(p, ())]
            builtin = sorted(
                ((n, p) for p in parts for n in BUILTIN_NAMES.get(p, ())),
                key=lambda np: -len(np[0]),
            )
            found = self._derived[cache_key] = project + builtin
        return found

    def part_of(self, heading: str) -> tuple[str, str] | None:
        """The section part a heading names, and what follows the name.

        ``"Proposal: fixed-window counters"`` → ``("decision", "fixed-window counters")``;
        ``"Context"`` → ``("context", "")``. ``None`` when it names no part.
        """
        return self._match(heading, IMPORT_SECTION_PARTS)

    def _ranks(self, parts: Sequence[str]) -> tuple[dict[str, tuple[int, str]], list[int]]:
        """Each name's first place in :meth:`_lookup` and its part; the names' lengths."""
        cache_key = ("ranks", *parts)
        found: tuple[dict[str, tuple[int, str]], list[int]] | None = self._derived.get(cache_key)
        if found is None:
            ranks: dict[str, tuple[int, str]] = {}
            for rank, (name, part) in enumerate(self._lookup(parts)):
                ranks.setdefault(name, (rank, part))
            lengths = sorted({len(name) for name in ranks})
            found = self._derived[cache_key] = (ranks, lengths)
        return found

    def _match(self, text: str, parts: Sequence[str]) -> tuple[str, str] | None:
        """The first name in :meth:`_lookup` that is the heading, else the first that starts
        it, followed by ``:``, ``(`` or a dash: found by the heading's prefixes of the
        names' lengths, not by trying every name (headings are many in a big file)."""
        if len(text) > _MEMO_TEXT:
            return self._match_names(text, parts)
        memo = self._derived.setdefault(("match", *parts), {})
        if text in memo:
            return memo[text]  # type: ignore[no-any-return]
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        found = memo[text] = self._match_names(text, parts)
        return found

    def _match_names(self, text: str, parts: Sequence[str]) -> tuple[str, str] | None:
        key = normalise(text)
        if not key:
            return None
        ranks, lengths = self._ranks(parts)
        exact = ranks.get(key)
        if exact is not None:
            return exact[1], ""
        best: tuple[int, str] | None = None
        for length in lengths:
            if length >= len(key):
                break
            candidate = ranks.get(key[:length])
            if (
                candidate is not None
                and (best is None or candidate < best)
                and _AFTER_NAME.match(key, length)
            ):
                best = candidate
        if best is not None:
            rest = re.sub(r"^[^:(]*?[:(–—-]\s*", "", text.strip(), count=1)
            return best[1], rest.strip().rstrip(")").strip()
        return None

    def phrase(self, text: str, part: str) -> bool:
        """Whether ``text`` is one of the names of phrase ``part`` (``chosen_option``, …)."""
        return normalise(text) in self.names(part)

    def phrase_pattern(self, part: str) -> str:
        """A regular expression alternation of the phrase's names (accents optional)."""
        cache_key = ("phrase", part)
        pattern: str | None = self._derived.get(cache_key)
        if pattern is None:
            names = sorted(set(self.names(part)), key=len, reverse=True)
            pattern = self._derived[cache_key] = "|".join(_accent_free(n) for n in names)
        return pattern


def _accent_free(name: str) -> str:
    """A pattern for a normalised name that also matches it written with accents."""
    out = []
    for char in name:
        if char.isalpha():
            out.append(_letter(char))
        elif char == " ":
            out.append(r"[\s_-]+")
        else:
            out.append(re.escape(char))
    return "".join(out)


_ACCENTED = {
    "a": "aàâä",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîï",
    "o": "oôö",
    "u": "uùûü",
    "y": "yÿ",
}


def _letter(char: str) -> str:
    variants = _ACCENTED.get(char)
    return f"[{variants}]" if variants else re.escape(char)


def metadata_part(table: SectionTable, key: str) -> str | None:
    """The metadata part a ``Key:`` names (``Statut`` → ``status``), or ``None``."""
    key_norm = normalise(key)
    for part in IMPORT_METADATA_PARTS:
        if key_norm in table.names(part):
            return part
    return None
