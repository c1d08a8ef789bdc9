"""The record format, v1.1: what a decision YAML file may say.

v1.1 is v1 opened up for records that other teams wrote (every v1 record stays valid, with
the same meaning): an option may be "not estimated" (no complexity, no time), a record may
decide without options (Nygard's Context / Decision / Consequences), its source may have
given no date or no status (``unknown``), and statuses are read as people write them
(any case, project aliases such as approved → accepted, a trailing note).

These pydantic models are the single source of truth for the format. Validation uses them,
and :func:`record_json_schema` derives the JSON Schema that editors use (through the
``# yaml-language-server: $schema=…`` header) and that ``adrgen schema`` prints. There is no
second, hand-kept copy of the format anywhere.

The models are frozen: once a record has been validated, nothing downstream can change it.
Checks that need more than one field or more than one record live in :mod:`adrgen.records.validate`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from adrgen.records.quantities import Quantity, TimeEstimate

#: The lifecycle every project has. A project adds its own in ``adrgen.toml`` (``statuses``).
BUILTIN_STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected", "deprecated", "superseded")
#: What a record says when its source gave no status, or no date.
UNKNOWN = "unknown"
#: The words people write for the built-in statuses. A project adds its own, or overrides
#: these, with ``status_aliases`` in ``adrgen.toml``. Matched without regard to case.
DEFAULT_STATUS_ALIASES: dict[str, str] = {
    "approved": "accepted",
    "adopted": "accepted",
    "agreed": "accepted",
    "decided": "accepted",
    "implemented": "accepted",
    "done": "accepted",
    "pending": "proposed",
    "draft": "proposed",
    "in review": "proposed",
    "under review": "proposed",
    "in progress": "proposed",
    "under discussion": "proposed",
    "wip": "proposed",
    "open": "proposed",
    "proposal": "proposed",
    "declined": "rejected",
    "refused": "rejected",
    "abandoned": "rejected",
    "withdrawn": "rejected",
    "obsolete": "deprecated",
    "retired": "deprecated",
    "replaced": "superseded",
    # French (MADR is written in French too).
    "accepté": "accepted",
    "acceptée": "accepted",
    "adopté": "accepted",
    "adoptée": "accepted",
    "validé": "accepted",
    "validée": "accepted",
    "approuvé": "accepted",
    "approuvée": "accepted",
    "proposé": "proposed",
    "proposée": "proposed",
    "brouillon": "proposed",
    "en cours": "proposed",
    "rejeté": "rejected",
    "rejetée": "rejected",
    "refusé": "rejected",
    "refusée": "rejected",
    "déprécié": "deprecated",
    "dépréciée": "deprecated",
    "obsolète": "deprecated",
    "remplacé": "superseded",
    "remplacée": "superseded",
}


@dataclass(frozen=True)
class RecordRules:
    """What a project adds to the format: its statuses, the words for them, its policies.

    Handed to validation as its context; built from ``adrgen.toml`` by the settings.
    """

    statuses: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_ALIASES))
    #: Every option must state its complexity and time (``require_estimates`` in adrgen.toml).
    require_estimates: bool = False

    @property
    def lifecycle(self) -> tuple[str, ...]:
        """Every status a record may have: the built-in ones, then the project's."""
        return tuple(dict.fromkeys([*BUILTIN_STATUSES, *self.statuses]))

    @cached_property
    def words(self) -> dict[str, str]:
        """Every word for a status, lower-cased, with the status it means."""
        known = {s.casefold(): s for s in self.lifecycle}
        words = {k.casefold(): v for k, v in self.aliases.items() if v in self.lifecycle}
        return {**words, **known, UNKNOWN: UNKNOWN}

    @cached_property
    def longest_first(self) -> list[tuple[str, str]]:
        """:attr:`words` with the longest first, the order a status is matched in (computed
        once per settings, not once per record: 0.2 s of validating 1000 records)."""
        return sorted(self.words.items(), key=lambda item: -len(item[0]))


_DEFAULT_RULES = RecordRules()

#: Decoration people put around a status: emoji and symbols, emphasis, brackets, quotes.
_STATUS_DECORATION = re.compile(r"^[\W_]+", re.UNICODE)
_SEPARATORS = " \t:;,.-–—=>|"


def read_status(text: str, rules: RecordRules | None = None) -> tuple[str, str] | None:
    """The status ``text`` states, and the detail after it, as a person reads them.

    ``"✅ **Accepted** (documenting an existing thing)"`` reads as
    ``("accepted", "documenting an existing thing")``; ``"Approved by TSC vote on
    2021-12-14"`` as ``("accepted", "by TSC vote on 2021-12-14")``. ``None`` when the text
    does not start with a status word.
    """
    rules = rules or _DEFAULT_RULES
    plain = _STATUS_DECORATION.sub("", text.replace("**", "").replace("__", "")).strip()
    folded = plain.casefold()
    for word, status in rules.longest_first:
        if not folded.startswith(word):
            continue
        rest = plain[len(word) :]
        if rest and (rest[0].isalnum() or rest[0] == "_"):
            continue  # "accepted" is not the start of "acceptedly"
        note = rest.strip(_SEPARATORS + "*_`")
        if note.startswith("(") and note.endswith(")") and note.count("(") == 1:
            note = note[1:-1].strip()
        return status, note
    return None


#: Statuses whose record must name the option it chose. (A superseded record may have been
#: a proposal that never got an outcome, so it is not in this set.)
STATUSES_WITH_OUTCOME = frozenset({"accepted", "deprecated"})

ComponentKind = Literal[
    "component",
    "service",
    "database",
    "queue",
    "actor",
    "browser",
    "cloud",
    "node",
    "storage",
    "file",
]
Complexity = Literal["low", "medium", "high"]
Severity = Literal["low", "medium", "high", "critical"]
Direction = Literal["up", "down", "left", "right"]

#: Ids become PlantUML aliases and URL anchors, so they are kept to a safe alphabet.
Identifier = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
        description="A short name used for references: a letter, then letters, digits or _.",
    ),
]
#: One line of plain text (labels, titles).
Text = Annotated[str, Field(min_length=1, max_length=10_000)]
#: Free text that pages render as Markdown (sanitised).
Markdown = Annotated[str, Field(max_length=200_000, description="Markdown text.")]


def _parse_quantity(raw: object) -> object:
    return raw if isinstance(raw, Quantity) else Quantity.parse(raw)


def _parse_estimate(raw: object) -> object:
    return raw if isinstance(raw, TimeEstimate) else TimeEstimate.parse(raw)


QuantityField = Annotated[
    Quantity,
    BeforeValidator(_parse_quantity),
    PlainSerializer(str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*[A-Za-z/% ]*$"},
            ],
            "description": "A number, optionally with a unit: 1000, '30 s', '100 req/s'.",
        }
    ),
]
EstimateField = Annotated[
    TimeEstimate,
    BeforeValidator(_parse_estimate),
    PlainSerializer(str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*((-|–|to)\s*[0-9]+(\.[0-9]+)?)?\s*[A-Za-z]+\s*$",
            "description": "Effort, like '1 week' or '3-4 weeks' (hours, days, weeks, sprints, months).",
        }
    ),
]


@dataclass(frozen=True, order=True)
class MonthDate:
    """A date known to the month only: a source that says "May 2025" gives no day, and
    none is invented. Written ``2025-05``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month")

    def isoformat(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.isoformat()


_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")


def _parse_date(raw: object) -> dt.date | MonthDate | None:
    """A date, a month (``2025-05``), or ``None`` for ``unknown`` (the source gave none)."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, (dt.date, MonthDate)):
        return raw
    if isinstance(raw, str) and raw.strip().casefold() == UNKNOWN:
        return None
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
        month = _MONTH.match(raw)
        if month:
            try:
                return MonthDate(int(month[1]), int(month[2]))
            except ValueError:
                pass
    shown = "nothing (null)" if raw is None else repr(raw)
    raise ValueError(
        f"{shown} is not a valid date; write YYYY-MM-DD, or {UNKNOWN} when the source gives none"
    )


DateField = Annotated[
    dt.date | MonthDate | None,
    PlainValidator(_parse_date),
    PlainSerializer(lambda value: value.isoformat() if value else UNKNOWN),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"},
                {"const": UNKNOWN},
            ],
            "description": "YYYY-MM-DD; YYYY-MM when the source gives only the month; or "
            "unknown when the source gives no date.",
        }
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # YAML reads `label: 42` as a number; for a text field that is still text.
        coerce_numbers_to_str=True,
        populate_by_name=True,
    )


class People(_Model):
    """Who took part, in the RACI-like terms MADR uses."""

    decision_makers: list[Text] = Field(default_factory=list)
    consulted: list[Text] = Field(default_factory=list)
    informed: list[Text] = Field(default_factory=list)


#: The kinds of link between records (the fields of :class:`Links`).
LinkKind = Literal["supersedes", "superseded_by", "relates_to"]
LINK_KINDS: tuple[LinkKind, ...] = ("supersedes", "superseded_by", "relates_to")
#: What a link says seen from its other end: both ends of a link must state it.
INVERSE_LINK: dict[LinkKind, LinkKind] = {
    "supersedes": "superseded_by",
    "superseded_by": "supersedes",
    "relates_to": "relates_to",
}


class Links(_Model):
    """Relations to other records, by number. Both ends must agree."""

    supersedes: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    superseded_by: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)
    relates_to: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list)


class Component(_Model):
    """A box in an option's diagram."""

    id: Identifier
    kind: ComponentKind = "component"
    label: Text
    description: Markdown | None = None


class Flow(_Model):
    """A labelled arrow between two components of the same option."""

    from_: Identifier = Field(alias="from")
    to: Identifier
    label: str = ""
    direction: Direction | None = None
    style: Literal["solid", "dashed"] = "solid"


class SecurityConcern(_Model):
    """One security concern; written as plain text or as ``{text, severity}``."""

    text: Text
    severity: Severity | None = None


def _concern_from_text(value: SecurityConcern | str) -> SecurityConcern:
    return SecurityConcern(text=value) if isinstance(value, str) else value


# Declared as a union so the JSON Schema tells editors that both spellings are fine; the
# validator then normalises, so code and templates always see a SecurityConcern.
ConcernField = Annotated[SecurityConcern | Text, AfterValidator(_concern_from_text)]


class LoadModel(_Model):
    """How an option loads the system. Numbers come from ``requirements``, never typed here.

    ``polling``: ``clients`` poll every ``interval`` → clients / interval requests per second.
    ``persistent``: each of ``clients`` holds a connection open → that many open connections.
    ``clients`` and ``interval`` name a requirement (``users``) or give a literal quantity.
    ``capacity`` (optional) is what one node is known to handle; it turns the figure into an
    assessment such as "trivial".
    """

    model: Literal["polling", "persistent"]
    clients: str | int
    interval: str | int | None = None
    capacity: QuantityField | None = None


class Option(_Model):
    """One option considered."""

    id: Identifier
    name: Text
    title: Text | None = Field(
        default=None, description="Heading of the option's diagram package; defaults to name."
    )
    verdict: str = Field(default="", description='A label such as "SHIP THIS" or "DON\'T".')
    summary: Markdown = ""
    components: list[Component] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    note_on: Identifier | None = Field(
        default=None, description="Component the option's note attaches to; the first by default."
    )
    security: list[ConcernField] = Field(default_factory=list)
    complexity: Complexity | None = Field(
        default=None, description="low, medium or high; absent: not estimated."
    )
    time: EstimateField | None = Field(
        default=None, description="Effort, like '1 week'; absent: not estimated."
    )
    pros: list[Text] = Field(default_factory=list)
    cons: list[Text] = Field(default_factory=list)
    risks: list[Text] = Field(default_factory=list)
    load: LoadModel | None = None

    @property
    def heading(self) -> str:
        """The option's display title."""
        return self.title or self.name


class Consequences(_Model):
    """What follows from the decision: as lists, or as prose (``notes``), or both."""

    good: list[Text] = Field(default_factory=list)
    bad: list[Text] = Field(default_factory=list)
    neutral: list[Text] = Field(default_factory=list)
    notes: Markdown = ""


class Outcome(_Model):
    """What was decided, why, and how we will know it was right."""

    chosen: Identifier | None = Field(
        default=None, description="The id of the chosen option (when the record has options)."
    )
    summary: Text | None = Field(
        default=None, description="One line: the decision as the diagram's bottom note says it."
    )
    decision: Markdown = Field(
        default="", description="The decision as written (Nygard's Decision section)."
    )
    rationale: Markdown = ""
    consequences: Consequences = Field(default_factory=Consequences)
    confirmation: Markdown = ""


class Figure(_Model):
    """One measured number, with the baseline it is compared against."""

    name: Text
    value: float
    unit: str = ""
    baseline: float | None = None
    baseline_label: str = ""


class Evidence(_Model):
    """Measurements that back a claim of the record."""

    claim: Text
    figures: list[Figure] = Field(default_factory=list)
    command: str = Field(default="", description="The command that reproduces the figures.")
    source: str = Field(default="", description="A file or URL with the full results.")
    measured: dt.date | None = None
    notes: Markdown = ""


class DiagramSettings(_Model):
    """Per-record diagram options."""

    title: Text | None = Field(
        default=None, description="Diagram title; the record title by default."
    )


class Imported(_Model):
    """Where an imported record came from, and where its date and status were read."""

    source: Text = Field(description="The Markdown file it was imported from.")
    format: str = Field(default="", description="madr2, madr3, madr4, nygard or freeform.")
    date_from: Literal["text", "front matter", "file name", "git history"] | None = None
    status_from: str = Field(default="", description="Where the status was read.")


class Record(_Model):
    """An architecture decision record, format v1.1."""

    adrgen: Literal[1] = Field(default=1, description="Version of the record format.")
    title: Text
    status: str = Field(
        description="proposed, accepted, rejected, deprecated, superseded, a project status, "
        "or unknown when the source gave none. Any case; aliases such as 'approved' work."
    )
    status_note: Text | None = Field(
        default=None,
        description="Detail after the status: 'documenting an existing thing'.",
    )
    date: DateField
    people: People = Field(default_factory=People)
    tags: list[Annotated[str, Field(pattern=r"^[^\s,][^,]{0,63}$")]] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    context: Markdown = ""
    drivers: list[Text] = Field(default_factory=list)
    requirements: dict[Identifier, QuantityField] = Field(default_factory=dict)
    options: list[Option] = Field(default_factory=list)
    outcome: Outcome | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    diagram: DiagramSettings = Field(default_factory=DiagramSettings)
    imported: Imported | None = None

    @model_validator(mode="before")
    @classmethod
    def _status_note(cls, data: Any, info: ValidationInfo) -> Any:
        # "Accepted (documenting an existing thing)": the detail becomes the status note,
        # unless the record gives one itself.
        if isinstance(data, dict) and isinstance(data.get("status"), str):
            read = read_status(data["status"], rules_from(info.context))
            if read is not None and read[1] and not data.get("status_note"):
                data = {**data, "status_note": read[1]}
        return data

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str, info: ValidationInfo) -> str:
        rules = rules_from(info.context)
        read = read_status(value, rules)
        if read is None:
            words = [*rules.lifecycle, *(w for w in rules.words if w not in rules.lifecycle)]
            close = difflib.get_close_matches(value.casefold(), words, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{value!r} is not a status; use one of: {', '.join(rules.lifecycle)} "
                f"(or {UNKNOWN}, when the source gives none){hint}"
            )
        return read[0]

    @property
    def diagram_title(self) -> str:
        """The comparison diagram's title."""
        return self.diagram.title or self.title


def rules_from(context: Any) -> RecordRules:
    """The project rules in a validation context (the defaults without one)."""
    if isinstance(context, RecordRules):
        return context
    rules = context.get("rules") if isinstance(context, dict) else None
    return rules if isinstance(rules, RecordRules) else _DEFAULT_RULES


def record_json_schema(rules: RecordRules | None = None) -> dict[str, Any]:
    """The JSON Schema of the record format, for editors and ``adrgen schema``.

    Editors are offered the canonical statuses; adrgen itself also accepts other cases,
    the project's aliases and a trailing note.
    """
    rules = rules or _DEFAULT_RULES
    schema = Record.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "adrgen decision record (format v1.1)"
    schema["properties"]["status"]["enum"] = [*rules.lifecycle, UNKNOWN]
    return schema
