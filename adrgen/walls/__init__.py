"""The walls: what adrgen may read, what it may replace, and what it may publish.

Record text, hand-written pages and imported ADRs come from anyone who can open a pull
request, and CI builds them with secrets in reach. Each wall is one module, used by every
stage that needs it, so that a rule is stated once:

* :mod:`adrgen.walls.reads`: a file is read only if, after resolving every symlink, it lies
  inside the docs repository and outside ``.git/`` and the ignored folders;
* :mod:`adrgen.walls.owned`: a folder is replaced only if adrgen owns it;
* :mod:`adrgen.walls.published`: an SVG or a page ships only if it holds no script.

The PlantUML guard (no record or page text becomes a directive) is
:mod:`adrgen.diagrams.fenced`; ``SECURITY.md`` says what each wall covers.
"""
