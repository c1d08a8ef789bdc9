"""Real builds: the repository's own site, `adrgen build`, and `--pages-only`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from adrgen.records.model import RECORD_FILENAME
from tests.conftest import PlantumlUnderTest
from tests.helpers import HAS_PLANTUML, REPO
from tests.site.conftest import mkdocs_build, record, run, write

pytestmark = pytest.mark.timeout(90)

RECORDS = sorted(p for p in (REPO / "decisions").glob("*.yaml") if RECORD_FILENAME.match(p.name))


def test_repository_site_builds_strict(repo_site: Path) -> None:
    """`mkdocs build --strict` of a copy of this repository (the fixture asserts success)."""
    assert (repo_site / "index.html").is_file()
    for source in RECORDS:
        page = repo_site / source.stem / "index.html"
        assert page.is_file(), source.name
        assert (repo_site / source.name).read_bytes() == source.read_bytes()  # view source offline
        if HAS_PLANTUML:
            assert f'src="../diagrams/{source.stem}.svg"' in page.read_text()
            svg = repo_site / "diagrams" / f"{source.stem}.svg"
            assert svg.read_text().lstrip().startswith("<?xml")
    assert (repo_site / "graph" / "index.html").is_file()
    assert (repo_site / "tags" / "index.html").is_file()
    # This repository's own hand-written page about the appendix, with its figures table.
    appendix = (repo_site / "appendix" / "polling" / "index.html").read_text()
    assert "What decision 0001 needs" in appendix and "req/s" in appendix
    if HAS_PLANTUML:
        assert (repo_site / "diagrams" / "decision-graph.svg").is_file()


def test_decision_page_shows_what_reviewers_need(repo_site: Path) -> None:
    html = (repo_site / "0001-notification-delivery" / "index.html").read_text()
    for needle in (
        "adrgen-badge adrgen-status-accepted",
        "2024-01-15",
        "Backend lead",
        'class="md-tag"',  # tags, by Material's tags plugin
        "Decision drivers",
        "Requirements",
        "Complexity",
        "Time estimate",
        "Security concerns (3)",
        "Security concerns (6)",
        "33 req/s (trivial)",
        "1000 users / 30 s = 33 req/s",
        "1000 open connections",
        "SHIP THIS",
        "Chosen option:",
        "Consequences",
        "Confirmation",
        "Relates to:",
        "0001-notification-delivery.yaml",
    ):
        assert needle in html, needle


def test_reverse_links_and_retired_records_are_marked(repo_site: Path) -> None:
    index = (repo_site / "index.html").read_text()
    for source in RECORDS:
        data = yaml.safe_load(source.read_text())
        assert source.stem in index
        if data["status"] in ("superseded", "rejected"):
            (row,) = [
                r for r in re.findall(r"<tr>.*?</tr>", index, re.S) if f'href="{source.stem}/"' in r
            ]
            assert 'class="adrgen-retired"' in row and "adrgen-badge--retired" in row
            page = (repo_site / source.stem / "index.html").read_text()
            assert f"({data['status']})" in page.split("<title>")[1].split("</title>")[0]
        for later in data.get("links", {}).get("superseded_by", []):
            target = next(p for p in RECORDS if p.name.startswith(f"{later:04d}-"))
            later_page = (repo_site / target.stem / "index.html").read_text()
            assert "Supersedes:" in later_page and f"{source.stem}/" in later_page


def test_site_has_no_external_fonts_scripts_or_cdns(repo_site: Path) -> None:
    for page in repo_site.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        for url in re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', text):
            assert not url.startswith(("http:", "https:", "//")), (page, url)


def test_site_is_deterministic(repo_site: Path, tmp_path: Path) -> None:
    """Two builds of the same sources give the same pages (sitemap dates aside)."""
    from tests.site.conftest import copy_repo

    root = copy_repo(tmp_path / "again")
    result = mkdocs_build(root, root / "site")
    assert result.returncode == 0, result.stderr
    for page in repo_site.rglob("*.html"):
        twin = root / "site" / page.relative_to(repo_site)
        assert twin.read_bytes() == page.read_bytes(), page


def test_adrgen_build_swaps_the_site_in_whole(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    result = run(["adrgen", "build", "--strict"], project, renderer="none")
    assert result.returncode == 0, result.stderr
    site = project / "site"
    page = site / "0001-first" / "index.html"
    assert "First" in page.read_text()
    assert (project / "diagrams" / "0001-first.puml").is_file()  # render ran too
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    # A broken record: the build fails naming file and line, and site/ is untouched.
    write(
        project,
        "decisions/0001-first.yaml",
        record(1, "First").replace("complexity: low", "complexity: 3"),
    )
    failed = run(["adrgen", "build"], project, renderer="none")
    assert failed.returncode != 0
    assert re.search(r"decisions/0001-first\.yaml:\d+:\d+: options\[0\]\.complexity", failed.stderr)
    assert "Traceback" not in failed.stderr
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert not list(project.glob(".site*")), "no staging folder left behind"
    assert not list((project / ".adrgen-cache").glob("site-build-*"))


def test_pages_only_folder_builds_without_the_plugin(project: Path, tmp_path: Path) -> None:
    """`adrgen build --pages-only DIR`: what a plugin-less builder (Zensical) would build."""
    write(project, "decisions/0001-first.yaml", record(1, "First", relates_to=[2]))
    write(project, "decisions/0002-second.yaml", record(2, "Second", relates_to=[1]))
    write(project, "decisions/notes.md", "# Notes\n\nHand-written, kept as it is.\n")
    out = project / "build" / "pages"
    result = run(["adrgen", "build", "--pages-only", str(out)], project, renderer="none")
    assert result.returncode == 0, result.stderr
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "0001-first.md",
        "0002-second.md",
        "0001-first.yaml",
        "index.md",
        "graph.md",
        "tags.md",
        "notes.md",
        "assets/adrgen/adrgen.css",
        "assets/adrgen/adrgen.js",
        ".adrgen-pages",
    } <= names
    # The same mkdocs.yml, minus the plugin, pointed at the folder.
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    config["plugins"] = ["search", "tags"]
    config["docs_dir"] = str(out)
    write(project, "plain.yml", yaml.safe_dump(config))
    site = tmp_path / "plain-site"
    built = run(["mkdocs", "build", "--strict", "-f", "plain.yml", "-d", str(site)], project)
    assert built.returncode == 0, built.stderr
    assert "First" in (site / "0001-first" / "index.html").read_text()
    # Running again replaces the folder; a folder adrgen did not write is refused.
    assert (
        run(["adrgen", "build", "--pages-only", str(out)], project, renderer="none").returncode == 0
    )
    refused = run(["adrgen", "build", "--pages-only", str(project / "decisions")], project)
    assert refused.returncode != 0 and "refusing" in refused.stderr
    foreign = project / "elsewhere"
    write(project, "elsewhere/keep.txt", "mine")
    refused = run(["adrgen", "build", "--pages-only", str(foreign)], project)
    assert refused.returncode != 0 and (foreign / "keep.txt").read_text() == "mine"


def test_no_plantuml_still_builds_strict_with_a_warning_on_the_page(
    project: Path, tmp_path: Path
) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    result = mkdocs_build(project, tmp_path / "site", renderer="none")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "0001-first" / "index.html").read_text()
    assert "Diagram not rendered" in html
    assert "admonition warning" in html
    assert "@startuml" in html  # the source, in a code block


def test_plantuml_block_in_a_hand_written_page_and_a_record(
    plantuml: PlantumlUnderTest, project: Path, tmp_path: Path
) -> None:
    write(
        project,
        "decisions/0001-first.yaml",
        record(1, "First").replace(
            "  Why record 1 exists.\n",
            "  Why record 1 exists.\n\n  ```plantuml\n  Alice -> Bob : in a record\n  ```\n",
        ),
    )
    write(
        project,
        "decisions/guide/diagrams.md",
        "# Guide\n\n```plantuml\nAlice -> Bob : hello\n```\n",
    )
    result = mkdocs_build(project, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    guide = (tmp_path / "site" / "guide" / "diagrams" / "index.html").read_text()
    (src,) = re.findall(r'<img[^>]+src="([^"]+/assets/adrgen/blocks/[0-9a-f]+\.svg)"', guide)
    assert (tmp_path / "site" / "guide" / "diagrams" / src).resolve().is_file()
    page = (tmp_path / "site" / "0001-first" / "index.html").read_text()
    (src,) = re.findall(r'<img[^>]+src="(\.\./assets/adrgen/blocks/[0-9a-f]+\.svg)"', page)
    assert (tmp_path / "site" / "0001-first" / src).resolve().is_file()


def test_guarded_block_fails_the_build_naming_the_file(project: Path, tmp_path: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(project, "decisions/leak.md", "# Leak\n\n```plantuml\n!include /etc/passwd\n```\n")
    result = mkdocs_build(project, tmp_path / "site", renderer="none")
    assert result.returncode != 0
    assert "decisions/leak.md:4:1: !include '/etc/passwd' is absolute" in result.stderr
