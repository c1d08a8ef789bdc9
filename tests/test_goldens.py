"""Golden files for every diagram of this repository's own records.

``pytest --update-goldens`` rewrites ``tests/golden/*.puml`` from the current output; the
diff then shows exactly what a template or model change did to the diagrams.
"""

from __future__ import annotations

from pathlib import Path

from adrgen.config import load_config
from adrgen.diagrams.plan import plan_diagrams
from adrgen.records.collect import load_decisions
from tests.helpers import REPO

GOLDEN = Path(__file__).parent / "golden"


def test_diagrams_match_goldens(update_goldens: bool) -> None:
    config = load_config(REPO)
    sources = plan_diagrams(config, load_decisions(config))
    if update_goldens:
        GOLDEN.mkdir(exist_ok=True)
        for old in GOLDEN.glob("*.puml"):
            old.unlink()
        for source in sources:
            (GOLDEN / f"{source.name}.puml").write_text(source.text, encoding="utf-8")
    expected = {p.stem: p.read_text(encoding="utf-8") for p in GOLDEN.glob("*.puml")}
    actual = {s.name: s.text for s in sources}
    assert sorted(actual) == sorted(expected)
    for name, text in actual.items():
        assert text == expected[name], f"{name}.puml differs from its golden"


def test_output_is_deterministic() -> None:
    config = load_config(REPO)
    first = [(s.name, s.text) for s in plan_diagrams(config, load_decisions(config))]
    second = [(s.name, s.text) for s in plan_diagrams(config, load_decisions(config))]
    assert first == second


def test_committed_diagrams_are_current() -> None:
    """diagrams/ in the repository matches what the records produce (what `check` enforces)."""
    config = load_config(REPO)
    for source in plan_diagrams(config, load_decisions(config)):
        committed = REPO / "diagrams" / f"{source.name}.puml"
        assert committed.read_text(encoding="utf-8") == source.text, f"{committed} is stale"
