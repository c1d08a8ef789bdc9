"""``adrgen serve``: preview the site with live reload.

MkDocs serves the project with the adrgen plugin, or Zensical serves the docs folder adrgen
keeps up to date for it; editing a record, a page or a template rebuilds what changed. The
command is the site front end's own function (see :mod:`adrgen.commands.build` for why).
"""

from __future__ import annotations

from adrgen.site.builders import serve_site

#: Serve the site until interrupted.
serve = serve_site

__all__ = ["serve"]
