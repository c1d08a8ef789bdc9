"""``adrgen build``: render ``diagrams/``, then build the site and swap it into ``site/``.

MkDocs (with the adrgen plugin) or Zensical builds the site; ``--pages-only`` instead writes
the generated docs folder for a builder that runs no MkDocs plugins. Importing this module
imports MkDocs: the CLI imports it only for the commands that build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from adrgen.config import Config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import display_path
from adrgen.output import repository_lock
from adrgen.pipeline import write_pages
from adrgen.site.builders import (
    adrgen_plugin,
    build_into,
    check_site_target,
    load_mkdocs,
    mkdocs_file,
    site_layout,
)
from adrgen.site.pages import SiteContent


@dataclass(frozen=True)
class BuiltSite:
    """What ``adrgen build`` made: where the site is, and what the pipeline did."""

    path: Path
    #: ``7 decision(s), 8 diagram(s): 1 rendered, 7 reused (PlantUML 1.2026.8)``.
    summary: str
    #: Diagrams and Markdown blocks PlantUML could not draw (their pages say so).
    failures: int

    @classmethod
    def of(cls, path: Path, content: SiteContent | None) -> BuiltSite:
        """The report of a build whose pipeline made ``content``."""
        if content is None:  # pragma: no cover - the plugin ran, or the build raised
            return cls(path, "", 0)
        summary = f"{len(content.decisions)} decision(s), {content.render.summary()}"
        return cls(path, summary, len(content.failures))


def build(
    config: Config,
    *,
    config_file: Path | None = None,
    site_dir: Path | None = None,
    strict: bool = False,
    renderer: str | None = None,
    progress: Progress | None = None,
    builder: str | None = None,
) -> BuiltSite:
    """Render diagrams and build the site, then swap it into place atomically.

    ``progress`` is told ``(done, total)`` as the PlantUML batch's diagrams come back. A
    diagram PlantUML cannot draw does not stop the build (its page shows the error; the
    builder logs a warning, which ``strict`` turns into a failure). ``builder`` (default:
    the project's ``builder`` setting) may be ``"zensical"``: the same pages, built by
    Zensical. Raises :class:`~adrgen.errors.AdrgenError` on any failure, leaving the
    previous site as it was.
    """
    path = mkdocs_file(config, config_file)
    if (builder or config.builder) == "zensical":
        from adrgen.site import zensical

        built = zensical.build(
            config, path, site_dir=site_dir, strict=strict, renderer=renderer, progress=progress
        )
        return BuiltSite.of(built.path, built.content)
    mk = load_mkdocs(path, strict=strict)
    plugin = adrgen_plugin(mk, path, config, renderer=renderer, progress=progress)
    given = site_dir or Path(mk["site_dir"])
    named = "--site-dir" if site_dir else f"{display_path(path)}: site_dir"
    check_site_target(config, given, named, Path(mk["docs_dir"]))
    target = given.resolve()
    # One build at a time per repository: a second one fails at once with a clear message
    # instead of racing this one for diagrams/ and site/.
    with repository_lock(config.cache_dir):
        build_into(mk, config, target, named)
    return BuiltSite.of(target, plugin.content)


def build_pages_only(
    config: Config, target: Path, *, config_file: Path | None = None
) -> SiteContent:
    """``--pages-only DIR``: the generated pages, diagrams, assets and records, written
    where any builder reading ``mkdocs.yml`` can build them, laid out as the plugin would."""
    return write_pages(config, target, layout=site_layout(config, config_file))
