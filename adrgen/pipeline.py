"""The pipeline: load → validate → model → render → write, shared by every front end.

The CLI and the MkDocs plugin are thin adapters over the functions here. Like MkDocs' own
build, each run first gathers everything (all records, all problems, all diagrams, all SVGs)
and only then writes, in one swap; a run that fails anywhere writes nothing.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from adrgen.config import Config
from adrgen.errors import Problem, RendererUnavailable, ValidationFailed, display_path
from adrgen.parallel import fork_pays, two_cores
from adrgen.records.loader import MAY_HOLD_DIAGRAMS, LoadedDocument, load_bytes, load_file
from adrgen.records.model import DecisionSet
from adrgen.records.validate import build_decision_set

# The diagram, renderer and output modules (Jinja, urllib, ctypes) are imported where they are
# used, not here: `adrgen validate` needs none of them, and importing them cost it about a
# tenth of its run on 1000 records.
if TYPE_CHECKING:
    from adrgen.diagrams.cache import LocalCache
    from adrgen.diagrams.plan import DiagramSource
    from adrgen.diagrams.renderer import Progress, Renderer, RenderResult

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
    paths: Iterable[Path], max_bytes: int
) -> tuple[list[LoadedDocument], list[Problem]]:
    """Load every file, collecting the problems of those that cannot be parsed."""
    paths = list(paths)
    documents: list[LoadedDocument] = []
    problems: list[Problem] = []
    with _gc_paused():
        if fork_pays(len(paths), PARALLEL_MIN_FILES):
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
    config: Config, paths: Sequence[Path] | None = None
) -> tuple[DecisionSet, dict[Path, LoadedDocument]]:
    """:func:`load_decisions`, plus every loaded document by its path.

    For the pages, which show each record's YAML and place messages in it: with the documents
    at hand, a build reads and parses every record exactly once.
    """
    every = discover_records(config.decisions_dir)
    extra = [p for p in (paths or ()) if p.resolve() not in {e.resolve() for e in every}]
    documents, problems = load_documents([*every, *extra], config.max_record_bytes)
    # The collector stays paused through validation too: with every document alive, each of
    # its passes walks them all, which cost 0.25 s of 0.37 s on 1000 records.
    with _gc_paused():
        decisions, found = build_decision_set(documents, config.rules)
    problems.extend(found)
    if paths:
        wanted = {display_path(p) for p in paths}
        problems = [p for p in problems if p.path in wanted]
    if problems:
        raise ValidationFailed(problems)
    return decisions, {doc.path: doc for doc in documents}


def plan_diagrams(config: Config, decisions: DecisionSet) -> list[DiagramSource]:
    """The PlantUML text of every diagram, from the records and the templates."""
    from adrgen.diagrams.plan import all_diagrams
    from adrgen.templating import diagram_environment

    return all_diagrams(decisions, diagram_environment(config.templates_dir))


@dataclass(frozen=True)
class DiagramFailure:
    """A diagram PlantUML could not draw: where its author should look, and why."""

    name: str
    #: At the record value that wrote the failing line when that can be told, else at the
    #: ``.puml`` file (and its line, when PlantUML named one).
    problem: Problem
    #: PlantUML's own words.
    error: str


@dataclass
class RenderReport:
    """What a render run did."""

    diagrams: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    reused: int = 0
    failed: list[DiagramFailure] = field(default_factory=list)
    dropped_svgs: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: bool = False
    #: The renderer's identity (``PlantUML 1.2026.8``), empty without one.
    renderer: str = ""
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: how many diagrams were drawn, reused and failed, and by what."""
        parts = [
            f"{len(self.diagrams)} diagram(s): {len(self.rendered)} rendered",
            f"{self.reused} reused",
        ]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        by = self.renderer or "no PlantUML"
        return ", ".join(parts) + f" ({by})"


def _open_renderer(config: Config, report: RenderReport) -> tuple[Renderer | None, str]:
    from adrgen.diagrams.renderer import make_renderer

    try:
        renderer = make_renderer(config.renderer)
        if renderer is None:
            report.warnings.append(
                "PlantUML not found: wrote .puml files only (install Debian's `plantuml` "
                "package, or set [renderer] in adrgen.toml)"
            )
            return None, ""
        return renderer, renderer.identity()
    except RendererUnavailable as exc:
        report.warnings.append(f"{exc}: wrote .puml files only")
        return None, ""


def _differs(target: Path, files: dict[str, bytes | Path]) -> bool:
    if not target.is_dir():
        return True
    present = {p.name for p in target.iterdir() if not p.name.startswith(".")}
    if present != set(files):
        return True
    for name, content in files.items():
        current = target / name
        if isinstance(content, Path):
            if content.resolve() == current.resolve():
                continue
            if content.read_bytes() != current.read_bytes():
                return True
        elif content != current.read_bytes():
            return True
    return False


def render_diagrams(
    config: Config,
    *,
    decisions: DecisionSet | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
    sources: Sequence[DiagramSource] | None = None,
    progress: Progress | None = None,
) -> RenderReport:
    """Write ``diagrams/``: a ``.puml`` per diagram and, with a renderer, its ``.svg``.

    Only diagrams whose cache key changed are rendered, in one PlantUML batch. A diagram
    PlantUML cannot draw fails alone: it is listed in :attr:`RenderReport.failed` and gets no
    SVG, and everything else is written. The folder is replaced whole, and only when
    something changed; on any other error it is untouched. ``sources`` are the planned
    diagrams, when the caller has them already; ``progress`` is told ``(done, total)`` as
    the batch's diagrams come back.
    """
    return start_render(
        config,
        decisions=decisions,
        force=force,
        renderer=renderer,
        sources=sources,
        progress=progress,
    ).finish()


def start_render(
    config: Config,
    *,
    decisions: DecisionSet | None = None,
    documents: Mapping[Path, LoadedDocument] | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
    sources: Sequence[DiagramSource] | None = None,
    background: bool = False,
    progress: Progress | None = None,
) -> RenderJob:
    """Plan a render and start it; :meth:`RenderJob.finish` completes it.

    With ``background``, the PlantUML batch runs in a thread while the caller goes on (the
    site's pages do not need the SVGs, only their names): the MkDocs plugin builds the pages
    meanwhile, on the other core, and finishes the job at the end of the build. Otherwise
    this is :func:`render_diagrams` in two steps. ``documents`` (the loaded records, by
    path) let a failure point at the record line that caused it. The repository lock is
    held from here until the job finishes or is abandoned.
    """
    from adrgen.diagrams.cache import LocalCache, read_stamp_of, source_hash
    from adrgen.diagrams.renderer import cache_key
    from adrgen.output import recover, repository_lock

    if decisions is None:
        decisions, documents = load_records(config)
    if sources is None:
        sources = plan_diagrams(config, decisions)
    target = config.diagrams_dir
    report = RenderReport(diagrams=[s.name for s in sources])
    job = RenderJob(
        config=config,
        report=report,
        sources=list(sources),
        progress=progress,
        documents=dict(documents or {}),
    )
    job._stack.enter_context(repository_lock(config.cache_dir))
    try:
        recover(target)
        identity = ""
        if renderer is None:
            renderer, identity = _open_renderer(config, report)
        else:
            identity = renderer.identity()
        report.renderer = identity
        job.renderer = renderer
        job.cache = LocalCache(config.cache_dir)
        for source in sources:
            job.files[f"{source.name}.puml"] = source.text.encode("utf-8")
            svg_name = f"{source.name}.svg"
            existing = target / svg_name
            stamp = read_stamp_of(existing)
            if renderer is None:
                if stamp and stamp.source_sha256 == source_hash(source.text):
                    job.files[svg_name] = existing
                elif existing.exists():
                    report.dropped_svgs.append(svg_name)
                continue
            key = cache_key(source.text, identity)
            if not force and stamp and stamp.key == key:
                job.files[svg_name] = existing
                report.reused += 1
            elif not force and (hit := job.cache.get(key)) is not None:
                job.files[svg_name] = hit
                report.reused += 1
            else:
                job.to_render.append((source, key))
        if job.to_render and renderer is not None:
            job.start(background=background)
    except BaseException:
        job.abandon()
        raise
    return job


@dataclass(eq=False)
class RenderJob:
    """A planned render of ``diagrams/``, its PlantUML batch possibly still running."""

    config: Config
    report: RenderReport
    sources: list[DiagramSource]
    renderer: Renderer | None = None
    cache: LocalCache | None = None
    progress: Progress | None = None
    documents: dict[Path, LoadedDocument] = field(default_factory=dict)
    #: The folder's planned content: file name → bytes, or an existing file to link.
    files: dict[str, bytes | Path] = field(default_factory=dict)
    to_render: list[tuple[DiagramSource, str]] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    #: Results by diagram name, as the batch hands them back.
    _results: dict[str, RenderResult] = field(default_factory=dict, repr=False)
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _drawing: bool = False
    _error: BaseException | None = field(default=None, repr=False)
    _done: bool = False

    @property
    def pending(self) -> bool:
        """True while the PlantUML batch may still be running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def finished(self) -> bool:
        """True once :meth:`finish` or :meth:`abandon` has run."""
        return self._done

    @property
    def svg_names(self) -> set[str]:
        """The diagrams with an SVG: once finished, those drawn; before, those that will be
        if the batch draws them all."""
        names = {n[: -len(".svg")] for n in self.files if n.endswith(".svg")}
        if self.renderer is not None and not self._done:
            names.update(s.name for s, _ in self.to_render)
        return names

    def start(self, *, background: bool) -> None:
        """Run the batch now, or in a thread with ``background``."""
        self._drawing = True
        if not background:
            self._draw()
            return
        self._thread = threading.Thread(target=self._draw, name="adrgen-plantuml", daemon=True)
        self._thread.start()

    def _draw(self) -> None:
        assert self.renderer is not None
        names = [s.name for s, _ in self.to_render]

        def arrived(index: int, result: RenderResult) -> None:
            with self._arrived:
                self._results[names[index]] = result
                self._arrived.notify_all()

        try:
            self.renderer.render([s.text for s, _ in self.to_render], self.progress, arrived)
        except BaseException as exc:  # handed to finish(), in the caller's thread
            self._error = exc
        finally:
            with self._arrived:
                self._drawing = False
                self._arrived.notify_all()

    def result_of(self, name: str) -> RenderResult | None:
        """The result of diagram ``name`` once the batch has drawn it (waiting if need be);
        ``None`` when this job does not draw it (reused), or the batch stopped first."""
        if not any(s.name == name for s, _ in self.to_render):
            return None
        with self._arrived:
            while name not in self._results and self._drawing:
                self._arrived.wait()
            return self._results.get(name)

    def failure_of(self, name: str) -> DiagramFailure | None:
        """How diagram ``name`` failed, once the batch is past it (waiting if need be);
        ``None`` when it was drawn, or is not drawn by this job."""
        from adrgen.diagrams.renderer import RenderResult

        source = next((s for s, _ in self.to_render if s.name == name), None)
        if source is None:
            return None
        result = self.result_of(name)
        if result is None:
            if self._error is None:
                return None
            result = RenderResult(error=f"PlantUML could not run: {self._error}")
        return None if result.ok else self._failure(source, result)

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def abandon(self) -> None:
        """Give up: wait for a running batch, write nothing, release the lock."""
        try:
            self._wait()
        finally:
            self._done = True
            self._release()

    def _release(self) -> None:
        """Stop the renderer's idle processes and release the repository lock."""
        try:
            if self.renderer is not None:
                self.renderer.close()
        finally:
            self._stack.close()

    def finish(self) -> RenderReport:
        """Wait for the batch, then write ``diagrams/`` (only if something changed)."""
        try:
            self._wait()
            if self._done:
                raise RuntimeError("this render job was already finished or abandoned")
            self._done = True
            self._complete()
        finally:
            self._release()
        return self.report

    def _complete(self) -> None:
        from adrgen.diagrams.cache import stamp_svg
        from adrgen.output import replace_dir

        report, files, target = self.report, self.files, self.config.diagrams_dir
        if self.to_render and self.renderer is not None:
            assert self.cache is not None
            if self._error is not None and not isinstance(self._error, RendererUnavailable):
                raise self._error
            for source, key in self.to_render:
                result = self._results.get(source.name)
                failure = self.failure_of(source.name)
                if failure is not None:
                    # PlantUML could not draw it (or stopped running part-way): it fails
                    # alone, and the rest of the run goes on.
                    report.failed.append(failure)
                    continue
                result = self._results[source.name]
                # Only a drawn diagram is cached: one that failed is drawn again next time.
                files[f"{source.name}.svg"] = self.cache.put(
                    key, stamp_svg(result.svg, source.text, key)
                )
                report.rendered.append(source.name)
        if report.dropped_svgs:
            report.warnings.append(
                f"dropped {len(report.dropped_svgs)} SVG(s) whose diagram changed; "
                "they are redrawn when PlantUML is available"
            )
        failed = {f"{f.name}.svg" for f in report.failed}
        if target.is_dir():
            report.removed = sorted(
                p.name
                for p in target.iterdir()
                if not p.name.startswith(".") and p.name not in files and p.name not in failed
            )
        report.changed = _differs(target, files)
        if report.changed:
            replace_dir(target, files)

    def _failure(self, source: DiagramSource, result: RenderResult) -> DiagramFailure:
        """Point a diagram's failure at the record line behind it, where one can tell."""
        from adrgen.diagrams.plan import locate

        puml = display_path(self.config.diagrams_dir / f"{source.name}.puml")
        origin = Path(source.origin) if source.origin else None
        documents = [
            d
            for path, d in sorted(self.documents.items())
            if origin is None or path.resolve() == origin.resolve()
        ]
        at = f" (line {result.line})" if result.line else ""
        found = locate(source, result.line, documents)
        if found is not None:
            document, loc = found
            problem = document.problem(loc, f"PlantUML could not draw {puml}{at}: {result.error}")
        else:
            drawn = f" (drawn from {display_path(origin)})" if origin else ""
            problem = Problem(
                puml, result.line, 1 if result.line else 0, "", f"PlantUML: {result.error}{drawn}"
            )
        return DiagramFailure(source.name, problem, result.error)
