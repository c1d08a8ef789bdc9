"""Step 3 of the pipeline: validated decisions, ready for templates.

A :class:`Decision` is a validated :class:`~adrgen.records.format.Record` plus what the file name
and the load model contribute (number, slug, computed loads). A :class:`DecisionSet` is the
whole corpus in number order, with the reverse links a page needs. Both are frozen: templates
read them, nothing writes them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adrgen.records.format import Option, Record
from adrgen.records.load_model import LoadFigure

#: ``0001-notification-delivery.yaml``: the number, then a lowercase slug.
RECORD_FILENAME = re.compile(r"^(?P<number>[0-9]{4,})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.ya?ml$")


@dataclass(frozen=True)
class Decision:
    """One validated decision record."""

    number: int
    slug: str
    source: Path
    record: Record
    loads: Mapping[str, LoadFigure] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The record's file stem, which names its diagrams and page: ``0001-polling``."""
        return self.source.stem

    @property
    def ref(self) -> str:
        """The number as people write it: ``0001``."""
        return f"{self.number:04d}"

    @property
    def title(self) -> str:
        """The record's title."""
        return self.record.title

    @property
    def status(self) -> str:
        """The record's status."""
        return self.record.status

    @property
    def has_comparison(self) -> bool:
        """Whether the record gets a comparison diagram: some option states components. A
        record without options (Nygard's single decision), or whose options name no parts
        (most imported ones), would be a diagram of empty boxes."""
        return any(option.components for option in self.record.options)

    def option(self, option_id: str) -> Option | None:
        """The option with this id, if any."""
        return next((o for o in self.record.options if o.id == option_id), None)

    @property
    def chosen(self) -> Option | None:
        """The chosen option, when the record's outcome names one."""
        outcome = self.record.outcome
        return self.option(outcome.chosen) if outcome and outcome.chosen else None

    @property
    def chosen_load(self) -> LoadFigure | None:
        """The computed load of the chosen option, if it has a load model."""
        chosen = self.chosen
        return self.loads.get(chosen.id) if chosen else None


@dataclass(frozen=True)
class DecisionSet:
    """All decisions of a repository, sorted by number."""

    decisions: tuple[Decision, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.decisions, key=lambda d: (d.number, d.name)))
        object.__setattr__(self, "decisions", ordered)

    def __iter__(self) -> Iterator[Decision]:
        return iter(self.decisions)

    def __len__(self) -> int:
        return len(self.decisions)

    def get(self, number: int) -> Decision | None:
        """The decision with this number, if any."""
        return next((d for d in self.decisions if d.number == number), None)

    def status_counts(self) -> dict[str, int]:
        """How many decisions have each status, in first-seen order of statuses."""
        counts: dict[str, int] = {}
        for decision in self.decisions:
            counts[decision.status] = counts.get(decision.status, 0) + 1
        return counts
