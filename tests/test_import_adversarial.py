"""`adrgen import` on adversarial Markdown: every file imports, and no text is lost.

How long an import takes is measured by ``bench/import_adversarial.py`` (1 MiB of each
class below, against ordinary prose), never here: these tests check what the import makes
of moderate inputs of the same shapes, and that the parser's shortcuts change nothing.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.helpers import parseLinkDestination
from markdown_it.token import Token

from adrgen.config import load_config
from adrgen.errors import ImportFailed, ValidationFailed
from adrgen.importer import ImportReport, import_adrs, write
from adrgen.importer.links import MENTION_DIGITS, relation_before
from adrgen.importer.read import _MD, _link_destination
from adrgen.records import loader
from adrgen.records.collect import load_decisions

HEAD = (
    "# 1. Import whatever the file holds\n\n"
    "Date: 2024-03-05\n\n"
    "## Status\n\n"
    "Accepted\n\n"
    "## Context\n\n"
)
SIZE = 12_000
SEVENTY = "1234567890" * 7


def fill(unit: str, size: int = SIZE) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def mixture(size: int = SIZE) -> str:
    """The characters above in a seeded order, in paragraphs. No ``#`` and no single line
    break: a heading's markup is not kept (its text is), and a line of ``-`` under a line
    makes that line a heading."""
    rng = random.Random(20240305)
    pieces = ["[", "]", "(", ")", "*", "_", "`", "<", ">", "!", "~", "|", "-", "&#"]
    pieces += ["![", "](", "ADR-7 ", "a", " ", " ", "\n\n", "1. "]
    return "".join(rng.choice(pieces) for _ in range(size))


#: The body of the Context section, by class: the shapes that cost markdown-it or the
#: importer a scan per character before (bench/import_adversarial.py has the full list).
BODIES = {
    "brackets": fill("["),
    "nested brackets": "[" * (SIZE // 2) + "a" + "]" * (SIZE // 2),
    "stars": fill("*"),
    "emphasis openers": fill("*a "),
    "underscores": fill("_a "),
    "lt": fill("<"),
    "open tags": fill("<a"),
    "backticks": fill("`"),
    "parens": fill("("),
    "tildes": fill("~"),
    "hashes": fill("#"),
    "nested quotes": fill(">"),
    "dashes": fill("-"),
    "nested lists on a line": fill("- ") + "x",
    "bangs": fill("!"),
    "images": fill("!["),
    "close open": fill("]("),
    "unclosed destinations": fill("[a]("),
    "unclosed image destinations": fill("![a]("),
    "entities": fill("&#"),
    "table": "| a | b |\n|---|---|\n" + fill("| x | y |\n"),
    "long line": fill("word "),
    "digits": fill("7"),
    "mentions": " ".join(f"ADR-{i}" for i in range(SIZE // 8)),
    "deep list": "".join("  " * i + "- item\n" for i in range(60)),
    "mixture": mixture(),
}


def imported(folder: Path, text: str, name: str = "0001-import-whatever.md") -> ImportReport:
    source = folder / "src"
    source.mkdir(exist_ok=True)
    (source / name).write_text(text, encoding="utf-8")
    return import_adrs([source / name], folder / "decisions")


def the_record(root: Path) -> dict[str, Any]:
    """The one record in the folder, after checking that the folder validates."""
    (decision,) = load_decisions(load_config(root)).decisions
    record: dict[str, Any] = yaml.safe_load(decision.source.read_text(encoding="utf-8"))
    return record


def warnings_of(report: ImportReport) -> list[str]:
    (file,) = report.files
    return [str(n) for n in file.notes]


@pytest.mark.parametrize("name", sorted(BODIES))
def test_adversarial_text_is_imported_whole(docs_repo: Path, name: str) -> None:
    body = BODIES[name]
    report = imported(docs_repo, HEAD + body + "\n")
    (file,) = report.files
    assert file.action == "written", file.reason
    record = the_record(docs_repo)
    assert (record["status"], str(record["date"])) == ("accepted", "2024-03-05")
    context = record["context"]
    # The whole body, as written (line ends trimmed, as every imported text's are).
    for line in body.split("\n"):
        assert line.rstrip() in context, f"{name}: {line[:60]!r} is missing"


def test_an_unclosed_comment_keeps_what_follows_it(docs_repo: Path) -> None:
    """An HTML comment that is never closed runs to the end of the file (CommonMark); what
    follows it is kept and reported, even when the comment reads like a template hint."""
    text = HEAD + "We need X.\n\n<!-- optional: say more\n\n## Decision\n\nWe use Postgres.\n"
    report = imported(docs_repo, text)
    record = the_record(docs_repo)
    assert "We use Postgres." in record["context"]
    assert any("never closed" in w and ":13:" in w for w in warnings_of(report))


def test_a_closed_template_comment_is_still_left_out(docs_repo: Path) -> None:
    text = HEAD + "We need X.\n\n<!-- optional: say more -->\n\n## Decision\n\nWe use Postgres.\n"
    report = imported(docs_repo, text)
    record = the_record(docs_repo)
    assert "optional" not in record.get("context", "")
    assert record["outcome"]["decision"] == "We use Postgres."
    assert not any("never closed" in w for w in warnings_of(report))


# ---------------------------------------------------------------------------------------------
# A number too long to be a record's


@pytest.mark.parametrize(
    "status",
    [
        "Accepted\n\nStatus: Superseded by ADR-{n}",  # a second status line, with its key
        "- Accepted\n- Superseded: ADR-{n}",  # a list of states
        "Accepted\nSuperseded: record {n}",  # one line each
    ],
)
def test_a_line_naming_a_70_digit_adr_is_kept_and_reported(docs_repo: Path, status: str) -> None:
    text = (
        "# 1. Use X\n\nDate: 2024-01-02\n\n## Status\n\n"
        + status.format(n=SEVENTY)
        + "\n\n## Context\n\nWe need X.\n"
    )
    report = imported(docs_repo, text)
    record = the_record(docs_repo)
    assert record["status"] == "accepted"
    assert SEVENTY in record["context"]
    assert "links" not in record
    warnings = warnings_of(report)
    assert any(
        SEVENTY[:20] in w and f"more than {MENTION_DIGITS} digits" in w and "kept" in w
        for w in warnings
    ), warnings


def test_a_70_digit_adr_in_the_header_lines_is_kept(docs_repo: Path) -> None:
    text = (
        f"# 1. Use X\n\n* Status: accepted\n* Date: 2024-01-02\n* Superseded: ADR-{SEVENTY}\n\n"
        "## Context\n\nWe need X.\n"
    )
    report = imported(docs_repo, text)
    record = the_record(docs_repo)
    assert SEVENTY in record["context"]
    assert any(SEVENTY[:20] in w for w in warnings_of(report))


def test_a_70_digit_adr_in_prose_is_kept_and_reported(docs_repo: Path) -> None:
    text = f"# 1. Use X\n\nDate: 2024-01-02\n\n## Context\n\nAs ADR-{SEVENTY} said.\n"
    report = imported(docs_repo, text)
    record = the_record(docs_repo)
    assert record["context"].strip() == f"As ADR-{SEVENTY} said."
    (warning,) = [w for w in warnings_of(report) if SEVENTY[:20] in w]
    assert "0001-import-whatever.md:7:1" in warning
    assert "…" in warning and SEVENTY not in warning  # quoted, not pasted whole


def test_numbers_up_to_five_digits_still_link(docs_repo: Path) -> None:
    """Leading zeros do not count: ADR-0000000000000002 is ADR 2, as before."""
    source = docs_repo / "src"
    source.mkdir()
    (source / "0002-other.md").write_text(
        "# 2. Other\n\nDate: 2024-01-01\n\n## Status\n\nAccepted\n\n## Context\n\nx\n",
        encoding="utf-8",
    )
    (source / "0001-use-x.md").write_text(
        "# 1. Use X\n\nDate: 2024-01-02\n\n## Status\n\nAccepted\n\n"
        "## Context\n\nSee ADR-0000000000000002.\n",
        encoding="utf-8",
    )
    report = import_adrs([source], docs_repo / "decisions")
    assert {f.number: f.links for f in report.files} == {
        1: {"relates_to": [2]},
        2: {"relates_to": [1]},
    }


def test_long_runs_of_spaces_in_key_and_option_lines(docs_repo: Path) -> None:
    """``**Status    …`` and ``**Option    …``: the patterns for key lines and option
    lines read a run of spaces once (they used to try every way to split it)."""
    spaces = " " * 2000
    text = (
        f"# 1. Use X\n\n**Status{spaces}x\n\nStatus: accepted\n\n"
        f"## Considered Options\n\n**Option{spaces}1:** A\n\n**Option 2:** B\n\n"
        "## Decision Outcome\n\nChosen option: B\n"
    )
    imported(docs_repo, text)
    record = the_record(docs_repo)
    assert record["status"] == "accepted"
    assert f"**Status{spaces}x" in record["context"]
    assert [o["name"] for o in record["options"]] == ["Option 1: A", "Option 2: B"]
    assert record["outcome"]["chosen"] == record["options"][1]["id"]


# ---------------------------------------------------------------------------------------------
# The parser's shortcuts give markdown-it's tokens


def _tokens(tokens: list[Token]) -> list[Any]:
    return [
        (t.type, t.content, sorted(t.attrs.items()), t.map, _tokens(t.children or []))
        for t in tokens
    ]


PLAIN = MarkdownIt("commonmark", {"html": True}).enable("table")
MARKDOWN = st.lists(
    st.sampled_from(
        ["[", "]", "(", ")", "![", "](", "[a]", "<b>", "\\", " ", "\n", "x.md", '"', "*"]
    )
).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(MARKDOWN, st.booleans())
def test_the_guarded_parser_makes_markdown_its_tokens(text: str, definitions: bool) -> None:
    if definitions:
        text += "\n\n[a]: /u\n[x.md]: /v\n"
    assert _tokens(_MD.parse(text, {})) == _tokens(PLAIN.parse(text, {}))


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.sampled_from(["(", ")", "\\", " ", "\x01", "\x7f", "a", "<", ">", "\\ "])).map(
        "".join
    ),
    st.integers(0, 40),
)
def test_link_destinations_read_as_markdown_it_reads_them(text: str, at: int) -> None:
    text = "(" * at + text + ")" * (at // 2)
    for start in range(0, len(text) + 1, max(1, len(text) // 7)):
        ours = _link_destination(text, start, len(text))
        theirs = parseLinkDestination(text, start, len(text))
        assert (ours.ok, ours.pos, ours.str) == (theirs.ok, theirs.pos, theirs.str)


@given(st.text(alphabet="ab .;!?|\n", max_size=300), st.sampled_from(["superseded by ", "see "]))
@settings(max_examples=500, deadline=None)
def test_a_relation_is_read_from_the_end_of_its_clause_only(text: str, words: str) -> None:
    """Reading the last characters only (a line may hold a thousand links) is reading the
    clause the link ends, as a split of the whole text finds it."""
    whole = text + words
    clause = re.split(r"[.;!?|](?:\s|$)", whole)[-1][-80:]
    assert relation_before(whole) == relation_before(clause)


# ---------------------------------------------------------------------------------------------
# A record too big to read back


def test_a_record_holding_more_values_than_a_record_may_is_refused(
    docs_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of options make more values than adrgen's loader reads in one record: the
    import is refused with the count (it used to crash, reading its own YAML back)."""
    monkeypatch.setattr(write, "MAX_NODES", 40)
    options = "".join(f"* Option {i}\n" for i in range(30))
    text = HEAD + "We need X.\n\n## Considered Options\n\n" + options
    with pytest.raises(ImportFailed) as failed:
        imported(docs_repo, text)
    (problem,) = failed.value.problems
    assert problem.path.endswith("0001-import-whatever.md")
    assert "would hold" in problem.message and "at most 40" in problem.message
    assert not list((docs_repo / "decisions").iterdir())


def test_values_are_counted_as_the_loader_counts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "title: T\nstatus: accepted\noptions:\n  - {id: a, name: A, pros: [x, y]}\n  - id: b\n"
    data = yaml.safe_load(text)
    values = write._count_values(data)
    # The document; title, status, options; the two options; id, name, pros; x, y; id.
    assert values == 1 + 3 + 2 + 3 + 2 + 1
    monkeypatch.setattr(loader, "MAX_NODES", values)
    assert loader.load_text(text, Path("r.yaml")).data == data
    monkeypatch.setattr(loader, "MAX_NODES", values - 1)
    with pytest.raises(ValidationFailed):
        loader.load_text(text, Path("r.yaml"))
