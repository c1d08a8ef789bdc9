"""The site's pages, generated from the model through Jinja templates (no MkDocs here).

:func:`generate_pages` makes one page per record plus the index, the decision graph,
the tags page and the number-range pages, as :class:`SiteContent`. The orchestration that
loads the records and starts the PlantUML batch around it is
:func:`adrgen.pipeline.prepare_site`; the MkDocs plugin turns the content into in-memory
``File`` objects, and :func:`adrgen.pipeline.docs_folder` into a folder any builder builds.

Page templates (``templates/pages/*.md.j2``) produce Markdown for the builder. Record text
reaches them only as data, escaped by default (see :mod:`adrgen.site.markdown`).
"""

from __future__ import annotations

import html
import logging
import os
import posixpath
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from adrgen.config import Config
from adrgen.diagrams.fenced import BlockDiagram, Origin, PlantumlBlocks
from adrgen.diagrams.job import DiagramFailure, RenderJob, RenderReport
from adrgen.diagrams.plan import GRAPH_NAME, DiagramSource, graph_parts
from adrgen.errors import ConfigError, Problem, display_path
from adrgen.memo import Memo
from adrgen.parallel import fork_pays, two_cores
from adrgen.records.format import BUILTIN_STATUSES, INVERSE_LINK, UNKNOWN, Option, Record
from adrgen.records.loader import LoadedDocument, load_file
from adrgen.records.model import Decision, DecisionSet
from adrgen.site.markdown import (
    find_plantuml_fences,
    html_text,
    inline_markdown,
    md_text,
    one_line,
    plain_text,
    render_markdown,
    safe_url,
)
from adrgen.site.nav import OPTIONAL_PAGES, SiteLayout, number_ranges, section_entries
from adrgen.templating import (
    render_template,
    sandboxed_environment,
    template_search_path,
    templates_stamp,
)
from adrgen.walls.published import html_problems

DECISION_TEMPLATE = "pages/decision.md.j2"
INDEX_TEMPLATE = "pages/index.md.j2"
GRAPH_TEMPLATE = "pages/graph.md.j2"
RANGE_TEMPLATE = "pages/range.md.j2"
TAGS_TEMPLATE = "pages/tags.md.j2"
#: Static files from ``templates/pages/assets``, published under ``assets/adrgen/``.
ASSETS = {
    "assets/adrgen/adrgen.css": "pages/assets/adrgen.css",
    "assets/adrgen/adrgen.js": "pages/assets/adrgen.js",
}
EXTRA_CSS = ["assets/adrgen/adrgen.css"]
EXTRA_JS = ["assets/adrgen/adrgen.js"]

#: Statuses shown struck through / greyed wherever a record is listed.
RETIRED_STATUSES = frozenset({"superseded", "rejected", "deprecated"})
#: Marker file that makes a ``--pages-only`` folder safe to replace on the next run.


# ---------------------------------------------------------------------------------------------
# Templates


def _finalize(value: object) -> str:
    """Everything a page template prints is Markdown-escaped unless marked safe."""
    if isinstance(value, Markup):
        return str(value)
    if value is None:
        return ""
    return str(md_text(value))


def page_environment(project_templates: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment for page templates (project templates override defaults).

    Cached per template folder, like the diagrams' environment, so each template is compiled
    once per process (``mkdocs serve`` rebuilds reuse it; Jinja reloads a template whose
    file changed).
    """
    return _page_environment(template_search_path(project_templates))


@lru_cache(maxsize=8)
def _page_environment(search_path: tuple[str, ...]) -> SandboxedEnvironment:
    return sandboxed_environment(
        search_path,
        cache_kind="pages",
        finalize=_finalize,
        filters={"h": html_text, "md": md_text, "uri": uri},
    )


def template_dirs(config: Config) -> list[Path]:
    """Folders whose files shape the site, for live reload."""
    return [Path(p) for p in template_search_path(config.templates_dir)]


# ---------------------------------------------------------------------------------------------
# URLs


def url_prefix(src_uri: str, use_directory_urls: bool) -> str:
    """``../`` repeated up to the site root from the page built from ``src_uri``."""
    parts = src_uri.split("/")
    depth = len(parts) - 1
    stem = posixpath.splitext(parts[-1])[0]
    if use_directory_urls and stem not in ("index", "README"):
        depth += 1
    return "../" * depth


def relative_src(from_src: str, to_src: str) -> str:
    """A Markdown link target from one source file to another (the builder resolves it)."""
    return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")


def status_class(status: str) -> str:
    """A CSS class for a status (project statuses can be any text)."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in status.lower()).strip("-")
    return f"adrgen-status-{slug or 'other'}"


def badge(status: str) -> Markup:
    """A status badge (inline HTML)."""
    retired = " adrgen-badge--retired" if status in RETIRED_STATUSES else ""
    shown = "status not stated" if status == UNKNOWN else status
    return Markup(
        f'<span class="adrgen-badge {status_class(status)}{retired}" data-status="{html_text(status)}">'
        f"{html_text(shown)}</span>"
    )


# ---------------------------------------------------------------------------------------------
# What a page shows


@dataclass(frozen=True)
class DecisionRef:
    """A decision as another page links to it."""

    number: int
    ref: str
    title: str
    status: str
    src_uri: str

    @property
    def retired(self) -> bool:
        """True for superseded, rejected and deprecated records."""
        return self.status in RETIRED_STATUSES

    @property
    def label(self) -> str:
        """``0001: Title``."""
        return f"{self.ref}: {self.title}"


@dataclass(frozen=True)
class DiagramView:
    """A diagram on a page: its published SVG; or its source, with PlantUML's error when
    PlantUML could not draw it (else there was no renderer)."""

    name: str
    source: str
    svg_uri: str | None
    error: str = ""
    #: ``path:line:col: field: message`` of the failure, for the author.
    problem: str = ""


@dataclass
class GeneratedPage:
    """A Markdown page to add to the site."""

    src_uri: str
    content: str
    #: Repository path (relative to the docs folder) for the theme's "edit" button.
    edit_uri: str | None = None
    #: What is wrong on the page that the author should hear of (a link to no page).
    problems: tuple[Problem, ...] = ()


@dataclass
class SiteContent:
    """Everything the pipeline adds to a site."""

    decisions: DecisionSet
    pages: list[GeneratedPage]
    #: Site path → file to copy, or bytes.
    assets: dict[str, Path | bytes]
    #: Source files of the records, by site path (``0001-x.yaml``), for "view source".
    sources: dict[str, Path]
    blocks: PlantumlBlocks
    render: RenderReport
    warnings: list[str] = field(default_factory=list)
    #: Files that, when changed, change the site (for live reload).
    watch: list[Path] = field(default_factory=list)
    #: With ``prepare_site(defer=True)``: the PlantUML batch still drawing; :meth:`finish`
    #: completes it. ``None`` once ``diagrams/`` is written.
    job: RenderJob | None = None
    #: Site paths of the assets (SVGs in ``diagrams/``) that exist only after :meth:`finish`.
    deferred_assets: frozenset[str] = frozenset()
    #: Makes pages again, for :meth:`page_after_render`.
    builder: _PageBuilder | None = field(default=None, repr=False)
    layout: SiteLayout = field(default_factory=SiteLayout)
    #: Generated pages the nav does not list (the builder must not warn about them).
    not_in_nav: frozenset[str] = frozenset()
    #: Files of the docs folder that were not read or published (see
    #: :func:`adrgen.pipeline.screen`), and generated pages that failed the published-output
    #: check: each failed alone.
    refused: list[Problem] = field(default_factory=list)
    _logged: set[Problem] = field(default_factory=set, repr=False)

    @property
    def failures(self) -> list[Problem]:
        """Every diagram and Markdown block PlantUML could not draw, and every file or page
        that was refused, as problems to report."""
        return sorted(
            {*(f.problem for f in self.render.failed), *self.blocks.failures, *self.refused}
        )

    def publishable(self, src_uri: str, text: str) -> str:
        """A generated page's text (its HTML, or its Markdown, whose HTML blocks are what can
        carry script), or, when it holds script (:func:`adrgen.walls.published.html_problems`),
        a notice that it was not published: the page fails alone, and is reported."""
        unsafe = html_problems(text)
        if not unsafe:
            return text
        problem = Problem(
            src_uri, 0, 0, "", f"page not published: its HTML holds {'; '.join(unsafe)}"
        )
        self.refused.append(problem)
        return unsafe_page_html(problem)

    def page_after_render(self, src_uri: str) -> str | None:
        """With a deferred render: the page at ``src_uri`` made again, showing PlantUML's
        error, when its diagram failed; ``None`` when the page as generated stands.

        Waits until the batch is past that diagram, which it draws in page order, so pages
        built while the batch runs wait little.
        """
        if self.job is None or self.builder is None:
            return None
        failed = False
        for name in self.builder.diagrams_on(src_uri):
            failure = self.job.failure_of(name)
            if failure is not None:
                self.builder.failures[name] = failure
                failed = True
        page = self.builder.page(src_uri) if failed else None
        return page.content if page is not None else None

    def finish(self) -> RenderReport:
        """Wait for a deferred render and write ``diagrams/``; raises like ``render_diagrams``."""
        if self.job is not None:
            job, self.job = self.job, None
            job.finish()
            self.warnings.extend(w for w in job.report.warnings if w not in self.warnings)
        return self.render

    def abandon(self) -> None:
        """Give up a deferred render (the build failed elsewhere): write nothing."""
        if self.job is not None:
            job, self.job = self.job, None
            job.abandon()

    def log(self, log: logging.Logger) -> None:
        """Report the run the way both builders report it: a summary and the warnings at
        INFO, and each diagram PlantUML could not draw at WARNING."""
        # INFO, not WARNING: a machine without PlantUML must still pass `mkdocs build
        # --strict`; the page itself shows the warning next to the diagram's source.
        log.info(
            f"adrgen: {len(self.decisions)} decision(s), {self.render.summary()}, "
            f"{len(self.blocks)} Markdown diagram block(s)"
        )
        for warning in self.warnings:
            log.info(f"adrgen: {warning}")
        self.log_failures(log)

    def log_failures(self, log: logging.Logger) -> None:
        """Each failure not logged yet, at WARNING: the site is built and the page shows the
        error, and a WARNING makes ``--strict`` fail the build. (A page that fails the
        published-output check is found while the builder renders it, after the rest.)"""
        for problem in self.failures:
            if problem not in self._logged:
                self._logged.add(problem)
                log.warning(str(problem))

    def section_nav(self) -> list[Any]:
        """The nav entries of adrgen's section (see :func:`adrgen.site.nav.section_entries`)."""
        # Every record has a page at its URI: adrgen's, or one written by hand in its place.
        decisions = [(d.ref, self.layout.uri(f"{d.name}.md")) for d in self.decisions]
        return section_entries(self.layout, decisions)


def _front_matter(meta: Mapping[str, Any]) -> str:
    # Material prints page.meta.title and tag names into HTML without escaping, so every
    # string in the front matter is HTML-escaped here.
    def escape(value: Any) -> Any:
        if isinstance(value, str):
            return html.escape(one_line(value), quote=True)
        if isinstance(value, list):
            return [escape(v) for v in value]
        if isinstance(value, dict):
            return {k: escape(v) for k, v in value.items()}
        return value

    dumped = yaml.safe_dump(escape(dict(meta)), sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{dumped}---\n"


def _links_index(decisions: DecisionSet) -> dict[int, dict[str, set[int]]]:
    """What every record says about every other, by target: one pass over the corpus.

    (Asking each record about every other one per page cost O(N²): 1 s at 1000 records.)
    """
    index: dict[int, dict[str, set[int]]] = {}
    for other in decisions:
        theirs = other.record.links
        for kind, inverse in INVERSE_LINK.items():
            for target in getattr(theirs, kind):
                if target != other.number:
                    index.setdefault(target, {}).setdefault(inverse, set()).add(other.number)
    return index


def _reverse_links(
    decision: Decision,
    decisions: DecisionSet,
    index: Mapping[int, Mapping[str, set[int]]] | None = None,
    known: set[int] | None = None,
) -> dict[str, list[int]]:
    """Links of a record in both directions: what it says, plus what others say about it.

    ``index`` (:func:`_links_index`) and ``known`` (every number) are computed once per site
    by the caller; without them, they are computed here.
    """
    if index is None:
        index = _links_index(decisions)
    if known is None:
        known = {d.number for d in decisions}
    links = decision.record.links
    said = index.get(decision.number, {})
    found: dict[str, set[int]] = {
        "supersedes": set(links.supersedes) | said.get("supersedes", set()),
        "superseded_by": set(links.superseded_by) | said.get("superseded_by", set()),
        "relates_to": set(links.relates_to) | said.get("relates_to", set()),
    }
    return {kind: sorted(n for n in numbers if n in known) for kind, numbers in found.items()}


def _markdown_fields(record: Record) -> list[tuple[tuple[Any, ...], str]]:
    """Every Markdown field of a record with its data path, for the PlantUML scan."""
    found: list[tuple[tuple[Any, ...], str]] = [(("context",), record.context)]
    for i, option in enumerate(record.options):
        found.append((("options", i, "summary"), option.summary))
        for j, component in enumerate(option.components):
            if component.description:
                found.append(
                    (("options", i, "components", j, "description"), component.description)
                )
    if record.outcome:
        found.append((("outcome", "rationale"), record.outcome.rationale))
        found.append((("outcome", "confirmation"), record.outcome.confirmation))
    for k, evidence in enumerate(record.evidence):
        found.append((("evidence", k, "notes"), evidence.notes))
    return [(loc, text) for loc, text in found if text]


def _format_number(value: float) -> str:
    return f"{value:,.10g}".replace(",", " ") if abs(value) >= 10_000 else f"{value:.10g}"


def _ratio(value: float, baseline: float | None) -> str:
    if not baseline:
        return ""
    ratio = value / baseline
    return f"×{ratio:.3g}"


# ---------------------------------------------------------------------------------------------
# Generation


class _PageBuilder:
    def __init__(
        self,
        config: Config,
        decisions: DecisionSet,
        blocks: PlantumlBlocks,
        diagram_svgs: Mapping[str, str],
        diagram_sources: Mapping[str, str],
        yaml_uris: Mapping[str, str],
        layout: SiteLayout,
        documents: Mapping[Path, LoadedDocument] | None = None,
    ) -> None:
        self.config = config
        #: The builder's docs folder (records may lie inside it or elsewhere).
        self.docs: Path | None = None
        #: Every site path a link may lead to (pages and files), once known.
        self.known: set[str] | None = None
        self.documents = documents or {}
        self.decisions = decisions
        self.blocks = blocks
        self.diagram_svgs = diagram_svgs
        self.diagram_sources = diagram_sources
        self.yaml_uris = yaml_uris
        self.layout = layout
        self.use_directory_urls = layout.use_directory_urls
        self.env = page_environment(config.templates_dir)
        self.refs = {
            d.number: DecisionRef(
                d.number, d.ref, plain_text(d.title), d.status, layout.uri(f"{d.name}.md")
            )
            for d in decisions
        }
        self.links_index = _links_index(decisions)
        self.numbers = set(self.refs)
        self.by_page = {layout.uri(f"{d.name}.md"): d for d in decisions}
        self._refs_from: dict[str, dict[int, str]] = {}
        #: Diagrams PlantUML could not draw, by name: their pages show the error instead.
        self.failures: dict[str, DiagramFailure] = {}
        #: A preview session's memo of decision pages (see :mod:`adrgen.memo`), and the
        #: templates' state its keys hold.
        self.memo: Memo | None = None
        self.stamp: tuple[tuple[str, int], ...] = ()

    # Helpers handed to templates -------------------------------------------------------------

    def markdown_for(self, page: str, source: Path, problems: list[Problem] | None = None) -> Any:
        """The ``markdown()`` of a record's page: sanitised HTML, its ```plantuml blocks
        drawn, its links to other records' pages made right for the page; a link to no page
        of the site is added to ``problems``."""
        from adrgen.site.markdown import PlantumlFence

        prefix = url_prefix(page, self.use_directory_urls)

        def diagram_html(fence: PlantumlFence) -> str:
            # Collected before (with the record's line numbers): adding it again finds it.
            origin = Origin(
                source,
                fence.start + 2,
                column=fence.column,
                info_column=fence.info_column,
                record=True,
            )
            block = self.blocks.add(
                fence.body, base_dir=source.parent, origin=origin, info=fence.info
            )
            return block_html(self.blocks.shown(block), prefix)

        def markdown(text: object) -> Markup:
            html_out = render_markdown(text, diagrams=diagram_html)
            dangling: list[str] = []
            linked = rewrite_md_links(
                str(html_out), page, self.use_directory_urls, self.known, dangling
            )
            for target in dangling:
                problem = Problem(
                    display_path(source),
                    0,
                    0,
                    "",
                    f"a link to {target} leads to no page of the site",
                )
                if problems is not None and problem not in problems:
                    problems.append(problem)
            return Markup(linked)

        return markdown

    def refs_from(self, page: str) -> dict[int, str]:
        """Every decision page's path relative to ``page``: the same for every page of a
        folder, so computed once per folder (20 range pages of 1000 records would otherwise
        compute 20,000 relative paths)."""
        folder = posixpath.dirname(page)
        if folder not in self._refs_from:
            self._refs_from[folder] = {
                n: relative_src(page, ref.src_uri) for n, ref in self.refs.items()
            }
        return self._refs_from[folder]

    def link(self, page: str) -> Any:
        def link(number: int) -> Markup:
            ref = self.refs[number]
            target = relative_src(page, ref.src_uri)
            text = f"[{md_text(ref.label)}]({target})"
            if ref.retired:
                text = f'<span class="adrgen-retired">{text}</span>'
            return Markup(f"{text} {badge(ref.status)}")

        return link

    def render(self, template: str, page: str, **context: Any) -> str:
        return render_template(
            self.env,
            template,
            page=page,
            badge=badge,
            link=self.link(page),
            status_class=status_class,
            code=code_html,
            title_html=inline_markdown,
            not_rendered=lambda source: Markup(not_rendered_html(source)),
            failed=lambda view: Markup(failed_html(view.source, view.error, view.problem)),
            http_url=http_url,
            label_of=component_label,
            graph_uri=relative_src(page, self.layout.graph_uri)
            if self.layout.has("graph")
            else None,
            **context,
        )

    def diagram(self, name: str, page: str) -> DiagramView:
        failure = self.failures.get(name)
        if failure is not None:
            return DiagramView(
                name=name,
                source=self.diagram_sources.get(name, ""),
                svg_uri=None,
                error=failure.error,
                problem=str(failure.problem),
            )
        svg = self.diagram_svgs.get(name)
        return DiagramView(
            name=name,
            source=self.diagram_sources.get(name, ""),
            svg_uri=relative_src(page, svg) if svg else None,
        )

    def diagrams_on(self, src_uri: str) -> list[str]:
        """The diagrams a generated page shows, by name."""
        if src_uri == self.layout.graph_uri:
            return [name for name, _part in graph_parts(self.decisions)]
        decision = self.by_page.get(src_uri)
        return [decision.name] if decision is not None and decision.has_comparison else []

    def page(self, src_uri: str) -> GeneratedPage | None:
        """The generated page at ``src_uri`` (a decision's or the graph's), made again."""
        if src_uri == self.layout.graph_uri:
            return self.graph_page()
        decision = self.by_page.get(src_uri)
        return self.decision_page(decision) if decision is not None else None

    # Pages -------------------------------------------------------------------------------------

    def decision_page(self, decision: Decision) -> GeneratedPage:
        """A decision's page; from the memo when nothing it shows has changed."""
        links = _reverse_links(decision, self.decisions, self.links_index, self.numbers)
        if self.memo is None or self.blocks.sources():
            return self._decision_page(decision, links)
        linked = sorted({n for numbers in links.values() for n in numbers})
        document = self.documents.get(decision.source)
        key = (
            decision.number,
            str(decision.source),
            document.text if document is not None else None,
            decision.record.model_dump_json(),
            tuple((kind, tuple(numbers)) for kind, numbers in links.items()),
            tuple(astuple(self.refs[n]) for n in linked if n in self.refs),
            self.diagram(decision.name, "x"),
            self.yaml_uris.get(decision.name),
            self.layout,
            self.config.repo_url,
            self.stamp,
        )
        return self.memo.get("decision page", key, partial(self._decision_page, decision, links))

    def _decision_page(self, decision: Decision, links: dict[str, list[int]]) -> GeneratedPage:
        page = self.layout.uri(f"{decision.name}.md")
        problems: list[Problem] = []
        record = decision.record
        retired = decision.status in RETIRED_STATUSES
        # The nav and the browser's title show no markup: the title as plain text.
        plain = plain_text(decision.title)
        title = f"{decision.ref}: {plain}" + (f" ({decision.status})" if retired else "")
        meta: dict[str, Any] = {"title": title}
        if record.tags:
            meta["tags"] = list(record.tags)
        yaml_uri = self.yaml_uris.get(decision.name)
        document = self.documents.get(decision.source)
        if document is not None:
            # As loaded (a build reads each record once), with newlines as read_text has them.
            yaml_text = document.text.replace("\r\n", "\n").replace("\r", "\n")
        else:
            try:
                yaml_text = decision.source.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                yaml_text = ""
        repo_link = None
        if self.config.repo_url:
            try:
                rel = decision.source.resolve().relative_to(self.config.root).as_posix()
                repo_link = safe_url(self.config.repo_url.rstrip("/") + "/" + rel)
            except ValueError:
                repo_link = None
        content = self.render(
            DECISION_TEMPLATE,
            page,
            front_matter=Markup(_front_matter(meta)),
            decision=decision,
            record=record,
            retired=retired,
            options=record.options,
            loads=decision.loads,
            load_of=lambda option: decision.loads.get(option.id),
            anchor=lambda option: Markup(f"option-{option.id}"),
            chosen=decision.chosen,
            links=links,
            diagram=self.diagram(decision.name, page),
            has_diagram=decision.has_comparison,
            markdown=self.markdown_for(page, decision.source, problems),
            yaml_uri=relative_src(page, yaml_uri) if yaml_uri else None,
            yaml_name=decision.source.name,
            yaml_text=yaml_text,
            repo_link=repo_link,
            fmt=_format_number,
            ratio=_ratio,
            safe_url=safe_url,
        )
        # "Edit this page" opens the record where it lives: relative to the docs folder,
        # which MkDocs joins to edit_uri (``../decisions/0001-x.yaml`` resolves out of it).
        docs = self.docs or self.config.decisions_dir
        edit = Path(os.path.relpath(decision.source.resolve(), docs.resolve())).as_posix()
        return GeneratedPage(page, content, edit_uri=edit, problems=tuple(problems))

    def index_page(self) -> GeneratedPage:
        counts = self.decisions.status_counts()
        order = list(dict.fromkeys([*BUILTIN_STATUSES, *self.config.statuses]))
        ordered = [(s, counts[s]) for s in order if s in counts] + [
            (s, n) for s, n in counts.items() if s not in order
        ]
        page = self.layout.index_uri
        content = self.render(
            INDEX_TEMPLATE,
            page,
            front_matter=Markup(
                _front_matter({"title": "Architecture decisions", "hide": ["toc"]})
            ),
            decisions=list(self.decisions),
            refs=self.refs_from(page),
            counts=ordered,
            total=len(self.decisions),
            retired_statuses=RETIRED_STATUSES,
            graph_page=relative_src(page, self.layout.graph_uri)
            if self.layout.has("graph")
            else None,
        )
        return GeneratedPage(page, content)

    def graph_page(self) -> GeneratedPage:
        page = self.layout.graph_uri
        parts = graph_parts(self.decisions)
        linked = {d.number for _name, part in parts for d in part}
        edges: list[tuple[int, str, int]] = []
        for decision in self.decisions:
            links = decision.record.links
            edges.extend((decision.number, "supersedes", t) for t in sorted(links.supersedes))
            edges.extend(
                (decision.number, "relates to", t)
                for t in sorted(links.relates_to)
                if decision.number < t
            )
        edges = [e for e in edges if e[2] in self.refs]
        content = self.render(
            GRAPH_TEMPLATE,
            page,
            front_matter=Markup(_front_matter({"title": "Decision graph"})),
            diagrams=[self.diagram(name, page) for name, _part in parts],
            decisions=list(self.decisions),
            # Drawn in one diagram, every record is on the graph; split, the unlinked are listed.
            unlinked=[d.number for d in self.decisions if d.number not in linked]
            if len(parts) != 1 or parts[0][0] != GRAPH_NAME
            else [],
            edges=edges,
        )
        return GeneratedPage(page, content)

    def range_pages(self) -> list[GeneratedPage]:
        """A page per number range, when there are more records than the nav lists."""
        pages = []
        for label, page, refs in number_ranges([d.ref for d in self.decisions], self.layout):
            wanted = set(refs)
            content = self.render(
                RANGE_TEMPLATE,
                page,
                front_matter=Markup(_front_matter({"title": f"Decisions {label}"})),
                label=label,
                decisions=[d for d in self.decisions if d.ref in wanted],
                refs=self.refs_from(page),
                retired_statuses=RETIRED_STATUSES,
                index_page=relative_src(page, self.layout.index_uri)
                if self.layout.has("index")
                else None,
            )
            pages.append(GeneratedPage(page, content))
        return pages

    def tags_page(self) -> GeneratedPage:
        page = self.layout.tags_uri
        content = self.render(
            TAGS_TEMPLATE,
            page,
            front_matter=Markup(_front_matter({"title": "Tags"})),
        )
        return GeneratedPage(page, content)


_MD_HREF = re.compile(r'href="(?P<path>[^":?#]+)\.(?P<suffix>md|ya?ml)(?P<anchor>#[^"]*)?"')


def rewrite_md_links(
    html_out: str,
    page: str,
    use_directory_urls: bool,
    known: Collection[str] | None = None,
    dangling: list[str] | None = None,
) -> str:
    """Point ``[x](0002-other.md)`` (or ``0002-other.yaml``, the record) links of a record's
    Markdown at the built page; with ``known`` (every site path), a link whose page is not
    there is added to ``dangling``.

    The builder resolves links only in Markdown it parses itself, not inside the sanitised
    HTML adrgen emits; record links are relative to the docs folder, like the record.
    """
    prefix = url_prefix(page, use_directory_urls)

    def replace(match: re.Match[str]) -> str:
        path = match["path"]
        if path.startswith("/"):
            return match[0]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        if target.startswith("../"):
            return match[0]
        written = f"{target}.{match['suffix']}"
        if known is not None and f"{target}.md" not in known:
            if written not in known and dangling is not None:
                dangling.append(f"{path}.{match['suffix']}")
            return match[0]  # a file of the site (a .yaml asset), or nothing: as written
        if known is None and match["suffix"] != "md":
            return match[0]
        stem = posixpath.basename(target)
        if use_directory_urls:
            folder = posixpath.dirname(target) if stem in ("index", "README") else target
            url = f"{folder}/" if folder not in ("", ".") else "./"
        else:
            url = f"{target}.html"
        anchor = match["anchor"] or ""
        return f'href="{html.escape(prefix + url if url != "./" else prefix or "./")}{anchor}"'

    return _MD_HREF.sub(replace, html_out)


def uri(value: object) -> Markup:
    """A link target, percent-encoded so neither Markdown nor HTML can read more into it."""
    return Markup(quote(one_line(value), safe="/#.-_~:?=&%+@!$,;"))


def http_url(value: object) -> str | None:
    """``value`` when it is an http(s) URL, else ``None`` (shown as text instead)."""
    url = safe_url(value)
    return url if url and url.lower().startswith(("http://", "https://")) else None


def component_label(option: Option, component_id: str) -> str:
    """The label of a component of an option, by id."""
    return next((c.label for c in option.components if c.id == component_id), component_id)


def code_html(text: object, language: str = "") -> Markup:
    """A code block as raw HTML (the builder's Markdown pass leaves it alone)."""
    lang = f' class="language-{html_text(language)}"' if language else ""
    return Markup(f"<pre><code{lang}>{html_text(text)}</code></pre>")


def block_html(diagram: BlockDiagram, prefix: str) -> str:
    """Trusted HTML for a raw PlantUML block: its SVG, with the alt, title, classes, id and
    size its fence asked for (every value escaped), or its source under a warning."""
    if diagram.svg is not None:
        options = diagram.options
        url = html_text(prefix + diagram.asset)
        attributes = [f'src="{url}"', f'alt="{html_text(options.alt or "PlantUML diagram")}"']
        if options.title:
            attributes.append(f'title="{html_text(options.title)}"')
        if options.classes:
            attributes.append(f'class="{html_text(" ".join(options.classes))}"')
        if options.id:
            attributes.append(f'id="{html_text(options.id)}"')
        if options.style:
            # plantuml-markdown's sizing: the picture fills its box up to the given size.
            attributes += ['width="100%"', f'style="{html_text(options.style)}"']
        return (
            f'<figure class="adrgen-diagram adrgen-diagram--block"><a href="{url}">'
            f'<img {" ".join(attributes)} loading="lazy"></a></figure>'
        )
    if diagram.refused:
        return refused_html(diagram.source, diagram.refused)
    if diagram.error:
        problem = str(diagram.problem) if diagram.problem else ""
        return failed_html(diagram.source, diagram.error, problem)
    return not_rendered_html(diagram.source)


def refused_html(source: str, problems: Sequence[Problem]) -> str:
    """The warning shown instead of a block the guard refused (never handed to PlantUML)."""
    reasons = "".join(f"<li><code>{html_text(str(p))}</code></li>" for p in problems)
    return (
        '<div class="admonition failure adrgen-diagram-refused">'
        '<p class="admonition-title">Diagram refused</p>'
        "<p>adrgen did not draw this block: it could read files or the environment, or "
        f"publish a script, when PlantUML runs it.</p><ul>{reasons}</ul>"
        "<p>The rest of the site was built; the block as written is below.</p>"
        f"{code_html(source, 'plantuml')}</div>"
    )


def failed_html(source: str, error: str, problem: str) -> str:
    """The warning shown instead of a diagram that PlantUML could not draw."""
    where = f"<p><code>{html_text(problem)}</code></p>" if problem else ""
    return (
        '<div class="admonition warning adrgen-diagram-failed">'
        '<p class="admonition-title">Diagram could not be drawn</p>'
        f"<p>PlantUML reported: {html_text(error)}</p>{where}"
        "<p>The rest of the site was built; the diagram's source is below.</p>"
        f"{code_html(source, 'plantuml')}</div>"
    )


def unsafe_page_html(problem: Problem) -> str:
    """What a generated page shows when its HTML failed the published-output check."""
    return (
        '<div class="admonition failure"><p class="admonition-title">This page was not '
        f"published</p><p>{html.escape(str(problem))}</p></div>"
    )


def not_rendered_html(source: str) -> str:
    """The warning shown instead of a diagram when no PlantUML renderer is available."""
    return (
        '<div class="admonition warning adrgen-no-renderer">'
        '<p class="admonition-title">Diagram not rendered</p>'
        "<p>PlantUML is not available where this site was built, so the diagram is shown as "
        "its source. Install PlantUML (Debian: <code>apt install plantuml</code>) or configure "
        "a renderer in <code>adrgen.toml</code>, then rebuild.</p>"
        f"{code_html(source, 'plantuml')}</div>"
    )


def rewrite_handwritten(
    markdown_text: str, src_uri: str, blocks: PlantumlBlocks, source: Path
) -> str:
    """A hand-written page with its ```plantuml fences replaced by their rendered diagrams,
    in place: also inside lists, blockquotes, admonitions, details and tabs."""
    from adrgen.site.markdown import PlantumlFence, inline_html, markdown_image, replace_fences

    fences = find_plantuml_fences(markdown_text)
    if not fences:
        return markdown_text

    def drawn(fence: PlantumlFence) -> str:
        origin = Origin(source, fence.start + 2, column=fence.column, info_column=fence.info_column)
        block = blocks.add(fence.body, base_dir=source.parent, origin=origin, info=fence.info)
        diagram = blocks.shown(block)
        if diagram.svg is not None:
            # Markdown, not HTML: MkDocs makes the link right for the page's URL style.
            target = relative_src(src_uri, diagram.asset)
            return markdown_image(target, block.options, "PlantUML diagram")
        # One line, which reads the same at the top level and inside a list item.
        return inline_html(block_html(diagram, ""))

    return replace_fences(markdown_text, fences, drawn)


def collect_blocks(
    blocks: PlantumlBlocks,
    config: Config,
    decisions: DecisionSet,
    hand_written: Mapping[str, tuple[str, Path]],
    documents: Mapping[Path, LoadedDocument] | None = None,
) -> None:
    """Guard every ```plantuml block of the records and hand-written pages, for one batch.

    A block the guard refuses fails alone (see :meth:`PlantumlBlocks.add`): its problems
    are among the blocks' failures, and the rest of the site builds.
    """

    def add(body: str, base_dir: Path, origin: Origin, info: str) -> None:
        blocks.add(body, base_dir=base_dir, origin=origin, info=info)

    for decision in decisions:
        fields = [
            (loc, text, fences)
            for loc, text in _markdown_fields(decision.record)
            if (fences := find_plantuml_fences(text, admonitions=False))
        ]
        if not fields:
            continue
        # The document as loaded (its node tree kept for this, see adrgen.records.loader.load_text).
        document = (documents or {}).get(decision.source) or load_file(
            decision.source, max_bytes=config.max_record_bytes
        )
        rows = document.text.split("\n")
        for loc, text, fences in fields:
            line, _ = document.position(loc)
            field_lines = re.sub(r"\r\n?", "\n", text).split("\n")  # as the fences were found
            for fence in fences:
                # Block scalars (`|`) start on the line after the key: the fence is on line
                # `line + start + 1` of the file, indented there by the scalar's indentation.
                row = rows[line + fence.start] if line + fence.start < len(rows) else ""
                written = field_lines[fence.start]
                indent = len(row) - len(written) if row.endswith(written) else 0
                origin = Origin(
                    decision.source,
                    line + fence.start + 2,
                    ".".join(str(p) for p in loc),
                    column=indent + fence.column,
                    info_column=indent + fence.info_column,
                    record=True,
                )
                add(fence.body, decision.source.parent, origin, fence.info)
    for _uri, (text, path) in sorted(hand_written.items()):
        for fence in find_plantuml_fences(text):
            origin = Origin(
                path, fence.start + 2, column=fence.column, info_column=fence.info_column
            )
            add(fence.body, path.parent, origin, fence.info)


def generate_pages(
    config: Config,
    decisions: DecisionSet,
    documents: Mapping[Path, LoadedDocument],
    blocks: PlantumlBlocks,
    job: RenderJob,
    planned: Sequence[DiagramSource],
    layout: SiteLayout,
    existing: set[str],
    docs_dir: Path | None,
    memo: Memo | None = None,
) -> SiteContent:
    """Make every generated page and list every asset, for a render ``job`` that may still
    be drawing: a page links the SVGs its diagrams will have (see
    :func:`adrgen.pipeline.prepare_site`). With a ``memo``, a decision page nothing of
    which changed is taken from it."""
    report = job.report
    warnings = list(report.warnings)
    sources_by_name = {s.name: s.text for s in planned}
    assets: dict[str, Path | bytes] = {}
    diagram_svgs: dict[str, str] = {}
    with_svg = job.svg_names
    for name in sources_by_name:
        if name in with_svg:
            diagram_svgs[name] = layout.uri(f"diagrams/{name}.svg")
            assets[diagram_svgs[name]] = config.diagrams_dir / f"{name}.svg"

    docs = (docs_dir or config.decisions_dir).resolve()
    sources: dict[str, Path] = {}
    yaml_uris: dict[str, str] = {}
    for decision in decisions:
        path = decision.source.resolve()
        if path.is_relative_to(docs):
            yaml_uris[decision.name] = path.relative_to(docs).as_posix()
        else:
            yaml_uris[decision.name] = layout.uri(path.name)
            sources[yaml_uris[decision.name]] = path

    builder = _PageBuilder(
        config,
        decisions,
        blocks,
        diagram_svgs,
        sources_by_name,
        yaml_uris,
        layout,
        documents,
    )
    builder.failures = {f.name: f for f in report.failed}
    builder.docs = docs
    builder.known = {
        *existing,
        *sources,
        *(ref.src_uri for ref in builder.refs.values()),
        *(layout.uri(f"{n}.md") for n in ("index", "graph", "tags") if layout.has(n)),
    }
    if memo is not None:
        builder.memo = memo
        builder.stamp = templates_stamp(builder.env.loader.searchpath)  # type: ignore[union-attr]
    pages = _decision_pages(builder, list(decisions))
    optional = {"index": builder.index_page, "graph": builder.graph_page, "tags": builder.tags_page}
    pages += [make() for name, make in optional.items() if layout.has(name)]
    ranges = builder.range_pages()
    pages += ranges
    kept = []
    taken: list[Problem] = []
    made_from = {builder.refs[d.number].src_uri: d.source for d in decisions}
    for page in pages:
        if page.src_uri not in existing:
            kept.append(page)
            continue
        # Two pages for one URL: the hand-written one wins (MkDocs has it already), and the
        # author hears of it, since a reader would otherwise meet a stale copy of a decision.
        source = made_from.get(page.src_uri)
        kind = next((n for n in OPTIONAL_PAGES if layout.uri(f"{n}.md") == page.src_uri), "")
        if source is not None:
            message = (
                f"this hand-written page takes the URL of the decision page of "
                f"{display_path(source)}, which was left out; rename or remove one of them "
                "(ADRs that are pages of the site: adrgen import --migrate)"
            )
        elif kind:
            message = (
                f"this hand-written page takes the URL of adrgen's {kind} page, which was left "
                f"out; to keep yours, leave '{kind}' out of the adrgen plugin's pages option"
            )
        else:
            message = (
                "this hand-written page takes the URL of a page adrgen makes, which was left out"
            )
        taken.append(Problem(display_path(docs / page.src_uri), 0, 0, "", message))

    for site_path, template in ASSETS.items():
        assets[site_path] = _template_file(builder.env, template)
    for diagram in sorted({blocks.get(s).asset: blocks.get(s) for s in blocks.sources()}.items()):
        asset, block = diagram
        if block.svg is not None:
            assets[asset] = block.svg

    watch = [*template_dirs(config), config.root / "adrgen.toml"]
    # Not `job.pending`: a batch that ended while the pages were made must still be finished.
    pending = not job.finished
    return SiteContent(
        decisions=decisions,
        pages=kept,
        assets=assets,
        sources=sources,
        blocks=blocks,
        render=report,
        warnings=warnings,
        watch=watch,
        job=job if pending else None,
        deferred_assets=frozenset(diagram_svgs.values()) if pending else frozenset(),
        builder=builder,
        layout=layout,
        # With range pages in the nav, the decision pages are reached through them.
        not_in_nav=frozenset(builder.refs[d.number].src_uri for d in decisions)
        if ranges
        else frozenset(),
        # Pages that fail alone, and links to no page: each is the author's to fix.
        refused=[*taken, *(problem for page in kept for problem in page.problems)],
    )


#: From this many records on, half of the decision pages are made in a forked process on the
#: other core: about 2 ms a page, against some 50 ms for the fork, the copy-on-write of the
#: build's memory and the transfer back (200 records: 0.50 s instead of 0.65 s; 50: slower).
PARALLEL_MIN_PAGES = 100


def _decision_pages(builder: _PageBuilder, decisions: list[Decision]) -> list[GeneratedPage]:
    """One page per decision, in order; on two cores when that pays (a no-op rebuild: while
    a PlantUML batch runs, there is a thread and no fork, and PlantUML has the other core)."""
    # With a memo most pages are at hand, and what a forked child makes is lost to it.
    if builder.memo is not None or not fork_pays(len(decisions), PARALLEL_MIN_PAGES):
        return [builder.decision_page(d) for d in decisions]
    half = len(decisions) // 2
    first, second = decisions[:half], decisions[half:]
    pages, rest = two_cores(
        lambda: [builder.decision_page(d) for d in first],
        lambda: [builder.decision_page(d) for d in second],
    )
    if rest is None or len(rest) != len(second):
        rest = [builder.decision_page(d) for d in second]
    return pages + rest


def _template_file(env: jinja2.Environment, name: str) -> Path:
    try:
        _source, filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        filename = None
    if not filename:
        raise ConfigError(f"template {name!r} not found in {template_search_path()}")
    return Path(filename)
