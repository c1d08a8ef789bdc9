"""``adrgen build``: render ``diagrams/``, then build the site and swap it into ``site/``.

MkDocs (with the adrgen plugin) or Zensical builds the site; ``--pages-only`` instead writes
the generated docs folder for a builder that runs no MkDocs plugins. Importing this module
imports MkDocs, so the CLI imports it only for the commands that build.
"""

from __future__ import annotations

from pathlib import Path

from adrgen.config import Config
from adrgen.diagrams.renderer import Progress
from adrgen.site import builders
from adrgen.site.builders import BuiltSite
from adrgen.site.pages import SiteContent


def build(
    config: Config,
    *,
    config_file: Path | None = None,
    site_dir: Path | None = None,
    strict: bool = False,
    renderer: str | None = None,
    builder: str | None = None,
    progress: Progress | None = None,
) -> BuiltSite:
    """Render the diagrams and build the site; a failed build leaves ``site/`` as it was.

    ``builder`` is ``mkdocs`` or ``zensical`` (default: the project's setting); ``strict``
    turns the builder's warnings, and diagrams PlantUML could not draw, into a failure.
    """
    return builders.build_site(
        config,
        config_file=config_file,
        site_dir=site_dir,
        strict=strict,
        renderer=renderer,
        progress=progress,
        builder=builder,
    )


def build_pages_only(
    config: Config, target: Path, *, config_file: Path | None = None
) -> SiteContent:
    """``--pages-only``: write the generated pages, diagrams, assets and records to ``target``,
    a docs folder any builder reading ``mkdocs.yml`` can build without the adrgen plugin."""
    return builders.build_pages(config, target, config_file=config_file)
