"""The live preview (``adrgen serve``): rebuild only what an edit changed, and stay correct.

``adrgen serve`` runs ``mkdocs serve`` with dirty builds: MkDocs then renders only the
pages whose source is newer than their HTML. That alone would go wrong in four ways, each
handled here, so the plugin stays a thin adapter:

* **Generated pages** are in-memory files, which MkDocs always deems modified. Here they
  are written to ``.adrgen-cache/preview/pages/`` with :func:`adrgen.output.sync_dir`, so
  a page whose text did not change keeps its mtime and is not rebuilt; the pages that
  list an edited record (index, graph, tags, ranges, records linking to it) change
  text, and are.
* **Navigation**: a page MkDocs skips is never read, so it has no title for the other
  pages' sidebars. Every page's source is read (not rendered) before the build; when any
  title or entry of the navigation changed, every page is rebuilt.
* **Aggregating plugins** (Material's tags listings) see only the pages that are built:
  the skipped pages' Markdown is handed to their ``on_page_markdown`` too, and a page
  holding a tags listing is always rebuilt. With the blog or offline plugin, whose
  output spans pages in ways this module does not follow, every build is full.
* **Search**: the search plugins index only the pages built. The whole index is kept here,
  page by page, and written back after theirs with the rebuilt pages' entries replaced.

And the PlantUML renderer is one warm process for the whole session
(:class:`adrgen.diagrams.renderer.SessionRenderer`): an edit's diagram is drawn in tens of
milliseconds rather than after a JVM start.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment
from jinja2.bccache import MemcachedBytecodeCache
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page

from adrgen.config import RendererConfig
from adrgen.diagrams.renderer import Renderer, SessionRenderer, make_renderer
from adrgen.errors import RendererUnavailable
from adrgen.memo import Memo
from adrgen.output import sync_dir, write_file_atomic
from adrgen.site.pages import GeneratedPage

log = logging.getLogger("mkdocs.plugins.adrgen")

#: Where the generated pages are written for dirty builds, under the cache folder.
PAGES_FOLDER = Path("preview") / "pages"
#: Material's tags listing marker: a page holding one lists every page's tags.
LISTING_MARKER = "<!-- material/tags"
#: Plugins whose output spans pages in ways this module does not follow: builds are full.
FULL_BUILD_PLUGINS = frozenset({"blog", "material/blog", "offline", "material/offline"})
SEARCH_INDEX = Path("search") / "search_index.json"


class Preview:
    """The state one ``mkdocs serve`` session keeps between builds."""

    def __init__(self) -> None:
        #: True under ``mkdocs serve --dirty`` (what ``adrgen serve`` runs).
        self.dirty = False
        self._renderer: SessionRenderer | None = None
        self._nav: object = None
        #: Search entries by page URL, from every build of the session.
        self._search: dict[str, list[dict[str, Any]]] = {}
        self._built: set[str] = set()
        self._full = False
        #: The HTML files of the last build's pages, to remove those whose page is gone.
        self._outputs: set[str] = set()
        #: The records, diagrams and pages that an edit did not change.
        self.memo = Memo()
        #: The theme's compiled templates: MkDocs makes a new Jinja environment for every
        #: build, which compiled Material's 45 templates again each time (0.45 s).
        self._compiled = MemcachedBytecodeCache(_Store())  # type: ignore[arg-type]

    # -- the warm renderer --------------------------------------------------------------

    def renderer(self, settings: RendererConfig) -> Renderer | None:
        """The session's warm renderer; a new one when the settings changed. ``None`` when
        there is none: the build then opens its own and reports why."""
        if self._renderer is not None and self._renderer.settings != settings:
            self.shutdown()
        if self._renderer is None:
            try:
                inner = make_renderer(settings)
            except RendererUnavailable:
                return None
            if inner is None:
                return None
            self._renderer = SessionRenderer(inner, settings)
        return self._renderer

    def shutdown(self) -> None:
        """Stop the session's PlantUML processes."""
        if self._renderer is not None:
            renderer, self._renderer = self._renderer, None
            renderer.shutdown()

    # -- generated pages as files with stable mtimes -------------------------------------

    def page_files(self, cache_dir: Path, pages: list[GeneratedPage]) -> dict[str, Path]:
        """Write the generated pages where a dirty build compares their mtimes; only those
        whose text changed are written. Returns each page's file, by site path."""
        folder = cache_dir / PAGES_FOLDER
        sync_dir(folder, {page.src_uri: page.content.encode("utf-8") for page in pages})
        return {page.src_uri: folder / page.src_uri for page in pages}

    # -- the build's hooks ------------------------------------------------------------

    def before_pages(self, nav: Navigation, config: MkDocsConfig, files: Files) -> None:
        """Before MkDocs reads the pages: read every page's source for its title, and make
        the pages that must be rebuilt look modified (their HTML removed)."""
        self._built = set()
        self._full = any(name in FULL_BUILD_PLUGINS for name in config.plugins)
        pages = [f.page for f in files.documentation_pages() if f.page is not None]
        for page in pages:
            if page.markdown is None:
                page.read_source(config)
        shape = _shape(nav.items)
        if shape != self._nav:
            self._full = self._full or self._nav is not None
            self._nav = shape
        for page in pages:
            if self._full or LISTING_MARKER in (page.markdown or ""):
                Path(page.file.abs_dest_path).unlink(missing_ok=True)

    def keep_compiled(self, env: Environment) -> None:
        """Let the build's theme environment reuse the templates compiled by earlier builds
        (Jinja checks each template's source, so an edited one is compiled again)."""
        env.bytecode_cache = self._compiled

    def skipped_pages(self, config: MkDocsConfig, files: Files) -> None:
        """Hand the pages MkDocs skipped to the plugins that gather from every page."""
        for file in files.documentation_pages():
            page = file.page
            if page is None or page.content is not None or page.markdown is None:
                continue
            config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)

    def page_built(self, page: Page) -> None:
        """Note a page this build rendered."""
        self._built.add(page.url)

    def after_build(self, config: MkDocsConfig, files: Files) -> None:
        """Remove the HTML of pages that are gone, and write the whole search index."""
        self.memo.sweep()
        outputs = {f.abs_dest_path for f in files.documentation_pages()}
        for gone in sorted(self._outputs - outputs):
            Path(gone).unlink(missing_ok=True)
        self._outputs = outputs
        self._merge_search(Path(config.site_dir) / SEARCH_INDEX, files)

    def _merge_search(self, path: Path, files: Files) -> None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # no search plugin, or one that writes something else
        fresh: dict[str, list[dict[str, Any]]] = {}
        for entry in data.get("docs", []):
            fresh.setdefault(str(entry.get("location", "")).split("#")[0], []).append(entry)
        for url in self._built:
            self._search[url] = fresh.get(url, [])
        urls = [f.page.url for f in files.documentation_pages() if f.page is not None]
        for url in urls:
            if url not in self._search and url in fresh:
                self._search[url] = fresh[url]
        # In the site's page order, and only pages that still exist.
        data["docs"] = [entry for url in urls for entry in self._search.get(url, [])]
        self._search = {url: self._search[url] for url in urls if url in self._search}
        write_file_atomic(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


class _Store:
    """A dict with the two methods of the client Jinja's ``MemcachedBytecodeCache`` uses."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``."""
        return self._data.get(key)

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        """Store ``value`` under ``key`` (for the session: no timeout)."""
        self._data[key] = value


def _shape(items: list[Any]) -> list[tuple[str, str | None, object]]:
    """The navigation as the sidebars and footers show it: kinds, titles, URLs, nesting."""
    shape: list[tuple[str, str | None, object]] = []
    for item in items:
        if isinstance(item, Section):
            shape.append(("section", item.title, _shape(item.children)))
        elif isinstance(item, Link):
            shape.append(("link", item.title, item.url))
        else:
            shape.append(("page", item.title, item.url))
    return shape
