"""``adrgen render``: write ``diagrams/``, a ``.puml`` per decision and the graph, with SVGs.

The stages (load and validate the records, plan the diagrams, draw the stale ones in one
PlantUML batch, swap ``diagrams/`` in whole) are the pipeline's, shared with ``build`` and
the MkDocs plugin: see :func:`adrgen.pipeline.render_diagrams`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adrgen.config import Config
from adrgen.diagrams.job import RenderReport
from adrgen.pipeline import render_diagrams

if TYPE_CHECKING:
    from adrgen.diagrams.renderer import Progress


def render(
    config: Config, *, force: bool = False, progress: Progress | None = None
) -> RenderReport:
    """Render the repository's diagrams; ``force`` redraws every SVG, ignoring the cache.

    A diagram PlantUML cannot draw is in the report's ``failed``, not raised: the rest of
    the batch is written, and the caller decides how loudly to fail.
    """
    return render_diagrams(config, force=force, progress=progress)
