"""Step 4 of the pipeline: draw each decision, and the graph of all of them, as PlantUML text.

The drawing itself lives in Jinja templates (``diagrams/*.puml.j2``); this module hands them
the model and a few helpers that produce PlantUML *syntax* (aliases, shapes, arrows). Every
piece of record text reaches the output through the escaping finaliser of
:mod:`adrgen.diagrams.escape`. The output is a pure function of the records and templates:
no dates, no randomness, stable order, so it is byte-identical on every run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import jinja2

from adrgen.config import Config
from adrgen.diagrams.escape import PumlSafe, escape_block, escape_line
from adrgen.memo import Memo
from adrgen.records.format import Component, Flow, Option
from adrgen.records.loader import DataPath, LoadedDocument
from adrgen.records.model import Decision, DecisionSet
from adrgen.templating import diagram_environment, render_template, templates_stamp

COMPARISON_TEMPLATE = "diagrams/comparison.puml.j2"
GRAPH_TEMPLATE = "diagrams/decision-graph.puml.j2"
#: The graph's file stem. Record stems start with a digit, so it can never clash with one.
GRAPH_NAME = "decision-graph"

#: How each component kind is drawn. Component-like kinds share PlantUML's component box.
SHAPES = {
    "component": "component",
    "service": "component",
    "browser": "component",
    "database": "database",
    "queue": "queue",
    "actor": "actor",
    "cloud": "cloud",
    "node": "node",
    "storage": "storage",
    "file": "file",
}


@dataclass(frozen=True)
class DiagramSource:
    """One diagram to write: its file stem in ``diagrams/`` and its PlantUML text."""

    name: str
    text: str
    #: The record it was drawn from ("" for the decision graph).
    origin: str = ""


def alias(option_index: int, component_id: str) -> PumlSafe:
    """The PlantUML alias of a component: unique per diagram, never derived from free text."""
    return PumlSafe(f"o{option_index}_{component_id}")


def arrow(flow: Flow) -> PumlSafe:
    """PlantUML arrow syntax for a flow: ``-down->``, ``..>``."""
    line = "." if flow.style == "dashed" else "-"
    if flow.direction:
        return PumlSafe(f"{line}{flow.direction}{line}>")
    return PumlSafe(f"{line}{line}>")


def shape(component: Component) -> PumlSafe:
    """The PlantUML keyword for a component's kind."""
    return PumlSafe(SHAPES[component.kind])


def note_anchor(option: Option) -> str:
    """The component an option's note attaches to (``option``: the box drawn for an option
    that has no components)."""
    if option.note_on:
        return option.note_on
    return option.components[0].id if option.components else "option"


_STEREOTYPE_SAFE = re.compile(r"[^a-z0-9_]+")


def status_stereotype(status: str) -> PumlSafe:
    """A status as a PlantUML stereotype name (statuses can come from project config)."""
    return PumlSafe(_STEREOTYPE_SAFE.sub("_", status.lower()).strip("_") or "status")


def comparison_diagram(decision: Decision, env: jinja2.Environment) -> DiagramSource:
    """The comparison diagram of one decision, shaped like the seed brainstorm."""
    record = decision.record
    # The bottom note names the requirements the chosen load figure was computed from
    # ("For 1000 users, 30s latency requirement:"), or all of them when there is none.
    load = decision.chosen_load
    used = {load.clients_name, load.interval_name} if load else set(record.requirements)
    requirements = {k: v for k, v in record.requirements.items() if k in used}
    text = render_template(
        env,
        COMPARISON_TEMPLATE,
        decision=decision,
        record=record,
        requirements=requirements,
        chosen=decision.chosen,
        chosen_load=decision.chosen_load,
        alias=alias,
        arrow=arrow,
        shape=shape,
        note_anchor=note_anchor,
    )
    return DiagramSource(name=decision.name, text=text, origin=decision.source.as_posix())


#: Up to this many records, the decision graph is one diagram of all of them. Beyond, one
#: diagram of all records is a wall of boxes nobody can read (374 imported records made one
#: 30,000 px wide), so each group of linked records gets a diagram of its own and records
#: linked to no other are listed on the graph page instead.
GRAPH_SPLIT = 50


def _edges(decisions: Sequence[Decision]) -> list[tuple[int, int, str]]:
    """The supersedes and relates-to links among ``decisions``, each drawn once."""
    numbers = {d.number for d in decisions}
    edges: list[tuple[int, int, str]] = []
    for decision in decisions:
        links = decision.record.links
        edges.extend((decision.number, target, "supersedes") for target in sorted(links.supersedes))
        edges.extend(
            (decision.number, target, "relates")
            for target in sorted(links.relates_to)
            if decision.number < target  # both ends list it; draw it once
        )
    return [e for e in edges if e[1] in numbers and e[0] != e[1]]


def graph_parts(decisions: DecisionSet) -> list[tuple[str, list[Decision]]]:
    """The decision graph's diagrams: ``(name, records)`` each, in number order.

    One diagram of every record, or beyond :data:`GRAPH_SPLIT` records one per group of
    linked records (named by its lowest number), records with no link left out.
    """
    everything = list(decisions)
    if len(everything) <= GRAPH_SPLIT:
        return [(GRAPH_NAME, everything)] if everything else []
    group = {d.number: d.number for d in everything}

    def root(number: int) -> int:
        while group[number] != number:
            group[number] = group[group[number]]
            number = group[number]
        return number

    for source, target, _kind in _edges(everything):
        low, high = sorted((root(source), root(target)))
        group[high] = low
    members: dict[int, list[Decision]] = {}
    for decision in everything:
        members.setdefault(root(decision.number), []).append(decision)
    return [
        (f"{GRAPH_NAME}-{first:04d}", part)
        for first, part in sorted(members.items())
        if len(part) > 1
    ]


def graph_diagram(
    name: str, title: str, decisions: Sequence[Decision], env: jinja2.Environment
) -> DiagramSource:
    """One diagram of ``decisions`` and the links among them."""
    text = render_template(
        env,
        GRAPH_TEMPLATE,
        title=title,
        decisions=list(decisions),
        edges=_edges(decisions),
        statuses=sorted({d.status for d in decisions}),
        stereotype=status_stereotype,
    )
    return DiagramSource(name=name, text=text)


def decision_graphs(decisions: DecisionSet, env: jinja2.Environment) -> list[DiagramSource]:
    """The diagrams of the decision graph: records and their supersedes / relates-to links."""
    parts = graph_parts(decisions)
    return [
        graph_diagram(
            name,
            "Decision graph" if len(parts) == 1 else f"Decision graph, part {i} of {len(parts)}",
            part,
            env,
        )
        for i, (name, part) in enumerate(parts, start=1)
    ]


def all_diagrams(
    decisions: DecisionSet, env: jinja2.Environment, memo: Memo | None = None
) -> list[DiagramSource]:
    """Every diagram of the repository, in a stable order.

    A record that decides without options (Nygard's single decision), or whose options state
    no components, has nothing to draw, so it gets no comparison diagram; it is in the
    decision graph like every record. With
    a ``memo``, a comparison diagram is drawn again only when its record or a template
    changed (its text depends on nothing else).
    """
    if memo is None:
        sources: Sequence[DiagramSource] = [
            comparison_diagram(d, env) for d in decisions if d.has_comparison
        ]
    else:
        stamp = templates_stamp(env.loader.searchpath)  # type: ignore[union-attr]
        sources = [
            memo.get(
                "comparison",
                (d.number, str(d.source), d.record.model_dump_json(), stamp),
                partial(comparison_diagram, d, env),
            )
            for d in decisions
            if d.has_comparison
        ]
    return [*sources, *decision_graphs(decisions, env)]


def locate(
    source: DiagramSource, line: int, documents: Sequence[LoadedDocument]
) -> tuple[LoadedDocument, DataPath] | None:
    """The record value that wrote line ``line`` (1-based) of a diagram, when one can tell.

    Record text reaches a diagram only through the escaper, so a value is found on a line
    by its escaped form; the longest such value on the line is taken (short ones, such as
    an option id, could appear by chance). ``documents`` are the records the diagram was
    drawn from.
    """
    lines = source.text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    best: tuple[int, LoadedDocument, DataPath] | None = None
    for document in documents:
        for loc, value in _strings(document.data, ()):
            forms = {escape_line(value), *escape_block(value).split("\n")}
            for form in forms:
                form = form.strip()
                if len(form) >= 3 and form in text and (best is None or len(form) > best[0]):
                    best = (len(form), document, loc)
    return (best[1], best[2]) if best else None


def _strings(data: object, loc: DataPath) -> list[tuple[DataPath, str]]:
    """Every text value of a record's data, with its path."""
    if isinstance(data, str):
        return [(loc, data)]
    found: list[tuple[DataPath, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_strings(value, (*loc, key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(_strings(value, (*loc, index)))
    return found


def plan_diagrams(
    config: Config, decisions: DecisionSet, memo: Memo | None = None
) -> list[DiagramSource]:
    """The PlantUML text of every diagram, from the records and the project's templates."""
    return all_diagrams(decisions, diagram_environment(config.templates_dir), memo)
