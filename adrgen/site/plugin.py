"""The MkDocs front end: ``plugins: [adrgen]``. A thin adapter over :mod:`adrgen.pipeline`.

It holds no logic of its own. On every build it calls :func:`adrgen.pipeline.prepare_site`, the
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

import dataclasses
import html
import logging
import os
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import nest_paths
from mkdocs.utils.meta import get_data

from adrgen.config import RENDERER_KINDS, Config, load_config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import AdrgenError, Problem, display_path
from adrgen.output import repository_lock, write_file_atomic
from adrgen.pipeline import prepare_site, screen
from adrgen.site.nav import (
    DEFAULT_TITLE,
    OPTIONAL_PAGES,
    SiteLayout,
    merge_auto_section,
    normal_section,
    place_section,
)
from adrgen.site.pages import (
    EXTRA_CSS,
    EXTRA_JS,
    SiteContent,
    rewrite_handwritten,
)
from adrgen.site.preview import Preview
from adrgen.walls.owned import Kind, claim, marker, placement
from adrgen.walls.reads import ReadPolicy

if TYPE_CHECKING:  # only `mkdocs serve` loads it (with watchdog): builds skip 10 ms of imports
    from mkdocs.livereload import LiveReloadServer

log = logging.getLogger("mkdocs.plugins.adrgen")
#: Markdown extensions the generated pages need (Python-Markdown's own).
REQUIRED_EXTENSIONS = ("toc", "tables", "admonition", "attr_list", "md_in_html")


class _Section(c.Type[str]):
    """A URL section inside the site: ``decisions/``; ``""`` for the site's root."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value: object) -> str:
        text = super().run_validation(value)
        if "://" in text or text.startswith("//") or ".." in text.split("/"):
            raise ValidationError(
                f"{text!r} is not a path inside the site; write one like 'decisions/' (or '' for the root)"
            )
        return normal_section(text)


class AdrgenPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options under ``plugins: - adrgen:`` in ``mkdocs.yml`` (see the README's table)."""

    #: The project root (where ``adrgen.toml`` is); default: the folder of ``mkdocs.yml``.
    root = c.Optional(c.Type(str))
    #: Where the records are, relative to the project root, inside or outside ``docs_dir``;
    #: default: ``decisions_dir`` of ``adrgen.toml`` (``decisions``).
    records = c.Optional(c.Type(str))
    #: The URL section of the decision pages (``decisions/``; ``""``: the site's root).
    section = _Section(default="decisions/")
    #: The generated pages besides one per decision: any of index, graph, tags.
    pages = c.ListOfItems(c.Choice(OPTIONAL_PAGES), default=list(OPTIONAL_PAGES))
    #: The section's title in the nav, when no placeholder entry gives one.
    nav_title = c.Type(str, default=DEFAULT_TITLE)
    #: Override the renderer kind from ``adrgen.toml`` (``ADRGEN_RENDERER`` still wins).
    renderer = c.Optional(c.Choice(RENDERER_KINDS))


def plugin_error(exc: AdrgenError) -> PluginError:
    """An adrgen error as MkDocs shows it: one line per problem, file and line first."""
    lines = exc.lines()
    if len(exc.problems) > 1:
        lines.append(f"adrgen: {len(exc.problems)} problems")
    return PluginError("\n".join(lines))


def _waiting(holder: str) -> None:
    log.warning(
        f"adrgen: another adrgen run ({holder}) is writing output; building once it is done"
    )


def _problems_banner(exc: AdrgenError) -> str:
    """An admonition with every problem, for a preview that could not rebuild."""
    items = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in exc.lines())
    return (
        '<div class="admonition failure adrgen-preview-problems">'
        '<p class="admonition-title">adrgen could not rebuild: this is the last page that '
        f"built</p><ul>{items}</ul><p>Fix the records and save: the preview recovers.</p></div>"
    )


def _problems_page(exc: AdrgenError) -> str:
    """The section's index page when nothing built yet in a preview: the problems."""
    return f"# Decisions\n\n{_problems_banner(exc)}\n"


def _under_front_matter(markdown: str, banner: str) -> str:
    """``markdown`` with ``banner`` as its first block, after its front matter."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n", 4)
        if end != -1:
            cut = end + len("\n---\n")
            return f"{markdown[:cut]}\n{banner}\n\n{markdown[cut:]}"
    return f"{banner}\n\n{markdown}"


def _nav_held_by_awesome_pages(config: MkDocsConfig) -> list[Any] | None:
    """The explicit nav that mkdocs-awesome-pages-plugin holds back when it has ``...``
    entries (its ``nav_config_with_rest``), if the site uses that plugin so."""
    for name, plugin in config.plugins.items():
        held = getattr(plugin, "nav_config_with_rest", None)
        if name.split(" ")[0] == "awesome-pages" and isinstance(held, list):
            return held
    return None


class AdrgenPlugin(BasePlugin[AdrgenPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds a section of decision pages to a site: one per record, the index, the graph, tags."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        self.project: Config | None = None
        self.content: SiteContent | None = None
        self.layout = SiteLayout()
        #: Placeholders of the SVGs still being drawn, with the file each will be.
        self._deferred: list[tuple[File, Path]] = []
        #: Set by `adrgen build` for its progress bar; plain `mkdocs build` leaves it unset.
        self.progress: Progress | None = None
        #: Under `mkdocs serve`, what the session keeps between builds (see on_startup).
        self.preview: Preview | None = None
        self.files: Files | None = None
        #: What this site may read (the project's policy, its site folder refused too).
        self.reads: ReadPolicy | None = None
        #: The repository lock, held from before MkDocs cleans the site folder to the end.
        self._lock = ExitStack()
        self._dirty = False
        #: Under a preview, what the last build that worked made (see _broken_preview).
        self._last_good: SiteContent | None = None
        #: Where the site folder was given, for messages.
        self._site_named = "site_dir"

    def on_startup(self, *, command: str, dirty: bool) -> None:
        """Under ``serve``, keep a preview session: a warm PlantUML and, with dirty builds
        (``adrgen serve``), what makes partial rebuilds correct (:mod:`adrgen.site.preview`).

        Defining this hook also makes MkDocs keep this plugin object between rebuilds."""
        self._dirty = dirty
        if command == "serve":
            self.preview = Preview()
            self.preview.dirty = dirty

    def on_shutdown(self) -> None:
        """Stop the preview session's PlantUML; release the lock if a build still held it."""
        self._lock.close()
        if self.preview is not None:
            self.preview.shutdown()

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
        if self.config.records:
            overrides["decisions_dir"] = self.config.records
        try:
            self.project = load_config(root, **overrides)
        except AdrgenError as exc:
            raise plugin_error(exc) from None
        docs = Path(config.docs_dir).resolve()
        site = Path(config.site_dir)
        shown = display_path(config.config_file_path) if config.config_file_path else "mkdocs.yml"
        self._site_named = f"{shown}: site_dir"
        why = placement(site, "site", dataclasses.replace(self.project.folders, docs=docs))
        if why is not None:
            raise PluginError(
                f"{self._site_named}: refusing to build the site into {display_path(site)}: {why}"
            )
        self.reads = self.project.reads.ignoring(site)
        with_docs = dataclasses.replace(self.project.folders, docs=docs)
        owned: tuple[tuple[str, Kind], ...] = (("diagrams_dir", "diagrams"), ("cache_dir", "cache"))
        for name, kind in owned:
            # Builds write there: inside the watched docs folder, each build would trigger
            # the next under `mkdocs serve`, and the output would publish itself.
            why = placement(getattr(self.project, name), kind, with_docs)
            if why is not None:
                raise PluginError(
                    f"{self.project.place(name)}: refusing to use "
                    f"{display_path(getattr(self.project, name))} with this site: {why}"
                )
        self.layout = SiteLayout(
            section=self.config.section,
            pages=tuple(self.config.pages),
            use_directory_urls=config.use_directory_urls,
            title=self.config.nav_title,
        )
        # The generated pages use admonitions, heading ids ({ #context }) and HTML blocks; a
        # site without these extensions would show that syntax as text. Added for this build
        # only (its mkdocs.yml is left alone); they change nothing in pages that do not use them.
        if "plantuml_markdown" in config.markdown_extensions:
            # adrgen draws the ```plantuml blocks itself (decision 0007); left on,
            # plantuml-markdown would start a JVM for whatever block adrgen left as code.
            log.info(
                "adrgen: plantuml_markdown is in markdown_extensions; adrgen draws ```plantuml "
                "blocks itself, so it can be removed"
            )
        for extension in REQUIRED_EXTENSIONS:
            if extension not in config.markdown_extensions:
                config.markdown_extensions.append(extension)
                log.info(f"adrgen: added the Markdown extension {extension} for this build")
        for css in EXTRA_CSS:
            if css not in config.extra_css:
                config.extra_css.append(css)
        scripts = {str(s) for s in config.extra_javascript}
        for js in EXTRA_JS:
            if js not in scripts:
                config.extra_javascript.append(js)
        return config

    @event_priority(100)  # before the other plugins: nothing is cleaned before the lock
    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """Take the repository lock, and check the site folder is adrgen's to replace, before
        MkDocs empties it: a build refused here leaves the previous site as it was."""
        assert self.project is not None
        self._lock.close()
        try:
            # A preview waits for another run to finish, then builds (not stuck till an edit).
            waiting = None if self.preview is None else _waiting
            self._lock.enter_context(repository_lock(self.project.cache_dir, wait=waiting))
            if not self._dirty:
                claim(Path(config.site_dir), "site", self._site_named)
        except AdrgenError as exc:
            self._lock.close()
            raise plugin_error(exc) from None

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Run the pipeline and add every generated page, diagram and asset."""
        assert self.project is not None and self.reads is not None
        refused = self._screen(files, config)
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
                layout=self.layout,
                hand_written=hand_written,
                existing=existing,
                docs_dir=Path(config.docs_dir),
                defer=True,
                progress=self.progress,
                renderer=self.preview.renderer(self.project.renderer) if self.preview else None,
                memo=self.preview.memo if self.preview and self.preview.dirty else None,
                reads=self.reads,
            )
        except AdrgenError as exc:
            if self.preview is None:
                raise plugin_error(exc) from None
            # A live preview keeps going: the last pages that built, each under the problems,
            # so the browser reloads and shows them; the next save that fixes them recovers.
            for line in exc.lines():
                log.error(line)
            broken = self._broken_preview(exc)
            if broken is None:
                files.append(
                    File.generated(config, self.layout.index_uri, content=_problems_page(exc))
                )
                return files
            content = broken
        else:
            self._last_good = content
        content.refused.extend(refused)
        self.content = content
        self.files = files
        self._deferred = []
        try:
            self._add_files(content, files, config, existing, hand_written)
        except BaseException:
            self._abandon()
            raise
        if content.job is None:
            content.log(log)
        return files

    def _broken_preview(self, exc: AdrgenError) -> SiteContent | None:
        """The last good content with every generated page under a banner of the problems;
        ``None`` when nothing has built yet this session."""
        good = self._last_good
        if good is None:
            return None
        banner = _problems_banner(exc)
        pages = [
            dataclasses.replace(page, content=_under_front_matter(page.content, banner))
            for page in good.pages
        ]
        return dataclasses.replace(
            good, pages=pages, job=None, deferred_assets=frozenset(), refused=[]
        )

    def _screen(self, files: Files, config: MkDocsConfig) -> list[Problem]:
        """Take out of the build every file of the docs folder that may not be read or
        published (:func:`adrgen.pipeline.screen`: a symlink out of the repository, into
        ``.git/`` or to an ignored file, an SVG with script); a problem for each."""
        assert self.reads is not None
        docs = os.path.abspath(config.docs_dir)
        ours = {
            f.src_uri: Path(f.abs_src_path)
            for f in files
            if f.generated_by is None
            and f.abs_src_path
            and os.path.abspath(f.abs_src_path).startswith(docs.rstrip(os.sep) + os.sep)
        }
        assert self.project is not None
        kept, refused = screen(self.reads, ours, self.project.decisions_dir)
        for uri in sorted(set(ours) - set(kept)):
            files.remove(files.get_file_from_path(uri))  # type: ignore[arg-type]
        return refused

    def _add_files(
        self,
        content: SiteContent,
        files: Files,
        config: MkDocsConfig,
        existing: set[str],
        hand_written: dict[str, tuple[str, Path]],
    ) -> None:
        assert self.project is not None
        # A dirty rebuild compares mtimes: there, pages are files that change only with
        # their text. Otherwise they stay in memory.
        written = (
            self.preview.page_files(self.project.cache_dir, content.pages)
            if self.preview is not None and self.preview.dirty
            else {}
        )
        for page in content.pages:
            inclusion = (
                InclusionLevel.NOT_IN_NAV
                if page.src_uri in content.not_in_nav
                else InclusionLevel.UNDEFINED
            )
            if page.src_uri in written:
                generated = File.generated(
                    config,
                    page.src_uri,
                    abs_src_path=str(written[page.src_uri]),
                    inclusion=inclusion,
                )
            else:
                generated = File.generated(
                    config, page.src_uri, content=page.content, inclusion=inclusion
                )
            generated.edit_uri = page.edit_uri
            files.append(generated)
        for uri, source in sorted(content.assets.items()):
            if uri in existing:
                log.info(f"{uri} exists in the docs folder; adrgen's copy was not added")
                continue
            if uri in content.deferred_assets and isinstance(source, Path):
                # An SVG the background batch is still drawing. MkDocs copies static files
                # before it renders the pages; this placeholder is copied then, and
                # on_post_build gives it its drawn bytes, so the batch overlaps the whole
                # page build rather than only its first half.
                deferred = File.generated(config, uri, content=b"")
                self._deferred.append((deferred, source))
                files.append(deferred)
            elif isinstance(source, Path):
                files.append(File.generated(config, uri, abs_src_path=str(source)))
            else:
                files.append(File.generated(config, uri, content=source))
        for uri, path in sorted(content.sources.items()):
            if uri not in existing:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        config.nav = self._nav(content, files, config)

    def _nav(self, content: SiteContent, files: Files, config: MkDocsConfig) -> list[Any] | None:
        """The site's nav with adrgen's section in it (see :mod:`adrgen.site.nav`).

        An explicit nav keeps its entries and order; the section goes where its placeholder
        is, else at the end. Without one, MkDocs' own nav of the other pages is made the way
        MkDocs makes it, and the section joins it.
        """
        entries = content.section_nav()
        if config.nav is not None:
            return place_section(config.nav, entries, self.layout)
        held = _nav_held_by_awesome_pages(config)
        if held is not None:
            # awesome-pages keeps a nav with `...` entries aside (and clears MkDocs' own) to
            # build it in its on_nav: the section is placed in that one, and the `...`
            # entries then list the other pages only, not the decisions a second time.
            held[:] = place_section(held, entries, self.layout)
            return None
        ours = {p.src_uri for p in content.pages}
        auto = nest_paths(  # type: ignore[no-untyped-call]
            f.src_uri for f in files.documentation_pages() if f.src_uri not in ours
        )
        kept, inside = merge_auto_section(auto, self.layout)
        return place_section(kept, [*entries, *inside], self.layout)

    @event_priority(-100)  # after the other plugins have shaped the navigation
    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> None:
        """Under a dirty preview, choose what this build must render again."""
        if self.preview is not None and self.preview.dirty:
            self.preview.before_pages(nav, config, files)

    @event_priority(150)  # before Material's tags plugin lists every page's tags (100)
    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> None:
        """Under a preview, reuse the theme's compiled templates; under a dirty one, show the
        pages MkDocs skipped to the gathering plugins."""
        if self.preview is not None:
            self.preview.keep_compiled(env)
        if self.preview is not None and self.preview.dirty:
            self.preview.skipped_pages(config, files)

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Note the pages a dirty preview build rendered."""
        if self.preview is not None and self.preview.dirty:
            self.preview.page_built(page)
        return output

    @event_priority(-100)  # after the search plugins have written their index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Finish the background PlantUML batch; copy the SVGs it drew into the site; mark
        the site folder as adrgen's; release the repository lock."""
        try:
            self._finish_batch()
            if self.preview is not None and self.preview.dirty and self.files is not None:
                self.preview.after_build(config, self.files)
            name, text = marker("site")
            write_file_atomic(Path(config.site_dir) / name, text)
        except AdrgenError as exc:
            raise plugin_error(exc) from None
        finally:
            self._lock.close()

    @event_priority(-100)
    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """A generated page ships only if its HTML holds no script (:mod:`adrgen.walls.published`);
        one that does fails alone: it shows why instead, and the build reports it."""
        if self.content is None or page.file.generated_by is None:
            return html
        checked = self.content.publishable(page.file.src_uri, html)
        if checked is not html:
            self.content.log_failures(log)
        return checked

    def _finish_batch(self) -> None:
        content = self.content
        if content is None or content.job is None:
            return
        try:
            content.finish()
        except AdrgenError as exc:
            self._deferred = []
            raise plugin_error(exc) from None
        content.log(log)
        for deferred, drawn in self._deferred:
            if drawn.is_file():
                deferred.content_bytes = drawn.read_bytes()
                deferred.copy_file()
            else:  # a diagram that failed has no SVG; its page says so
                Path(deferred.abs_dest_path).unlink(missing_ok=True)
        self._deferred = []

    def on_build_error(self, *, error: Exception) -> None:
        """The build failed: give up a batch still running, writing nothing."""
        try:
            self._abandon()
        finally:
            self._lock.close()

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
        """Rebuild when a template, ``adrgen.toml`` or a record outside ``docs_dir`` changes.

        ``diagrams/`` and ``.adrgen-cache/`` are written by builds and deliberately not
        watched: watching them would make every build trigger the next.
        """
        if self.content is None:
            return server
        assert self.project is not None
        # Never a folder that holds diagrams/ or the cache (e.g. the project root): the
        # files a build writes there would trigger the next build, for ever.
        written = [self.project.diagrams_dir.resolve(), self.project.cache_dir.resolve()]
        watch = set(self.content.watch)
        if not self.project.decisions_dir.resolve().is_relative_to(Path(config.docs_dir).resolve()):
            watch.add(
                self.project.decisions_dir
            )  # records outside docs_dir: MkDocs would not see them
        for path in sorted(watch):
            resolved = path.resolve()
            if not path.exists() or any(w.is_relative_to(resolved) for w in written):
                continue
            server.watch(str(path))
        return server
