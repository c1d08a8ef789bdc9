"""Render unusual characters through adrgen's real diagram templates on both PlantUMLs.

    .venv/bin/python tools/plantuml_char_sweep.py                 # both versions
    .venv/bin/python tools/plantuml_char_sweep.py --version 1.2020
    .venv/bin/python tools/plantuml_char_sweep.py --quick         # every 8th character

Characters swept: every punctuation and symbol character of the BMP (categories P* and S*),
every format character (Cf) and space (Zs), private-use code points (sampled, with the
areas where PlantUML keeps its own markers taken whole), combining marks, unassigned code
points and noncharacters (sampled), and astral symbols and letters (sampled).

Each character goes into every free-text field of a record (record and diagram title,
option name, title and verdict, component labels of three shapes, both flow styles, security
concerns, outcome summary), in four positions: alone, first, last and doubled in the middle.
Besides, every non-ASCII letter that adrgen leaves unescaped when a value is that letter
alone (sampled in the CJK and Hangul blocks) is drawn alone, because ``title`` needs a
letter and the Java running PlantUML judges letters by its own Unicode version.
Each (character, position) is one record, drawn through ``comparison.puml.j2`` (its package,
rectangle, bracket and quoted labels, arrow labels, note and bottom note) and, grouped, the
decision graph. It prints, per PlantUML version, the characters whose diagram failed to
draw, and those whose text the SVG did not show literally.

A batch that PlantUML fails as a whole (a Java exception that names no diagram, or a
process that dies) is split in halves until the culprit stands alone, so one character never
hides the others.

Cost: 6,468 characters in four positions and 8,839 letters alone (15,294 distinct), 34,711
comparison diagrams per version, on two cores: 1,922 s on 1.2020 and 1,292 s on 1.2026,
54 minutes for both with other work loading the machine (without the letters, on a quieter
machine: 1,056 s and 560 s). ``--quick`` (4,341 diagrams) takes 5 minutes. The latest run found nothing
failing on either version; it lists U+E100, U+E103 and U+E111 as not literal on 1.2026,
which draws its own markers there (see adrgen/diagrams/escape.py).
"""

from __future__ import annotations

import argparse
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adrgen.config import RendererConfig
from adrgen.diagrams.renderer import (
    Renderer,
    RendererUnavailable,
    RenderResult,
    make_renderer,
)
from tests.helpers import (
    PLANTUML_JAR,
    collapsed,
    diagram_sources,
    shown_lines,
    svg_texts,
    text_everywhere,
)

RENDERERS = {
    "1.2020": RendererConfig(kind="command", timeout=30),
    "1.2026": RendererConfig(kind="jar", jar=str(PLANTUML_JAR), timeout=30),
}
#: Below the renderer's SPLIT_LIMIT, so each batch is shared by two processes on two cores.
BATCH = 499
#: Characters per decision graph (four records each); a failed graph is redrawn per character.
GRAPH_GROUP = 25
#: How each character is placed in a field: the whole value, its first or its last
#: character, and doubled between words (Creole's markup is doubled punctuation).
POSITIONS: dict[str, Callable[[str], str]] = {
    "alone": lambda c: c,
    "first": lambda c: f"{c}x1",
    "last": lambda c: f"x1{c}",
    "doubled": lambda c: f"x {c}{c} y",
}


def _sampled(start: int, stop: int, step: int) -> list[int]:
    return list(range(start, stop, step))


def characters(every: int = 1) -> list[str]:
    """The characters to sweep (every ``every``-th of them), in code point order."""
    points: set[int] = set()
    for cp in range(0x21, 0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        category = unicodedata.category(chr(cp))
        if category[0] in "PS" or category in ("Cf", "Zs"):
            points.add(cp)
    # Private use: PlantUML keeps markers of its own at the start of the BMP's area
    # (1.2020 U+E000-U+E0FF, 1.2026 also U+E100, U+E103, U+E111), so those areas whole.
    points.update(range(0xE000, 0xE200))
    points.update(_sampled(0xE200, 0xF900, 61))
    points.update(_sampled(0xF0000, 0xFFFFE, 4099))
    points.update(_sampled(0x100000, 0x10FFFE, 4099))
    points.update([0xF8FF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD])
    # Combining marks (alone they have nothing to combine with), sampled.
    points.update(cp for cp in _sampled(0x300, 0x10000, 7) if _is(cp, "M"))
    # Unassigned code points and noncharacters.
    points.update(range(0xFDD0, 0xFDF0))
    points.update(cp for plane in range(17) for cp in (plane << 16 | 0xFFFE, plane << 16 | 0xFFFF))
    points.update(cp for cp in _sampled(0x378, 0x30000, 251) if _is(cp, "Cn"))
    # Astral symbols and letters (emoji, mathematical alphanumerics, CJK extensions), sampled.
    points.update(cp for cp in _sampled(0x10000, 0x30000, 97) if _is(cp, "P", "S", "L"))
    points.update([0x1F680, 0x1F600, 0x1D400, 0x20000, 0xE0001, 0xE0041, 0xE007F])
    ordered = sorted(points)
    return [chr(cp) for cp in ordered[::every]]


def _is(cp: int, *categories: str) -> bool:
    """Whether the code point's category is, or starts with, one of ``categories``."""
    return unicodedata.category(chr(cp)).startswith(categories)


#: Blocks of thousands of letters that PlantUML treats alike (CJK ideographs and their
#: extensions, Hangul syllables): every 97th of them is enough.
_UNIFORM = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xAC00, 0xD7A4), (0x20000, 0x323B0)]


def letters(every: int = 1) -> list[str]:
    """Non-ASCII letters that adrgen leaves as they are in a value made of them alone.

    PlantUML's ``title`` needs a letter, and the Java running PlantUML judges letters by its
    own Unicode version; escape.py trusts a character that is a letter both in Unicode 3.2
    and in Python's tables. Each such letter is drawn alone, to check that Java agrees.
    """
    points = [
        cp
        for cp in range(0x80, 0x40000)
        if _is(cp, "L")
        and unicodedata.ucd_3_2_0.category(chr(cp)).startswith("L")
        and all(cp % 97 == 0 for start, stop in _UNIFORM if start <= cp < stop)
    ]
    return [chr(cp) for cp in points[::every]]


def render_each(renderer: Renderer, sources: Sequence[str]) -> list[RenderResult]:
    """Render a batch; a part failed as a whole is split until each failure is its own."""
    if not sources:
        return []
    try:
        results = renderer.render(sources)
    except RendererUnavailable as exc:  # the process died (or stalled)
        if len(sources) == 1:
            return [RenderResult(error=f"PlantUML process failed: {exc}")]
        results = [RenderResult(error="PlantUML failed on this batch") for _ in sources]
    whole = [
        i for i, r in enumerate(results) if r.error.startswith("PlantUML failed on this batch")
    ]
    if len(sources) == 1 or not whole:
        return results
    if len(whole) == len(sources):
        half = len(sources) // 2
        return render_each(renderer, sources[:half]) + render_each(renderer, sources[half:])
    again = render_each(renderer, [sources[i] for i in whole])
    for i, result in zip(whole, again, strict=True):
        results[i] = result
    return results


def _shown(svg: str) -> str:
    return collapsed(" ".join(svg_texts(svg)))


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, unicodedata.category(ch))
    return f"U+{ord(ch):04X} {ch if ch.isprintable() else ' '} ({name})"


def sweep(
    version: str, cases: Sequence[tuple[str, str]]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Draw each (character, position) case; failed and not-literal positions per char."""
    renderer = make_renderer(RENDERERS[version])
    if renderer is None:
        raise SystemExit(f"PlantUML {version} is not available")
    failed: dict[str, list[str]] = {}
    hidden: dict[str, list[str]] = {}
    for start in range(0, len(cases), BATCH):
        batch = [(ch, where, POSITIONS[where](ch)) for ch, where in cases[start : start + BATCH]]
        sources, _ = diagram_sources([text_everywhere(text) for _, _, text in batch])
        for (ch, where, text), result in zip(batch, render_each(renderer, sources), strict=True):
            if not result.ok:
                failed.setdefault(ch, []).append(f"{where}: {result.error[:80]}")
            elif text.strip() and not all(line in _shown(result.svg) for line in shown_lines(text)):
                hidden.setdefault(ch, []).append(where)
    # The decision graph: the cases of GRAPH_GROUP characters per graph.
    by_char: dict[str, list[str]] = {}
    for ch, where in cases:
        by_char.setdefault(ch, []).append(POSITIONS[where](ch))
    chars = list(by_char)
    for start in range(0, len(chars), GRAPH_GROUP):
        together = chars[start : start + GRAPH_GROUP]
        if not render_each(renderer, [_graph(by_char, together)])[0].ok:
            results = render_each(renderer, [_graph(by_char, [ch]) for ch in together])
            for ch, result in zip(together, results, strict=True):
                if not result.ok:
                    failed.setdefault(ch, []).append(f"graph: {result.error[:80]}")
    return failed, hidden


def _graph(by_char: dict[str, list[str]], chars: Sequence[str]) -> str:
    texts = [text for ch in chars for text in by_char[ch]]
    return diagram_sources([text_everywhere(text) for text in texts])[1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sweep on the chosen PlantUML versions; exit 1 if any character failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", choices=[*RENDERERS, "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="every 8th character only")
    parser.add_argument(
        "--chars", default="", help="sweep only these characters (e.g. '.:)'), for a re-check"
    )
    args = parser.parse_args(argv)
    every = 8 if args.quick else 1
    if args.chars:
        cases = [(ch, where) for ch in dict.fromkeys(args.chars) for where in POSITIONS]
    else:
        cases = [(ch, where) for ch in characters(every) for where in POSITIONS]
        cases += [(ch, "alone") for ch in letters(every)]
    versions = list(RENDERERS) if args.version == "both" else [args.version]
    any_failed = False
    for version in versions:
        began = time.monotonic()
        failed, hidden = sweep(version, cases)
        seconds = time.monotonic() - began
        print(
            f"PlantUML {version}: {len({ch for ch, _ in cases})} characters, "
            f"{len(cases)} diagrams in {seconds:.0f} s; "
            f"failed: {len(failed)}, not shown literally: {len(hidden)}"
        )
        for ch, wheres in failed.items():
            print(f"  FAILED {_describe(ch)}: {'; '.join(wheres)}")
        for ch, wheres in hidden.items():
            print(f"  NOT LITERAL {_describe(ch)}: {', '.join(wheres)}")
        any_failed = any_failed or bool(failed)
    return 1 if any_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
