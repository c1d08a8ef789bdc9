"""The MkDocs front end: ``plugins: [adrgen]``. A thin adapter over :mod:`adrgen.site.pages`.

It holds no logic of its own. On every build it calls :func:`adrgen.site.pages.prepare_site`, the
same pipeline ``adrgen build`` and ``adrgen build --pages-only`` use, and hands the result to
MkDocs as in-memory files:

* ``on_config``: read ``adrgen.toml`` next to ``mkdocs.yml``; add adrgen's CSS and JS.
* ``on_files``: load and validate the records, render ``diagrams/`` (outside ``docs_dir``,
  so writing it never triggers ``mkdocs serve``), and add the generated pages
  (``File.generated``), the SVGs and the assets. Nothing is written into a watched folder.
* ``on_page_markdown``: replace ```plantuml fences of hand-written pages by the diagrams
  drawn in the build's single PlantUML batch.
* ``on_post_build``: the batch of stale diagrams runs in the background while MkDocs builds
  the pages (they only link to the SVGs), so PlantUML and MkDocs use both cores; here the
  plugin waits for it, writes ``diagrams/`` and copies the new SVGs into the site.
  ``on_build_error`` abandons it, writing nothing.
* ``on_serve``: also watch the templates (records are in ``docs_dir``, watched already).

Every :class:`~adrgen.errors.AdrgenError` becomes a ``PluginError`` whose message has one
``path:line:col: field: message`` line per problem.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from adrgen.config import RENDERER_KINDS, Config, load_config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import AdrgenError
from adrgen.site.pages import EXTRA_CSS, EXTRA_JS, SiteContent, prepare_site, rewrite_handwritten

if TYPE_CHECKING:  # only `mkdocs serve` loads it (with watchdog): builds skip 10 ms of imports
    from mkdocs.livereload import LiveReloadServer

log = logging.getLogger("mkdocs.plugins.adrgen")


class AdrgenPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options under ``plugins: - adrgen:`` in ``mkdocs.yml``."""

    #: The project root (where ``adrgen.toml`` is); default: the folder of ``mkdocs.yml``.
    root = c.Optional(c.Type(str))
    #: Override the renderer kind from ``adrgen.toml`` (``ADRGEN_RENDERER`` still wins).
    renderer = c.Optional(c.Choice(RENDERER_KINDS))


class _DeferredDiagram(File):
    """An SVG the build's PlantUML batch is still drawing.

    MkDocs copies static files before it renders the pages; this one is copied by
    :meth:`AdrgenPlugin.on_post_build` instead, once the batch is done, so the batch
    overlaps the whole page build rather than only its first half.
    """

    def copy_file(self, dirty: bool = False) -> None:
        """Copied later, by the plugin (see the class docstring)."""


def plugin_error(exc: AdrgenError) -> PluginError:
    """An adrgen error as MkDocs shows it: one line per problem, file and line first."""
    lines = exc.lines()
    if len(exc.problems) > 1:
        lines.append(f"adrgen: {len(exc.problems)} problems")
    return PluginError("\n".join(lines))


class AdrgenPlugin(BasePlugin[AdrgenPluginConfig]):  # type: ignore[no-untyped-call]
    """Generates a page per decision record, the index, the decision graph and the appendix."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project: Config | None = None
        self.content: SiteContent | None = None
        self._auto_nav = False
        self._deferred: list[File] = []
        #: Set by `adrgen build` for its progress bar; plain `mkdocs build` leaves it unset.
        self.progress: Progress | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Load the project settings and register adrgen's stylesheet and script."""
        if self.config.root:
            root = Path(self.config.root)
        elif config.config_file_path:
            root = Path(config.config_file_path).parent
        else:
            root = Path.cwd()
        overrides: dict[str, Any] = {}
        if self.config.renderer:
            overrides["renderer"] = {"kind": self.config.renderer}
        try:
            self.project = load_config(root, **overrides)
        except AdrgenError as exc:
            raise plugin_error(exc) from None
        docs = Path(config.docs_dir).resolve()
        for name, folder in (
            ("diagrams_dir", self.project.diagrams_dir),
            ("cache_dir", self.project.cache_dir),
        ):
            if folder.resolve().is_relative_to(docs):
                # Builds write there: inside the watched docs folder, each build would
                # trigger the next under `mkdocs serve`.
                raise PluginError(
                    f"adrgen.toml: {name} ({folder}) must be outside docs_dir ({docs})"
                )
        # Without a nav in mkdocs.yml, adrgen proposes one (index, graph, decisions, appendix).
        self._auto_nav = config.nav is None
        for css in EXTRA_CSS:
            if css not in config.extra_css:
                config.extra_css.append(css)
        scripts = {str(s) for s in config.extra_javascript}
        for js in EXTRA_JS:
            if js not in scripts:
                config.extra_javascript.append(js)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Run the pipeline and add every generated page, diagram and asset."""
        assert self.project is not None
        hand_written = {
            f.src_uri: (f.content_string, Path(f.abs_src_path))
            for f in files.documentation_pages()
            if f.generated_by is None and f.abs_src_path
        }
        existing = {f.src_uri for f in files}
        self._abandon()  # a previous build that never reached on_post_build
        try:
            content = prepare_site(
                self.project,
                use_directory_urls=config.use_directory_urls,
                hand_written=hand_written,
                existing=existing,
                docs_dir=Path(config.docs_dir),
                defer=True,
                progress=self.progress,
            )
        except AdrgenError as exc:
            raise plugin_error(exc) from None
        self.content = content
        self._deferred = []
        try:
            self._add_files(content, files, config, existing, hand_written)
        except BaseException:
            self._abandon()
            raise
        if content.job is None:
            self._log_summary(content)
        return files

    def _add_files(
        self,
        content: SiteContent,
        files: Files,
        config: MkDocsConfig,
        existing: set[str],
        hand_written: dict[str, tuple[str, Path]],
    ) -> None:
        for page in content.pages:
            generated = File.generated(config, page.src_uri, content=page.content)
            generated.edit_uri = page.edit_uri
            files.append(generated)
        for uri, source in sorted(content.assets.items()):
            if uri in existing:
                log.info(f"{uri} exists in the docs folder; adrgen's copy was not added")
                continue
            if uri in content.deferred_assets:
                deferred = _DeferredDiagram.generated(config, uri, abs_src_path=str(source))
                self._deferred.append(deferred)
                files.append(deferred)
            elif isinstance(source, Path):
                files.append(File.generated(config, uri, abs_src_path=str(source)))
            else:
                files.append(File.generated(config, uri, content=source))
        for uri, path in sorted(content.sources.items()):
            if uri not in existing:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        if self._auto_nav:
            config.nav = content.nav(hand_written)

    @staticmethod
    def _log_summary(content: SiteContent) -> None:
        # INFO, not WARNING: a machine without PlantUML must still pass `mkdocs build --strict`;
        # the page itself shows the warning next to the diagram's source.
        log.info(
            f"adrgen: {len(content.decisions)} decision(s), {content.render.summary()}, "
            f"{len(content.blocks)} Markdown diagram block(s)"
        )
        for warning in content.warnings:
            log.info(f"adrgen: {warning}")
        # A diagram PlantUML could not draw is a WARNING: the site is built, its page shows
        # the error and the source, and `--strict` makes the build fail.
        for problem in content.failures:
            log.warning(str(problem))

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Finish the background PlantUML batch; copy the SVGs it drew into the site."""
        content = self.content
        if content is None or content.job is None:
            return
        try:
            content.finish()
        except AdrgenError as exc:
            self._deferred = []
            raise plugin_error(exc) from None
        self._log_summary(content)
        for deferred in self._deferred:
            # A diagram that failed has no SVG; its page says so.
            if deferred.abs_src_path and Path(deferred.abs_src_path).is_file():
                File.copy_file(deferred)
        self._deferred = []

    def on_build_error(self, *, error: Exception) -> None:
        """The build failed: give up a batch still running, writing nothing."""
        self._abandon()

    def _abandon(self) -> None:
        self._deferred = []
        if self.content is not None:
            self.content.abandon()

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Draw the ```plantuml fences of hand-written pages; and, while the PlantUML batch
        runs in the background, make a generated page again if its diagram failed."""
        if self.content is None:
            return markdown
        if page.file.generated_by is not None:
            remade = self.content.page_after_render(page.file.src_uri)
            if remade is None:
                return markdown
            body, _meta = get_data(remade)  # MkDocs has read the front matter already
            return body
        if not page.file.abs_src_path:
            return markdown
        try:
            return rewrite_handwritten(
                markdown, page.file.src_uri, self.content.blocks, Path(page.file.abs_src_path)
            )
        except AdrgenError as exc:
            raise plugin_error(exc) from None

    def on_serve(
        self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        """Rebuild when a template, ``adrgen.toml`` or the appendix results change.

        ``diagrams/`` and ``.adrgen-cache/`` are written by builds and deliberately not
        watched: watching them would make every build trigger the next.
        """
        if self.content is None:
            return server
        assert self.project is not None
        # Never a folder that holds diagrams/ or the cache (e.g. the project root): the
        # files a build writes there would trigger the next build, for ever.
        written = [self.project.diagrams_dir.resolve(), self.project.cache_dir.resolve()]
        for path in sorted(set(self.content.watch)):
            resolved = path.resolve()
            if not path.exists() or any(w.is_relative_to(resolved) for w in written):
                continue
            server.watch(str(path))
        return server
