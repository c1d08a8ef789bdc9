"""`adrgen import`: Markdown ADRs become valid YAML records, faithfully.

Most tests are driven by the corpus under tests/import_fixtures/corpus/, whose expected.yaml
says, per file, what a careful reader reads. Each corpus folder is imported as a user would
import a project (``--renumber --recursive``), from a copy outside any git repository (so
that the fixtures' own commit dates cannot stand in for dates the sources do not state).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adrgen.commands.init import init_repository
from adrgen.config import load_config
from adrgen.errors import AdrgenError, ImportFailed
from adrgen.importer import FileReport, ImportReport, ImportSettings, import_adrs
from adrgen.records.collect import load_decisions
from adrgen.records.format import INVERSE_LINK
from tests.helpers import MINIMAL_RECORD, run_adrgen, write_record

FIXTURES = Path(__file__).resolve().parent / "import_fixtures"
CORPUS = FIXTURES / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (CORPUS / "expected.yaml").read_text(encoding="utf-8")
)
KINDS = ("supersedes", "superseded_by", "relates_to")


def run(root: Path, *sources: Path, **options: Any) -> ImportReport:
    return import_adrs(list(sources), root / "decisions", **options)


def records(root: Path) -> dict[int, dict[str, Any]]:
    """Every record in the folder by number, after checking the folder validates."""
    decisions = load_decisions(load_config(root))  # raises ValidationFailed if anything is off
    return {
        d.number: yaml.safe_load(d.source.read_text(encoding="utf-8")) for d in decisions.decisions
    }


def report_of(report: ImportReport, name: str) -> FileReport:
    (file,) = [f for f in report.files if f.source.name == name]
    return file


def notes_of(report: ImportReport, name: str) -> list[str]:
    return [str(n) for n in report_of(report, name).notes]


def has_note(notes: list[str], *parts: str) -> bool:
    return any(all(p in n for p in parts) for n in notes)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def key(text: Any) -> str:
    """Names compared as a reader compares them: no case, accents, quotes or emphasis."""
    value = unicodedata.normalize("NFKD", str(text))
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    value = re.sub(r"[\"'`*_“”‘’«»\\\[\]()]", "", value)
    return re.sub(r"\s+", " ", value).strip(" .:;,")


# ---------------------------------------------------------------------------------------------
# The corpus, imported once


@dataclass
class Imported:
    """One corpus file after the import of its folder."""

    name: str
    source: Path
    report: FileReport
    record: dict[str, Any] | None
    text: str
    folder: str


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Imported]:
    """Every corpus file, imported folder by folder as a user would import a project."""
    base = tmp_path_factory.mktemp("corpus")
    found: dict[str, Imported] = {}
    top = base / "top"
    top.mkdir()
    for path in CORPUS.glob("*.md"):
        shutil.copy2(path, top / path.name)
    for folder in [top, *sorted(p for p in CORPUS.iterdir() if p.is_dir())]:
        copy = base / "src" / folder.name
        shutil.copytree(folder, copy, symlinks=True)
        repo = base / "repos" / folder.name
        (repo / "decisions").mkdir(parents=True)
        report = import_adrs([copy], repo / "decisions", renumber=True, recursive=True)
        got = records(repo)
        for file in report.files:
            relative = file.source.relative_to(copy).as_posix()
            name = relative if folder == top else f"{folder.name}/{relative}"
            record = (
                got.get(file.number)
                if file.action == "written" and file.number is not None
                else None
            )
            text = file.source.read_text(encoding="utf-8")
            found[name] = Imported(name, file.source, file, record, text, folder.name)
    return found


def _number_to_name(corpus: dict[str, Imported], folder: str) -> dict[int, str]:
    return {
        i.report.number: i.name
        for i in corpus.values()
        if i.folder == folder and i.report.action == "written" and i.report.number is not None
    }


def _expected_links(name: str) -> dict[str, set[str]]:
    """What a file's record links to: its own statements, and the other ends' (both agree)."""
    want: dict[str, set[str]] = {k: set() for k in KINDS}
    for kind in KINDS:
        want[kind] |= set((EXPECTED[name].get("links") or {}).get(kind) or [])
    for other, entry in EXPECTED.items():
        for kind in KINDS:
            if name in ((entry.get("links") or {}).get(kind) or []):
                want[INVERSE_LINK[kind]].add(other)
    return want


def check_file(corpus: dict[str, Imported], name: str) -> list[str]:
    """Every way the import of ``name`` differs from expected.yaml (empty: none)."""
    expected = EXPECTED[name]
    item = corpus[name]
    problems: list[str] = []

    def differ(field: str, want: Any, got: Any) -> None:
        problems.append(f"{name}: {field}: expected {want!r}, got {got!r}")

    if not expected["adr"]:
        if item.report.action != "skipped" or item.report.skip_kind != expected["skip_reason"]:
            differ("skip", expected["skip_reason"], (item.report.action, item.report.skip_kind))
        elif not item.report.reason:
            differ("skip reason", "a reason", item.report.reason)
        return problems
    record = item.record
    if record is None:
        differ("record", "written", item.report.reason)
        return problems
    if record["title"] != expected["title"]:
        differ("title", expected["title"], record["title"])
    number = item.report.renumbered_from or item.report.number
    if expected["number"] is not None and number != expected["number"]:
        differ("number", expected["number"], number)
    if expected["number"] is None and item.report.renumbered_from is not None:
        differ("number", None, item.report.renumbered_from)
    if record["status"] != (expected["status"] or "unknown"):
        differ("status", expected["status"], record["status"])
    if record.get("status_note") != expected.get("status_note"):
        differ("status_note", expected.get("status_note"), record.get("status_note"))
    date = record["date"]
    date = date.isoformat() if isinstance(date, dt.date) else str(date)
    want_date = expected["date"]
    want_date = want_date.isoformat() if isinstance(want_date, dt.date) else want_date
    if date != (want_date or "unknown"):
        differ("date", want_date, date)
    if (want_date is not None) and expected["date_source"]:
        source = {"body": "text", "front_matter": "front matter", "file_name": "file name"}
        if record["imported"].get("date_from") != source[expected["date_source"]]:
            differ("date_from", expected["date_source"], record["imported"].get("date_from"))
    options = record.get("options") or []
    if [key(o["name"]) for o in options] != [key(o) for o in expected["options"] or []]:
        differ("options", expected["options"], [o["name"] for o in options])
    chosen_id = (record.get("outcome") or {}).get("chosen")
    chosen = next((o["name"] for o in options if o["id"] == chosen_id), None)
    if (chosen is None) != (expected["chosen"] is None) or (
        chosen is not None and key(chosen) != key(expected["chosen"])
    ):
        differ("chosen", expected["chosen"], chosen)
    estimates = {
        key(o["name"]): o.get("time") or o.get("complexity")
        for o in options
        if o.get("time") or o.get("complexity")
    }
    want_estimates = {key(k): str(v) for k, v in (expected["estimates"] or {}).items()}
    if estimates != want_estimates:
        differ("estimates", want_estimates, estimates)
    by_number = _number_to_name(corpus, item.folder)
    links = {
        kind: {by_number.get(n, f"#{n}") for n in (record.get("links") or {}).get(kind, [])}
        for kind in KINDS
    }
    if links != _expected_links(name):
        differ("links", _expected_links(name), links)
    return problems


PATTERNS = sorted({p for entry in EXPECTED.values() for p in entry.get("patterns", [])})


def test_every_corpus_file_has_an_expectation() -> None:
    files = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*.md")
        if not any(part.startswith(".") for part in p.parts)
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_pattern(corpus: dict[str, Imported], pattern: str) -> None:
    """Every file of one pattern reads as expected.yaml says: title, number, status, date,
    options, chosen option, estimates and links (or, for a README, index or template, the
    reason it is skipped)."""
    names = [n for n, e in EXPECTED.items() if pattern in e.get("patterns", [])]
    assert names
    problems = [p for name in names for p in check_file(corpus, name)]
    assert problems == []


def test_the_whole_corpus_reads_as_expected(corpus: dict[str, Imported]) -> None:
    problems = [p for name in sorted(EXPECTED) for p in check_file(corpus, name)]
    assert problems == []
    adr = [n for n, e in EXPECTED.items() if e["adr"]]
    assert all(corpus[n].report.action == "written" for n in adr)


def _source_key(text: str) -> str:
    return key(re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL))


def test_no_imported_record_holds_a_value_its_source_did_not_state(
    corpus: dict[str, Imported],
) -> None:
    for item in corpus.values():
        if item.record is None:
            continue
        record, report, source = item.record, item.report, item.text
        plain = _source_key(source)
        text = yaml.safe_dump(record)
        assert "1970-01-01" not in text, item.name
        # The date: unknown, or read from what the source wrote (or its file name).
        if record["date"] != "unknown":
            how = record["imported"]["date_from"]
            assert how in ("text", "front matter", "file name"), item.name
            written = report.date.written
            assert written, item.name
            where = item.source.name if how == "file name" else source
            assert written in where, (item.name, written)
        # The status: unknown, or words of the source.
        if record["status"] != "unknown":
            assert report.status.written, item.name
            assert key(report.status.written) in plain, (item.name, report.status.written)
        else:
            assert not report.status.source
        # Options and their estimates: only what the source states.
        stated = {key(k): str(v) for k, v in (EXPECTED[item.name]["estimates"] or {}).items()}
        for option in record.get("options") or []:
            assert key(option["name"]) in plain, (item.name, option["name"])
            for field in ("complexity", "time"):
                if field in option:
                    assert stated.get(key(option["name"])) == str(option[field]), item.name
                    assert str(option[field]) in source, item.name
        for names in (record.get("people") or {}).values():
            for person in names:
                assert key(person) in plain, (item.name, person)


# ---------------------------------------------------------------------------------------------
# The patterns, one by one, with their reports


def test_statuses_as_people_write_them(corpus: dict[str, Imported]) -> None:
    emoji = corpus["docusaurus/adr-001-use-docusaurus-for-the-developer-portal.md"]
    assert emoji.record is not None and emoji.record["status"] == "accepted"
    assert emoji.report.status.written == "✅ Accepted"
    badge = corpus["jekyll/0036-use-renovate-for-dependency-updates.md"]
    assert badge.report.status.source == "badge"
    after = corpus["freeform/log-retention.md"]
    assert after.report.status.source == "status section"
    header = corpus["nygard-tools/0008-authenticate-services-with-mutual-tls.md"]
    assert header.report.status.source == "header line"
    assert header.record is not None and header.record["links"] == {"superseded_by": [10]}
    changelog = corpus["freeform/feature-flags.md"]
    assert changelog.report.status.source == "change log"
    assert changelog.record is not None and changelog.record["date"] == dt.date(2021, 2, 23)
    note = corpus["nygard-tools/0004-use-postgresql-for-the-ledger.md"]
    assert note.record is not None
    assert note.record["status_note"] == "documenting an existing thing"
    assert note.record["imported"]["status_from"] == "status section, line 7"
    # Status words in a code fence or an HTML comment are not the record's status.
    fence = corpus["edge-cases/0008-describe-services-in-a-yaml-descriptor.md"]
    assert fence.record is not None and fence.record["status"] == "unknown"
    assert "status_from" not in fence.record["imported"]


def test_accepted_with_options_and_no_matching_chosen_option_keeps_its_status(
    tmp_path: Path,
) -> None:
    source = tmp_path / "adr" / "0004-cache-layer.md"
    source.parent.mkdir()
    source.write_text(
        "---\nstatus: accepted\ndate: 2024-05-01\n---\n# Cache layer\n\n"
        "## Context and Problem Statement\n\nPages are slow.\n\n"
        "## Considered Options\n\n* Redis\n* In-process LRU\n\n## Decision Outcome\n\n"
        'Chosen option: "Memcached", because the ops team runs it.\n',
        encoding="utf-8",
    )
    report = import_adrs([source.parent], tmp_path / "decisions")
    record = yaml.safe_load((tmp_path / "decisions/0004-cache-layer.yaml").read_text())
    assert record["status"] == "accepted"
    assert "chosen" not in record["outcome"]
    assert record["outcome"]["decision"].startswith('Chosen option: "Memcached"')
    assert [o["name"] for o in record["options"]] == ["Redis", "In-process LRU"]
    assert has_note(notes_of(report, source.name), "'Memcached' is not among the considered")


def test_an_accepted_record_with_options_and_no_outcome_is_not_demoted(docs_repo: Path) -> None:
    run(docs_repo, FIXTURES / "madr3")
    record = records(docs_repo)[3]
    assert record["status"] == "accepted"
    assert "outcome" not in record
    assert [o["name"] for o in record["options"]] == ["30 days", "Forever"]


def test_no_placeholders_anywhere(docs_repo: Path) -> None:
    """Options are not estimated unless the source says; no date means unknown."""
    report = run(docs_repo, FIXTURES / "madr4", FIXTURES / "misc", recursive=True, renumber=True)
    for path in (docs_repo / "decisions").glob("*.yaml"):
        text = path.read_text()
        assert "TODO" not in text and "1970-01-01" not in text
        assert "complexity:" not in text and "time:" not in text
    sqlite = report_of(report, "use-sqlite-in-tests.md")
    record = yaml.safe_load(sqlite.output.read_text()) if sqlite.output else {}
    # The source states no date, and the fixture arrived in one commit with every other ADR
    # of this import: that day dates the copy, not the decision. No date is invented.
    assert record["date"] == "unknown" and "date_from" not in record["imported"]


def test_site_absolute_relative_plain_and_reference_links(corpus: dict[str, Imported]) -> None:
    kaniko = corpus["jekyll/0037-build-container-images-with-kaniko.md"].record
    buildkit = corpus["jekyll/0039-build-container-images-with-buildkit.md"].record
    assert kaniko is not None and buildkit is not None
    assert kaniko["status"] == "superseded"
    assert kaniko["links"] == {"superseded_by": [39]}
    assert buildkit["links"]["supersedes"] == [37]
    reference = corpus["edge-cases/0005-export-reports-to-s3.md"].record
    assert reference is not None and reference["links"] == {"superseded_by": [6]}


def test_links_by_site_address_slug_and_renamed_file(tmp_path: Path) -> None:
    folder = tmp_path / "decisions-md"
    folder.mkdir()
    body = "\n\n## Status\n\nAccepted\n\n## Decision\n\n"
    (folder / "0009-sdk-as-a-csharp-client-library.md").write_text("# 9. SDK" + body + "Yes.\n")
    (folder / "0011-cd-pipeline.md").write_text(
        "# 11. CD" + body + "See [ADR-0009](https://github.com/o/r/blob/dev/docs/architecture/"
        "decisions/0009-sdk-as-a-c%23-client-library.md) and [Other's ADR-0009]"
        "(https://github.com/x/y/blob/main/docs/adr/0009-manual-yaml-serialisation.md).\n"
    )
    (folder / "0016-watt-time-v3.md").write_text("# 16. v3" + body + "Yes.\n")
    (folder / "0017-signal-type.md").write_text(
        "# 17. Signal" + body + "As [ADR-0015](https://example.org/docs/architecture/decisions/"
        "watt-time-v3) says.\n"
    )
    import_adrs([folder], tmp_path / "decisions")
    got = {
        int(p.name[:4]): yaml.safe_load(p.read_text())
        for p in (tmp_path / "decisions").glob("*.yaml")
    }
    # Docusaurus drops the number from a page's address; a renamed file keeps its number.
    assert got[17]["links"] == {"relates_to": [16]}
    assert got[11]["links"] == {"relates_to": [9]}  # not the other project's ADR 9 as well


def test_amends_is_linked_and_keeps_its_wording(corpus: dict[str, Imported]) -> None:
    money = corpus["nygard-tools/0003-store-money-as-integer-minor-units.md"]
    assert money.record is not None
    assert money.record["links"] == {"relates_to": [7]}
    assert (
        "### Status\n\nAmended by [7. Round currency conversions half to even]"
        "(0007-round-currency-conversions-half-to-even.md)"
    ) in money.record["context"]


def test_dates_in_every_accepted_form(corpus: dict[str, Imported]) -> None:
    def date_of(name: str) -> Any:
        record = corpus[name].record
        assert record is not None
        return record["date"]

    assert date_of("docusaurus/adr-001-use-docusaurus-for-the-developer-portal.md") == dt.date(
        2022, 12, 19
    )
    assert date_of("docusaurus/adr-006-track-portal-usage-with-plausible.md") == "2025-05"
    assert date_of("madr2/0007-replace-jenkins-with-a-hosted-ci-service.md") == dt.date(2022, 10, 5)
    assert date_of("french-madr/0002-choisir-la-base-de-donnees-du-portail.md") == dt.date(
        2021, 4, 14
    )
    named = corpus["dated-names/20200924-adopt-trunk-based-development.md"]
    assert named.record is not None and named.record["imported"]["date_from"] == "file name"
    assert date_of("dated-names/2022-01-17-use-sentry-for-error-tracking.md") == dt.date(
        2022, 1, 20
    )
    assert date_of("madr3/0007-keep-audit-events-for-seven-years.md") == "unknown"


def test_an_ambiguous_day_and_month_is_resolved_and_reported(corpus: dict[str, Imported]) -> None:
    first = corpus["edge-cases/0001 use redis for caching.md"]
    second = corpus["edge-cases/0002-retry-failed-webhooks.md"]
    assert first.record is not None and second.record is not None
    assert first.record["date"] == dt.date(2018, 5, 2)
    assert second.record["date"] == dt.date(2018, 10, 4)
    notes = [str(n) for n in first.report.notes]
    assert has_note(notes, ":3:1: date: '05/02/2018' could be day/month or month/day")
    assert has_note(notes, "read as month/day (2018-05-02)", "American spelling")


def test_the_date_order_can_be_set_for_a_project(tmp_path: Path) -> None:
    folder = tmp_path / "adr"
    shutil.copytree(CORPUS / "edge-cases", folder)
    settings = ImportSettings(date_order="day-first")
    report = import_adrs(
        [folder / "0001 use redis for caching.md"], tmp_path / "decisions", settings=settings
    )
    record = yaml.safe_load(report.written[0].output.read_text())  # type: ignore[union-attr]
    assert record["date"] == dt.date(2018, 2, 5)
    assert has_note(
        notes_of(report, "0001 use redis for caching.md"), "date_order = day-first in adrgen.toml"
    )


def test_the_title_number_against_the_file_name(corpus: dict[str, Imported]) -> None:
    item = corpus["jekyll/0038-publish-internal-packages-to-artifactory.md"]
    assert item.report.number == 38
    assert has_note(
        [str(n) for n in item.report.notes],
        ":9:1: title: the title says 37 but the file name says 38; the file name's number is used",
    )


def test_readme_index_and_templates_are_skipped_with_a_reason(
    corpus: dict[str, Imported],
) -> None:
    for name, kind in (
        ("nygard-tools/README.md", "readme"),
        ("madr2/index.md", "index"),
        ("madr3/adr-template.md", "template"),
        ("french-madr/modele.md", "template"),
        ("edge-cases/0000-adr-template.md", "template"),
    ):
        report = corpus[name].report
        assert (report.action, report.skip_kind) == ("skipped", kind)
        assert report.reason.endswith("not a record")


def test_a_page_bundle_and_a_link_to_it(tmp_path: Path) -> None:
    """``003-release/index.md`` is a decision named by its folder; a README that is a
    symbolic link to it is the same record."""
    root = tmp_path / "adr"
    (root / "003-release").mkdir(parents=True)
    (root / "003-release" / "index.md").write_text(
        "# Release process\n\n## Status\n\nAccepted\n\n## Decision\n\nRelease monthly.\n",
        encoding="utf-8",
    )
    (root / "003-release" / "README.md").symlink_to("index.md")
    (root / "README.md").write_text("# Decisions\n\n- [Release](003-release/)\n")
    report = run(tmp_path, root, recursive=True)
    assert [(f.source.name, f.action, f.number) for f in report.written] == [
        ("index.md", "written", 3)
    ]
    kinds = sorted(f.skip_kind for f in report.skipped)
    assert kinds == ["duplicate", "readme"]


def test_unmapped_text_is_kept_and_reported_with_its_lines(corpus: dict[str, Imported]) -> None:
    item = corpus["freeform/rate-limiting-design-notes.md"]
    assert item.record is not None
    assert "### Open questions\n\n- Do internal services get exempt keys" in item.record["context"]
    (unmapped,) = [u for u in item.report.unmapped if u.heading == "Open questions"]
    assert (unmapped.start, unmapped.end) == (40, 44)
    assert has_note(
        [str(n) for n in item.report.notes],
        ":40:1: context: section 'Open questions' has no field in the record (lines 40-44)",
    )


# ---------------------------------------------------------------------------------------------
# Languages


def test_french_madr_reads_through_the_language_table(corpus: dict[str, Imported]) -> None:
    record = corpus["french-madr/0002-choisir-la-base-de-donnees-du-portail.md"].record
    assert record is not None
    assert record["people"] == {"decision_makers": ["Julien Moreau", "Sarah Benali"]}
    assert record["drivers"][0] == "Hébergement sur le cloud qualifié retenu par le ministère"
    assert record["outcome"]["chosen"] == "postgresql"
    assert record["outcome"]["consequences"]["good"][0].startswith("les sauvegardes")
    assert record["options"][1]["cons"] == ["l'équipe d'exploitation le connaît moins bien"]
    assert record["imported"]["format"] == "madr2"


GERMAN = """\
# Nachrichten über eine Warteschlange senden

* Stand: angenommen
* Datum: 2023-03-01

## Hintergrund

Dienste rufen sich direkt auf.

## Betrachtete Varianten

* RabbitMQ
* Direkte Aufrufe

## Entscheidung

Gewählte Variante: "RabbitMQ", weil es schon betrieben wird.
"""


def test_a_project_extends_the_language_table_in_adrgen_toml(docs_repo: Path) -> None:
    source = docs_repo / "alt" / "0001-nachrichten.md"
    source.parent.mkdir()
    source.write_text(GERMAN, encoding="utf-8")
    before = import_adrs([source], docs_repo / "decisions", dry_run=True)
    assert report_of(before, source.name).status.value == "unknown"
    (docs_repo / "adrgen.toml").write_text(
        "[import.sections]\n"
        'context = ["Hintergrund"]\n'
        'options = ["Betrachtete Varianten"]\n'
        'decision = ["Entscheidung"]\n'
        'status = ["Stand"]\n'
        'date = ["Datum"]\n'
        "\n[import.phrases]\n"
        'chosen_option = ["Gewählte Variante"]\n',
        encoding="utf-8",
    )
    result = run_adrgen("import", str(source), cwd=docs_repo)
    assert result.returncode == 0, result.stderr
    record = records(docs_repo)[1]
    assert record["status"] == "accepted"
    assert record["date"] == dt.date(2023, 3, 1)
    assert record["context"] == "Dienste rufen sich direkt auf."
    assert [o["name"] for o in record["options"]] == ["RabbitMQ", "Direkte Aufrufe"]
    assert record["outcome"]["chosen"] == "rabbitmq"


# ---------------------------------------------------------------------------------------------
# Numbers and links across the run


def test_recursive_trees_where_numbers_repeat(docs_repo: Path, tmp_path: Path) -> None:
    nested = tmp_path / "nested"
    shutil.copytree(CORPUS / "nested", nested)
    flat = run(docs_repo, nested, dry_run=True)
    assert flat.written == ()  # only README.md at the top; the records are in subfolders
    plain = run(docs_repo, nested, recursive=True, dry_run=True)
    taken = [f for f in plain.skipped if f.skip_kind == "number taken"]
    assert {f.source.parent.name for f in taken} == {"frontend", "infra"}
    assert all("--renumber" in f.reason for f in taken)
    report = run(docs_repo, nested, recursive=True, renumber=True)
    got = records(docs_repo)
    assert sorted(got) == list(range(1, 9))
    numbers = {f"{f.source.parent.name}/{f.source.name[:4]}": f.number for f in report.written}
    assert numbers == {
        "backend/0001": 1,
        "backend/0002": 2,
        "backend/0003": 3,
        "frontend/0001": 4,
        "frontend/0002": 5,
        "infra/001-": 6,
        "infra/002-": 7,
        "infra/003-": 8,
    }
    # The cross-folder links follow the moved numbers, and both ends agree.
    assert got[3]["links"] == {"relates_to": [5]}
    assert got[5]["links"] == {"relates_to": [3]}
    assert got[6]["links"] == {"relates_to": [8]}
    assert has_note(
        notes_of(report, "0001-use-sveltekit.md"),
        "number 0001 is also used by",
        "imported as 0004",
    )


def test_renumber_keeps_a_supersede_chain(docs_repo: Path, tmp_path: Path) -> None:
    for number in range(1, 6):
        write_record(docs_repo, f"{number:04d}-hand-written.yaml", MINIMAL_RECORD)
    source = tmp_path / "nygard-tools"
    shutil.copytree(CORPUS / "nygard-tools", source)
    report = run(docs_repo, source, renumber=True)
    numbers = {f.source.name[:4]: f.number for f in report.written}
    assert numbers == {
        "0001": 11,
        "0002": 12,
        "0003": 13,
        "0004": 14,
        "0005": 15,
        "0006": 6,
        "0007": 7,
        "0008": 8,
        "0009": 9,
        "0010": 10,
    }
    got = records(docs_repo)
    rabbit, kafka, managed = 12, 15, 9
    assert got[rabbit]["links"] == {"superseded_by": [kafka]}
    assert got[kafka]["links"] == {"supersedes": [rabbit], "superseded_by": [managed]}
    assert got[managed]["links"] == {"supersedes": [kafka]}
    assert got[rabbit]["status"] == got[kafka]["status"] == "superseded"
    assert has_note(
        notes_of(report, "0005-use-kafka-for-payment-events.md"),
        "number 0005 is taken by 0005-hand-written.yaml; imported as",
    )
    # Same input, same bytes; and a second run adds nothing.
    again = run(docs_repo, source, renumber=True)
    assert again.written == ()
    assert {f.skip_kind for f in again.skipped} == {"imported before", "readme"}
    other = tmp_path / "other"
    (other / "decisions").mkdir(parents=True)
    for number in range(1, 6):
        write_record(other, f"{number:04d}-hand-written.yaml", MINIMAL_RECORD)
    run(other, source, renumber=True)
    assert snapshot(other / "decisions") == snapshot(docs_repo / "decisions")


def test_a_record_superseded_by_one_not_imported_says_by_what(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "nygard" / "0002-sanitise-html-with-bleach.md")
    record = records(docs_repo)[2]
    assert record["status"] == "superseded"
    assert "links" not in record
    assert record["status_note"] == "by 3. Sanitise HTML with nh3"
    notes = notes_of(report, "0002-sanitise-html-with-bleach.md")
    assert has_note(notes, "links.superseded_by", "names no record of this import")
    assert has_note(notes, "status: superseded, but by no record of this import")


def test_a_supersedes_claim_the_other_end_denies_becomes_relates_to(tmp_path: Path) -> None:
    folder = tmp_path / "adr"
    folder.mkdir()
    (folder / "0001-old.md").write_text(
        "# 1. Old\n\n## Status\n\nProposed\n\n## Context\n\nOld.\n\n## Decision\n\nA.\n"
    )
    (folder / "0002-new.md").write_text(
        "# 2. New\n\n## Status\n\nAccepted\n\nSupersedes [1. Old](0001-old.md)\n\n"
        "## Context\n\nNew.\n\n## Decision\n\nB.\n"
    )
    report = import_adrs([folder], tmp_path / "decisions")
    old = yaml.safe_load((tmp_path / "decisions/0001-old.yaml").read_text())
    assert old["status"] == "proposed"
    assert old["links"] == {"relates_to": [2]}
    assert has_note(notes_of(report, "0002-new.md"), "linked as relates_to at both ends")
    new = yaml.safe_load((tmp_path / "decisions/0002-new.yaml").read_text())
    assert "### Status\n\nSupersedes [1. Old](0001-old.md)" in new["context"]  # the claim


def test_links_to_existing_records(docs_repo: Path) -> None:
    write_record(
        docs_repo, "0001-a-small-decision.yaml", MINIMAL_RECORD + "links:\n  relates_to: [3]\n"
    )
    report = run(docs_repo, FIXTURES / "nygard" / "0003-sanitise-html-with-nh3.md")
    assert records(docs_repo)[3]["links"] == {"relates_to": [1]}
    assert has_note(
        notes_of(report, "0003-sanitise-html-with-nh3.md"), "links.relates_to: added 0001"
    )


# ---------------------------------------------------------------------------------------------
# The report, dry runs, overwriting, determinism


def test_report_json(docs_repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "edge-cases"
    shutil.copytree(CORPUS / "edge-cases", source)
    result = run_adrgen(
        "import", "--renumber", "--report", "report.json", str(source), cwd=docs_repo
    )
    assert result.returncode == 0, result.stderr
    assert "report written to report.json" in result.stderr
    report = json.loads((docs_repo / "report.json").read_text())
    assert report["summary"] == {"files": 15, "records": 13, "skipped": 2}
    files = {Path(f["source"]).name: f for f in report["files"]}
    template = files["0000-adr-template.md"]
    assert template["action"] == "skipped"
    assert template["skip"] == {"kind": "template", "reason": "a template, not a record"}
    redis = files["0001 use redis for caching.md"]
    assert redis["status"] == {
        "value": "accepted",
        "note": None,
        "as_written": "accepted",
        "from": "status line",
        "line": 4,
    }
    assert redis["date"] == {
        "value": "2018-05-02",
        "from": "text",
        "as_written": "05/02/2018",
        "line": 3,
    }
    assert any("could be day/month or month/day" in w for w in redis["warnings"])
    argon = files["0010-hash-passwords-with-argon2id.md"]
    assert argon["status"]["from"] == "table"
    assert argon["unmapped"] == []
    tokens = files["ADR-0056-use-jwt-access-tokens.md"]
    assert tokens["links"] == {"superseded_by": [57]}
    assert all(
        re.match(r"^.+:\d+:\d+: ", w) for f in report["files"] for w in f.get("warnings", [])
    )


def test_dry_run_writes_nothing(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr3", dry_run=True)
    assert report.dry_run
    assert {f.action for f in report.written} == {"would write"}
    assert list((docs_repo / "decisions").iterdir()) == []
    assert report.lines()[-1].startswith("would write 3 record(s), skipped 0 file(s)")


def test_importing_twice_never_overwrites(docs_repo: Path) -> None:
    run(docs_repo, FIXTURES / "nygard")
    target = docs_repo / "decisions" / "0003-sanitise-html-with-nh3.yaml"
    edited = target.read_text() + "# edited by hand\n"
    target.write_text(edited)
    report = run(docs_repo, FIXTURES / "nygard")
    assert report.written == ()
    assert all(
        "imported before" in f.reason for f in report.skipped if f.source.name != "README.md"
    )
    assert target.read_text() == edited
    records(docs_repo)


def test_a_number_taken_by_another_record_is_skipped_without_renumber(docs_repo: Path) -> None:
    write_record(docs_repo, "0002-a-small-decision.yaml", MINIMAL_RECORD)
    report = run(docs_repo, FIXTURES / "nygard")
    skipped = report_of(report, "0002-sanitise-html-with-bleach.md")
    assert skipped.skip_kind == "number taken"
    assert "number 0002 is taken by 0002-a-small-decision.yaml" in skipped.reason
    assert "--renumber" in skipped.reason
    got = records(docs_repo)
    assert got[2]["title"] == "A small decision"
    # 0003 "Supersedes" the Markdown 0002, which is not imported: not linked to the YAML 0002,
    # and the line is kept.
    assert got[3]["links"] == {"relates_to": [4]}
    assert (
        "Supersedes [2. Sanitise HTML with bleach](0002-sanitise-html-with-bleach.md)"
        in (got[3]["context"])
    )


def test_renumber_after_init(docs_repo: Path) -> None:
    init_repository(docs_repo, today=dt.date(2024, 1, 1))
    init_record = (docs_repo / "decisions/0001-record-architecture-decisions.yaml").read_bytes()
    report = run(docs_repo, FIXTURES / "nygard", renumber=True)
    first = report_of(report, "0001-record-architecture-decisions.md")
    assert (first.number, first.renumbered_from) == (5, 1)
    assert (docs_repo / "decisions/0001-record-architecture-decisions.yaml").read_bytes() == (
        init_record
    )
    got = records(docs_repo)
    assert got[5]["title"] == "Record architecture decisions"
    assert got[3]["links"] == {"supersedes": [2], "relates_to": [4]}


def test_output_is_deterministic_and_readable(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        import_adrs([FIXTURES / "madr3", FIXTURES / "madr4"], tmp_path / name, renumber=True)
        outputs.append({p.name: p.read_bytes() for p in (tmp_path / name).iterdir()})
    assert outputs[0] == outputs[1]
    text = (tmp_path / "one" / "0001-store-notifications-in-postgresql.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/adr.schema.json\n")
    assert "\ncontext: |\n  Notifications must survive restarts" in text
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == [
        "title",
        "status",
        "date",
        "people",
        "context",
        "drivers",
        "options",
        "outcome",
        "imported",
    ]
    assert not list((tmp_path / "one").glob(".*")), "no temporary files left behind"


def test_text_that_looks_like_yaml_or_templates_round_trips(tmp_path: Path) -> None:
    context = (
        "key: value # not a comment\n"
        "{{ 7*7 }} and {% raw %}\n"
        "    indented code\n"
        "- not a list item of the record\n"
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
    assert record["outcome"]["decision"] == "null"


# ---------------------------------------------------------------------------------------------
# Git history


def _git(cwd: Path, *args: str, when: str = "2019-03-04T10:00:00+00:00") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.invalid",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def test_a_date_from_git_history_is_marked_as_such(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    (repo / "doc" / "adr").mkdir(parents=True)
    source = repo / "doc" / "adr" / "0001-use-git.md"
    source.write_text("# 1. Use git\n\n## Status\n\nAccepted\n\n## Decision\n\nYes.\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first", when="2019-03-04T10:00:00+00:00")
    source.write_text(source.read_text() + "\nMore.\n")
    _git(repo, "commit", "-qam", "second", when="2021-07-08T10:00:00+00:00")
    report = import_adrs([repo / "doc" / "adr"], tmp_path / "decisions")
    record = yaml.safe_load(report.written[0].output.read_text())  # type: ignore[union-attr]
    assert record["date"] == dt.date(2019, 3, 4)
    assert record["imported"]["date_from"] == "git history"
    assert has_note(
        notes_of(report, "0001-use-git.md"), "2019-03-04 is the day git history added the file"
    )


# ---------------------------------------------------------------------------------------------
# Bad input


def test_unreadable_files_fail_with_positions_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "adr"
    shutil.copytree(FIXTURES / "nygard", folder)
    (folder / "0005-latin1.md").write_bytes(b"# 5. Caf\xe9\n\n## Status\n\nAccepted\n")
    with pytest.raises(ImportFailed) as caught:
        import_adrs([folder], tmp_path / "decisions")
    lines = caught.value.lines()
    assert any(
        line.endswith("0005-latin1.md:1:9: file is not valid UTF-8 (byte 0xe9 at offset 8)")
        for line in lines
    )
    assert isinstance(caught.value, AdrgenError)
    assert not (tmp_path / "decisions").exists()


def test_front_matter_that_cannot_be_read_is_kept_and_reported(tmp_path: Path) -> None:
    source = tmp_path / "adr" / "0006-bad-front-matter.md"
    source.parent.mkdir()
    source.write_text(
        "---\nstatus: [accepted\ndate: 2020-01-01\n---\n# Six\n\n## Decision\n\nYes.\n",
        encoding="utf-8",
    )
    report = import_adrs([source.parent], tmp_path / "decisions")
    record = yaml.safe_load(report.written[0].output.read_text())  # type: ignore[union-attr]
    assert record["status"] == "unknown"
    assert "```yaml\nstatus: [accepted\ndate: 2020-01-01\n```" in record["context"]
    assert has_note(notes_of(report, source.name), "0006-bad-front-matter.md:3:", "front matter")


def test_missing_path_and_non_markdown_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_adrs([tmp_path / "nope", tmp_path / "notes.txt"], tmp_path / "decisions")
    text = str(caught.value)
    assert "nope:0:0: no such file or directory" in text
    assert "notes.txt:0:0: not a Markdown file (.md)" in text


# ---------------------------------------------------------------------------------------------
# The imported repository validates and builds, for real


def test_a_corpus_import_validates_and_builds(tmp_path: Path) -> None:
    repo = tmp_path / "site-repo"
    repo.mkdir()
    init_repository(repo, today=dt.date(2024, 1, 1))
    for starter in (repo / "decisions").glob("*.yaml"):
        starter.unlink()
    sources = tmp_path / "sources"
    for folder in ("nygard-tools", "madr4", "french-madr", "docusaurus"):
        shutil.copytree(CORPUS / folder, sources / folder)
    env = {**os.environ, "NO_COLOR": "1", "ADRGEN_RENDERER": "none"}
    for folder in sorted(sources.iterdir()):
        result = run_adrgen("import", "--renumber", str(folder), cwd=repo, env=env)
        assert result.returncode == 0, result.stderr
    validate = run_adrgen("validate", cwd=repo, env=env)
    assert validate.returncode == 0, validate.stderr
    build = run_adrgen("build", cwd=repo, env=env, timeout=600)
    assert build.returncode == 0, build.stderr
    assert (repo / "site" / "index.html").is_file()
    pages = [p.read_text() for p in (repo / "site").glob("*/index.html")]
    assert sum("Authenticate services with mutual TLS" in p and "superseded" in p for p in pages)
    assert len(list((repo / "decisions").glob("*.yaml"))) == 30


# ---------------------------------------------------------------------------------------------
# Any Markdown: a valid record or a reason, never a traceback

_PIECES = [
    "# 3. A title\n",
    "# Context\n",
    "Title\n=====\n",
    "## Status\n",
    "## Statut\n",
    "## Decision\n",
    "## Considered Options\n",
    "## Decision Outcome\n",
    "## Pros and Cons of the Options\n",
    "### Option A\n",
    "## Consequences\n",
    "## Links\n",
    "Status: accepted\n",
    "* Status: superseded by [ADR-0002](0002-x.md)\n",
    "**Status:** ✅ Accepted\n",
    "Superseded: 2019-12-19 by [ADR 1](0001-x.md)\n",
    "Date: 05/02/2018\n",
    "Date: May 2025\n",
    "Date: 2023-13-10\n",
    'Chosen option: "A", because it is first.\n',
    "Chosen option:\n",
    "* A\n* B\n  * nested\n",
    "1. Offset: one\n2. Cursor: two\n",
    "* Good, because yes\n* Bad, because no\n",
    "| Option | Effort |\n|---|---|\n| A | 2 weeks |\n",
    "| Status | Date |\n|---|---|\n| Accepted | 2020-01-02 |\n",
    "```yaml\n---\nstatus: accepted\n---\n```\n",
    "<!-- Status: Rejected -->\n",
    ":::info Status\n\nAccepted\n\n:::\n",
    "See ADR 2 and [the other](/adr/1) and [ref][r].\n\n[r]: 0002-x.md\n",
    "**Option 1:** first\n**[SELECTED] Option 2:** second\n",
    "We decided to go with option 2.\n",
    "{{ 7*7 }} @enduml !include /etc/passwd\n",
    "yes\n",
    "   \n\t\n",
    "text with trailing spaces   \n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12),
    second=st.lists(st.sampled_from(_PIECES), min_size=0, max_size=12),
    front=st.sampled_from(
        ["", "---\nstatus: proposed\n---\n", "---\ntag:Web\n---\n", "---\n[\n---\n"]
    ),
    crlf=st.booleans(),
)
def test_any_markdown_imports_into_a_valid_folder(
    tmp_path_factory: pytest.TempPathFactory,
    first: list[str],
    second: list[str],
    front: str,
    crlf: bool,
) -> None:
    base = tmp_path_factory.mktemp("any")
    folder = base / "adr"
    folder.mkdir()
    for name, pieces in (("0001-x.md", first), ("0002-x.md", second)):
        text = front + "\n".join(pieces)
        (folder / name).write_bytes(text.replace("\n", "\r\n" if crlf else "\n").encode())
    report = import_adrs([folder], base / "decisions", renumber=True)
    assert len(report.written) == 2
    records(base)  # the folder validates


def test_variants_old_dates_options_as_h2_and_the_chosen_option_first(docs_repo: Path) -> None:
    """adr-tools' old dd/mm dates; MADR's own layout (each option an H2 after "Pros and
    Cons", example front matter in a fence); '"X" is the chosen option'."""
    report = run(docs_repo, FIXTURES / "variants")
    got = records(docs_repo)
    assert got[2]["date"] == dt.date(2016, 2, 12)
    assert has_note(
        notes_of(report, "0002-implement-as-shell-scripts.md"), ":3:1: date: '12/02/2016'"
    )
    front = got[13]
    yaml_option, plain_option = front["options"]
    assert yaml_option["pros"] == ["it shortens the body"]
    assert "```markdown\n---\nstatus: accepted\n---" in yaml_option["summary"]
    assert plain_option["pros"] == ["every parser handles it"]
    assert front["outcome"]["chosen"] == yaml_option["id"]
    assert front["status"] == "unknown"  # "status: accepted" is in the example only
    check = got[18]
    confirmation, validation = check["options"]
    assert check["outcome"]["chosen"] == confirmation["id"]
    assert check["outcome"]["rationale"] == '"validation" means something else.'
    assert confirmation["pros"] == ["it is a common word"]
    assert validation["cons"] == ["it suggests a formal procedure"]


def test_madr2_links_section_and_web_links(docs_repo: Path) -> None:
    report = run(docs_repo, FIXTURES / "madr2")
    got = records(docs_repo)
    # "Refined by [ADR-0002]" / "Refines [ADR-0001]": relates_to at both ends, wording kept.
    assert got[1]["links"] == {"relates_to": [2]}
    assert got[2]["links"] == {"relates_to": [1]}
    assert "- [MADR project](https://adr.github.io/madr/)" in got[1]["context"]
    notes = notes_of(report, "0001-use-markdown-architectural-decision-records.md")
    assert has_note(notes, "links in 'Links' that say more than relates_to")
