"""new, init and check, through their module API (the CLI tests drive the commands)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adrgen.authoring import slugify
from adrgen.commands.check import find_stale
from adrgen.commands.init import init_repository
from adrgen.commands.new import new_record
from adrgen.config import load_config
from adrgen.errors import AuthoringError, ValidationFailed
from adrgen.importer import import_adrs
from adrgen.pipeline import render_diagrams
from adrgen.records.collect import load_decisions
from tests.helpers import MINIMAL_RECORD, write_record

DAY = dt.date(2024, 5, 1)


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Use PostgreSQL (not MySQL)!", "use-postgresql-not-mysql"),
        ("Ünïcode café — déjà vu", "unicode-cafe-deja-vu"),
        ("!!!", "decision"),
        ("a " * 80, ("a-" * 30).rstrip("-")),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_new_numbers_and_validates(docs_repo: Path) -> None:
    write_record(docs_repo, "0007-existing.yaml", MINIMAL_RECORD)
    made = new_record(load_config(), "Notification delivery", today=DAY)
    assert made.path.name == "0008-notification-delivery.yaml"
    text = made.path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/adr.schema.json\n")
    assert "date: 2024-05-01" in text
    assert len(load_decisions(load_config())) == 2


def test_new_accepted_gets_an_outcome_placeholder(docs_repo: Path) -> None:
    made = new_record(load_config(), "Accepted at once", status="accepted", today=DAY)
    assert "outcome:" in made.path.read_text()
    load_decisions(load_config())


def test_new_supersedes_updates_both_and_keeps_comments(docs_repo: Path) -> None:
    old = write_record(docs_repo, "0001-old.yaml", "# keep this comment\n" + MINIMAL_RECORD)
    made = new_record(load_config(), "The new way", supersedes=1, today=DAY)
    old_text = old.read_text()
    assert old_text.startswith("# keep this comment\n")
    assert "status: superseded" in old_text and "superseded_by: [2]" in old_text
    assert "supersedes: [1]" in made.path.read_text()
    decisions = load_decisions(load_config())
    assert decisions.get(1).status == "superseded"  # type: ignore[union-attr]


def test_new_refuses_unknown_status_and_missing_target(docs_repo: Path) -> None:
    with pytest.raises(AuthoringError, match="'someday' is not a status"):
        new_record(load_config(), "X", status="someday")
    with pytest.raises(AuthoringError, match="no record 0003"):
        new_record(load_config(), "X", supersedes=3)
    assert list((docs_repo / "decisions").iterdir()) == []


def test_new_writes_nothing_when_the_result_would_be_invalid(docs_repo: Path) -> None:
    # The old record already claims another successor with a status that contradicts it.
    write_record(docs_repo, "0001-old.yaml", MINIMAL_RECORD + "links:\n  relates_to: [5]\n")
    with pytest.raises(ValidationFailed):
        new_record(load_config(), "Replacement", supersedes=1)
    assert sorted(p.name for p in (docs_repo / "decisions").iterdir()) == ["0001-old.yaml"]


def test_init_writes_a_working_repository_and_never_overwrites(docs_repo: Path) -> None:
    (docs_repo / "decisions").rmdir()
    (docs_repo / "mkdocs.yml").write_text("site_name: mine  # keep me\n")
    report = init_repository(docs_repo, today=DAY)
    # Their site configuration is edited, never replaced: adrgen's plugin joins it.
    assert "mkdocs.yml" not in report.written and report.wiring is not None
    assert (docs_repo / "mkdocs.yml").read_text() == (
        "site_name: mine  # keep me\nplugins:\n- search\n- adrgen\n"
    )
    for written in [
        "decisions/0001-record-architecture-decisions.yaml",
        ".github/workflows/adr.yml",
        ".pre-commit-config.yaml",
        "schema/adr.schema.json",
        ".gitignore",
    ]:
        assert (docs_repo / written).is_file(), written
    assert "site/" in (docs_repo / ".gitignore").read_text().splitlines()
    assert len(load_decisions(load_config())) == 1
    again = init_repository(docs_repo, today=DAY)
    assert again.written == []


def test_check_finds_stale_missing_and_orphaned(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-a.yaml", MINIMAL_RECORD)
    config = load_config(renderer={"kind": "none"})
    problems, _ = find_stale(config, require_svg=False)
    assert {p.path for p in problems} == {"diagrams/0001-a.puml", "diagrams/decision-graph.puml"}
    render_diagrams(config)
    assert find_stale(config, require_svg=False) == ([], 2)
    before = {p.name: p.read_bytes() for p in (docs_repo / "diagrams").iterdir()}
    (docs_repo / "diagrams" / "0009-gone.svg").write_text("<svg/>")
    path = docs_repo / "decisions" / "0001-a.yaml"
    path.write_text(path.read_text().replace("Option A", "Option A2"))
    problems, _ = find_stale(config, require_svg=False)
    messages = {p.path: p.message for p in problems}
    assert messages["diagrams/0001-a.puml"].startswith(
        "stale: differs from what decisions/0001-a.yaml"
    )
    assert messages["diagrams/0009-gone.svg"].startswith("orphaned")
    assert set(messages) == {"diagrams/0001-a.puml", "diagrams/0009-gone.svg"}
    problems, _ = find_stale(config, require_svg=True)
    assert "diagrams/0001-a.svg" in {p.path for p in problems}
    after = {
        p.name: p.read_bytes()
        for p in (docs_repo / "diagrams").iterdir()
        if p.name != "0009-gone.svg"
    }
    assert after == before  # check writes nothing


def test_check_sees_template_changes(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-a.yaml", MINIMAL_RECORD)
    config = load_config(renderer={"kind": "none"})
    render_diagrams(config)
    override = docs_repo / "templates" / "diagrams"
    override.mkdir(parents=True)
    (override / "decision-graph.puml.j2").write_text("@startuml\ntitle changed\n@enduml\n")
    problems, _ = find_stale(load_config(renderer={"kind": "none"}), require_svg=False)
    assert [p.path for p in problems] == ["diagrams/decision-graph.puml"]


def test_new_reads_the_status_as_people_write_it(docs_repo: Path) -> None:
    made = new_record(load_config(), "Cache the feed", status="Pending")
    assert "status: proposed" in made.path.read_text()


def test_new_states_no_estimate_for_the_author(docs_repo: Path) -> None:
    # Estimates are the author's to give: the new record offers the fields, commented out,
    # so a record nobody estimated says "not estimated" rather than a made-up "1 week".
    made = new_record(load_config(), "Cache the feed")
    text = made.path.read_text()
    assert "\n    # complexity:" in text and "\n    # time:" in text
    decision = load_decisions(load_config()).get(1)
    assert decision is not None
    assert all(o.complexity is None and o.time is None for o in decision.record.options)


@pytest.mark.parametrize(
    "title",
    [
        "Use PostgreSQL (not MySQL)!",
        "Ünïcode café — déjà vu",
        "Store rate-limit counters in Redis so that the limit holds across every worker and host",
    ],
)
def test_new_and_import_name_a_title_alike(docs_repo: Path, tmp_path: Path, title: str) -> None:
    made = new_record(load_config(), title, today=DAY)
    source = tmp_path / "adr" / "0001-source-name.md"
    source.parent.mkdir()
    source.write_text(f"# {title}\n\nStatus: accepted\n\nDate: 2024-05-01\n", encoding="utf-8")
    report = import_adrs([source], tmp_path / "imported")
    [imported] = [r.output for r in report.files if r.output is not None]
    assert imported.name == made.path.name  # both are 0001, with the one slug of the title
