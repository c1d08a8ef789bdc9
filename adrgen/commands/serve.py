"""``adrgen serve``: preview the site with live reload.

MkDocs serves the project with the adrgen plugin, rebuilding only what an edit changed
(:mod:`adrgen.site.preview`), or Zensical serves the docs folder adrgen keeps up to date
for it.
"""

from __future__ import annotations

from pathlib import Path

from adrgen.config import Config
from adrgen.site.builders import mkdocs_file, mkdocs_serve


def serve(
    config: Config,
    *,
    config_file: Path | None = None,
    dev_addr: str | None = None,
    renderer: str | None = None,
    open_in_browser: bool = False,
    builder: str | None = None,
) -> None:
    """Serve the site until interrupted, with ``builder`` (default: the project's setting)."""
    path = mkdocs_file(config, config_file)
    if (builder or config.builder) == "zensical":
        from adrgen.site import zensical

        zensical.serve(
            config, path, dev_addr=dev_addr, renderer=renderer, open_in_browser=open_in_browser
        )
        return
    mkdocs_serve(path, dev_addr=dev_addr, renderer=renderer, open_in_browser=open_in_browser)
