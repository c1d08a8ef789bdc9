"""Everything between a validated record and an SVG.

* :mod:`~adrgen.diagrams.plan`: the PlantUML text of each diagram, from the templates;
* :mod:`~adrgen.diagrams.escape`: record text made into PlantUML text that can only be text;
* :mod:`~adrgen.diagrams.fenced`: raw ```plantuml blocks that authors write, guarded;
* :mod:`~adrgen.diagrams.renderer`: PlantUML itself (a local command, a jar, or a server),
  driven in batches, with one bad diagram isolated from the rest;
* :mod:`~adrgen.diagrams.cache`: the content-hash cache that keeps unchanged diagrams from
  being drawn again.
"""
