"""Import fidelity: what two real MkDocs sites (one MADR 2, one adr-tools) showed going wrong.

Each test imports small ADRs in the shape the user met, through :func:`import_adrs` (or the
CLI), and checks the records and the report:

1. the Decision section is the decision, whatever sections (Proposal, …) stand around it;
2. a chosen phrase that is no single option's name is kept whole, its options linked;
3. near-miss dates are read or reported, never replaced;
4. a git date is used only when it dates the ADR (not a bulk commit, not a shallow clone);
5. imported text keeps its case and spacing;
6. every ``ADR-NNNN`` / ``NNNN.`` prefix leaves the title, and a contradicting number is
   reported; the title's Markdown stays;
7. links between imported ADRs become links to the records they became.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from adrgen.importer import ImportReport, import_adrs
from adrgen.site.pages import rewrite_md_links
from tests.helpers import run_adrgen


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def imported(
    tmp_path: Path, files: dict[str, str], **options: Any
) -> tuple[ImportReport, dict[str, dict[str, Any]]]:
    """Import ``files`` (one folder of ADRs) into a fresh ``decisions/``: the report, and
    each record by the name of the source it came from."""
    source = write(tmp_path / "adr", files)
    report = import_adrs([source], tmp_path / "out" / "decisions", **options)
    return report, records_of(report)


def records_of(report: ImportReport) -> dict[str, dict[str, Any]]:
    return {
        f.source.name: yaml.safe_load(f.output.read_text(encoding="utf-8"))
        for f in report.written
        if f.output is not None and f.output.exists()
    }


def notes(report: ImportReport, name: str) -> list[str]:
    (file,) = [f for f in report.files if f.source.name == name]
    return [str(n) for n in file.notes]


def has_note(found: list[str], *parts: str) -> bool:
    return any(all(p in n for p in parts) for n in found)


def git(cwd: Path, *args: str, when: str = "2030-01-02T10:00:00+00:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.invalid",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd),
    }
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


def nygard(number: int, title: str, extra: str = "", status: str = "Accepted") -> str:
    return (
        f"# {number}. {title}\n\n{extra}## Status\n\n{status}\n\n## Context\n\nWhy {title}.\n\n"
        f"## Decision\n\nWe {title.lower()}.\n\n## Consequences\n\nSome.\n"
    )


# ---------------------------------------------------------------------------------------------
# 1. The Decision section is the decision, whatever sections stand around it


@pytest.mark.parametrize("decision", ["Decision", "Decision Outcome", "Décision", "The decision"])
@pytest.mark.parametrize("proposal", ["Proposal", "Proposed solution", "Recommendation"])
@pytest.mark.parametrize("proposal_first", [True, False], ids=["proposal-first", "decision-first"])
def test_the_decision_section_is_the_decision_whatever_stands_around_it(
    tmp_path: Path, decision: str, proposal: str, proposal_first: bool
) -> None:
    parts = [
        f"## {proposal}\n\nWe propose bleach for sanitising.\n",
        f"## {decision}\n\nWe sanitise with nh3.\n",
    ]
    if not proposal_first:
        parts.reverse()
    text = (
        "# 2. Sanitise HTML\n\n## Status\n\nAccepted\n\n## Context\n\nUser HTML.\n\n"
        + "\n".join(parts)
        + "\n## Consequences\n\nFast.\n"
    )
    report, records = imported(tmp_path, {"0002-sanitise-html.md": text})
    record = records["0002-sanitise-html.md"]
    assert record["outcome"]["decision"] == "We sanitise with nh3."
    assert "bleach" not in record["outcome"]["decision"]
    assert f"### {proposal}\n\nWe propose bleach for sanitising." in record["context"]
    assert "We sanitise with nh3" not in record["context"]
    assert has_note(notes(report, "0002-sanitise-html.md"), proposal, "kept in context")


def test_a_proposal_heading_with_a_decision_beside_it_adds_no_option(tmp_path: Path) -> None:
    text = (
        "# Rate limits\n\n## Proposal: fixed windows in PostgreSQL\n\nCount per minute.\n\n"
        "## Options\n\n- Token bucket in Redis\n- Fixed windows in PostgreSQL\n\n"
        "## Decision\n\nChosen option: Token bucket in Redis, because it is smoother.\n"
    )
    _report, records = imported(tmp_path, {"0001-rate-limits.md": text})
    record = records["0001-rate-limits.md"]
    assert [o["name"] for o in record["options"]] == [
        "Token bucket in Redis",
        "Fixed windows in PostgreSQL",
    ]
    assert record["outcome"]["chosen"] == "token_bucket_in_redis"
    assert "Count per minute." in record["context"]


def test_a_proposal_alone_is_still_the_decision(tmp_path: Path) -> None:
    text = "# Sanitise\n\n## Status\n\nProposed\n\n## Proposal\n\nWe propose nh3.\n"
    _report, records = imported(tmp_path, {"0001-sanitise.md": text})
    assert records["0001-sanitise.md"]["outcome"]["decision"] == "We propose nh3."


# ---------------------------------------------------------------------------------------------
# 2. A chosen phrase that matches no single option is kept verbatim, its options linked

_TTYD_OPTIONS = "## Considered Options\n\n* ttyd\n* Kubernetes Service\n* gotty\n\n"


def _madr(outcome: str, options: str = _TTYD_OPTIONS) -> str:
    return (
        "# Web terminal for the lab\n\n* Status: accepted\n* Date: 2024-03-04\n\n"
        "## Context and Problem Statement\n\nStudents need a shell.\n\n"
        f"{options}## Decision Outcome\n\n{outcome}\n"
    )


@pytest.mark.parametrize(
    "line",
    [
        "Chosen option: ttyd and Kubernetes Service, because together they serve a shell.",
        'Chosen option: "ttyd and Kubernetes Service", because together they serve a shell.',
        "Chosen: ttyd and Kubernetes Service, because together they serve a shell.",
        "We run ttyd and Kubernetes Service, because together they serve a shell.",
    ],
)
def test_a_choice_of_several_options_is_kept_whole_with_its_options_linked(
    tmp_path: Path, line: str
) -> None:
    report, records = imported(tmp_path, {"0001-web-terminal.md": _madr(line)})
    record = records["0001-web-terminal.md"]
    outcome = record["outcome"]
    assert "chosen" not in outcome  # never cut to one option
    linked = "[ttyd](#option-ttyd) and [Kubernetes Service](#option-kubernetes_service)"
    assert linked in outcome["decision"]
    assert outcome["decision"].rstrip("\n").replace(linked, "ttyd and Kubernetes Service") == line
    # The anchors are those the decision page gives the options' sections.
    ids = {o["id"] for o in record["options"]}
    assert {"ttyd", "kubernetes_service"} <= ids
    assert has_note(
        notes(report, "0001-web-terminal.md"),
        "'ttyd'",
        "'Kubernetes Service'",
        "no option is read as chosen",
    )


def test_a_choice_that_is_no_option_s_name_is_kept_whole(tmp_path: Path) -> None:
    line = "Chosen option: ttyd behind a TLS proxy, because it is simplest."
    report, records = imported(tmp_path, {"0001-web-terminal.md": _madr(line)})
    outcome = records["0001-web-terminal.md"]["outcome"]
    assert "chosen" not in outcome
    assert outcome["decision"] == (
        "Chosen option: [ttyd](#option-ttyd) behind a TLS proxy, because it is simplest."
    )
    assert has_note(notes(report, "0001-web-terminal.md"), "'ttyd'", "says more than its name")


def test_a_choice_that_is_one_option_s_name_is_chosen(tmp_path: Path) -> None:
    line = "Chosen option: Kubernetes Service, because ttyd alone is not reachable."
    _report, records = imported(tmp_path, {"0001-web-terminal.md": _madr(line)})
    outcome = records["0001-web-terminal.md"]["outcome"]
    assert outcome["chosen"] == "kubernetes_service"
    assert outcome["rationale"] == "ttyd alone is not reachable."


def test_an_option_named_in_code_is_linked_whole_and_code_elsewhere_is_left(
    tmp_path: Path,
) -> None:
    options = "## Considered Options\n\n* `ttyd`\n* Kubernetes Service\n\n"
    line = "Chosen option: `ttyd` and Kubernetes Service (see `Kubernetes Service docs`)."
    _report, records = imported(tmp_path, {"0001-web-terminal.md": _madr(line, options)})
    decision = records["0001-web-terminal.md"]["outcome"]["decision"].rstrip("\n")
    assert decision == (
        "Chosen option: [`ttyd`](#option-ttyd) and [Kubernetes Service]"
        "(#option-kubernetes_service) (see `Kubernetes Service docs`)."
    )


# ---------------------------------------------------------------------------------------------
# 3. Near-miss dates are read or reported, never replaced


def _committed(tmp_path: Path, files: dict[str, str], when: str) -> Path:
    """``files`` in a git repository, each added by a commit of its own on ``when``."""
    repo = tmp_path / "project"
    folder = repo / "doc" / "adr"
    folder.mkdir(parents=True)
    git(repo, "init", "-q")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", name, when=when)
    return folder


@pytest.mark.parametrize(
    ("written", "where"),
    [
        ("2025-11- 05", "line"),
        ("2025 - 11 - 05", "line"),
        ("2025–11–05", "line"),
        ("2025/11 /05", "line"),
        ("05. 11. 2025", "line"),
        ("20251105", "line"),
        ("2025-11- 05", "front matter"),
        ("2025-11- 05", "section"),
    ],
)
def test_a_near_miss_date_is_read_with_a_warning(tmp_path: Path, written: str, where: str) -> None:
    if where == "line":
        text = f"# 1. Use X\n\nDate: {written}\n\n## Status\n\nAccepted\n\n## Decision\n\nX.\n"
    elif where == "front matter":
        text = f'---\nstatus: accepted\ndate: "{written}"\n---\n# Use X\n\n## Decision\n\nX.\n'
    else:
        text = f"# 1. Use X\n\n## Status\n\nAccepted\n\n## Date\n\n{written}\n\n## Decision\n\nX.\n"
    folder = _committed(tmp_path, {"0001-use-x.md": text}, "2031-06-07T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    record = records_of(report)["0001-use-x.md"]
    assert record["date"] == dt.date(2025, 11, 5)
    assert record["imported"]["date_from"] in ("text", "front matter")
    assert has_note(notes(report, "0001-use-x.md"), repr(written), "read as 2025-11-05")


@pytest.mark.parametrize("written", ["2025-11-", "2025-13- 05", "11/2025/05", "Novmber 5th, 2025"])
def test_an_unreadable_date_is_reported_and_never_replaced(tmp_path: Path, written: str) -> None:
    text = f"# 1. Use X\n\n* Status: accepted\n* Date: {written}\n\n## Decision\n\nX.\n"
    folder = _committed(tmp_path, {"0001-use-x.md": text}, "2031-06-07T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    record = records_of(report)["0001-use-x.md"]
    assert record["date"] == "unknown"  # not the day git history added the file
    assert "date_from" not in record["imported"]
    assert has_note(notes(report, "0001-use-x.md"), repr(written), "cannot be read")
    assert not has_note(notes(report, "0001-use-x.md"), "git history")
    (file,) = report.written
    assert file.date.written == written and file.date.line == 4
    # Nothing is dropped: the line stays in the record's text.
    assert f"Date: {written}" in record["context"]


def test_a_date_that_is_no_date_at_all_still_lets_git_date_it(tmp_path: Path) -> None:
    text = "# 1. Use X\n\n* Status: accepted\n* Date: TBD\n\n## Decision\n\nX.\n"
    folder = _committed(tmp_path, {"0001-use-x.md": text}, "2031-06-07T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    record = records_of(report)["0001-use-x.md"]
    assert record["date"] == dt.date(2031, 6, 7)
    assert record["imported"]["date_from"] == "git history"


# ---------------------------------------------------------------------------------------------
# 4. A git date is used only when it dates the ADR


def _undated(number: int, title: str) -> str:
    return f"# {number}. {title}\n\n## Status\n\nAccepted\n\n## Decision\n\n{title}.\n"


def test_adrs_added_in_one_bulk_commit_get_no_git_date(tmp_path: Path) -> None:
    repo = tmp_path / "snapshot"
    folder = write(
        repo / "docs" / "adr",
        {
            "0001-use-a.md": _undated(1, "Use A"),
            "0002-use-b.md": _undated(2, "Use B"),
            "0003-use-c.md": _undated(3, "Use C"),
            "README.md": "# Decisions\n",
        },
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot", when="2030-05-06T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    got = records_of(report)
    assert len(got) == 3
    for name, record in got.items():
        assert record["date"] == "unknown", name
        assert "date_from" not in record["imported"]
        assert has_note(notes(report, name), "bulk commit", "2030-05-06", "date unknown")


def test_one_adr_imported_from_a_bulk_commit_gets_no_git_date(tmp_path: Path) -> None:
    repo = tmp_path / "snapshot"
    folder = write(
        repo / "docs" / "adr",
        {f"000{n}-use-{c}.md": _undated(n, f"Use {c}") for n, c in enumerate("abcd", 1)},
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot", when="2030-05-06T10:00:00+00:00")
    report = import_adrs([folder / "0002-use-b.md"], tmp_path / "out" / "decisions")
    record = records_of(report)["0002-use-b.md"]
    assert record["date"] == "unknown"
    assert has_note(notes(report, "0002-use-b.md"), "bulk commit")


def test_a_shallow_clone_gives_no_git_date(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    folder = origin / "docs" / "adr"
    folder.mkdir(parents=True)
    git(origin, "init", "-q")
    (folder / "0001-use-a.md").write_text(_undated(1, "Use A"), encoding="utf-8")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "a", when="2019-01-02T10:00:00+00:00")
    (folder / "0002-use-b.md").write_text(_undated(2, "Use B"), encoding="utf-8")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "b", when="2020-03-04T10:00:00+00:00")
    git(tmp_path, "clone", "-q", "--depth", "1", origin.resolve().as_uri(), "clone")
    clone = tmp_path / "clone"
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    # One file alone, so that only the shallow history tells.
    report = import_adrs([clone / "docs" / "adr" / "0001-use-a.md"], tmp_path / "out" / "decisions")
    record = records_of(report)["0001-use-a.md"]
    assert record["date"] == "unknown"
    assert has_note(notes(report, "0001-use-a.md"), "shallow clone", "date unknown")


def test_adrs_committed_one_by_one_keep_their_git_dates(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    folder = repo / "docs" / "adr"
    folder.mkdir(parents=True)
    git(repo, "init", "-q")
    days = ["2019-01-02", "2020-03-04", "2021-05-06"]
    for n, (day, c) in enumerate(zip(days, "abc", strict=True), 1):
        (folder / f"000{n}-use-{c}.md").write_text(_undated(n, f"Use {c}"), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", c, when=f"{day}T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    got = records_of(report)
    for n, (day, c) in enumerate(zip(days, "abc", strict=True), 1):
        record = got[f"000{n}-use-{c}.md"]
        assert record["date"] == dt.date.fromisoformat(day)
        assert record["imported"]["date_from"] == "git history"


def test_a_renamed_adr_is_dated_by_the_commit_that_added_it(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    folder = repo / "docs" / "adr"
    folder.mkdir(parents=True)
    git(repo, "init", "-q")
    (folder / "0001-use-a.md").write_text(_undated(1, "Use A"), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a", when="2019-01-02T10:00:00+00:00")
    (folder / "0002-use-b.md").write_text(_undated(2, "Use B"), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "b", when="2020-03-04T10:00:00+00:00")
    git(repo, "mv", "docs/adr/0002-use-b.md", "docs/adr/0002-use-b-everywhere.md")
    git(repo, "commit", "-q", "-m", "rename", when="2022-05-06T10:00:00+00:00")
    report = import_adrs([folder], tmp_path / "out" / "decisions")
    got = records_of(report)
    assert got["0001-use-a.md"]["date"] == dt.date(2019, 1, 2)
    assert got["0002-use-b-everywhere.md"]["date"] == dt.date(2020, 3, 4)


# ---------------------------------------------------------------------------------------------
# 5. Imported text is kept as written, including case and spacing


def test_imported_text_keeps_its_case_and_spacing(tmp_path: Path) -> None:
    text = (
        "# Web terminal\n\n* Status: accepted\n* Date: 2024-03-04\n\n"
        "## Context and Problem Statement\n\nStudents need a shell.\n\n"
        "## Decision Drivers\n\n* runs `as root` only if [asked](https://example.com/ask) for\n\n"
        "## Considered Options\n\n* ttyd\n* gotty\n\n"
        "## Decision Outcome\n\n"
        "Chosen option: ttyd, because ttyd can serve a shell ; and it is maintained.\n\n"
        "### Positive Consequences\n\n"
        "* ttyd can be restarted : cheaply\n"
        "* uses `nh3` for [sanitising](https://example.com/nh3) output\n\n"
        "## Pros and Cons of the Options\n\n### ttyd\n\n"
        "* Good, because ttyd can run anywhere\n"
        "* Bad, because it needs `root` and [ADR 9](https://example.com/adr/9)\n"
        "* Bien, car rapide ; simple\n"
    )
    _report, records = imported(tmp_path, {"0001-web-terminal.md": text})
    record = records["0001-web-terminal.md"]
    outcome = record["outcome"]
    assert outcome["chosen"] == "ttyd"
    assert outcome["rationale"] == "ttyd can serve a shell ; and it is maintained."
    assert outcome["consequences"]["good"] == [
        "ttyd can be restarted : cheaply",
        "uses `nh3` for sanitising (https://example.com/nh3) output",
    ]
    ttyd = record["options"][0]
    assert ttyd["pros"] == ["ttyd can run anywhere", "rapide ; simple"]
    assert ttyd["cons"] == ["it needs `root` and ADR 9 (https://example.com/adr/9)"]
    assert record["drivers"] == ["runs `as root` only if asked (https://example.com/ask) for"]


def test_a_status_note_keeps_the_words_as_written(tmp_path: Path) -> None:
    text = "# 1. Use X\n\n## Status\n\nOn Hold\n\n## Decision\n\nX.\n"
    _report, records = imported(tmp_path, {"0001-use-x.md": text})
    record = records["0001-use-x.md"]
    assert record["status"] == "proposed"
    assert record["status_note"] == "On Hold"


# ---------------------------------------------------------------------------------------------
# 6. Titles


@pytest.mark.parametrize(
    ("file", "heading", "title"),
    [
        (
            "0001-record.md",
            "ADR-0001 Record architecture decisions",
            "Record architecture decisions",
        ),
        ("0001-record.md", "ADR 1 - Record decisions", "Record decisions"),
        ("0001-record.md", "ADR-0001: Record decisions", "Record decisions"),
        ("0001-record.md", "0001. Record decisions", "Record decisions"),
        ("0001-record.md", "0001 Record decisions", "Record decisions"),
        ("0001-record.md", "1 Record decisions", "Record decisions"),
        ("0001-record.md", "[ADR-1] Record decisions", "Record decisions"),
        ("0001-record.md", "[ADR 0001]: Record decisions", "Record decisions"),
        ("0001-record.md", "**ADR-0001:** Record decisions", "Record decisions"),
        ("0001-record.md", "ADR0001 Record decisions", "Record decisions"),
        ("0002-2fa.md", "2FA for admins", "2FA for admins"),
        ("0007-latency.md", "100 ms budget", "100 ms budget"),
        ("0100-100-ms-budget.md", "100 Ms budget", "100 Ms budget"),
        ("0003-three-tier.md", "3 tier architecture", "3 tier architecture"),
        ("0004-adr-process.md", "ADR process for the team", "ADR process for the team"),
        ("0005-sanitise.md", "Use `nh3` to sanitise", "Use `nh3` to sanitise"),
        ("0005-sanitise.md", "5. Use *nh3*  to sanitise", "Use *nh3*  to sanitise"),
        ("0005-sanitise.md", "[Accepted] Use `nh3` to sanitise", "Use `nh3` to sanitise"),
    ],
)
def test_a_title_loses_its_number_prefix_and_keeps_its_markdown(
    tmp_path: Path, file: str, heading: str, title: str
) -> None:
    text = f"# {heading}\n\n## Status\n\nAccepted\n\n## Decision\n\nYes.\n"
    report, records = imported(tmp_path, {file: text})
    assert records[file]["title"] == title
    assert not has_note(notes(report, file), "title says")


@pytest.mark.parametrize(
    "heading", ["ADR-0003 Use X", "ADR 3 - Use X", "3. Use X", "[ADR-3] Use X", "0003 Use X"]
)
def test_a_title_number_that_contradicts_the_file_name_is_reported(
    tmp_path: Path, heading: str
) -> None:
    text = f"# {heading}\n\n## Status\n\nAccepted\n\n## Decision\n\nYes.\n"
    report, records = imported(tmp_path, {"0001-use-x.md": text})
    assert records["0001-use-x.md"]["title"] == "Use X"
    (file,) = report.written
    assert file.number == 1  # the file name wins
    assert has_note(notes(report, "0001-use-x.md"), "the title says 3 but the file name says 1")


# ---------------------------------------------------------------------------------------------
# 7. Links between imported ADRs become record links


def test_links_between_imported_adrs_point_at_the_records_they_became(tmp_path: Path) -> None:
    first = (
        "# 1. Use A\n\n## Status\n\nAccepted\n\n## Context\n\n"
        "See [ADR 3](0003-use-x.md), [its context](../adr/0003-use-x.md#context) and "
        "[ref][three].\n\n"
        "```text\n[not a link](0003-use-x.md)\n```\n\n"
        "`[code](0003-use-x.md)` stays.\n\n"
        "[three]: ./0003-use-x.md\n\n"
        "## Decision\n\nWe use A, as [ADR 3](0003-use-x.md) says.\n\n"
        "## Consequences\n\n* Good, because see [ADR 3](0003-use-x.md)\n"
    )
    third = "# 3. Use X for everything\n\n## Status\n\nAccepted\n\n## Decision\n\nX.\n"
    report, records = imported(tmp_path, {"0001-use-a.md": first, "0003-use-x.md": third})
    target = Path(report.written[1].output or "").name
    assert target == "0003-use-x-for-everything.yaml"
    page = "0003-use-x-for-everything.md"
    record = records["0001-use-a.md"]
    context = record["context"]
    assert f"[ADR 3]({page})" in context
    assert f"[its context]({page}#context)" in context
    assert f"[three]: {page}" in context
    assert "[not a link](0003-use-x.md)" in context  # code is left as written
    assert "`[code](0003-use-x.md)`" in context
    assert f"[ADR 3]({page}) says" in record["outcome"]["decision"]
    assert record["outcome"]["consequences"]["good"] == [f"see ADR 3 ({page})"]
    # What the site makes of it is the record's page.
    html = f'<a href="{page}#context">'
    assert rewrite_md_links(html, "decisions/0001-use-a.md", True) == (
        '<a href="../../decisions/0003-use-x-for-everything/#context">'
    )
    assert rewrite_md_links(html, "decisions/0001-use-a.md", False) == (
        '<a href="../decisions/0003-use-x-for-everything.html#context">'
    )
    assert not any(has_note(notes(report, n), "dangling") for n in records)


def test_links_follow_renumbered_records(tmp_path: Path) -> None:
    backend = "# 1. Use REST\n\n## Status\n\nAccepted\n\n## Decision\n\nREST.\n"
    frontend = (
        "# 1. Show errors\n\n## Status\n\nAccepted\n\n## Decision\n\n"
        "As [backend ADR 1](../backend/0001-use-rest.md) says.\n"
    )
    root = tmp_path / "adr"
    write(root / "backend", {"0001-use-rest.md": backend})
    write(root / "frontend", {"0001-show-errors.md": frontend})
    report = import_adrs([root], tmp_path / "out" / "decisions", recursive=True, renumber=True)
    got = records_of(report)
    names = {f.source.parent.name: Path(f.output or "").stem for f in report.written}
    decision = got["0001-show-errors.md"]["outcome"]["decision"]
    assert decision == f"As [backend ADR 1]({names['backend']}.md) says."


def test_a_link_to_an_adr_imported_before_points_at_its_record(tmp_path: Path) -> None:
    folder = write(tmp_path / "adr", {"0001-use-a.md": nygard(1, "Use A")})
    out = tmp_path / "out" / "decisions"
    import_adrs([folder], out)
    write(folder, {"0002-use-b.md": nygard(2, "Use B", "Builds on [ADR 1](0001-use-a.md).\n\n")})
    report = import_adrs([folder], out)
    record = records_of(report)["0002-use-b.md"]
    assert "Builds on [ADR 1](0001-use-a.md)." in record["context"]  # its record: 0001-use-a
    assert (out / "0001-use-a.yaml").exists()


def test_a_link_to_an_adr_outside_the_import_is_kept_and_reported(tmp_path: Path) -> None:
    text = nygard(
        1,
        "Use A",
        "See [ADR 9](0009-gone.md), [old](../old-adr/0004-other.md) and [guide](../GUIDE.md).\n\n",
    )
    report, records = imported(tmp_path, {"0001-use-a.md": text})
    context = records["0001-use-a.md"]["context"]
    assert "[ADR 9](0009-gone.md)" in context and "[old](../old-adr/0004-other.md)" in context
    found = notes(report, "0001-use-a.md")
    assert has_note(found, "dangling link", "0009-gone.md")
    assert has_note(found, "dangling link", "../old-adr/0004-other.md")
    assert not has_note(found, "GUIDE.md")  # not an ADR file


def test_the_cli_reports_a_dangling_link(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "decisions").mkdir(parents=True)
    write(repo / "adr", {"0001-use-a.md": nygard(1, "Use A", "See [ADR 9](0009-gone.md).\n\n")})
    done = run_adrgen("import", "adr", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "dangling link" in done.stdout + done.stderr
