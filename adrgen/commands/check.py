"""``adrgen check``: is ``diagrams/`` exactly what the records and templates produce?

It runs the pipeline up to the diagram sources and compares, writing nothing:

* a ``.puml`` that is missing or differs from what its record and the templates give: stale;
* an ``.svg`` whose stamp names another source, or that is missing: stale (with
  ``require_svg=False``, a missing SVG is allowed, for repositories drawn without PlantUML);
* a file in ``diagrams/`` that no record produces: orphaned.

An SVG is compared by its stamp (the hash of the source it was drawn from), not by bytes, so
a different PlantUML version on the CI machine does not make a correct diagram "stale".
"""

from __future__ import annotations

from adrgen.config import Config
from adrgen.diagrams.cache import read_stamp_of, source_hash
from adrgen.diagrams.plan import plan_diagrams
from adrgen.errors import Problem, StaleOutput, display_path
from adrgen.records.collect import load_decisions
from adrgen.walls.published import svg_file_problems

FIX = "run `adrgen render` and commit diagrams/"


def find_stale(config: Config, *, require_svg: bool = True) -> tuple[list[Problem], int]:
    """Every stale, missing or orphaned file in ``diagrams/``, and how many diagrams there are.

    Raises :class:`~adrgen.errors.ValidationFailed` if a record is invalid.
    """
    decisions = load_decisions(config)
    sources = plan_diagrams(config, decisions)
    target = config.diagrams_dir
    problems: list[Problem] = []
    expected: set[str] = set()

    def report(name: str, message: str) -> None:
        problems.append(Problem(display_path(target / name), 0, 0, "", f"{message}; {FIX}"))

    for source in sources:
        origin = display_path(source.origin) if source.origin else "all records"
        puml, svg = f"{source.name}.puml", f"{source.name}.svg"
        expected.update((puml, svg))
        current = target / puml
        if not current.is_file():
            report(puml, f"missing (drawn from {origin})")
        elif current.read_bytes() != source.text.encode("utf-8"):
            report(puml, f"stale: differs from what {origin} and the templates produce")
        stamp = read_stamp_of(target / svg)
        if (target / svg).is_file():
            if stamp is None or stamp.source_sha256 != source_hash(source.text):
                report(svg, f"stale: drawn from an older version of {origin}")
            elif unsafe := svg_file_problems(target / svg):
                # A stamp proves nothing (anyone can write one); what ships is checked.
                report(svg, f"unsafe: it holds {'; '.join(unsafe)}, and is never published")
        elif require_svg:
            report(svg, f"missing (drawn from {origin})")
    if target.is_dir():
        for path in sorted(target.iterdir()):
            if not path.name.startswith(".") and path.name not in expected:
                problems.append(
                    Problem(
                        display_path(path),
                        0,
                        0,
                        "",
                        "orphaned: no record produces it; run `adrgen render` (it removes it)",
                    )
                )
    return problems, len(sources)


def check(config: Config, *, require_svg: bool = True) -> int:
    """Raise :class:`StaleOutput` when anything is out of date; return the diagram count."""
    problems, count = find_stale(config, require_svg=require_svg)
    if problems:
        raise StaleOutput(problems)
    return count
