"""One render of ``diagrams/``: which diagrams to draw, the PlantUML batch drawing them
(possibly in the background), and the swap that writes the folder.

:func:`start_render` plans it and starts the batch; :meth:`RenderJob.finish` waits and
writes. A diagram PlantUML cannot draw fails alone (:class:`DiagramFailure`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from adrgen.config import Config
from adrgen.diagrams.cache import LocalCache, read_stamp_of, source_hash, stamp_svg
from adrgen.diagrams.plan import DiagramSource, locate, plan_diagrams
from adrgen.diagrams.renderer import (
    Progress,
    Renderer,
    RenderResult,
    cache_key,
    open_renderer,
)
from adrgen.errors import Problem, RendererUnavailable, display_path
from adrgen.output import recover, replace_dir, repository_lock, sweep
from adrgen.records.collect import load_records
from adrgen.records.loader import LoadedDocument
from adrgen.records.model import DecisionSet
from adrgen.walls.owned import claim, marker
from adrgen.walls.published import publishable_svg


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


def start_render(
    config: Config,
    *,
    decisions: DecisionSet | None = None,
    documents: Mapping[Path, LoadedDocument] | None = None,
    force: bool = False,
    renderer: Renderer | None = None,
    unavailable: str = "",
    sources: Sequence[DiagramSource] | None = None,
    background: bool = False,
    progress: Progress | None = None,
) -> RenderJob:
    """Plan a render and start it; :meth:`RenderJob.finish` completes it.

    With ``background``, the PlantUML batch runs in a thread while the caller goes on (the
    site's pages do not need the SVGs, only their names): the MkDocs plugin builds the pages
    meanwhile, on the other core, and finishes the job at the end of the build. Otherwise
    this is :func:`render_diagrams` in two steps. Without a ``renderer``, one is opened,
    unless the caller already tried and passes why there is none (``unavailable``). ``documents`` (the loaded records, by
    path) let a failure point at the record line that caused it. The repository lock is
    held from here until the job finishes or is abandoned.
    """

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
        # Refused now, before PlantUML runs, as well as just before the swap.
        claim(target, "diagrams", config.place("diagrams_dir"), job.planned_text())
        recover(target)
        identity = ""
        if renderer is not None:
            identity = renderer.identity()
        elif not unavailable:
            renderer, identity, unavailable = open_renderer(config.renderer)
        if unavailable:
            report.warnings.append(unavailable)
        report.renderer = identity
        job.renderer = renderer
        job.cache = LocalCache(config.cache_dir)
        sweep(job.cache.root)  # SVGs a killed run was writing
        for source in sources:
            job.files[f"{source.name}.puml"] = source.text.encode("utf-8")
            svg_name = f"{source.name}.svg"
            existing = target / svg_name
            stamp = read_stamp_of(existing)
            # A committed or cached SVG is reused only if it holds no script: its stamp
            # proves nothing (anyone can write one), so it is checked like a fresh drawing.
            if renderer is None:
                if (
                    stamp
                    and stamp.source_sha256 == source_hash(source.text)
                    and publishable_svg(existing)
                ):
                    job.files[svg_name] = existing
                elif existing.exists():
                    report.dropped_svgs.append(svg_name)
                continue
            key = cache_key(source.text, identity)
            if not force and stamp and stamp.key == key and publishable_svg(existing):
                job.files[svg_name] = existing
                report.reused += 1
            elif not force and (hit := job.cache.get(key)) is not None and publishable_svg(hit):
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

    def planned_text(self) -> dict[str, bytes | Path]:
        """The ``.puml`` files this job writes (what proves an old one adrgen's)."""
        return {f"{s.name}.puml": s.text.encode("utf-8") for s in self.sources}

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
        name, text = marker("diagrams")
        report.changed = _differs(target, files) or not (target / name).is_file()
        if report.changed:
            claim(target, "diagrams", self.config.place("diagrams_dir"), files)
            replace_dir(target, {**files, name: text})

    def _failure(self, source: DiagramSource, result: RenderResult) -> DiagramFailure:
        """Point a diagram's failure at the record line behind it, where one can tell."""
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
