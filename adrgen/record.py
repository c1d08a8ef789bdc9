"""The record format, v1: what a decision YAML file may say.

These pydantic models are the single source of truth for the format. Validation uses them,
and :func:`record_json_schema` derives the JSON Schema that editors use (through the
``# yaml-language-server: $schema=…`` header) and that ``adrgen schema`` prints. There is no
second, hand-kept copy of the format anywhere.

The models are frozen: once a record has been validated, nothing downstream can change it.
Checks that need more than one field or more than one record live in :mod:`adrgen.validate`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from adrgen.quantities import Quantity, TimeEstimate

FORMAT_VERSION = 1

#: The lifecycle every project has. A project adds its own in ``adrgen.toml`` (``statuses``).
BUILTIN_STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected", "deprecated", "superseded")

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
    complexity: Complexity
    time: EstimateField
    pros: list[Text] = Field(default_factory=list)
    cons: list[Text] = Field(default_factory=list)
    risks: list[Text] = Field(default_factory=list)
    load: LoadModel | None = None

    @property
    def heading(self) -> str:
        """The option's display title."""
        return self.title or self.name


class Consequences(_Model):
    """What follows from the decision."""

    good: list[Text] = Field(default_factory=list)
    bad: list[Text] = Field(default_factory=list)
    neutral: list[Text] = Field(default_factory=list)


class Outcome(_Model):
    """What was decided, why, and how we will know it was right."""

    chosen: Identifier = Field(description="The id of the chosen option.")
    summary: Text = Field(
        description="One line: the decision as the diagram's bottom note says it."
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


class Record(_Model):
    """An architecture decision record, format v1."""

    adrgen: Literal[1] = Field(default=1, description="Version of the record format.")
    title: Text
    status: str = Field(
        description="proposed, accepted, rejected, deprecated, superseded, or a project status."
    )
    date: dt.date
    people: People = Field(default_factory=People)
    tags: list[Annotated[str, Field(pattern=r"^[^\s,][^,]{0,63}$")]] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    context: Markdown = ""
    drivers: list[Text] = Field(default_factory=list)
    requirements: dict[Identifier, QuantityField] = Field(default_factory=dict)
    options: list[Option] = Field(min_length=1)
    outcome: Outcome | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    diagram: DiagramSettings = Field(default_factory=DiagramSettings)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str, info: ValidationInfo) -> str:
        allowed = statuses_from(info.context)
        if value not in allowed:
            close = difflib.get_close_matches(value, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"{value!r} is not a status; use one of: {', '.join(allowed)}{hint}")
        return value

    @property
    def diagram_title(self) -> str:
        """The comparison diagram's title."""
        return self.diagram.title or self.title


def statuses_from(context: Any) -> tuple[str, ...]:
    """The statuses allowed in a validation context (built-ins plus a project's own)."""
    extra: Iterable[str] = ()
    if isinstance(context, dict):
        extra = context.get("statuses", ())
    return tuple(dict.fromkeys([*BUILTIN_STATUSES, *extra]))


def record_json_schema(extra_statuses: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON Schema of the record format, for editors and ``adrgen schema``."""
    schema = Record.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "adrgen decision record (format v1)"
    schema["properties"]["status"]["enum"] = list(statuses_from({"statuses": list(extra_statuses)}))
    return schema
