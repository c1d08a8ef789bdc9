"""Render every punctuation and symbol character of the BMP through the real PlantUML.

    .venv/bin/python tools/plantuml_char_sweep.py

Each character goes, escaped by adrgen, into every position the diagram templates use
(title, package name, bracket and quoted labels, arrow label, note body, bottom note), one
small diagram per character, all in a few batches. It prints the characters whose diagram
failed to draw. On PlantUML 1.2020 (Debian bookworm) the list is empty since « » “ ” joined
the always-escaped set of adrgen/diagrams/escape.py; run it again on a new PlantUML.
(About 4,500 diagrams: a few minutes on two cores.)
"""

from __future__ import annotations

import unicodedata

from adrgen.config import RendererConfig
from adrgen.diagrams.escape import escape_line
from adrgen.diagrams.renderer import PipeRenderer

BATCH = 500


def diagram(ch: str) -> str:
    """One diagram with ``ch`` in every position a template uses."""
    e, alone = escape_line(f"a {ch} b"), escape_line(ch)
    return (
        f'@startuml\ntitle {e}\npackage "{e}" {{\n[{e}] as a\ncomponent "{alone}" as b\n'
        f'database "{e}" as c\n}}\na -down-> b : {e}\nnote right of a\n- {e}\n{alone}\n'
        f"end note\nnote bottom\n{alone}\nend note\n@enduml\n"
    )


def main() -> None:
    """Run the sweep and print the characters that broke a diagram."""
    chars = [
        chr(c)
        for c in range(0x21, 0x10000)
        if unicodedata.category(chr(c))[0] in "PS" and not 0xD800 <= c < 0xE000
    ]
    renderer = PipeRenderer(["plantuml"], RendererConfig(timeout=30))
    bad = []
    for start in range(0, len(chars), BATCH):
        group = chars[start : start + BATCH]
        for ch, result in zip(group, renderer.render([diagram(c) for c in group]), strict=True):
            if not result.ok:
                bad.append(f"{ch} U+{ord(ch):04X}")
    print(f"{len(chars)} characters; broke a diagram: {bad or 'none'}")


if __name__ == "__main__":
    main()
