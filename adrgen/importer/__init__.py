"""``adrgen import``: Markdown ADRs become YAML records, faithfully.

The steps, one module each:

* :mod:`~adrgen.importer.recognise`: which files are ADRs (READMEs, index pages and
  templates are skipped, with the reason);
* :mod:`~adrgen.importer.read`: a file's text, front matter (adrgen's hardened YAML
  loader) and section tree, from markdown-it-py's tokens with their source lines;
* :mod:`~adrgen.importer.sections`, :mod:`~adrgen.importer.statuses`,
  :mod:`~adrgen.importer.dates`: the words, statuses and dates people write;
* :mod:`~adrgen.importer.mapping`: one document → a draft record;
* :mod:`~adrgen.importer.numbering` and :mod:`~adrgen.importer.links`: numbers, and
  links that agree at both ends, across the run;
* :mod:`~adrgen.importer.write` and :mod:`~adrgen.importer.report`: the records, checked
  with the folder they join before anything is written, and the report.

The rules: nothing is dropped (text with no field is kept in ``context`` under its heading
and reported); nothing is invented (no placeholder date, status or estimate: ``unknown``,
or left out); existing files are never overwritten; the same input gives the same bytes.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from adrgen.authoring import record_file_name, schema_header, slugify
from adrgen.config import Config
from adrgen.errors import ImportFailed, Problem
from adrgen.importer.dates import DateOrder, git_added_dates
from adrgen.importer.draft import Draft, LinkLine
from adrgen.importer.links import Resolver, Target, retarget, short_label
from adrgen.importer.mapping import map_document
from adrgen.importer.options import option_id
from adrgen.importer.read import UnreadableFile, read_document, read_text
from adrgen.importer.recognise import collect
from adrgen.importer.report import FileReport, ImportReport, Reading, Unmapped
from adrgen.importer.sections import SectionTable
from adrgen.importer.statuses import importer_rules
from adrgen.importer.write import check_folder, record_yaml, write_records
from adrgen.records.collect import discover_records, load_documents
from adrgen.records.format import INVERSE_LINK, LinkKind, RecordRules
from adrgen.records.loader import DEFAULT_MAX_BYTES
from adrgen.records.model import RECORD_FILENAME
from adrgen.walls.reads import ReadPolicy

__all__ = ["FileReport", "ImportFailed", "ImportReport", "ImportSettings", "import_adrs"]


@dataclass(frozen=True)
class ImportSettings:
    """What a project adds to the import: statuses and their words, section names, the
    order of ambiguous dates, and where the schema is for the records' header."""

    rules: RecordRules = field(default_factory=RecordRules)
    table: SectionTable = field(default_factory=SectionTable)
    date_order: str = "auto"
    root: Path | None = None
    #: What may be read of the repository the records join (its existing records).
    reads: ReadPolicy | None = None

    @classmethod
    def from_config(cls, config: Config) -> ImportSettings:
        """The settings of a docs repository (``adrgen.toml``)."""
        return cls(
            rules=config.rules,
            table=SectionTable.build({**config.imports.sections, **config.imports.phrases}),
            date_order=config.imports.date_order,
            root=config.root,
            reads=config.reads,
        )


def import_adrs(
    paths: Sequence[Path],
    decisions_dir: Path,
    *,
    dry_run: bool = False,
    renumber: bool = False,
    recursive: bool = False,
    settings: ImportSettings | None = None,
) -> ImportReport:
    """Import Markdown ADRs from ``paths`` (files or folders) into ``decisions_dir``.

    Folders are read flat, or with ``recursive`` with their subfolders. Every file gets a
    :class:`FileReport`. A record keeps its source's number where it is free; with
    ``renumber``, sources whose number is taken (by an existing record or by another
    source, as in subfolders that each count from 1) get the next free numbers, and links
    follow. A source imported before is not imported again. The records are validated
    with the folder they join before the first is written; with ``dry_run`` nothing is.

    Raises :class:`~adrgen.errors.ImportFailed` (nothing written) for paths that do not
    exist, files that cannot be read as text, and records that would not validate.
    """
    settings = settings or ImportSettings()
    rules = importer_rules(settings.rules)
    found = collect(paths, recursive=recursive)
    drafts: list[Draft] = []
    skipped: list[FileReport] = []
    problems: list[Problem] = []
    for item in found:
        if item.skip_kind:
            skipped.append(
                FileReport(
                    item.path, None, "skipped", skip_kind=item.skip_kind, reason=item.skip_reason
                )
            )
            continue
        try:
            text = read_text(item.path, max_bytes=DEFAULT_MAX_BYTES)
        except UnreadableFile as exc:
            problems.append(exc.problem)
            continue
        with _gc_paused():
            document = read_document(item.path, text, settings.table)
            draft = map_document(document, rules, settings.table)
        draft.source_name = item.source
        drafts.append(draft)
    if problems:
        raise ImportFailed(problems)
    _resolve_dates(drafts, settings.date_order)
    reads = settings.reads or ReadPolicy.for_root(settings.root or decisions_dir.parent)
    existing = _Existing.read(decisions_dir, reads)
    _number(drafts, decisions_dir, existing, renumber=renumber)
    _link(drafts, existing)
    _settle_statuses(drafts)
    header = schema_header(decisions_dir, settings.root or decisions_dir.parent)
    planned: list[tuple[Path, str]] = []
    for draft in drafts:
        if draft.skip_kind:
            continue
        taken: set[str] = set()
        suffixes: dict[str, int] = {}
        for option in draft.options:
            option.id = option_id(option.name, taken, suffixes)
        assert draft.output is not None
        with _gc_paused():
            planned.append((draft.output, record_yaml(draft, header)))
    check_folder(decisions_dir, planned, rules, reads)
    if not dry_run:
        write_records(decisions_dir, planned)
    reports = skipped + [_report(d, dry_run) for d in drafts]
    todo: tuple[str, ...] = ()
    if settings.rules.require_estimates and planned:
        todo = (
            "this project requires estimates (require_estimates in adrgen.toml); the sources "
            "state none for most options: estimate them before `adrgen validate`",
        )
    return ImportReport(
        tuple(sorted(reports, key=lambda r: r.source.as_posix())), dry_run=dry_run, todo=todo
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while one file is parsed and mapped (or one record written): the
    tokens, lines and blocks of a big file are hundreds of thousands of acyclic objects,
    and the collector's passes over them cost as much as the parse (1 MiB of one-line
    paragraphs: 16 s with it, 8 s without). Reference counting frees them; the collector
    runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------------------------------------
# Dates across a folder


def _resolve_dates(drafts: Sequence[Draft], setting: str) -> None:
    """Ambiguous day/month dates, decided per folder; the rest from git history."""
    by_folder: dict[Path, list[Draft]] = defaultdict(list)
    for draft in drafts:
        by_folder[draft.source.parent].append(draft)
    for folder_drafts in by_folder.values():
        ambiguous = [
            d for d in folder_drafts if d.date_reading is not None and d.date_reading.ambiguous
        ]
        if not ambiguous:
            continue
        slashed = [
            (d.source.name, d.date_reading)
            for d in folder_drafts
            if d.date_reading is not None and "/" in d.date_reading.text
        ]
        texts = ["\n".join(d.context) + d.decision for d in folder_drafts]
        order = DateOrder.decide(slashed, texts, setting)
        for draft in ambiguous:
            assert draft.date_reading is not None
            draft.date = order.apply(draft.date_reading)
            _first, _second = draft.date_reading.text.split("/")[:2]
            reading = "day/month" if order.day_first else "month/day"
            draft.note(
                draft.date_line,
                "date",
                f"{draft.date_reading.text!r} could be day/month or month/day; read as {reading} "
                f"({draft.date.isoformat() if draft.date else '?'}): {order.reason}",
            )
    undated = [d for d in drafts if d.date is None and not d.date_unread]
    found = git_added_dates([d.source for d in drafts], [d.source for d in undated])
    for draft in undated:
        if draft.source not in found:
            continue
        added = found[draft.source].date
        if added is None:
            draft.note(0, "date", f"no date in the source; {found[draft.source].why}")
            continue
        draft.date, draft.date_from = added, "git history"
        draft.note(
            0,
            "date",
            f"no date in the source; {added.isoformat()} is the day git history added the file",
        )


# ---------------------------------------------------------------------------------------------
# The records already there


@dataclass
class _Known:
    name: str
    number: int
    title: str
    source: str
    links: dict[str, set[int]]


@dataclass
class _Existing:
    records: list[_Known]
    names: set[str]

    @property
    def numbers(self) -> dict[int, str]:
        out: dict[int, str] = {}
        for known in self.records:
            out.setdefault(known.number, known.name)
        return out

    @classmethod
    def read(cls, decisions_dir: Path, reads: ReadPolicy) -> _Existing:
        paths = discover_records(decisions_dir)
        documents, _ = load_documents(paths, DEFAULT_MAX_BYTES, reads=reads)
        data = {doc.path: doc.data for doc in documents}
        records = []
        for path in paths:
            match = RECORD_FILENAME.match(path.name)
            if match is None:
                continue
            raw = data.get(path)
            raw = raw if isinstance(raw, dict) else {}
            imported = raw.get("imported")
            source = imported.get("source") if isinstance(imported, dict) else None
            links_raw = raw.get("links")
            links_raw = links_raw if isinstance(links_raw, dict) else {}
            links = {
                kind: {n for n in (links_raw.get(kind) or []) if isinstance(n, int)}
                for kind in ("supersedes", "superseded_by", "relates_to")
            }
            title = raw.get("title")
            records.append(
                _Known(
                    path.name,
                    int(match["number"]),
                    title if isinstance(title, str) else "",
                    source if isinstance(source, str) else "",
                    links,
                )
            )
        names = {p.name for p in decisions_dir.iterdir()} if decisions_dir.is_dir() else set()
        return cls(records, names)

    def imported_before(self, source: str) -> _Known | None:
        """The record an earlier run made from ``source`` (the same file name, given from
        the same folder or one above it)."""
        for known in self.records:
            if not known.source:
                continue
            a, b = known.source, source
            if a == b or a.endswith("/" + b) or b.endswith("/" + a):
                return known
        return None


# ---------------------------------------------------------------------------------------------
# Numbers


def _file_name(number: int, draft: Draft) -> str:
    """The record's file name, from its title as ``adrgen new`` would name it; from the
    source's file name when the title has no letter or digit to make a name of."""
    title = draft.title
    if slugify(title) == "decision" and not title.casefold().startswith("decision"):
        title = draft.source.stem  # "decision" is slugify's name for a title it cannot use
    return record_file_name(number, title)


def _number(
    drafts: list[Draft], decisions_dir: Path, existing: _Existing, *, renumber: bool
) -> None:
    """Give each draft its number and file, or a reason to skip it; never reuse a number."""
    taken = existing.numbers
    ordered = sorted(drafts, key=lambda d: (d.number is None, d.number or 0, d.source_name))
    kept: dict[int, Draft] = {}
    moved: dict[Path, str] = {}  # source → why its number could not be kept
    for draft in ordered:
        before = existing.imported_before(draft.source_name)
        if before is not None:
            draft.number_out = before.number
            draft.output = decisions_dir / before.name
            draft.skip_kind = "imported before"
            draft.skip_reason = f"imported before as {before.name}; not imported again"
            continue
        if draft.number is None:
            continue
        name = _file_name(draft.number, draft)
        if draft.number in taken or name in existing.names:
            owner = taken.get(draft.number, name)
            why = f"number {draft.number:04d} is taken by {owner}"
        elif draft.number in kept:
            why = f"number {draft.number:04d} is also used by {kept[draft.number].display}"
        else:
            kept[draft.number] = draft
            draft.number_out = draft.number
            draft.output = decisions_dir / name
            continue
        if renumber:
            moved[draft.source] = why
            continue
        draft.skip_kind = "number taken"
        draft.skip_reason = (
            f"{why}; import with --renumber to give it the next free number (links follow)"
        )
    used = set(taken) | set(kept)
    next_free = max(used, default=0) + 1
    waiting = [d for d in drafts if d.output is None and not d.skip_kind]
    # Sources whose number moved first, by folder and name; then those that had none.
    waiting.sort(key=lambda d: (d.number is None, d.source_name))
    for draft in waiting:
        while next_free in used:
            next_free += 1
        number, old = next_free, draft.number
        used.add(number)
        draft.number_out = number
        draft.output = decisions_dir / _file_name(number, draft)
        if old is None:
            draft.note(0, "", f"no number in the file name or title; numbered {number:04d}")
        else:
            draft.note(0, "", f"{moved[draft.source]}; imported as {number:04d}")


# ---------------------------------------------------------------------------------------------
# Links


def _link(drafts: list[Draft], existing: _Existing) -> None:
    """Resolve every reference to a record of the run, then make both ends agree."""
    resolver = Resolver([Target(i, d.source, d.number, d.addresses) for i, d in enumerate(drafts)])
    written = {i: d for i, d in enumerate(drafts) if not d.skip_kind}
    for draft in drafts:
        draft.links = {"supersedes": set(), "superseded_by": set(), "relates_to": set()}
    # (newer, older) supersede pairs, and unordered relations, with the line that said so.
    supersede: dict[tuple[int, int], tuple[Draft, int]] = {}
    relate: dict[frozenset[int], tuple[Draft, int]] = {}
    stated: set[tuple[int, int]] = set()  # (who said it, about whom)
    resolved: dict[tuple[int, int, str], int] = {}  # (draft, line, label) → the draft named
    for key, draft in written.items():
        for ref in draft.references:
            target = resolver.resolve(ref, draft.source)
            if target is not None:
                resolved[(key, ref.line, ref.label)] = target.key
            if target is None:
                if ref.problem:
                    draft.note(
                        ref.line,
                        f"links.{ref.kind}",
                        f"{short_label(ref.label)!r} {ref.problem}; its text is kept",
                    )
                elif ref.href is not None and ref.stated and ref.kind != "relates_to":
                    draft.note(
                        ref.line,
                        f"links.{ref.kind}",
                        f"{ref.label!r} names no record of this import; its text is kept",
                    )
                continue
            other = target.key
            if other == key:
                continue
            stated.add((key, other))
            if ref.kind == "supersedes":
                supersede.setdefault((key, other), (draft, ref.line))
            elif ref.kind == "superseded_by":
                supersede.setdefault((other, key), (draft, ref.line))
            else:
                relate.setdefault(frozenset((key, other)), (draft, ref.line))
    for (newer, older), (said_by, line) in sorted(supersede.items()):
        if (older, newer) in supersede and older < newer:
            continue  # both say they supersede the other: the first pair wins
        old, new = drafts[older], drafts[newer]
        if old.status != "superseded":
            said_by.note(
                line,
                "links",
                f"{new.display} supersedes {old.display}, but its status is {old.status!r}; "
                "linked as relates_to at both ends (statuses are kept as the sources state them)",
            )
            relate.setdefault(frozenset((newer, older)), (said_by, line))
            continue
        _pair(drafts, newer, "supersedes", older, said_by, line, stated)
    for pair, (said_by, line) in sorted(relate.items(), key=lambda kv: sorted(kv[0])):
        a, b = sorted(pair)
        if ((a, b) in supersede or (b, a) in supersede) and any(
            drafts[x].number_out in drafts[y].links["supersedes"] for x, y in ((a, b), (b, a))
        ):
            continue
        _pair(drafts, a, "relates_to", b, said_by, line, stated)
    # Existing records that already link to one this run writes: complete the pair.
    for known in existing.records:
        for kind, targets in known.links.items():
            for draft in written.values():
                if draft.number_out in targets:
                    inverse = INVERSE_LINK[kind]  # type: ignore[index]
                    if known.number not in draft.links[inverse]:
                        draft.links[inverse].add(known.number)
                        draft.note(
                            0,
                            f"links.{inverse}",
                            f"added {known.number:04d}: {known.name} already lists {draft.number_out:04d} in links.{kind}",
                        )
    # A line of links that did not all become record links keeps its wording.
    for key, draft in written.items():
        unfollowed: dict[str, list[LinkLine]] = {}
        for link_line in draft.link_lines:
            if not all(
                _followed(drafts, draft, resolved.get((key, r.line, r.label)), r.kind)
                for r in link_line.refs
            ):
                unfollowed.setdefault(link_line.heading, []).append(link_line)
        for heading, link_lines in unfollowed.items():
            draft.keep(
                heading,
                "\n".join(ln.text for ln in link_lines),
                link_lines[0].line,
                link_lines[-1].line,
                f"links in '{heading}' that name no record of this import",
            )
    # Links in the text follow too: to the records the ADRs became.
    retarget(drafts, resolver, [(k.name, k.source) for k in existing.records])


def _followed(drafts: list[Draft], draft: Draft, target: int | None, kind: LinkKind) -> bool:
    """Whether a reference became a link of the kind it states (relates_to: of any kind)."""
    if target is None or drafts[target].number_out is None:
        return False
    number = drafts[target].number_out
    if kind == "relates_to":
        return any(number in numbers for numbers in draft.links.values())
    return number in draft.links[kind]


def _pair(
    drafts: list[Draft],
    a: int,
    kind: LinkKind,
    b: int,
    said_by: Draft,
    line: int,
    stated: set[tuple[int, int]],
) -> None:
    """Link draft ``a`` to ``b`` as ``kind`` and ``b`` back; both are numbered by now."""
    first, second = drafts[a], drafts[b]
    if first.number_out is None or second.number_out is None:
        return
    if first.number_out < 1 or second.number_out < 1:
        said_by.note(
            line,
            "links",
            "record 0000 cannot be linked (record numbers in links start at 1); the text is kept",
        )
        return
    inverse = INVERSE_LINK[kind]
    if second.skip_kind == "imported before" or first.skip_kind == "imported before":
        # An existing record is never edited: the link stands only if it already agrees
        # (completed below from the existing record's own links).
        before = first if first.skip_kind else second
        said_by.note(
            line,
            f"links.{kind}",
            f"{before.display} was imported before as "
            f"{before.output.name if before.output else before.number_out}; linked only if "
            "that record already lists this one (existing records are not edited)",
        )
        return
    first.links[kind].add(second.number_out)
    second.links[inverse].add(first.number_out)
    # The end whose source does not mention the other is told where its link comes from.
    if (b, a) not in stated:
        second.note(
            0,
            f"links.{inverse}",
            f"added {first.number_out:04d}: {first.display} says it {_verb(kind)} {second.number_out:04d}",
        )
    if (a, b) not in stated:
        first.note(
            0,
            f"links.{kind}",
            f"added {second.number_out:04d}: {second.display} says it {_verb(inverse)} {first.number_out:04d}",
        )


def _verb(kind: LinkKind) -> str:
    return {
        "supersedes": "supersedes",
        "superseded_by": "is superseded by",
        "relates_to": "relates to",
    }[kind]


def _settle_statuses(drafts: Sequence[Draft]) -> None:
    """A record superseded by something that is not a record here says by what."""
    for draft in drafts:
        if draft.skip_kind or draft.status != "superseded" or draft.links.get("superseded_by"):
            continue
        if not draft.status_note:
            draft.status_note = (
                draft.superseded_by_text or "the source does not name the record that supersedes it"
            )
        draft.note(
            draft.status_line,
            "status",
            "superseded, but by no record of this import; what the source says is in status_note",
        )


def _report(draft: Draft, dry_run: bool) -> FileReport:
    skipped = bool(draft.skip_kind)
    return FileReport(
        source=draft.source,
        output=draft.output,
        action="skipped" if skipped else ("would write" if dry_run else "written"),
        format=draft.format,
        number=draft.number_out,
        renumbered_from=draft.number
        if draft.number is not None and draft.number != draft.number_out and not skipped
        else None,
        title=draft.title,
        skip_kind=draft.skip_kind,
        reason=draft.skip_reason,
        status=Reading(
            draft.status,
            draft.status_written,
            draft.status_from,
            draft.status_line,
            draft.status_note,
        ),
        date=Reading(
            draft.date.isoformat() if draft.date else "",
            draft.date_text,
            draft.date_from or "",
            draft.date_line,
        ),
        links={k: sorted(v) for k, v in draft.links.items() if v},
        unmapped=tuple(Unmapped(k.heading, k.start, k.end, k.why) for k in draft.kept),
        notes=tuple(draft.notes) if not skipped else (),
    )
