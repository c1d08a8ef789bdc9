"""The pipeline: load → validate → model → render → write, shared by every front end.

One orchestration, used by the CLI (``render``, ``build``, ``build --pages-only``), the
MkDocs plugin (build and serve) and the Zensical builder:

* :func:`render_diagrams` (``adrgen render``): load the records, plan every diagram, draw
  the stale ones in one PlantUML batch, write ``diagrams/`` in one swap;
* :func:`prepare_site`: the same, plus the ```plantuml blocks of Markdown in the same
  batch and every generated page; the PlantUML batch may go on in the background while
  a builder builds the pages (:class:`~adrgen.site.pages.SiteContent` finishes it);
* :func:`docs_folder`: a builder's whole docs folder, hand-written files and generated
  ones, as files to write (Zensical, ``--pages-only``);
* :func:`write_pages` (``--pages-only``): that folder, written.

Like MkDocs' own build, each run first gathers everything (all records, all problems, all
diagrams, all SVGs) and only then writes, in one swap; a run that fails anywhere writes
nothing. Loading the records is :mod:`adrgen.records.collect`, which ``adrgen validate``
uses alone.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from adrgen.config import Config
from adrgen.errors import OutputError, Problem, RendererUnavailable, display_path
from adrgen.memo import Memo
from adrgen.records.collect import RECORD_SUFFIXES, discover_records, load_records
from adrgen.records.loader import LoadedDocument
from adrgen.records.model import DecisionSet
from adrgen.walls.owned import check_placement, claim, marker
from adrgen.walls.published import svg_file_problems
from adrgen.walls.reads import ReadPolicy

# The diagram, renderer, site and output modules (Jinja, urllib, ctypes) are imported where
# they are used: `adrgen check` and the importer need few of them.
if TYPE_CHECKING:
    from adrgen.diagrams.fenced import PlantumlBlocks
    from adrgen.diagrams.job import RenderJob, RenderReport
    from adrgen.diagrams.plan import DiagramSource
    from adrgen.diagrams.renderer import Progress, Renderer
    from adrgen.site.nav import SiteLayout
    from adrgen.site.pages import SiteContent


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
    from adrgen.diagrams.job import start_render

    return start_render(
        config,
        decisions=decisions,
        force=force,
        renderer=renderer,
        sources=sources,
        progress=progress,
    ).finish()


def _renders_everything(config: Config) -> bool:
    """True when no SVG exists yet, in ``diagrams/`` or the local cache: a cold build.

    Only then is a PlantUML process started before the records are even loaded: a build
    that may render nothing (a no-op rebuild, a fresh clone with committed SVGs) must start
    none.
    """
    for folder in (config.diagrams_dir, config.cache_dir / "svg"):
        try:
            if next(folder.glob("*.svg"), None) is not None:
                return False
        except OSError:
            continue
    return True


def prepare_site(
    config: Config,
    *,
    layout: SiteLayout | None = None,
    hand_written: Mapping[str, tuple[str, Path]] | None = None,
    existing: Iterable[str] = (),
    docs_dir: Path | None = None,
    decisions: DecisionSet | None = None,
    defer: bool = False,
    progress: Progress | None = None,
    renderer: Renderer | None = None,
    memo: Memo | None = None,
    reads: ReadPolicy | None = None,
) -> SiteContent:
    """Run the pipeline and generate every page, diagram and asset of the site.

    ``hand_written`` maps the site path of each hand-written Markdown page to its text and
    file (their PlantUML blocks join the batch); ``existing`` lists site paths the docs folder
    already has, which generated pages never replace. ``docs_dir`` is the builder's docs
    folder: records inside it are published by the builder itself, others are added.

    With ``defer``, a PlantUML batch keeps drawing in the background when this returns: the
    pages only need to know which diagrams will have an SVG, not the SVGs. The caller then
    publishes ``deferred_assets`` only after :meth:`SiteContent.finish` (the MkDocs plugin
    does so at the end of the build, so PlantUML and MkDocs share the two cores). Markdown
    ```plantuml blocks that still need drawing are rendered before this returns either way.
    ``progress`` is told ``(done, total)`` as the PlantUML batch's diagrams come back.
    ``renderer`` is a preview session's warm one; without it, each run opens its own. A
    preview session's ``memo`` keeps the records, diagrams and pages that did not change.
    ``reads`` is what the site may read (default: the project's policy; a builder adds its
    site folder). Raises :class:`~adrgen.errors.AdrgenError` (never anything else) on bad input.
    """
    from adrgen.diagrams.fenced import PlantumlBlocks
    from adrgen.diagrams.plan import plan_diagrams
    from adrgen.site.nav import SiteLayout
    from adrgen.site.pages import collect_blocks, generate_pages

    renderer = renderer or _early_renderer(config)
    job: RenderJob | None = None
    try:
        documents: dict[Path, LoadedDocument] = {}
        refused: list[Problem] = []
        if decisions is None:
            decisions, documents = load_records(config, memo=memo, refused=refused)
        # Planned once, for the render and the pages (planning twice cost ~1.5 ms a record).
        planned = plan_diagrams(config, decisions, memo)
        blocks = PlantumlBlocks(reads or config.reads, config.cache_dir)
        collect_blocks(blocks, config, decisions, hand_written or {}, documents)
        job = _draw(config, decisions, documents, planned, blocks, renderer, defer, progress)
        content = generate_pages(
            config,
            decisions,
            documents,
            blocks,
            job,
            planned,
            layout or SiteLayout(),
            set(existing),
            docs_dir,
            memo,
        )
        content.refused.extend(refused)
    except BaseException:
        if job is not None:
            job.abandon()
        raise
    finally:
        if renderer is not None:
            renderer.close()  # processes started early that no batch used
    return content


def _early_renderer(config: Config) -> Renderer | None:
    """On a cold build, PlantUML started now, so its JVM boots while the records load."""
    from adrgen.diagrams.renderer import make_renderer

    if not _renders_everything(config):
        return None  # the render opens one if it needs one
    try:
        early = make_renderer(config.renderer)
    except RendererUnavailable:
        return None
    if early is not None:
        # Every record's diagram and the graph, plus any Markdown blocks (not counted).
        early.prestart(len(discover_records(config.decisions_dir)) + 1)
    return early


def _draw(
    config: Config,
    decisions: DecisionSet,
    documents: Mapping[Path, LoadedDocument],
    planned: Sequence[DiagramSource],
    blocks: PlantumlBlocks,
    renderer: Renderer | None,
    defer: bool,
    progress: Progress | None,
) -> RenderJob:
    """Start one PlantUML batch for the records' diagrams and the Markdown blocks.

    The blocks ride along at the front of the batch and are resolved before this returns;
    the records' diagrams may go on drawing in the background (``defer``).
    """
    from adrgen.diagrams.fenced import Piggyback
    from adrgen.diagrams.job import start_render
    from adrgen.diagrams.renderer import open_renderer, unavailable_warning

    identity, why = "", ""
    if renderer is not None:
        try:
            identity = renderer.identity()
        except RendererUnavailable as exc:
            renderer, why = None, unavailable_warning(exc)
    else:
        renderer, identity, why = open_renderer(config.renderer)
    if renderer is None:
        job = start_render(
            config, decisions=decisions, documents=documents, sources=planned, unavailable=why
        )
        job.finish()
        blocks.resolve(None, "", {})
        return job
    pending_blocks = blocks.pending(identity)
    piggyback = Piggyback(renderer, pending_blocks)
    job = start_render(
        config,
        decisions=decisions,
        documents=documents,
        renderer=piggyback,
        sources=planned,
        background=defer and not pending_blocks,
        progress=progress,
    )
    if job.pending:
        blocks.resolve(renderer, identity, {})  # nothing pending: all from the cache
    else:
        job.finish()
        blocks.resolve(renderer, identity, piggyback.drawn)
    return job


@dataclass
class DocsFolder:
    """A builder's whole docs folder, as one run of :func:`prepare_site` makes it."""

    content: SiteContent
    #: Every file of the folder, by path: bytes, or a file to copy.
    files: dict[str, bytes | Path] = field(default_factory=dict)
    #: Path → the user's file a builder's diagnostic about it should name, and whether the
    #: copy is that file unchanged (else the file it was generated from).
    origins: dict[str, tuple[Path, bool]] = field(default_factory=dict)
    #: SVGs the background batch is still drawing, by path, with the file in ``diagrams/``
    #: each will be; not in :attr:`files` yet.
    pending: dict[str, Path] = field(default_factory=dict)


def docs_sources(
    docs_dir: Path, reads: ReadPolicy, skip: Sequence[Path] = ()
) -> tuple[dict[str, tuple[str, Path]], dict[str, Path], list[Problem]]:
    """Hand-written pages (text, file) and every other file of ``docs_dir``, by site path,
    with a problem for each file that may not be read or published (:func:`screen`).

    Hidden files are skipped, as MkDocs and Zensical skip them, and so are the folders in
    ``skip`` that adrgen or the builder write into (the cache, the site), which may lie
    inside ``docs_dir``. Symlinked folders are followed, as MkDocs follows them, each real
    folder once (a link to ``.`` is no loop).
    """
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    skipped = {p.resolve() for p in skip}
    seen: set[Path] = set()
    for current, dirs, names in os.walk(docs_dir, followlinks=True):
        here = Path(current)
        seen.add(here.resolve())
        kept = []
        for name in sorted(dirs):
            folder = here / name
            if name.startswith(".") or folder.resolve() in skipped or folder.resolve() in seen:
                continue
            why = reads.why_not(folder)
            if why is not None:
                problems.append(reads.problem(folder, why, "folder"))
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and (path.is_file() or path.is_symlink()):
                found[path.relative_to(docs_dir).as_posix()] = path
    files, refused = screen(reads, found, docs_dir)
    pages: dict[str, tuple[str, Path]] = {}
    others: dict[str, Path] = {}
    for uri, path in files.items():
        if path.suffix == ".md":
            try:
                pages[uri] = (path.read_text(encoding="utf-8"), path)
            except (OSError, UnicodeDecodeError) as exc:
                raise OutputError(f"cannot read {display_path(path)}: {exc}") from None
        else:
            others[uri] = path
    return pages, others, [*problems, *refused]


def screen(
    reads: ReadPolicy, files: Mapping[str, Path], records: Path | None = None
) -> tuple[dict[str, Path], list[Problem]]:
    """The files of a docs folder that may be read and published, and a problem for each
    of the others: a file the read policy refuses (a symlink out of the repository, into
    ``.git/``, or to an ignored file), or an SVG that holds script. Each fails alone: the
    rest of the site builds, and the problem is reported like a failed diagram. A refused
    record file of the ``records`` folder is left out without a problem of its own here:
    loading the records reports it."""
    kept: dict[str, Path] = {}
    problems: list[Problem] = []
    for uri, path in files.items():
        why = reads.why_not(path)
        if why is not None:
            is_record = path.parent == records and path.suffix in RECORD_SUFFIXES
            if not is_record:
                problems.append(reads.problem(path, why))
        elif not path.is_file():
            continue  # a dangling symlink inside the repository: nothing to publish
        elif path.suffix.lower() == ".svg" and (unsafe := svg_file_problems(path)):
            message = f"not published: the SVG holds {'; '.join(unsafe)}"
            problems.append(Problem(display_path(path), 0, 0, "", message))
        else:
            kept[uri] = path
    return kept, problems


def docs_folder(
    config: Config,
    docs_dir: Path,
    layout: SiteLayout,
    *,
    skip: Sequence[Path] = (),
    defer: bool = False,
    progress: Progress | None = None,
) -> DocsFolder:
    """What the MkDocs plugin adds to a build, as a folder: ``docs_dir``'s own files (their
    ```plantuml fences drawn) and every generated page, diagram, asset and record.

    A file the user wrote is never replaced by a generated one, as with the plugin. With
    ``defer``, the PlantUML batch goes on drawing in the background (see
    :attr:`DocsFolder.pending`).
    """
    from adrgen.site.pages import rewrite_handwritten

    reads = config.reads.ignoring(*skip)
    hand_written, others, refused = docs_sources(
        docs_dir, reads, [*skip, config.cache_dir, config.diagrams_dir]
    )
    content = prepare_site(
        config,
        layout=layout,
        hand_written=hand_written,
        existing={*hand_written, *others},
        docs_dir=docs_dir,
        reads=reads,
        defer=defer,
        progress=progress,
    )
    content.refused.extend(refused)
    folder = DocsFolder(content, dict(others), {uri: (path, True) for uri, path in others.items()})
    for uri, (text, path) in hand_written.items():
        drawn = rewrite_handwritten(text, uri, content.blocks, path)
        folder.files[uri] = drawn.encode("utf-8")
        # Lines move where a fence became a picture: then the copy is named, not the page.
        folder.origins[uri] = (path, drawn == text)
    for page in content.pages:
        folder.files[page.src_uri] = content.publishable(page.src_uri, page.content).encode()
    for decision in content.decisions:
        folder.origins.setdefault(layout.uri(f"{decision.name}.md"), (decision.source, False))
    for uri, asset in sorted(content.assets.items()):
        if uri in folder.files:
            continue  # the user's own file of that name wins, as with the plugin
        if uri in content.deferred_assets and isinstance(asset, Path):
            folder.pending[uri] = asset
        else:
            folder.files[uri] = asset
    for uri, record in sorted(content.sources.items()):
        folder.files.setdefault(uri, record)
    return folder


def write_pages(config: Config, target: Path, *, layout: SiteLayout | None = None) -> SiteContent:
    """Write the docs folder a plugin-less builder needs: pages, diagrams, assets, records.

    Hand-written pages and other files of the decisions folder are copied (their PlantUML
    blocks already drawn), so ``target`` is a complete ``docs_dir``. The folder is replaced
    whole, atomically; a folder adrgen did not write is never overwritten.
    """
    from adrgen.output import recover, replace_dir
    from adrgen.site.nav import SiteLayout

    # The folder must be adrgen's to replace (see adrgen.walls.owned), and must not be the
    # docs folder it is made from, nor inside it.
    folders = dataclasses.replace(config.folders, docs=config.decisions_dir)
    check_placement(target, "pages", folders, "--pages-only")
    claim(target, "pages", "--pages-only")
    docs = config.decisions_dir.resolve()
    folder = docs_folder(config, config.decisions_dir, layout or SiteLayout(), skip=[target])
    files: dict[str, bytes | Path] = dict([marker("pages")])
    for uri, item in folder.files.items():
        # The user's files are copied, never hard-linked: an edit in the output must not
        # change the record or the page. Generated SVGs may be linked.
        mine = isinstance(item, Path) and item.resolve().is_relative_to(docs)
        files[uri] = item.read_bytes() if isinstance(item, Path) and mine else item
    recover(target)
    replace_dir(target, files)
    return folder.content
