"""Find a repository's record files and load them all: parse, validate, model.

The first stages of the pipeline (see :mod:`adrgen.pipeline`). ``adrgen validate`` needs
nothing else, so nothing here imports Jinja, the renderer or the site.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from adrgen.config import Config
from adrgen.errors import Problem, ValidationFailed, display_path
from adrgen.memo import Memo
from adrgen.parallel import fork_pays, two_cores
from adrgen.records.loader import MAY_HOLD_DIAGRAMS, LoadedDocument, load_bytes, load_file
from adrgen.records.model import DecisionSet
from adrgen.records.validate import build_decision_set
from adrgen.walls.reads import ReadPolicy

RECORD_SUFFIXES = (".yaml", ".yml")


def discover_records(decisions_dir: Path) -> list[Path]:
    """Every record file in the decisions folder, sorted by name (hidden files skipped)."""
    if not decisions_dir.is_dir():
        return []
    return sorted(
        p
        for p in decisions_dir.iterdir()
        if p.suffix in RECORD_SUFFIXES and not p.name.startswith(".") and p.is_file()
    )


def load_documents(
    paths: Iterable[Path],
    max_bytes: int,
    memo: Memo | None = None,
    *,
    reads: ReadPolicy,
) -> tuple[list[LoadedDocument], list[Problem]]:
    """Load every file, collecting the problems of those that cannot be parsed.

    A file the read policy refuses (a symlink out of the repository, say) is not opened:
    its problem says why, and nothing of its content reaches a message. With a ``memo``, a
    file whose size and mtime are those of an earlier load is not read again (a preview
    session)."""
    documents: list[LoadedDocument] = []
    problems: list[Problem] = []
    allowed: list[Path] = []
    for path in paths:
        why = reads.why_not(path)
        if why is None:
            allowed.append(path)
        else:
            problems.append(reads.problem(path, why, "record"))
    paths = allowed
    with _gc_paused():
        if memo is not None:
            loaded = [
                memo.get("document", _file_key(path), partial(_load_one, path, max_bytes))
                for path in paths
            ]
        elif fork_pays(len(paths), PARALLEL_MIN_FILES):
            loaded = _load_forked(paths, max_bytes)
        else:
            loaded = [_load_one(path, max_bytes) for path in paths]
        for result in loaded:
            if isinstance(result, LoadedDocument):
                documents.append(result)
            else:
                problems.extend(result)
    return documents, problems


#: From this many files on, half of them are parsed in a forked process on another core.
#: Parsing costs about 0.6 ms a record, the fork and the transfer back about 15 ms plus
#: 0.05 ms a record: on 1000 records, 0.65 s of parsing becomes 0.4 s.
PARALLEL_MIN_FILES = 128


def _file_key(path: Path) -> tuple[str, int, int, int]:
    try:
        st = path.stat()
    except OSError:
        return (str(path), -1, -1, -1)  # loading reports why
    return (str(path), st.st_mtime_ns, st.st_size, st.st_ino)


def _load_one(path: Path, max_bytes: int) -> LoadedDocument | tuple[Problem, ...]:
    try:
        return load_file(path, max_bytes=max_bytes)
    except ValidationFailed as exc:
        return exc.problems


_Parsed = tuple[Path, object, str] | tuple[Problem, ...] | None


def _parse_in_child(path: Path, max_bytes: int) -> _Parsed:
    """A record's data and text (or its problems) for the parent; ``None``: parent parses it."""
    try:
        if path.stat().st_size > max_bytes:
            return None  # anything unusual: the parent reports it, with the usual message
        raw = path.read_bytes()
    except OSError:
        return None
    # A record that may hold a ```plantuml block is parsed in the parent, which keeps its node
    # tree for the pages (see adrgen.records.loader.load_text): every record is still parsed once.
    if len(raw) > max_bytes or MAY_HOLD_DIAGRAMS.search(raw.decode("utf-8", "replace")):
        return None
    try:
        document = load_bytes(raw, path)
    except ValidationFailed as exc:
        return exc.problems
    return (document.path, document.data, document.text)


def _load_forked(
    paths: Sequence[Path], max_bytes: int
) -> list[LoadedDocument | tuple[Problem, ...]]:
    """Parse the first half here and the second half in a forked child, in parallel.

    The child sends plain data back; every file is still parsed exactly once.
    """
    half = len(paths) // 2
    mine, theirs = paths[:half], paths[half:]
    results, parsed = two_cores(
        lambda: [_load_one(p, max_bytes) for p in mine],
        lambda: [_parse_in_child(p, max_bytes) for p in theirs],
    )
    if parsed is None or len(parsed) != len(theirs):
        parsed = [None] * len(theirs)  # the child failed: parse its half here
    for path, one in zip(theirs, parsed, strict=True):
        if one is None:
            results.append(_load_one(path, max_bytes))
        elif one and isinstance(one[0], Path):
            source, data, text = one
            results.append(LoadedDocument(path=source, data=data, text=str(text)))
        else:
            results.append(one)
    return results


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while parsing: YAML makes hundreds of thousands of short-lived,
    acyclic objects, and the collector's passes over them cost three times the parsing
    (measured on 1000 records: 4.1 s with it, 1.1 s without). Reference counting still
    frees them; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_decisions(config: Config, paths: Sequence[Path] | None = None) -> DecisionSet:
    """Load and validate the repository's records; raise with every problem if any is invalid.

    ``paths`` narrows which files are *reported on*; the corpus checks (links, numbers)
    always see every record of the repository, since a link's other end may be elsewhere.
    """
    return load_records(config, paths)[0]


def load_records(
    config: Config,
    paths: Sequence[Path] | None = None,
    memo: Memo | None = None,
    refused: list[Problem] | None = None,
) -> tuple[DecisionSet, dict[Path, LoadedDocument]]:
    """:func:`load_decisions`, plus every loaded document by its path.

    For the pages, which show each record's YAML and place messages in it: with the documents
    at hand, a build reads and parses every record exactly once. With a ``refused`` list, a
    record file the read policy refuses (a symlink out of the repository) fails alone: its
    problem goes there and the others load; without one (``validate``), it is an error.
    """
    every = discover_records(config.decisions_dir)
    extra = [p for p in (paths or ()) if p.resolve() not in {e.resolve() for e in every}]
    wanted = [*every, *extra]
    if refused is not None:
        kept = []
        for path in wanted:
            why = config.reads.why_not(path)
            if why is None:
                kept.append(path)
            else:
                refused.append(config.reads.problem(path, why, "record"))
        wanted = kept
    documents, problems = load_documents(wanted, config.max_record_bytes, memo, reads=config.reads)
    # The collector stays paused through validation too: with every document alive, each of
    # its passes walks them all, which cost 0.25 s of 0.37 s on 1000 records.
    with _gc_paused():
        decisions, found = build_decision_set(documents, config.rules, memo)
    problems.extend(found)
    if paths:
        shown = {display_path(p) for p in paths}
        problems = [p for p in problems if p.path in shown]
    if problems:
        raise ValidationFailed(problems)
    return decisions, {doc.path: doc for doc in documents}
