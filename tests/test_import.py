"""`adrgen import`: Markdown ADRs (MADR 2/3/4, Nygard/adr-tools) become valid YAML records.

The fixtures under tests/import_fixtures/ are written in each format's own conventions. Every
test that writes records also loads the whole decisions folder with adrgen's validator.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from adrgen.authoring import init_repository
from adrgen.config import load_config
from adrgen.errors import AdrgenError
from adrgen.importer import (
    SCHEMA_HEADER,
    TODO,
    FileReport,
    ImportFailed,
    ImportReport,
    import_adrs,
)
from adrgen.pipeline import load_decisions
from adrgen.record import STATUSES_WITH_OUTCOME
from tests.helpers import MINIMAL_RECORD, write_record

FIXTURES = Path(__file__).resolve().parent / "import_fixtures"


def run(root: Path, *sources: Path, dry_run: bool = False, renumber: bool = False) -> ImportReport:
    return import_adrs(list(sources), root / "decisions", dry_run=dry_run, renumber=renumber)


def records(root: Path) -> dict[int, dict[str, Any]]:
    """Every record in the folder by number, after checking the folder validates."""
    decisions = load_decisions(load_config(root))  # raises ValidationFailed if anything is off
    return {
        d.number: yaml.safe_load(d.source.read_text(encoding="utf-8")) for d in decisions.decisions
    }


def notes_of(report: ImportReport, name: str) -> list[str]:
    (file,) = [f for f in report.files if f.source.name == name]
    return [str(n) for n in file.notes]


def has_note(notes: list[str], *parts: str) -> bool:
    return any(all(p in n for p in parts) for n in notes)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def report_of(report: ImportReport, name: str) -> FileReport:
    (file,) = [f for f in report.files if f.source.name == name]
    return file


# ---------------------------------------------------------------------------------------------
# Nygard / adr-tools


def test_nygard_records_keep_status_dates_decision_and_links(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "nygard")
    assert [f.source.name for f in report.skipped] == ["README.md"]
    assert {f.format for f in report.written} == {"nygard"}
    got = records(docs_repo)
    assert sorted(got) == [1, 2, 3, 4]

    first = got[1]
    assert first["title"] == "Record architecture decisions"
    assert first["status"] == "accepted"
    assert first["date"] == dt.date(2018, 2, 21)
    assert first["context"] == "We need to record the architectural decisions made on this project."
    (option,) = first["options"]
    assert option["id"] == "decision"
    assert option["summary"].startswith("We will use Architecture Decision Records")
    assert first["outcome"]["chosen"] == "decision"
    # Free-text consequences survive, as neutral (the source does not say good or bad);
    # the link's URL is kept in the plain-text item.
    assert first["outcome"]["consequences"]["neutral"] == [
        "See Michael Nygard's article, linked above. For a lightweight ADR toolset, see Nat "
        "Pryce's adr-tools (https://github.com/npryce/adr-tools)."
    ]
    notes = notes_of(report, "0001-record-architecture-decisions.md")
    assert has_note(notes, "options:", "alternatives that were considered are not recorded")
    assert has_note(notes, "consequences", "kept as neutral")


def test_nygard_supersession_and_amendment_agree_at_both_ends(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "nygard")
    got = records(docs_repo)
    assert got[2]["status"] == "superseded"
    assert got[2]["links"] == {"superseded_by": [3]}
    assert got[2]["outcome"]["consequences"]["neutral"] == [
        "Sanitising is one library call.",
        "Every poll pays for sanitising again.",
    ]
    assert got[3]["status"] == "accepted"
    assert got[3]["links"] == {"supersedes": [2], "relates_to": [4]}
    assert got[4]["links"] == {"relates_to": [3]}
    # "Amended by"/"Amends" have no field of their own: relates_to, with the wording kept.
    assert (
        "Amended by [4. Sanitise once, on write](0004-sanitise-once-on-write.md)"
        in got[3]["context"]
    )
    assert has_note(notes_of(report, "0003-sanitise-html-with-nh3.md"), "'Amended by' 0004")
    # A Decision section of two paragraphs stays whole.
    assert "It is a drop-in replacement" in got[3]["options"][0]["summary"]


def test_unknown_section_is_kept_in_context_and_reported(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "nygard")
    context = records(docs_repo)[4]["context"]
    assert "### Notes (imported)\n\nMeasured on the staging box: 30% more requests" in context
    notes = notes_of(report, "0004-sanitise-once-on-write.md")
    assert has_note(notes, ":23:1:", "section 'Notes' is not part of MADR or Nygard")


# ---------------------------------------------------------------------------------------------
# MADR 2


def test_madr2_bullets_options_pros_cons_and_consequences(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr2")
    assert [f.source.name for f in report.skipped] == ["template.md"]
    assert {f.format for f in report.written} == {"madr2"}
    record = records(docs_repo)[1]
    assert record["status"] == "accepted"
    assert record["date"] == dt.date(2018, 2, 21)
    assert record["people"] == {"decision_makers": ["Oliver Kopp", "Olaf Zimmermann"]}
    assert record["drivers"] == [
        "Lean, so that writing one takes minutes",
        "Readable in a plain text editor",
    ]
    options = {o["name"]: o for o in record["options"]}
    assert list(options) == ["MADR 2.1.2", "Michael Nygard's template", "Formless"]
    madr = options["MADR 2.1.2"]
    assert madr["pros"] == [
        "implicit assumptions should be made explicit",
        "the MADR structure is comprehensible",
    ]
    assert madr["cons"] == ["it is rather new"]  # the "…" template leftover is not a con
    # The list entry had a link and a description the name leaves out: kept in the summary.
    assert "[MADR](https://adr.github.io/madr/) 2.1.2 - The Markdown" in madr["summary"]
    assert "The Markdown Architectural Decision Records." in madr["summary"]
    assert options["Formless"]["cons"] == ["it is hard to find information in it"]

    outcome = record["outcome"]
    assert outcome["chosen"] == madr["id"]
    assert outcome["rationale"] == "Comes out best (see below)."
    assert outcome["consequences"] == {
        "good": ["Explicit, structured decisions"],
        "bad": ["One more template to learn"],
    }
    assert record["context"].startswith("Technical Story: [#42](https://example.invalid/issues/42)")


def test_madr2_links_section(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr2")
    got = records(docs_repo)
    # "Refined by [ADR-0002]" / "Refines [ADR-0001]" → relates_to, both ends.
    assert got[1]["links"] == {"relates_to": [2]}
    assert got[2]["links"] == {"relates_to": [1]}
    assert got[2]["status"] == "proposed"
    assert got[2]["outcome"]["chosen"] == "yaml_front_matter"
    # A link to a web page is not a record link; it is kept, and the user is told.
    assert "- [MADR project](https://adr.github.io/madr/)" in got[1]["context"]
    notes = notes_of(report, "0001-use-markdown-architectural-decision-records.md")
    assert has_note(notes, "links:", "other than records kept in context")


# ---------------------------------------------------------------------------------------------
# MADR 3


def test_madr3_front_matter_consequences_validation_and_extra_sections(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr3")
    assert {f.format for f in report.written} == {"madr3"}
    record = records(docs_repo)[1]
    assert record["status"] == "accepted"
    assert record["date"] == dt.date(2022, 11, 3)
    assert record["people"] == {
        "decision_makers": ["Backend lead", "Product owner"],
        "consulted": ["Security reviewer", "DBA"],
        "informed": ["Support team"],
    }
    postgres, redis, queue = record["options"]
    assert postgres["pros"] == [
        "it is transactional",
        "a partial index keeps the unread query fast",
    ]
    assert postgres["cons"] == ["it is a single primary"]
    assert redis["cons"] == ["it is one more service to run and secure"]
    assert queue["name"] == "A message queue" and "pros" not in queue
    # Options have no neutral list: the argument is kept in the summary, and reported.
    assert "- Neutral, because it needs a migration" in postgres["summary"]
    notes = notes_of(report, "0001-store-notifications-in-postgresql.md")
    assert has_note(notes, "options[0]", "1 neutral argument(s) kept in summary")

    outcome = record["outcome"]
    assert outcome["chosen"] == "postgresql"
    assert outcome["rationale"] == "It is already deployed, backed up and monitored."
    assert outcome["consequences"] == {
        "good": ["there is nothing new to operate"],
        "bad": ["polling puts a steady read load on the primary"],
    }
    assert outcome["confirmation"] == "A load test of the unread query runs in CI."
    assert "### More Information (imported)\n\nRevisit when we pass 10,000" in record["context"]
    assert "### Notes (imported)\n\nDiscussed in the architecture meeting" in record["context"]
    assert has_note(notes, "'More Information' has no field")
    assert has_note(notes, "'Notes' is not part of MADR or Nygard")


def test_accepted_without_chosen_option_keeps_the_recorded_decision(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr3")
    record = records(docs_repo)[2]
    # The status the team gave it stays; the outcome text becomes the chosen option.
    assert record["status"] == "accepted"
    recorded = record["options"][-1]
    assert recorded["name"] == "Decision as recorded"
    assert "compromise between the first two" in recorded["summary"]
    assert record["outcome"]["chosen"] == recorded["id"]
    notes = notes_of(report, "0002-page-size-for-notification-lists.md")
    assert has_note(notes, "no 'Chosen option: …' line", "by hand")


def test_accepted_without_any_outcome_is_proposed_and_says_so(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr3")
    record = records(docs_repo)[3]
    assert record["status"] == "proposed"
    assert "outcome" not in record
    assert [o["name"] for o in record["options"]] == ["30 days", "Forever"]
    notes = notes_of(report, "0003-retention-of-read-notifications.md")
    assert has_note(notes, "status:", "'accepted' in the source", "set to 'proposed'")
    text = (docs_repo / "decisions/0003-retention-of-read-notifications.yaml").read_text()
    assert f"status: proposed  # {TODO}: 'accepted' in the source" in text


def test_an_open_proposals_outcome_text_is_kept_not_chosen(tmp_path: Path) -> None:
    source = tmp_path / "0004-cache-layer.md"
    source.write_text(
        "---\nstatus: proposed\ndate: 2024-05-01\n---\n# Cache layer\n\n"
        "## Context and Problem Statement\n\nPages are slow.\n\n"
        "## Considered Options\n\n* Redis\n* In-process LRU\n\n## Decision Outcome\n\nTBD after the spike.\n",
        encoding="utf-8",
    )
    report = import_adrs([source], tmp_path / "decisions")
    record = yaml.safe_load((tmp_path / "decisions/0004-cache-layer.yaml").read_text())
    assert record["status"] == "proposed"
    assert "outcome" not in record
    assert [o["name"] for o in record["options"]] == ["Redis", "In-process LRU"]
    assert "### Decision Outcome (imported)\n\nTBD after the spike." in record["context"]
    assert has_note(notes_of(report, source.name), "outcome: an outcome that names no option")


# ---------------------------------------------------------------------------------------------
# MADR 4


def test_madr4_front_matter_confirmation_neutral_and_supersession(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr4")
    assert [f.source.name for f in report.skipped] == ["adr-template.md"]
    assert {f.format for f in report.written} == {"madr4"}
    got = records(docs_repo)
    old, new = got[1], got[2]
    assert old["people"] == {
        "decision_makers": ["Backend lead", "Product owner"],
        "consulted": ["Security reviewer"],
        "informed": ["Support team"],
    }
    assert old["tags"] == ["notifications", "realtime"]
    assert old["drivers"] == [
        "Ship within one week",
        "Keep the security surface of the existing session-based app",
    ]
    # status: "superseded by [ADR-0002](…)": superseded, linked, and 0002 gets the reverse.
    assert old["status"] == "superseded"
    assert old["links"] == {"superseded_by": [2]}
    assert new["links"] == {"supersedes": [1]}
    assert new["status"] == "accepted"

    outcome = old["outcome"]
    assert outcome["chosen"] == "polling"
    assert outcome["consequences"] == {
        "good": ["it ships in a week on the existing stack"],
        "bad": ["notifications can be up to 30 s late"],
        "neutral": ["idle polls cost a small, steady amount of database work"],
    }
    assert outcome["confirmation"] == (
        "The reference implementation is load-tested at 30 times the required rate."
    )
    polling = old["options"][0]
    assert polling["pros"] == ["it uses the session auth we already have"]
    assert "Neutral, because most polls return nothing new" in polling["summary"]
    assert "every 30 seconds" in polling["summary"]
    # An unknown front matter key is kept (only that key) and reported.
    assert "### Front matter (imported)\n\n```yaml\nreviewers: [Alice]\n```" in old["context"]
    notes = notes_of(report, "0001-deliver-notifications-by-polling.md")
    assert has_note(notes, ":9:1:", "front matter key(s) reviewers")


# ---------------------------------------------------------------------------------------------
# Variants seen in real repositories


def test_variants_old_dates_flat_option_headings_nested_arguments(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "variants")
    got = records(docs_repo)

    # adr-tools before its ISO 8601 decision wrote dd/mm/yyyy: read day first, and said so.
    shell = got[2]
    assert shell["date"] == dt.date(2016, 2, 12)
    notes = notes_of(report, "0002-implement-as-shell-scripts.md")
    assert has_note(notes, ":3:1: date: '12/02/2016' read as day/month/year")
    assert shell["outcome"]["consequences"]["neutral"] == [
        "The tool will not run on Windows.",
        "Development has to cope with differences between Unix variants:",
        "GNU and BSD sed differ.",
        "macOS ships an old bash.",
    ]

    # MADR's own records put each option under an H2 after "Pros and Cons of the Options",
    # and show example front matter inside a code fence: neither confuses the reader.
    front = got[13]
    yaml_option, plain_option = front["options"]
    assert yaml_option["pros"] == ["it shortens the body"]
    assert yaml_option["cons"] == ["not every Markdown parser understands it"]
    assert (
        "```markdown\n---\nstatus: accepted\n---\n\n## Context and Problem Statement\n```"
        in (yaml_option["summary"])
    )
    assert plain_option["pros"] == ["every parser handles it"]
    assert front["outcome"]["chosen"] == yaml_option["id"]
    assert "### Open questions (imported)" in front["context"]
    assert "parent: Decisions\nnav_order: 13" in front["context"]
    assert (
        "markdownlint"
        not in (docs_repo / "decisions/0013-put-metadata-in-front-matter.yaml").read_text()
    )

    # '"X" is the chosen option, because …', and arguments under a "#### Pros/cons" heading.
    check = got[18]
    confirmation, validation = check["options"]
    assert check["outcome"]["chosen"] == confirmation["id"]
    assert check["outcome"]["rationale"] == '"validation" means something else.'
    assert check["outcome"]["confirmation"] == "* Review the templates before each release."
    assert confirmation["pros"] == ["it is a common word"]
    assert confirmation["cons"] == ["it is new"]
    assert "#### Examples\n\n* `docs/decisions/0001-first.md`" in confirmation["summary"]
    assert "Pros/cons" not in confirmation["summary"]
    assert validation["cons"] == ["it suggests a formal procedure"]
    assert {f.format for f in report.written} == {"nygard", "madr3", "madr4"}


# ---------------------------------------------------------------------------------------------
# Placeholders, numbers, dates, statuses


def test_placeholders_are_marked_in_the_yaml_and_reported(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr4")
    name = "0001-deliver-notifications-by-polling"
    text = (docs_repo / "decisions" / f"{name}.yaml").read_text()
    assert f"    complexity: medium  # {TODO}: placeholder, not in the source\n" in text
    assert f"    time: 1 week  # {TODO}: placeholder, not in the source\n" in text
    notes = notes_of(report, f"{name}.md")
    assert has_note(notes, "options[0].complexity: not in the source; set to 'medium'")
    assert has_note(notes, "options[1].time: not in the source; set to '1 week'")
    # The page shows the option's summary, so readers see that the estimate is not real.
    polling = records(docs_repo)[1]["options"][0]
    assert "complexity and time estimate are placeholders" in polling["summary"]


def test_missing_number_date_and_odd_status(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-a-small-decision.yaml", MINIMAL_RECORD)
    report = run(docs_repo, FIXTURES / "misc")
    (skipped,) = report.skipped
    assert skipped.source.name == "meeting-notes.md"
    assert skipped.reason.startswith("not an ADR")
    (file,) = report.written
    assert file.format == "madr2"
    assert file.output == docs_repo / "decisions" / "0002-use-sqlite-in-unit-tests.yaml"
    record = records(docs_repo)[2]
    assert record["date"] == dt.date(1970, 1, 1)
    assert record["status"] == "proposed"
    notes = [str(n) for n in file.notes]
    assert has_note(notes, "no number in the file name or title; numbered 0002")
    assert has_note(notes, "date: no date in the source; set to 1970-01-01 as a placeholder")
    assert has_note(notes, "status: 'Draft' read as 'proposed'")
    text = file.output.read_text()
    assert f"date: 1970-01-01  # {TODO}: placeholder, no date in the source" in text

    # Importing it again finds the earlier record by its title instead of numbering anew.
    again = run(docs_repo, FIXTURES / "misc/use-sqlite-in-tests.md")
    assert "same title" in again.files[0].reason
    assert sorted(records(docs_repo)) == [1, 2]


def test_unknown_status_becomes_proposed_and_project_statuses_are_kept(tmp_path: Path) -> None:
    source = tmp_path / "0007-try-graphql.md"
    source.write_text(
        "# 7. Try GraphQL\n\nDate: 2020-01-02\n\n## Status\n\nExperimental\n\n"
        "## Context\n\nREST is verbose.\n\n## Decision\n\nTry GraphQL on one endpoint.\n",
        encoding="utf-8",
    )
    report = import_adrs([source], tmp_path / "a", dry_run=True)
    notes = [str(n) for n in report.files[0].notes]
    assert has_note(notes, "status: 'Experimental' is not a known status; set to 'proposed'")

    report = import_adrs([source], tmp_path / "b", statuses=["experimental"])
    text = (tmp_path / "b" / "0007-try-graphql.yaml").read_text()
    assert "\nstatus: experimental\n" in text
    assert not has_note([str(n) for n in report.files[0].notes], ": status: ")


# ---------------------------------------------------------------------------------------------
# Links that cannot agree at both ends


def test_link_to_a_record_outside_the_import_is_dropped_kept_and_reported(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "nygard/0002-sanitise-html-with-bleach.md")
    record = records(docs_repo)[2]
    assert "links" not in record
    # 'superseded' needs the superseding record; without it the record is 'deprecated'.
    assert record["status"] == "deprecated"
    assert (
        "Superseded by [3. Sanitise HTML with nh3](0003-sanitise-html-with-nh3.md)"
        in (record["context"])
    )
    notes = notes_of(report, "0002-sanitise-html-with-bleach.md")
    assert has_note(notes, "links.superseded_by", "there is no record 0003", "kept in context")
    assert has_note(notes, "status:", "'superseded' in the source", "'deprecated'")


def test_link_to_an_existing_record_is_kept_only_if_it_links_back(docs_repo: Path) -> None:
    run(docs_repo, FIXTURES / "nygard")
    amended = docs_repo / "decisions" / "0004-sanitise-once-on-write.yaml"
    amended.unlink()
    # 0003 (already in the folder) lists relates_to: [4], so 0004's "Amends 3" can be kept.
    report = run(docs_repo, FIXTURES / "nygard")
    assert [f.source.name for f in report.written] == ["0004-sanitise-once-on-write.md"]
    assert records(docs_repo)[4]["links"] == {"relates_to": [3]}

    # Starting over with only 0002 and 0003: 0003's "Amended by 4" dangles, so it is dropped;
    # importing 0004 afterwards cannot keep "Amends 3", as 0003 is not edited. Both reported.
    shutil.rmtree(docs_repo / "decisions")
    (docs_repo / "decisions").mkdir()
    first = run(
        docs_repo,
        FIXTURES / "nygard/0002-sanitise-html-with-bleach.md",
        FIXTURES / "nygard/0003-sanitise-html-with-nh3.md",
    )
    assert has_note(notes_of(first, "0003-sanitise-html-with-nh3.md"), "there is no record 0004")
    second = run(docs_repo, FIXTURES / "nygard/0004-sanitise-once-on-write.md")
    notes = notes_of(second, "0004-sanitise-once-on-write.md")
    assert has_note(notes, "0003-sanitise-html-with-nh3.yaml does not list 0004", "by hand")
    got = records(docs_repo)
    assert "links" not in got[4]
    assert got[2]["links"] == {"superseded_by": [3]}


def test_an_existing_record_that_links_to_an_imported_one_gets_its_pair(docs_repo: Path) -> None:
    write_record(
        docs_repo, "0001-a-small-decision.yaml", MINIMAL_RECORD + "links:\n  relates_to: [3]\n"
    )
    report = run(docs_repo, FIXTURES / "nygard/0003-sanitise-html-with-nh3.md")
    assert records(docs_repo)[3]["links"] == {"relates_to": [1]}
    notes = notes_of(report, "0003-sanitise-html-with-nh3.md")
    assert has_note(notes, "links.relates_to: added 0001", "0001-a-small-decision.yaml")


def test_a_superseded_proposal_without_an_outcome_follows_the_validator(tmp_path: Path) -> None:
    # A proposal that never got an outcome and was then superseded: the status and the links
    # are kept when the format allows 'superseded' without an outcome; where it does not, the
    # status is 'proposed' and the pair is left unlinked (text kept, both ends told).
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-old.md").write_text(
        "---\nstatus: superseded by [ADR-0002](0002-new.md)\ndate: 2020-01-01\n---\n"
        "# Old\n\n## Context and Problem Statement\n\nOld question.\n\n"
        "## Considered Options\n\n* A\n* B\n",
        encoding="utf-8",
    )
    (folder / "0002-new.md").write_text(
        "---\nstatus: accepted\ndate: 2021-01-01\n---\n# New\n\n"
        "## Context and Problem Statement\n\nNew question.\n\n## Considered Options\n\n* C\n\n"
        '## Decision Outcome\n\nChosen option: "C", because it is new.\n',
        encoding="utf-8",
    )
    report = import_adrs([folder], tmp_path / "decisions")
    old = yaml.safe_load((tmp_path / "decisions/0001-old.yaml").read_text())
    new = yaml.safe_load((tmp_path / "decisions/0002-new.yaml").read_text())
    assert "outcome" not in old
    if "superseded" in STATUSES_WITH_OUTCOME:
        assert old["status"] == "proposed" and "links" not in old and "links" not in new
        assert "superseded by [ADR-0002](0002-new.md)" in old["context"]
        assert has_note(notes_of(report, "0001-old.md"), "links.superseded_by", "chosen option")
        assert has_note(notes_of(report, "0002-new.md"), "links.supersedes", "0001 not linked")
    else:
        assert old["status"] == "superseded"
        assert old["links"] == {"superseded_by": [2]}
        assert new["links"] == {"supersedes": [1]}
        assert not has_note(notes_of(report, "0001-old.md"), ": status: ")


# ---------------------------------------------------------------------------------------------
# Never overwrite; dry run; determinism; output format


def test_importing_twice_never_overwrites(docs_repo: Path) -> None:
    run(docs_repo, FIXTURES / "nygard")
    target = docs_repo / "decisions" / "0003-sanitise-html-with-nh3.yaml"
    edited = target.read_text() + "# edited by hand\n"
    target.write_text(edited)
    report = run(docs_repo, FIXTURES / "nygard")
    assert report.written == ()
    assert all("already exists; not overwritten" in f.reason for f in report.skipped[:4])
    assert target.read_text() == edited
    records(docs_repo)


def test_a_number_taken_by_another_record_is_skipped(docs_repo: Path) -> None:
    write_record(docs_repo, "0002-a-small-decision.yaml", MINIMAL_RECORD)
    report = run(docs_repo, FIXTURES / "nygard")
    (skipped,) = [f for f in report.skipped if f.format is not None]
    assert skipped.source.name == "0002-sanitise-html-with-bleach.md"
    assert "number 0002 is taken by 0002-a-small-decision.yaml" in skipped.reason
    assert "--renumber" in skipped.reason
    got = records(docs_repo)
    # 0003's "Supersedes [2. …]" meant the Markdown 0002, not the YAML one: not linked.
    assert got[3]["links"] == {"relates_to": [4]}
    assert got[2]["title"] == "A small decision"
    assert has_note(
        notes_of(report, "0003-sanitise-html-with-nh3.md"), "links.supersedes", "is not imported"
    )


# ---------------------------------------------------------------------------------------------
# --renumber: import records whose number is taken under the next free one


def test_renumber_after_init_moves_the_taken_number_and_reruns_add_nothing(
    docs_repo: Path,
) -> None:
    # `adrgen init` writes 0001-record-architecture-decisions.yaml; adr-tools' own first
    # record has that very file name, but it is another record (another title).
    init_repository(docs_repo, today=dt.date(2024, 1, 1))
    decisions = docs_repo / "decisions"
    init_record = (decisions / "0001-record-architecture-decisions.yaml").read_bytes()

    # Without --renumber it is skipped, and the reason says how to import it.
    plain = run(docs_repo, FIXTURES / "nygard", dry_run=True)
    reason = report_of(plain, "0001-record-architecture-decisions.md").reason
    assert "already exists; not overwritten" in reason
    assert "another record ('Record architecture decisions as YAML with adrgen')" in reason
    assert "--renumber" in reason

    dry = run(docs_repo, FIXTURES / "nygard", dry_run=True, renumber=True)
    assert report_of(dry, "0001-record-architecture-decisions.md").number == 5
    assert sorted(p.name for p in decisions.iterdir()) == [
        "0001-record-architecture-decisions.yaml"
    ]

    report = run(docs_repo, FIXTURES / "nygard", renumber=True)
    first = report_of(report, "0001-record-architecture-decisions.md")
    assert first.action == "written"
    assert (first.number, first.renumbered_from) == (5, 1)
    assert first.output == decisions / "0005-record-architecture-decisions.yaml"
    assert has_note(
        notes_of(report, "0001-record-architecture-decisions.md"),
        ":0:0: number 0001 is taken by 0001-record-architecture-decisions.yaml; imported as 0005",
    )
    # Only the taken number moved; the others keep theirs and their links.
    assert [f.renumbered_from for f in report.written] == [1, None, None, None]
    got = records(docs_repo)
    assert sorted(got) == [1, 2, 3, 4, 5]
    assert (decisions / "0001-record-architecture-decisions.yaml").read_bytes() == init_record
    assert got[5]["title"] == "Record architecture decisions"
    assert got[3]["links"] == {"supersedes": [2], "relates_to": [4]}
    text = first.output.read_text()
    assert "\n# Renumbered: 0001 in the source was taken here, so this record is 0005.\n" in text

    # Running the same import again adds nothing, with or without --renumber.
    before = snapshot(decisions)
    again = run(docs_repo, FIXTURES / "nygard", renumber=True)
    assert again.written == ()
    assert report_of(again, "0001-record-architecture-decisions.md").reason == (
        "imported before as 0005-record-architecture-decisions.yaml (same title); "
        "not imported again"
    )
    plain = run(docs_repo, FIXTURES / "nygard")
    assert plain.written == ()
    assert "imported before as 0005-record-architecture-decisions.yaml" in (
        report_of(plain, "0001-record-architecture-decisions.md").reason
    )
    assert snapshot(decisions) == before

    # A title edited after the import: the header still names the source file.
    record = decisions / "0005-record-architecture-decisions.yaml"
    record.write_text(
        record.read_text().replace("title: Record architecture decisions", "title: Use ADRs")
    )
    edited = run(docs_repo, FIXTURES / "nygard", renumber=True)
    assert edited.written == ()
    assert "its header names 0001-record-architecture-decisions.md" in (
        report_of(edited, "0001-record-architecture-decisions.md").reason
    )
    records(docs_repo)


def test_renumber_rewrites_links_and_link_text_among_the_imported_records(
    docs_repo: Path, tmp_path: Path
) -> None:
    for number in (1, 2, 3):
        write_record(docs_repo, f"000{number}-hand-written.yaml", MINIMAL_RECORD)
    report = run(docs_repo, FIXTURES / "nygard", renumber=True)
    got = records(docs_repo)
    # 0004 is free and stays; 0001-0003 are taken and move above it, in order.
    assert {f.source.name[:4]: f.number for f in report.written} == {
        "0001": 5,
        "0002": 6,
        "0003": 7,
        "0004": 4,
    }
    assert sorted(got) == [1, 2, 3, 4, 5, 6, 7]
    # Both ends of every link agree under the new numbers.
    assert got[6]["status"] == "superseded"
    assert got[6]["links"] == {"superseded_by": [7]}
    assert got[7]["links"] == {"supersedes": [6], "relates_to": [4]}
    assert got[4]["links"] == {"relates_to": [7]}
    # The wording kept in context names the new number and file; 0004 kept its own.
    assert (
        "- Amends [7. Sanitise HTML with nh3](0007-sanitise-html-with-nh3.md)"
        in (got[4]["context"])
    )
    assert "[3. " not in got[4]["context"]
    assert (
        "- Amended by [4. Sanitise once, on write](0004-sanitise-once-on-write.md)"
        in (got[7]["context"])
    )
    assert has_note(
        notes_of(report, "0003-sanitise-html-with-nh3.md"),
        "number 0003 is taken by 0003-hand-written.yaml; imported as 0007",
    )
    assert has_note(
        notes_of(report, "0003-sanitise-html-with-nh3.md"),
        "links.supersedes: 0002 in the source is imported as 0006; linked as 0006",
    )
    assert has_note(
        notes_of(report, "0004-sanitise-once-on-write.md"),
        "links to records imported under new numbers rewritten in the text: 0003 → 0007",
    )

    # Same input, same bytes.
    other = tmp_path / "other"
    (other / "decisions").mkdir(parents=True)
    for number in (1, 2, 3):
        write_record(other, f"000{number}-hand-written.yaml", MINIMAL_RECORD)
    run(other, FIXTURES / "nygard", renumber=True)
    assert snapshot(other / "decisions") == snapshot(docs_repo / "decisions")

    again = run(docs_repo, FIXTURES / "nygard", renumber=True)
    assert again.written == ()
    assert len(again.skipped) == 5
    assert sorted(records(docs_repo)) == [1, 2, 3, 4, 5, 6, 7]

    # A record deleted since comes back; its link to 0003 finds the earlier import, 0007.
    amends = docs_repo / "decisions" / "0004-sanitise-once-on-write.yaml"
    amends.unlink()
    partial = run(docs_repo, FIXTURES / "nygard", renumber=True)
    assert [f.source.name for f in partial.written] == ["0004-sanitise-once-on-write.md"]
    assert has_note(
        notes_of(partial, "0004-sanitise-once-on-write.md"),
        "links.relates_to: 0003 in the source was imported before as "
        "0007-sanitise-html-with-nh3.yaml; linked as 0007",
    )
    assert records(docs_repo)[4]["links"] == {"relates_to": [7]}
    assert snapshot(docs_repo / "decisions") == snapshot(other / "decisions")


def test_renumber_follows_plain_references_in_link_text_and_reports_prose(
    docs_repo: Path, tmp_path: Path
) -> None:
    write_record(docs_repo, "0001-a-small-decision.yaml", MINIMAL_RECORD)
    write_record(docs_repo, "0002-another-decision.yaml", MINIMAL_RECORD)
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-old.md").write_text(
        "---\nstatus: superseded by ADR-0002 in March\ndate: 2020-01-01\n---\n# Old\n\n"
        "## Context and Problem Statement\n\n"
        "Compare ADR-0002 and [the new one](0002-new.md).\n\n"
        "```\n[kept as code](0002-new.md)\n```\n\n"
        "## Considered Options\n\n* A\n\n"
        '## Decision Outcome\n\nChosen option: "A", because it was first.\n',
        encoding="utf-8",
    )
    (folder / "0002-new.md").write_text(
        "---\nstatus: accepted\ndate: 2021-01-01\n---\n# New\n\n"
        "## Context and Problem Statement\n\nNew question.\n\n## Considered Options\n\n* B\n\n"
        '## Decision Outcome\n\nChosen option: "B", because it is new.\n',
        encoding="utf-8",
    )
    report = run(docs_repo, folder, renumber=True)
    got = records(docs_repo)
    assert got[3]["title"] == "Old" and got[4]["title"] == "New"
    assert got[3]["links"] == {"superseded_by": [4]}
    assert got[4]["links"] == {"supersedes": [3]}
    context = got[3]["context"]
    # The status line was a link: its plain reference follows. A Markdown link to the
    # record's file follows anywhere, except in code; a plain mention in prose is reported.
    assert "### Status (imported)\n\nsuperseded by ADR-0004 in March" in context
    assert "Compare ADR-0002 and [the new one](0004-new.md)." in context
    assert "```\n[kept as code](0002-new.md)\n```" in context
    notes = notes_of(report, "0001-old.md")
    assert has_note(notes, "rewritten in the text: 0002 → 0004")
    assert has_note(notes, "mentions records imported under new numbers: ADR 0002 (now 0004)")


def test_renumber_sources_that_share_a_number_and_sources_without_one(
    docs_repo: Path, tmp_path: Path
) -> None:
    for folder, name in (("a", "0001-alpha.md"), ("b", "0001-beta.md"), ("c", "gamma.md")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(
            f"# {name[:-3].split('-')[-1].title()}\n\nDate: 2020-01-01\n\n## Status\n\n"
            "Accepted\n\n## Context\n\nWhy.\n\n## Decision\n\nThis.\n",
            encoding="utf-8",
        )
    sources = [tmp_path / "c", tmp_path / "b", tmp_path / "a"]
    plain = run(docs_repo, *sources, dry_run=True)
    assert "import with --renumber to import both" in report_of(plain, "0001-beta.md").reason

    report = run(docs_repo, *sources, renumber=True)
    assert [(f.source.name, f.number) for f in report.written] == [
        ("0001-alpha.md", 1),
        ("0001-beta.md", 2),
        ("gamma.md", 3),
    ]
    assert has_note(
        notes_of(report, "0001-beta.md"),
        "number 0001 is also used by",
        "0001-alpha.md; imported as 0002",
    )
    assert has_note(
        notes_of(report, "gamma.md"), "no number in the file name or title; numbered 0003"
    )
    assert [got["title"] for _, got in sorted(records(docs_repo).items())] == [
        "Alpha",
        "Beta",
        "Gamma",
    ]
    assert run(docs_repo, *sources, renumber=True).written == ()


def test_dry_run_writes_nothing(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr3", dry_run=True)
    assert report.dry_run
    assert {f.action for f in report.written} == {"would write"}
    assert list((docs_repo / "decisions").iterdir()) == []
    assert report.lines()[-1].startswith("would write 3 record(s), skipped 0 file(s)")


def test_output_is_deterministic_and_readable(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        import_adrs([FIXTURES / "madr3", FIXTURES / "madr4"], tmp_path / name)
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir()})
    assert outputs[0] == outputs[1]
    text = (tmp_path / "one" / "0001-store-notifications-in-postgresql.yaml").read_text()
    assert text.startswith(SCHEMA_HEADER + "\n")
    assert "\ncontext: |\n  Notifications must survive restarts" in text
    # Keys in record.py's order.
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == ["title", "status", "date", "people", "context", "drivers", "options", "outcome"]
    assert not list((tmp_path / "one").glob(".*")), "no temporary files left behind"


def test_text_that_looks_like_yaml_or_templates_round_trips(tmp_path: Path) -> None:
    context = (
        "key: value # not a comment\n"
        "{{ 7*7 }} and {% raw %}\n"
        "---\n"
        "    indented code\n"
        "- not a list item of the record\n"
        "\ttab, trailing spaces   \n"
        "@enduml\n"
        "!include /etc/passwd"
    )
    source = tmp_path / "adr" / "0009-yes.md"
    source.parent.mkdir()
    source.write_text(
        "# 9. yes\n\nDate: 2021-05-06\n\n## Status\n\nAccepted\n\n"
        f"## Context\n\n{context}\n\n## Decision\n\nnull\n",
        encoding="utf-8",
    )
    import_adrs([source.parent], tmp_path / "decisions")
    record = yaml.safe_load((tmp_path / "decisions" / "0009-yes.yaml").read_text())
    assert record["title"] == "yes"  # a string, not YAML's boolean
    assert record["context"] == context + "\n"
    assert record["outcome"]["summary"] == "null"
    assert record["options"][0]["summary"].startswith("null\n")


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_files_fail_with_positions_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "adr"
    shutil.copytree(FIXTURES / "nygard", folder)
    (folder / "0005-latin1.md").write_bytes(b"# 5. Caf\xe9\n\n## Status\n\nAccepted\n")
    (folder / "0006-bad-front-matter.md").write_text(
        "---\nstatus: [accepted\ndate: 2020-01-01\n---\n# Six\n", encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as caught:
        import_adrs([folder], tmp_path / "decisions")
    lines = caught.value.lines()
    assert any(line.endswith("0005-latin1.md:1:9: not UTF-8 text (byte 0xe9)") for line in lines)
    assert any("0006-bad-front-matter.md:3:" in line and "front matter" in line for line in lines)
    assert isinstance(caught.value, AdrgenError)
    assert not (tmp_path / "decisions").exists()


def test_missing_path_and_non_markdown_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_adrs([tmp_path / "nope", tmp_path / "notes.txt"], tmp_path / "decisions")
    text = str(caught.value)
    assert "nope:0:0: no such file or directory" in text
    assert "notes.txt:0:0: not a Markdown file (.md)" in text
