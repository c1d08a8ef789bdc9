"""Decision 0001 reproduces the seed brainstorm diagram from YAML.

The seed (``../shared/seed/notification-system-brainstorm.txt``, its first, skinparam
block) is parsed for every text it shows: title, package titles, component and database
labels, arrow labels, note lines and the bottom note. The SVG drawn from 0001 must show each
one. "33 req/s" in the bottom note is computed by the load model, not typed.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from adrgen.config import load_config
from adrgen.diagrams.plan import plan_diagrams
from adrgen.pipeline import render_diagrams
from adrgen.records.collect import load_decisions
from tests.conftest import PlantumlUnderTest
from tests.helpers import REPO, svg_texts

SEED = REPO.parent / "shared" / "seed" / "notification-system-brainstorm.txt"
if not SEED.is_file():  # CI clones sit beside shared/ too; a stray checkout may not
    SEED = Path("/work/shared/seed/notification-system-brainstorm.txt")


def seed_block() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    start = text.index("@startuml")
    end = text.index("@enduml", start)
    return text[start:end].splitlines()


def seed_texts() -> dict[str, list[str]]:
    """Every text of the seed's first diagram, by kind."""
    kinds: dict[str, list[str]] = {
        "title": [],
        "package": [],
        "element": [],
        "arrow": [],
        "note": [],
    }
    in_note = False
    for line in seed_block():
        line = line.strip()
        if in_note:
            if line == "end note":
                in_note = False
            else:
                kinds["note"].append(line)
        elif line.startswith("note "):
            in_note = True
        elif line.startswith("title "):
            kinds["title"].append(line[len("title ") :])
        elif m := re.match(r'package "(.*)" \{', line):
            kinds["package"].append(m.group(1))
        elif (m := re.match(r"\[(.*)\] as \w+", line)) or (
            m := re.match(r'database "(.*)" as \w+', line)
        ):
            kinds["element"].append(m.group(1))
        elif m := re.match(r"\w+ -\w+-> \w+ : (.*)", line):
            kinds["arrow"].extend(m.group(1).split("\\n"))
    return kinds


@pytest.fixture
def seed_record(docs_repo: Path) -> Path:
    shutil.copy(REPO / "decisions" / "0001-notification-delivery.yaml", docs_repo / "decisions")
    # 0001 links to later records; keep it alone and let its links dangle-check pass.
    path = docs_repo / "decisions" / "0001-notification-delivery.yaml"
    path.write_text(re.sub(r"relates_to: \[[^\]]*\]", "relates_to: []", path.read_text()))
    return path


def test_the_seed_parser_finds_everything() -> None:
    kinds = seed_texts()
    assert kinds["title"] == ["Polling (MVP) vs WebSocket (Complex)"]
    assert len(kinds["package"]) == 2
    assert len(kinds["element"]) == 8
    assert len(kinds["arrow"]) == 9
    assert "Polling = 33 req/s (trivial)" in kinds["note"]


def test_source_has_the_seed_structure(seed_record: Path) -> None:
    config = load_config()
    (diagram, _graph) = plan_diagrams(config, load_decisions(config))
    text = diagram.text
    assert "!theme" not in text
    assert text.count("package ") == 2
    assert text.count("database ") == 2
    assert len(re.findall(r"^\w+ -(down|up|right|left)-> \w+ : ", text, re.M)) == 8
    assert text.count("note right of ") == 2
    assert text.count("note bottom") == 1
    for skin in [line for line in seed_block() if line.startswith("skinparam")]:
        assert skin in text.splitlines()


def test_svg_shows_every_text_line_of_the_seed(
    plantuml: PlantumlUnderTest, seed_record: Path
) -> None:
    render_diagrams(load_config())
    texts = svg_texts(
        (seed_record.parent.parent / "diagrams" / "0001-notification-delivery.svg").read_text()
    )
    missing = [
        (kind, line) for kind, lines in seed_texts().items() for line in lines if line not in texts
    ]
    assert missing == []
    # Elements appear as often as in the seed (Browser and PostgreSQL twice each).
    for label in ("Browser", "PostgreSQL"):
        assert texts.count(label) == 2
