"""Record format v1.1: what other teams' records need, with every v1 record still valid.

An option may be "not estimated"; a record may decide without options; its source may have
given no date or no status; statuses are read as people write them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adrgen.config import load_config
from adrgen.diagrams.plan import plan_diagrams
from adrgen.errors import ConfigError, ValidationFailed
from adrgen.pipeline import prepare_site
from adrgen.records.collect import load_decisions
from adrgen.records.format import RecordRules, read_status
from adrgen.site.nav import SiteLayout
from tests.helpers import write_record

NOT_ESTIMATED = """\
title: Pick a queue
status: proposed
date: 2024-03-01
options:
  - id: kafka
    name: Kafka
    components:
      - {id: k, kind: queue, label: Kafka}
  - id: sqs
    name: SQS
    complexity: low
"""

SINGLE_DECISION = """\
title: Record architecture decisions
status: accepted
date: unknown
context: We need to record the architectural decisions made on this project.
outcome:
  decision: We will use Architecture Decision Records, as described by Michael Nygard.
  consequences:
    notes: See Michael Nygard's article for a detailed description.
"""

#: As this repository's own site has it: the decision pages at the site's root.
ROOT_SECTION = SiteLayout(section="")


def pages(root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ADRGEN_RENDERER", "none")
    return {
        p.src_uri: p.content for p in prepare_site(load_config(root), layout=ROOT_SECTION).pages
    }


def test_an_option_may_be_not_estimated(docs_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_record(docs_repo, "0001-queue.yaml", NOT_ESTIMATED)
    config = load_config()
    (kafka, sqs) = load_decisions(config).decisions[0].record.options
    assert (kafka.complexity, kafka.time, sqs.complexity, sqs.time) == (None, None, "low", None)
    (diagram, _graph) = plan_diagrams(config, load_decisions(config))
    assert "Complexity: not estimated\nTime: not estimated" in diagram.text
    assert "Complexity: LOW\nTime: not estimated" in diagram.text
    page = pages(docs_repo, monkeypatch)["0001-queue.md"]
    shown = re.sub(r"(?s)<pre>.*?</pre>", "", page)  # not the diagram's or the YAML's source
    # Kafka's complexity, in the table and in its facts; SQS states one. No option states a
    # time, so the page has no time row and no time facts (nothing to compare).
    assert shown.count("not estimated") == 2
    assert "Time estimate" not in shown and "Time:" not in shown
    assert "1 week" not in page and "medium" not in page


def test_a_project_can_require_estimates(docs_repo: Path) -> None:
    (docs_repo / "adrgen.toml").write_text("require_estimates = true\n")
    write_record(docs_repo, "0001-queue.yaml", NOT_ESTIMATED)
    with pytest.raises(ValidationFailed) as caught:
        load_decisions(load_config())
    assert [p.field for p in caught.value.problems] == [
        "options[0].complexity",
        "options[0].time",
        "options[1].time",
    ]


def test_a_single_decision_record_has_no_comparison(
    docs_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_record(docs_repo, "0001-record-architecture-decisions.yaml", SINGLE_DECISION)
    config = load_config()
    decisions = load_decisions(config)
    assert [s.name for s in plan_diagrams(config, decisions)] == ["decision-graph"]
    out = pages(docs_repo, monkeypatch)
    page = out["0001-record-architecture-decisions.md"]
    assert "## Options" not in page and "Comparison diagram" not in page
    assert "## Decision { #outcome }" in page
    assert "We will use Architecture Decision Records" in page
    assert "detailed description" in page
    assert "date not stated" in page and "No option has been chosen" not in page
    assert "| 0001 |" in out["index.md"] and "| not stated |" in out["index.md"]


def test_a_source_without_a_status_says_so(
    docs_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_record(
        docs_repo, "0001-x.yaml", SINGLE_DECISION.replace("status: accepted", "status: unknown")
    )
    assert load_decisions(load_config()).decisions[0].status == "unknown"
    page = pages(docs_repo, monkeypatch)["0001-x.md"]
    assert "status not stated" in page and '!!! info "Status not stated"' in page


@pytest.mark.parametrize(
    ("written", "status", "note"),
    [
        ("Accepted", "accepted", None),
        ("ACCEPTED", "accepted", None),
        ("✅ Accepted", "accepted", None),
        ("**Accepted**", "accepted", None),
        ("Accepted (documenting an existing thing)", "accepted", "documenting an existing thing"),
        ("Approved by TSC vote on 2021-12-14", "accepted", "by TSC vote on 2021-12-14"),
        ("In review", "proposed", None),
        ("draft", "proposed", None),
        ("accepté", "accepted", None),
    ],
)
def test_statuses_are_read_as_people_write_them(
    docs_repo: Path, written: str, status: str, note: str | None
) -> None:
    write_record(
        docs_repo,
        "0001-x.yaml",
        SINGLE_DECISION.replace("status: accepted", f"status: {written!r}"),
    )
    record = load_decisions(load_config()).decisions[0].record
    assert (record.status, record.status_note) == (status, note)


def test_a_project_adds_its_own_words_for_statuses(docs_repo: Path) -> None:
    (docs_repo / "adrgen.toml").write_text(
        'statuses = ["on-hold"]\n[status_aliases]\nparked = "on-hold"\n"signed off" = "accepted"\n'
    )
    config = load_config()
    assert read_status("Signed off by the architecture board", config.rules) == (
        "accepted",
        "by the architecture board",
    )
    assert read_status("PARKED", config.rules) == ("on-hold", "")
    assert read_status("parked", RecordRules()) is None


def test_an_alias_must_name_a_status(docs_repo: Path) -> None:
    (docs_repo / "adrgen.toml").write_text('[status_aliases]\nparked = "on-hold"\n')
    with pytest.raises(ConfigError) as caught:
        load_config()
    (problem,) = caught.value.problems
    assert str(problem).startswith("adrgen.toml:2:1: status_aliases.parked: 'on-hold' is not a")
