"""Step 2 of the pipeline: check loaded documents and build the model from them.

Three layers, all reporting every problem they find rather than stopping at the first:

1. the shape of one record: the pydantic models of :mod:`adrgen.records.format`, whose errors are
   translated here into ``path:line:col: field: message`` with a "did you mean";
2. the meaning of one record: ids unique, flows between existing components, the chosen
   option exists, the load model computes;
3. the corpus: numbers unique, links pointing at records that exist and agreeing at both ends.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError

from adrgen.errors import Problem
from adrgen.memo import Memo
from adrgen.records.format import INVERSE_LINK, STATUSES_WITH_OUTCOME, Record, RecordRules
from adrgen.records.load_model import LoadFigure, LoadModelError, compute_load
from adrgen.records.loader import DataPath, LoadedDocument
from adrgen.records.model import RECORD_FILENAME, Decision, DecisionSet

# ---------------------------------------------------------------------------------------------
# Layer 1: shape

#: Beyond this many problems in one file the rest are counted, not listed: a file with
#: 100,000 unknown keys should cost milliseconds and one screen, not minutes and a scroll.
MAX_PROBLEMS_PER_FILE = 50


def _yaml_type(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional wrappers down to the type that holds fields or items."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            annotation = models[0] if models else members[0]
        else:
            return annotation


def _model_at(loc: DataPath) -> type[BaseModel] | None:
    """The pydantic model that describes the mapping at ``loc``, for "did you mean"."""
    current: Any = Record
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(f.alias or name): f for name, f in current.model_fields.items()}
            if part not in fields:
                return None
            current = fields[part].annotation
        elif typing.get_origin(current) in (list, tuple):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _data_loc(data: Any, loc: Sequence[Any], error_type: str) -> DataPath:
    """Map a pydantic error location onto the document, dropping union/validator tags."""
    out: list[Any] = []
    current = data
    for index, part in enumerate(loc):
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            out.append(part)
            current = current[part]
        elif index == len(loc) - 1 and error_type in ("missing", "extra_forbidden"):
            out.append(part)
    return tuple(out)


_IDENTIFIER_HELP = "start with a letter, then use letters, digits or _ (at most 64 characters)"


def _message(error: Mapping[str, Any], loc: DataPath) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        names = [(f.alias or n) for n, f in model.model_fields.items()] if model else []
        hint = _suggest(str(loc[-1]), names)
        if not hint and " " in str(loc[-1]):
            # `{text: a, b, severity: high}`: the comma ended the text and made `b` a key.
            hint = "; inside {…} a comma ends the value: put text with commas in quotes"
        return "unknown field" + hint
    if kind in ("literal_error", "enum"):
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = _suggest(str(value), expected) if isinstance(value, str) else ""
        return f"{value!r} is not one of: {', '.join(expected)}{hint}"
    if kind == "string_type":
        if isinstance(value, bool):
            return (
                f"expected text, got {_yaml_type(value)} (YAML reads yes/no/on/off/true/false "
                "unquoted as booleans: put the text in quotes)"
            )
        return f"expected text, got {_yaml_type(value)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {value!r}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"expected a number, got {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {value!r}"
    if kind == "list_type":
        return f"expected a list, got {_yaml_type(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value), got {_yaml_type(value)}"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{value!r} is not a valid date; write YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        if pattern.startswith("^[A-Za-z][A-Za-z0-9_]"):
            return f"{value!r} is not a valid id: {_IDENTIFIER_HELP}"
        if loc and loc[0] == "tags":
            return (
                f"{value!r} is not a valid tag: no commas, no leading space, at most 64 characters"
            )
        return f"{value!r} does not match {pattern}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    if kind == "too_short":
        need = ctx.get("min_length", 1)
        return f"needs at least {need} item{'s' if need != 1 else ''}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def _shape_problems(doc: LoadedDocument, exc: ValidationError) -> list[Problem]:
    grouped: dict[DataPath, list[tuple[str, bool]]] = defaultdict(list)
    skipped: set[DataPath] = set()
    for error in exc.errors(include_url=False):
        loc = _data_loc(doc.data, error["loc"], error["type"])
        if loc not in grouped and len(grouped) >= MAX_PROBLEMS_PER_FILE:
            skipped.add(loc)  # counted, not explained: nobody reads the 10,000th line
            continue
        message = _message(error, loc)
        if (message, error["type"] == "extra_forbidden") not in grouped[loc]:
            grouped[loc].append((message, error["type"] == "extra_forbidden"))
    # "unknown field 'complexty'; did you mean 'complexity'?" already says what is missing.
    for loc, messages in list(grouped.items()):
        for message, is_unknown in messages:
            suggested = re.search(r"did you mean '([^']+)'\?$", message) if is_unknown else None
            if suggested and grouped.get((*loc[:-1], suggested.group(1))) == [
                ("required field is missing", False)
            ]:
                del grouped[(*loc[:-1], suggested.group(1))]
    problems = []
    for loc, messages in grouped.items():
        # A value that fits none of a union's members gets one line, not one per member.
        text = " or ".join(m for m, _ in messages)
        problems.append(doc.problem(loc, text, key=messages[0][1]))
    if skipped:
        problems.append(
            Problem(doc.display, 1, 1, "", f"… and {len(skipped)} more problems in this file")
        )
    return problems


# ---------------------------------------------------------------------------------------------
# Layer 2: meaning of one record


def _duplicates(values: Iterable[tuple[DataPath, str]]) -> Iterable[tuple[DataPath, str]]:
    seen: set[str] = set()
    for loc, value in values:
        if value in seen:
            yield loc, value
        seen.add(value)


def _meaning_problems(
    doc: LoadedDocument, record: Record, rules: RecordRules
) -> tuple[list[Problem], dict[str, LoadFigure]]:
    problems: list[Problem] = []
    loads: dict[str, LoadFigure] = {}
    option_ids = [o.id for o in record.options]
    for loc, value in _duplicates(
        (("options", i, "id"), o.id) for i, o in enumerate(record.options)
    ):
        problems.append(doc.problem(loc, f"option id {value!r} is used twice in this record"))
    for i, option in enumerate(record.options):
        base: DataPath = ("options", i)
        component_ids = [c.id for c in option.components]
        for loc, value in _duplicates(
            ((*base, "components", j, "id"), c.id) for j, c in enumerate(option.components)
        ):
            problems.append(
                doc.problem(loc, f"component id {value!r} is used twice in this option")
            )
        for j, flow in enumerate(option.flows):
            for end, target in (("from", flow.from_), ("to", flow.to)):
                if target not in component_ids:
                    known = ", ".join(component_ids) or "the option has none"
                    problems.append(
                        doc.problem(
                            (*base, "flows", j, end),
                            f"no component {target!r} in option {option.id!r} (components: {known})"
                            + _suggest(target, component_ids),
                        )
                    )
        if option.note_on is not None and option.note_on not in component_ids:
            problems.append(
                doc.problem(
                    (*base, "note_on"),
                    f"no component {option.note_on!r} in option {option.id!r}"
                    + _suggest(option.note_on, component_ids),
                )
            )
        if rules.require_estimates:
            for name in ("complexity", "time"):
                if getattr(option, name) is None:
                    problems.append(
                        doc.problem(
                            (*base, name),
                            "required by this project (require_estimates in adrgen.toml); "
                            "estimate it, or drop require_estimates",
                        )
                    )
        if option.load is not None:
            try:
                loads[option.id] = compute_load(option.load, record.requirements)
            except LoadModelError as exc:
                problems.append(doc.problem((*base, "load", exc.field), str(exc)))
    outcome = record.outcome
    if outcome is not None and outcome.chosen is not None and outcome.chosen not in option_ids:
        known = ", ".join(option_ids) or "the record has none"
        problems.append(
            doc.problem(
                ("outcome", "chosen"),
                f"no option {outcome.chosen!r} (options: {known})"
                + _suggest(outcome.chosen, option_ids),
            )
        )
    # An imported record keeps the status its source gives, even when the source records
    # no outcome; the page says that none is recorded.
    if (
        outcome is None
        and record.options
        and record.status in STATUSES_WITH_OUTCOME
        and record.imported is None
    ):
        problems.append(
            doc.problem(("outcome",), f"a record with status {record.status!r} needs an outcome")
        )
    # A record superseded by something that is not a record here (a move to another
    # repository, a record not imported) says by what in its status note.
    if record.status == "superseded" and not record.links.superseded_by and not record.status_note:
        problems.append(
            doc.problem(
                ("links", "superseded_by"), "status is 'superseded' but no record supersedes it"
            )
        )
    if record.links.superseded_by and record.status != "superseded":
        problems.append(
            doc.problem(
                ("status",),
                f"superseded by {_refs(record.links.superseded_by)}, so status must be 'superseded'",
            )
        )
    return problems, loads


def _refs(numbers: Iterable[int]) -> str:
    return ", ".join(f"{n:04d}" for n in numbers)


def validate_document(
    doc: LoadedDocument, rules: RecordRules | None = None
) -> tuple[Decision | None, list[Problem]]:
    """Validate one loaded document; return its decision (if valid) and every problem."""
    rules = rules or RecordRules()
    problems: list[Problem] = []
    match = RECORD_FILENAME.match(doc.path.name)
    if match is None:
        problems.append(
            Problem(
                doc.display,
                1,
                1,
                "",
                "record file names are NNNN-slug.yaml (e.g. 0007-use-postgresql.yaml): "
                "a number of at least 4 digits, then lowercase words joined by '-'",
            )
        )
    data = doc.data
    if data is None:
        problems.append(
            doc.problem((), "the file is empty; a record needs title, status, date and options")
        )
        return None, problems
    if not isinstance(data, dict):
        problems.append(
            doc.problem(
                (), f"a record must be a mapping of fields (title: …), not {_yaml_type(data)}"
            )
        )
        return None, problems
    try:
        record = Record.model_validate(data, context={"rules": rules})
    except ValidationError as exc:
        problems.extend(_shape_problems(doc, exc))
        return None, problems
    meaning, loads = _meaning_problems(doc, record, rules)
    problems.extend(meaning)
    if problems or match is None:
        return None, problems
    decision = Decision(
        number=int(match["number"]), slug=match["slug"], source=doc.path, record=record, loads=loads
    )
    return decision, problems


# ---------------------------------------------------------------------------------------------
# Layer 3: the corpus


def corpus_problems(
    decisions: Sequence[Decision],
    documents: dict[str, LoadedDocument],
    numbers_in_use: Iterable[int] = (),
) -> list[Problem]:
    """Checks across records: unique numbers, and links that exist and agree at both ends.

    ``documents`` maps a decision's name to its loaded document, for positions.
    ``numbers_in_use`` adds numbers of records that failed validation, so a link to them is
    not also reported as dangling.
    """
    problems: list[Problem] = []
    by_number: dict[int, list[Decision]] = defaultdict(list)
    for decision in decisions:
        by_number[decision.number].append(decision)
    taken = set(by_number) | set(numbers_in_use)
    next_free = max(taken, default=0) + 1
    for number, owners in sorted(by_number.items()):
        if len(owners) < 2:
            continue
        names = ", ".join(d.source.name for d in owners)
        for decision in owners[1:]:
            fix = f"{next_free:04d}-{decision.slug}{decision.source.suffix}"
            problems.append(
                Problem(
                    documents[decision.name].display,
                    1,
                    1,
                    "",
                    f"number {number:04d} is taken twice ({names}); renumber this one: "
                    f"git mv {decision.source.name} {fix}, then update links to it",
                )
            )
            next_free += 1
    unique = {n: owners[0] for n, owners in by_number.items() if len(owners) == 1}
    for decision in decisions:
        doc = documents[decision.name]
        links = decision.record.links
        for kind in ("supersedes", "superseded_by", "relates_to"):
            targets: list[int] = getattr(links, kind)
            for i, target in enumerate(targets):
                loc = ("links", kind, i)
                if target == decision.number:
                    problems.append(doc.problem(loc, "a record cannot link to itself"))
                    continue
                if target not in taken:
                    problems.append(doc.problem(loc, f"no record {target:04d} exists"))
                    continue
                other = unique.get(target)
                if other is None:
                    continue  # invalid or duplicated: reported on its own
                inverse = INVERSE_LINK[kind]
                if decision.number not in getattr(other.record.links, inverse):
                    problems.append(
                        doc.problem(
                            loc,
                            f"{kind} {target:04d}, but {other.source.name} does not list "
                            f"{decision.ref} in links.{inverse}",
                        )
                    )
    return problems


def build_decision_set(
    documents: Sequence[LoadedDocument], rules: RecordRules | None = None, memo: Memo | None = None
) -> tuple[DecisionSet, list[Problem]]:
    """Validate every document and the corpus; return the valid decisions and all problems.

    With a ``memo`` (a preview session), a document validated before under the same rules
    is not validated again; the corpus checks always run."""
    rules_key = repr(rules)
    problems: list[Problem] = []
    decisions: list[Decision] = []
    by_name: dict[str, LoadedDocument] = {}
    numbers_in_use: set[int] = set()
    for doc in documents:
        match = RECORD_FILENAME.match(doc.path.name)
        if match:
            numbers_in_use.add(int(match["number"]))
        if memo is None:
            decision, found = validate_document(doc, rules)
        else:
            key = (str(doc.path), doc.text, rules_key)
            decision, found = memo.get("record", key, partial(validate_document, doc, rules))
        problems.extend(found)
        if decision is not None:
            decisions.append(decision)
            by_name[decision.name] = doc
    problems.extend(corpus_problems(decisions, by_name, numbers_in_use))
    return DecisionSet(tuple(decisions)), problems
