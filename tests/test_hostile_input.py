"""Hostile and broken input: property-based and adversarial tests.

* arbitrary Unicode in every free-text field renders, and shows literally in the SVG;
* random mutations of a valid record never cause a traceback, a hang, or an error that does
  not name the file;
* adversarial YAML (deep nesting, alias fan-out, huge scalars, huge numbers of keys) is
  answered quickly and with bounded memory.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adrgen.config import load_config
from adrgen.errors import ValidationFailed
from adrgen.loader import load_text
from adrgen.pipeline import render_diagrams
from adrgen.validate import build_decision_set
from tests.conftest import PlantumlUnderTest
from tests.helpers import REPO, svg_texts

SEED_RECORD = (REPO / "decisions" / "0001-notification-delivery.yaml").read_text()
PATH = Path("decisions/0001-fuzz.yaml")

# Text a person could type: any Unicode except surrogates and control characters (which
# the escaper drops by design), not starting or ending with spaces (PlantUML trims them).
visible_text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


def record_with(texts: list[str]) -> str:
    j = [json.dumps(t, ensure_ascii=False) for t in texts]
    components = "\n".join(f"      - {{id: c{i}, label: {t}}}" for i, t in enumerate(j))
    flows = "\n".join(
        f"      - {{from: c{i}, to: c{i + 1}, label: {t}}}" for i, t in enumerate(j[:-1])
    )
    concerns = "\n".join(f"      - {t}" for t in j)
    return f"""title: {j[0]}
status: accepted
date: 2024-01-01
diagram: {{title: {j[1]}}}
options:
  - id: a
    name: {j[2]}
    title: {j[3]}
    verdict: {j[4]}
    complexity: low
    time: 1 week
    components:
{components}
    flows:
{flows}
    security:
{concerns}
outcome: {{chosen: a, summary: {j[5]}}}
"""


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(visible_text, min_size=8, max_size=25, unique=True))
def test_any_unicode_text_shows_literally(
    plantuml: PlantumlUnderTest, texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("unicode")
    (root / "decisions").mkdir()
    (root / "decisions" / "0001-fuzz.yaml").write_text(record_with(texts), encoding="utf-8")
    config = load_config(root)
    render_diagrams(config)
    shown = svg_texts((root / "diagrams" / "0001-fuzz.svg").read_text(encoding="utf-8"))
    joined = "\n".join(shown)
    for text in texts:
        # PlantUML collapses runs of spaces inside labels; compare word by word.
        assert " ".join(text.split()) in " ".join(joined.split()), text


MUTATION_CHARS = ":[]{}&*!|>-#'\"%@\t"


@st.composite
def mutated_record(draw: st.DrawFn) -> str:
    lines = SEED_RECORD.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "stray", "swap"]))
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "indent":
            lines[i] = "  " + lines[i]
        elif kind == "dedent":
            lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i]
        elif kind == "stray":
            pos = draw(st.integers(0, len(lines[i])))
            char = draw(st.sampled_from(MUTATION_CHARS))
            lines[i] = lines[i][:pos] + char + lines[i][pos:]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=2000, suppress_health_check=list(HealthCheck))
@given(text=mutated_record())
def test_mutated_yaml_never_crashes_and_always_names_the_file(text: str) -> None:
    try:
        doc = load_text(text, PATH)
    except ValidationFailed as exc:
        problems = exc.problems
    else:
        _, problems = build_decision_set([doc])
    for problem in problems:
        assert problem.path == "decisions/0001-fuzz.yaml"
        assert problem.line >= 0 and problem.col >= 0
        assert problem.message
        assert "Traceback" not in problem.message


def _bounded(text: str) -> tuple[float, int]:
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        doc = load_text(text, PATH)
        build_decision_set([doc])
    except ValidationFailed as exc:
        assert all(p.path == "decisions/0001-fuzz.yaml" for p in exc.problems)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return time.monotonic() - start, grown_kib


@pytest.mark.parametrize(
    "name",
    [
        "deep-flow",
        "deep-block",
        "alias-fanout",
        "huge-scalar",
        "many-keys",
        "many-items",
        "long-line",
    ],
)
def test_adversarial_yaml_is_bounded(name: str) -> None:
    size = 1_000_000  # just under the 1 MiB limit for records
    text = {
        "deep-flow": "a: " + "[" * 5000 + "]" * 5000,
        "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(400)),
        "alias-fanout": "a: &a ["
        + ",".join(["x"] * 1000)
        + "]\nb: ["
        + ",".join(["*a"] * 2000)
        + "]\n",
        "huge-scalar": "title: " + "x" * size + "\n",
        "many-keys": "".join(f"k{i}: {i}\n" for i in range(size // 12)),
        "many-items": "tags: [" + ",".join(["t"] * (size // 2 - 10)) + "]\n",
        "long-line": "context: '" + "ab " * (size // 3) + "'\n",
    }[name]
    seconds, grown_kib = _bounded(text)
    assert seconds < 10, f"{name} took {seconds:.1f} s"
    assert grown_kib < 1_000_000, f"{name} grew the process by {grown_kib} KiB"
