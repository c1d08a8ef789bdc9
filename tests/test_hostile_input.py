"""Hostile and broken input: property-based and adversarial tests.

* arbitrary Unicode in every free-text field renders, and shows literally in the SVG;
* random mutations of a valid record never cause a traceback, a hang, or an error that does
  not name the file;
* adversarial YAML (deep nesting, alias fan-out, huge scalars, huge numbers of keys) is
  answered quickly and with bounded memory.
"""

from __future__ import annotations

import json
import math
import resource
import signal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adrgen.config import load_config
from adrgen.diagrams.plan import all_diagrams
from adrgen.diagrams.renderer import make_renderer
from adrgen.errors import ValidationFailed
from adrgen.pipeline import render_diagrams
from adrgen.records.loader import load_text
from adrgen.records.validate import build_decision_set
from adrgen.templating import diagram_environment
from tests.conftest import PlantumlUnderTest
from tests.helpers import REPO, collapsed, drawn, svg_texts

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


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts=st.lists(visible_text, min_size=8, max_size=25, unique=True))
# Found failing by Hypothesis: `)` as the diagram title on 1.2020 ("Syntax Error?"), and
# U+E000 (private use) on 1.2026 (drawn as nothing).
@example(texts=["000000", ")", "0", "1", "00", "000", "0000", "00000"])
@example(texts=["0", "1", "2", "\ue000", "00", "000", "0000", "00000"])
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
        expected = drawn(text, plantuml.version)
        assert " ".join(expected.split()) in " ".join(joined.split()), text


#: Any text at all, as a YAML file can hold it: control characters, line breaks, blanks,
#: private use, unassigned code points (only surrogates cannot be stored as UTF-8).
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60)
#: The free-text fields of a record that reach a diagram. verdict and a flow's label may
#: also be empty; the others must have at least one character.
FIELDS = {
    "title": any_text,  # drawn in the decision graph
    "diagram_title": any_text,
    "name": any_text,  # the option's name: drawn in the bottom note, as the chosen one
    "option_title": any_text,
    "verdict": st.one_of(st.just(""), any_text),
    "label": any_text,
    "database_label": any_text,
    "flow_label": st.one_of(st.just(""), any_text),
    "concern": any_text,
    "summary": any_text,
    "other_name": any_text,  # an option without components: drawn as a rectangle
}


def _quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that reads back exactly."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=math.inf).strip()


def record_of(fields: dict[str, str]) -> str:
    """A record (YAML) with each field of :data:`FIELDS` where a template draws it."""
    q = {name: _quoted(value) for name, value in fields.items()}
    return f"""title: {q["title"]}
status: accepted
date: 2024-01-01
requirements: {{users: 1000, latency: 30 s}}
diagram: {{title: {q["diagram_title"]}}}
options:
  - id: a
    name: {q["name"]}
    title: {q["option_title"]}
    verdict: {q["verdict"]}
    complexity: low
    time: 1 week
    components:
      - {{id: c1, label: {q["label"]}}}
      - {{id: c2, kind: database, label: {q["database_label"]}}}
    flows:
      - {{from: c1, to: c2, direction: down, label: {q["flow_label"]}}}
      - {{from: c2, to: c1, style: dashed, label: {q["flow_label"]}}}
    security:
      - {q["concern"]}
      - {{text: {q["concern"]}, severity: high}}
    load: {{model: polling, clients: users, interval: latency}}
  - id: b
    name: {q["other_name"]}
    complexity: high
    time: 2 weeks
outcome: {{chosen: a, summary: {q["summary"]}}}
"""


def fields_from(texts: list[str]) -> dict[str, str]:
    """The texts dealt out over :data:`FIELDS` in order, round and round."""
    return {name: texts[i % len(texts)] for i, name in enumerate(FIELDS)}


#: Every text once found failing on either version, dealt over the fields of records.
KNOWN_FAILURES = [
    fields_from(["000000", ")", "0", "1", "00", "000", "0000", "00000"]),
    fields_from(["0", "1", "2", "\ue000", "00", "000", "0000", "00000"]),
    fields_from(["CUID2.", "a.", ".", "a..b", "a.b.", "::", "a::b", "o1_c1", "p1", "d0001"]),
    fields_from([")", "±", "²", "\U0001f680", "\u0301", "\u0870", "\u1885", ": x", "-", "?", "()"]),
    fields_from([" ", "\t", "\u3000", " \n ", "\u00a0", "end", "end note", "@enduml", "}"])
    | {"verdict": "", "flow_label": ""},
    fields_from(["\ue000", "\ue00a", "\ue021", "\ue0ff", "\ue100", "\ue103", "\ue111", "\uf8ff"]),
    fields_from(["\U000f0000", "\U00100000", "\U0010fffd", "\U0001ffff", "\ufffe", "a\u2013b"]),
    fields_from(["x\ufeffy", "bell\x07", "us\x1f", "a\x85b", "a\u2028b", "package", "title"]),
]


@pytest.mark.slow
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(records=st.lists(st.fixed_dictionaries(FIELDS), min_size=1, max_size=3))
@example(records=KNOWN_FAILURES[:4])
@example(records=KNOWN_FAILURES[4:])
def test_any_text_in_any_field_renders(
    plantuml: PlantumlUnderTest, records: list[dict[str, str]]
) -> None:
    """Any string in any free-text field renders on both versions, and shows as typed.

    The records go the whole way: YAML text, the loader, the model, the diagram templates,
    and PlantUML, all diagrams of an example in one batch.
    """
    documents = [
        load_text(record_of(fields), Path(f"decisions/{i + 1:04d}-any.yaml"))
        for i, fields in enumerate(records)
    ]
    decisions, problems = build_decision_set(documents)
    assert not problems, problems
    sources = all_diagrams(decisions, diagram_environment())
    renderer = make_renderer(plantuml.renderer)
    assert renderer is not None
    results = renderer.render([source.text for source in sources])
    failed = [(s.name, r.error) for s, r in zip(sources, results, strict=True) if not r.ok]
    assert not failed, f"PlantUML {plantuml.version}: {failed}"
    graph = collapsed(" ".join(svg_texts(results[-1].svg)))
    for number, (fields, result) in enumerate(zip(records, results, strict=False), start=1):
        shown = collapsed(" ".join(svg_texts(result.svg)))
        for name, text in fields.items():
            expected = collapsed(drawn(text, plantuml.version))
            if not expected:
                continue  # blank: nothing to see (tests/test_escaping.py checks none is made up)
            if name == "title":
                assert f"{number:04d}: {expected}" in graph, (name, text)
            else:
                assert expected in shown, (name, text)


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


class _Runaway(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Runaway


def _bounded(text: str) -> int:
    """Load and validate ``text``; how much the process grew (KiB). Speed is never asserted
    here (bench/ measures it): the alarm only turns a runaway expansion, which would hang
    the suite, into a failure."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.alarm(300)
    try:
        doc = load_text(text, PATH)
        build_decision_set([doc])
    except ValidationFailed as exc:
        assert all(p.path == "decisions/0001-fuzz.yaml" for p in exc.problems)
    except _Runaway:
        pytest.fail("loading did not finish: a runaway expansion")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before


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
    grown_kib = _bounded(text)
    assert grown_kib < 1_000_000, f"{name} grew the process by {grown_kib} KiB"
