"""``adrgen build``: render ``diagrams/``, then build the site and swap it into ``site/``.

MkDocs (with the adrgen plugin) or Zensical builds the site; ``--pages-only`` instead writes
the generated docs folder for a builder that runs no MkDocs plugins. The stages are those of
the site front end, which the MkDocs plugin shares, so the command is that function itself
rather than a wrapper repeating its options. Importing this module imports MkDocs: the CLI
imports it only for the commands that build.
"""

from __future__ import annotations

from adrgen.site.builders import build_pages, build_site

#: Render the diagrams and build the site; a failed build leaves ``site/`` as it was.
build = build_site
#: ``--pages-only DIR``: the generated pages, diagrams, assets and records, for any builder.
build_pages_only = build_pages

__all__ = ["build", "build_pages_only"]
