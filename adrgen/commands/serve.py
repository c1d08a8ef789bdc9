"""``adrgen serve``: preview the site with live reload.

MkDocs serves the project with the adrgen plugin, or Zensical serves the docs folder adrgen
keeps up to date for it; editing a record, a page or a template rebuilds what changed.
"""

from __future__ import annotations

from pathlib import Path

from adrgen.config import Config
from adrgen.site import builders


def serve(
    config: Config,
    *,
    config_file: Path | None = None,
    dev_addr: str | None = None,
    renderer: str | None = None,
    open_in_browser: bool = False,
    builder: str | None = None,
) -> None:
    """Serve the site until interrupted (``builder``: ``mkdocs`` or ``zensical``)."""
    builders.serve_site(
        config,
        config_file=config_file,
        dev_addr=dev_addr,
        renderer=renderer,
        open_in_browser=open_in_browser,
        builder=builder,
    )
