"""Drafts → YAML records: written with ruamel.yaml, checked, then written without overwriting.

Every record starts with the ``# yaml-language-server: $schema=…`` header. Its Markdown
fields are literal blocks (``|``), so the text reads as the source wrote it. A string that
YAML 1.1 would read as something else (``yes``, ``0034``, ``null``) is quoted. Before a
single file is written, the records are loaded back with adrgen's own loader and validated
together with the records already in the folder (:func:`check_folder`); the files are then
written through :func:`adrgen.output.write_new_file`, which never replaces a file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from adrgen.authoring import problems_if_written, round_trip_yaml
from adrgen.errors import ImportFailed, OutputError, Problem, ValidationFailed, display_path
from adrgen.importer.draft import Draft
from adrgen.output import sweep, write_new_file
from adrgen.records.format import LINK_KINDS, MonthDate, RecordRules
from adrgen.records.loader import MAX_NODES, load_text
from adrgen.walls.reads import ReadPolicy

__all__ = ["check_folder", "record_data", "record_yaml", "write_records"]

_RESOLVER = yaml.resolver.Resolver()
_NON_PRINTABLE = re.compile("[^\x09\x0a\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STR = "tag:yaml.org,2002:str"


def _text(value: str) -> Any:
    """A string as YAML should write it: a literal block for Markdown over several lines,
    quotes where YAML 1.1 would read it as something else."""
    if "\n" in value.strip("\n") and not _NON_PRINTABLE.search(value) and not value[:1].isspace():
        return LiteralScalarString(value.rstrip("\n") + "\n")
    if _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR:  # type: ignore[no-untyped-call]
        return DoubleQuotedScalarString(value)
    return value


def _markdown(value: str) -> Any:
    """A Markdown field: a literal block when it is long or would need quotes, so it reads
    as the source wrote it."""
    text = _text(value)
    readable = (
        isinstance(text, str)
        and not _NON_PRINTABLE.search(value)
        and not value[:1].isspace()
        and len(value) > 80
    )
    return LiteralScalarString(value.rstrip("\n") + "\n") if readable else text


def _seq(items: Sequence[Any], *, flow: bool = False) -> CommentedSeq:
    seq = CommentedSeq([_text(i) if isinstance(i, str) else i for i in items])
    if flow:
        seq.fa.set_flow_style()
    return seq


def _flow_names(items: Sequence[str]) -> CommentedSeq:
    simple = all(re.fullmatch(r"[\w .'’@-]{1,60}", i) and i == i.strip() for i in items)
    return _seq(items, flow=bool(simple) and sum(len(i) + 2 for i in items) < 80)


def _date(value: dt.date | MonthDate | None) -> Any:
    if value is None:
        return "unknown"
    if isinstance(value, MonthDate):
        return value.isoformat()
    return value


def record_data(draft: Draft) -> CommentedMap:
    """The record a draft becomes, in the order of the record format."""
    data = CommentedMap()
    data["title"] = _text(draft.title)
    data["status"] = draft.status
    if draft.status_note:
        data["status_note"] = _text(draft.status_note)
    data["date"] = _date(draft.date)
    people = CommentedMap()
    for role in ("decision_makers", "consulted", "informed"):
        names = list(dict.fromkeys(draft.people.get(role, [])))
        if names:
            people[role] = _flow_names(names)
    if people:
        data["people"] = people
    if draft.tags:
        data["tags"] = _flow_names(draft.tags)
    links = CommentedMap()
    for kind in LINK_KINDS:
        if draft.links.get(kind):
            links[kind] = _seq(sorted(draft.links[kind]), flow=True)
    if links:
        data["links"] = links
    context = context_text(draft)
    if context:
        data["context"] = _markdown(context)
    if draft.drivers:
        data["drivers"] = _seq(draft.drivers)
    if draft.options:
        data["options"] = CommentedSeq(_option(o) for o in draft.options)
    outcome = _outcome(draft)
    if outcome:
        data["outcome"] = outcome
    imported = CommentedMap()
    imported["source"] = _text(draft.source_name)
    imported["format"] = draft.format
    if draft.date is not None and draft.date_from:
        imported["date_from"] = draft.date_from
    if draft.status_from:
        where = f", line {draft.status_line}" if draft.status_line else ""
        imported["status_from"] = _text(f"{draft.status_from}{where}")
    data["imported"] = imported
    return data


def context_text(draft: Draft) -> str:
    """The context: the source's own, then what had no field, each under its heading."""
    parts = [p for p in draft.context if p.strip()]
    parts += [f"### {k.heading}\n\n{k.text}" for k in sorted(draft.kept, key=lambda k: k.start)]
    return "\n\n".join(parts).strip()


def _option(option: Any) -> CommentedMap:
    data = CommentedMap()
    data["id"] = option.id
    data["name"] = _text(option.name)
    summary = "\n\n".join(s for s in option.summary if s.strip()).strip()
    if summary:
        data["summary"] = _markdown(summary)
    if option.complexity:
        data["complexity"] = option.complexity
    if option.time:
        data["time"] = _text(option.time)
    for key in ("pros", "cons", "risks"):
        values = getattr(option, key)
        if values:
            data[key] = _seq(values)
    return data


def _outcome(draft: Draft) -> CommentedMap:
    outcome = CommentedMap()
    if draft.chosen is not None:
        outcome["chosen"] = draft.options[draft.chosen].id
    if draft.decision:
        outcome["decision"] = _markdown(draft.decision)
    rationale = "\n\n".join(r for r in draft.rationale if r.strip()).strip()
    if rationale:
        outcome["rationale"] = _markdown(rationale)
    consequences = CommentedMap()
    for kind in ("good", "bad", "neutral"):
        values = getattr(draft, kind)
        if values:
            consequences[kind] = _seq(values)
    notes = "\n\n".join(n for n in draft.consequence_notes if n.strip()).strip()
    if notes:
        consequences["notes"] = _markdown(notes)
    if consequences:
        outcome["consequences"] = consequences
    confirmation = "\n\n".join(c for c in draft.confirmation if c.strip()).strip()
    if confirmation:
        outcome["confirmation"] = _markdown(confirmation)
    return outcome


def record_yaml(draft: Draft, header: str) -> str:
    """The record's YAML text, header first; read back to make sure it says what it should."""
    data = record_data(draft)
    values = _count_values(data)
    if values > MAX_NODES:
        # Thousands of options, say: more than adrgen's loader reads in one record. Refused
        # before the YAML is written out and read back, and said plainly.
        raise ImportFailed(
            [
                Problem(
                    draft.display,
                    0,
                    0,
                    "",
                    f"the record made of it would hold {values:,} values; a record holds at "
                    f"most {MAX_NODES:,} (nothing was written)",
                )
            ]
        )
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    text = header + out.getvalue()
    try:
        back = load_text(text, draft.output or Path("record.yaml")).data
    except ValidationFailed as exc:
        # A record too big for adrgen's loader (more values than it reads in one record):
        # refused like a record that would not validate, not a crash.
        raise ImportFailed(
            [
                dataclasses.replace(
                    p,
                    path=draft.display,
                    line=0,
                    col=0,
                    message=f"the record made of it could not be read back: {p.message} "
                    f"(line {p.line} of the record); nothing was written",
                )
                for p in exc.problems
            ]
        ) from None
    if back != _plain(data):  # pragma: no cover - a writer bug, never the user's input
        raise AssertionError(f"the YAML written for {draft.display} does not read back the same")
    return text


def _count_values(value: Any) -> int:
    """The values adrgen's loader builds for ``value``: itself and every value in it (not
    the keys), as it counts them against its limit."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def check_folder(
    decisions_dir: Path, planned: Sequence[tuple[Path, str]], rules: RecordRules, reads: ReadPolicy
) -> None:
    """Validate the folder as it would be with ``planned`` written; raise on new problems.

    A project that requires estimates still gets records: the sources state none, and
    inventing them is not an option (the CLI says what is left to do).
    """
    try:
        added = problems_if_written(decisions_dir, dict(planned), rules, reads=reads)
    except ValidationFailed as exc:  # pragma: no cover - record_yaml read it back
        raise ImportFailed(exc.problems) from None
    if added:
        raise ImportFailed(
            [
                dataclasses.replace(
                    p,
                    message=f"{p.message} (the imported records would not validate; nothing was written)",
                )
                for p in added
            ]
        )


def write_records(decisions_dir: Path, planned: Sequence[tuple[Path, str]]) -> None:
    """Write every planned record; on failure remove those written and raise."""
    written: list[Path] = []
    try:
        if planned:
            decisions_dir.mkdir(parents=True, exist_ok=True)
            sweep(decisions_dir)  # what a killed `import` or `new` left behind
        for target, text in planned:
            write_new_file(target, text.encode("utf-8"))
            written.append(target)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        where = exc.filename or decisions_dir
        raise OutputError(
            f"could not write {display_path(where)}: {exc.strerror or exc}; nothing was imported"
        ) from None
