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

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from adrgen.config import Config
from adrgen.errors import OutputError, RendererUnavailable, display_path
from adrgen.memo import Memo
from adrgen.records.collect import discover_records, load_records
from adrgen.records.loader import LoadedDocument
from adrgen.records.model import DecisionSet

# The diagram, renderer, site and output modules (Jinja, urllib, ctypes) are imported where
# they are used: `adrgen check` and the importer need few of them.
if TYPE_CHECKING:
    from adrgen.diagrams.fenced import PlantumlBlocks
    from adrgen.diagrams.job import RenderJob, RenderReport
    from adrgen.diagrams.plan import DiagramSource
    from adrgen.diagrams.renderer import Progress, Renderer
    from adrgen.site.nav import SiteLayout
    from adrgen.site.pages import SiteContent

#: Written into a ``--pages-only`` folder, so that a later run knows it may replace it.
PAGES_MARKER = ".adrgen-pages"


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
    Raises :class:`~adrgen.errors.AdrgenError` (never anything else) on bad input.
    """
    from adrgen.diagrams.fenced import PlantumlBlocks
    from adrgen.diagrams.plan import plan_diagrams
    from adrgen.site.nav import SiteLayout
    from adrgen.site.pages import collect_blocks, generate_pages

    renderer = renderer or _early_renderer(config)
    job: RenderJob | None = None
    try:
        documents: dict[Path, LoadedDocument] = {}
        if decisions is None:
            decisions, documents = load_records(config, memo=memo)
        # Planned once, for the render and the pages (planning twice cost ~1.5 ms a record).
        planned = plan_diagrams(config, decisions, memo)
        blocks = PlantumlBlocks(config.root, config.cache_dir)
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


def _check_pages_target(config: Config, target: Path) -> None:
    target = target.resolve()
    protected = [config.root, config.decisions_dir, config.diagrams_dir, config.templates_dir]
    for folder in protected:
        if target == folder.resolve() or folder.resolve().is_relative_to(target):
            raise OutputError(
                f"refusing to write pages into {display_path(target)}: it holds {display_path(folder)}"
            )
    if target.is_relative_to(config.decisions_dir.resolve()):
        raise OutputError(
            f"refusing to write pages inside the docs folder {display_path(config.decisions_dir)}"
        )
    if target.is_dir() and any(target.iterdir()) and not (target / PAGES_MARKER).is_file():
        raise OutputError(
            f"{display_path(target)} is not empty and was not written by adrgen; choose another folder"
        )


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
    docs_dir: Path, skip: Sequence[Path] = ()
) -> tuple[dict[str, tuple[str, Path]], dict[str, Path]]:
    """Hand-written pages (text, file) and every other file of ``docs_dir``, by site path.

    Hidden files are skipped, as MkDocs and Zensical skip them, and so are the folders in
    ``skip`` that adrgen or the builder write into (the cache, the site), which may lie
    inside ``docs_dir``.
    """
    pages: dict[str, tuple[str, Path]] = {}
    others: dict[str, Path] = {}
    skipped = {p.resolve() for p in skip}
    for current, dirs, names in os.walk(docs_dir):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skipped
        )
        for name in sorted(names):
            path = here / name
            if name.startswith(".") or not path.is_file():
                continue
            uri = path.relative_to(docs_dir).as_posix()
            if path.suffix == ".md":
                try:
                    pages[uri] = (path.read_text(encoding="utf-8"), path)
                except (OSError, UnicodeDecodeError) as exc:
                    raise OutputError(f"cannot read {display_path(path)}: {exc}") from None
            else:
                others[uri] = path
    return pages, others


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

    hand_written, others = docs_sources(docs_dir, [*skip, config.cache_dir, config.diagrams_dir])
    content = prepare_site(
        config,
        layout=layout,
        hand_written=hand_written,
        existing={*hand_written, *others},
        docs_dir=docs_dir,
        defer=defer,
        progress=progress,
    )
    folder = DocsFolder(content, dict(others), {uri: (path, True) for uri, path in others.items()})
    for uri, (text, path) in hand_written.items():
        drawn = rewrite_handwritten(text, uri, content.blocks, path)
        folder.files[uri] = drawn.encode("utf-8")
        # Lines move where a fence became a picture: then the copy is named, not the page.
        folder.origins[uri] = (path, drawn == text)
    for page in content.pages:
        folder.files[page.src_uri] = page.content.encode("utf-8")
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

    _check_pages_target(config, target)
    docs = config.decisions_dir.resolve()
    folder = docs_folder(config, config.decisions_dir, layout or SiteLayout(), skip=[target])
    files: dict[str, bytes | Path] = {
        PAGES_MARKER: b"Written by `adrgen build --pages-only`; replaced on every run.\n"
    }
    for uri, item in folder.files.items():
        # The user's files are copied, never hard-linked: an edit in the output must not
        # change the record or the page. Generated SVGs may be linked.
        mine = isinstance(item, Path) and item.resolve().is_relative_to(docs)
        files[uri] = item.read_bytes() if isinstance(item, Path) and mine else item
    recover(target)
    replace_dir(target, files)
    return folder.content
