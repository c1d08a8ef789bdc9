"""adrgen inside a team's existing MkDocs Material site: a section, not a takeover.

A fixture site with a home page, a guide and (in some variants) an explicit nav gets
`adrgen init`, `adrgen new` and `adrgen build`, for real. Their pages, their home page and
their nav order stay; a Decisions section reaches every decision; `mkdocs build --strict`
passes; nothing about adrgen's own repository appears. Records sit outside `docs_dir`
(`decisions/`, the default) or inside it (`docs/decisions/`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.servers import free_port, wait_until
from tests.site.conftest import (
    http_get,
    mkdocs_build,
    run,
    serve_directory,
    write,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

MKDOCS_YML = """\
# The platform team's handbook.
site_name: Platform handbook
theme:
  name: material
  font: false   # offline
  features:
    - navigation.indexes
    - navigation.sections
markdown_extensions:
  - toc:
      permalink: true
plugins:
  - search:
      lang: en
{nav}
"""
NAV = """\
nav:
  - Home: index.md        # our landing page
  - Guide: guide.md
  # more pages come here
"""
INDEX = "# Platform handbook\n\nWelcome to the handbook of the platform team.\n"
GUIDE = "# Guide\n\nHow we deploy: push to `main`, and the pipeline does the rest.\n"


def team_site(root: Path, *, nav: bool, inside: bool) -> Path:
    """Their site as it was before adrgen."""
    write(root, "mkdocs.yml", MKDOCS_YML.format(nav=NAV if nav else ""))
    write(root, "docs/index.md", INDEX)
    write(root, "docs/guide.md", GUIDE)
    if inside:
        # Their choice: records live in the docs folder, beside the pages.
        write(root, "adrgen.toml", 'decisions_dir = "docs/decisions"\n')
    return root


def article(html: str) -> str:
    """A built page's own content (Material's <article>), without the nav around it."""
    match = re.search(r"<article[^>]*>(.*?)</article>", html, re.DOTALL)
    assert match, "no <article> in the page"
    return match.group(1)


@pytest.fixture(params=["explicit nav, records outside docs", "no nav, records inside docs"])
def adopted(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path
) -> Iterator[tuple[Path, Path, bool, bool]]:
    """A team site, built once before adrgen (the baseline), then adopted with init + new."""
    nav = request.param.startswith("explicit")
    inside = "inside" in request.param
    root = team_site(tmp_path / "handbook", nav=nav, inside=inside)
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    baseline = tmp_path / "baseline"
    assert mkdocs_build(root, baseline, renderer="none").returncode == 0
    init = run(["adrgen", "init"], root)
    assert init.returncode == 0, init.stderr
    assert "edited mkdocs.yml: plugins: added tags" in init.stderr
    assert not (root / "docs" / "mkdocs.yml").exists()
    new = run(["adrgen", "new", "Use PostgreSQL for the job queue"], root)
    assert new.returncode == 0, new.stderr
    yield root, baseline, nav, inside


def test_init_wires_the_plugin_into_their_configuration(
    adopted: tuple[Path, Path, bool, bool],
) -> None:
    root, _baseline, nav, _inside = adopted
    text = (root / "mkdocs.yml").read_text()
    assert "# The platform team's handbook." in text and "font: false   # offline" in text
    assert ("# our landing page" in text) == nav
    config = yaml.safe_load(text)
    assert config["plugins"] == [{"search": {"lang": "en"}}, "tags", "adrgen"]
    if nav:
        assert config["nav"] == [
            {"Home": "index.md"},
            {"Guide": "guide.md"},
            {"Decisions": "decisions/index.md"},
        ]
        # The closing comment of their nav still closes it.
        assert text.index("# more pages come here") > text.index("Decisions: decisions/index.md")
    else:
        assert "nav" not in config
    again = run(["adrgen", "init", "--dry-run"], root)
    assert again.returncode == 0 and "adrgen is wired in already" in again.stderr


def test_the_site_gets_a_decisions_section_and_keeps_its_pages(
    adopted: tuple[Path, Path, bool, bool], tmp_path: Path
) -> None:
    root, baseline, nav, _inside = adopted
    built = run(["adrgen", "build", "--strict"], root)
    assert built.returncode == 0, built.stderr
    site = root / "site"
    strict = mkdocs_build(root, tmp_path / "strict-site")
    assert strict.returncode == 0, strict.stderr
    # Their pages are unchanged, at their URLs; the home page is still theirs.
    for page in ("index.html", "guide/index.html"):
        assert article((site / page).read_text()) == article((baseline / page).read_text()), page
    assert "Welcome to the handbook" in (site / "index.html").read_text()
    # The decisions are a section at decisions/, the index and every record reachable.
    index = (site / "decisions" / "index.html").read_text()
    assert "Architecture decisions" in index
    for slug in ("0001-record-architecture-decisions", "0002-use-postgresql-for-the-job-queue"):
        assert (site / "decisions" / slug / "index.html").is_file()
        assert f'href="{slug}/"' in index
    home = (site / "index.html").read_text()
    assert 'href="decisions/"' in home  # the nav leads there from their home page
    assert (site / "decisions" / "0002-use-postgresql-for-the-job-queue.yaml").is_file()
    # Their nav order stays: Home, Guide, then Decisions.
    labels = re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*(?:<[^>]+>\s*)*([A-Z][a-z]+)', home)
    order = [label for label in labels if label in ("Home", "Guide", "Decisions")]
    if nav:
        assert order[:3] == ["Home", "Guide", "Decisions"], order
    # Nothing about adrgen's own repository.
    everything = "\n".join(p.read_text(errors="replace") for p in site.rglob("*.html"))
    assert "Reference implementation" not in everything
    assert not (site / "appendix").exists()


def test_in_a_browser_their_nav_reaches_the_decisions_and_search_finds_them(
    adopted: tuple[Path, Path, bool, bool], chromium: Any
) -> None:
    root, _baseline, _nav, _inside = adopted
    assert run(["adrgen", "build"], root).returncode == 0
    with serve_directory(root / "site") as url:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(url, wait_until="networkidle")
            assert "Welcome to the handbook" in page.content()
            page.locator("nav.md-nav--primary a[href$='decisions/']").first.click()
            page.wait_for_load_state("networkidle")
            assert page.url.endswith("/decisions/")
            page.get_by_role(
                "link", name=re.compile("Use PostgreSQL for the job queue")
            ).first.click()
            page.wait_for_load_state("networkidle")
            assert "/decisions/0002-use-postgresql-for-the-job-queue/" in page.url
            assert page.locator("h1").first.inner_text().startswith("0002")
            # Material's search finds the decision from their home page.
            page.goto(url, wait_until="networkidle")
            box = page.locator("input.md-search__input")
            box.click()
            box.press_sequentially("PostgreSQL", delay=30)  # Material searches on key events
            hit = page.locator(
                ".md-search-result__item a[href*='decisions/0002-use-postgresql-for-the-job-queue/']"
            ).first
            hit.wait_for(timeout=20_000)
            assert errors == []
        finally:
            context.close()


def test_material_plugins_and_navigation_features_work_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path
) -> None:
    root = team_site(tmp_path / "handbook", nav=True, inside=False)
    text = (root / "mkdocs.yml").read_text()
    text = text.replace(
        "    - navigation.sections\n",
        "    - navigation.sections\n    - navigation.tabs\n    - navigation.prune\n",
    )
    text = text.replace("      lang: en\n", "      lang: en\n  - blog\n  - offline\n")
    text = text.replace("  - Guide: guide.md\n", "  - Guide: guide.md\n  - Blog: blog/index.md\n")
    write(root, "mkdocs.yml", text)
    write(root, "docs/blog/index.md", "# Blog\n")
    write(
        root,
        "docs/blog/posts/hello.md",
        "---\ndate: 2024-05-01\n---\n\n# Hello\n\nOur first post.\n\n<!-- more -->\n\nMore.\n",
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    assert run(["adrgen", "init"], root).returncode == 0
    assert run(["adrgen", "new", "Decision number 2"], root).returncode == 0
    result = mkdocs_build(root, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert (site / "blog" / "index.html").is_file()
    # The offline plugin turns directory URLs off: pages are files, links point at them.
    assert (site / "decisions" / "0002-decision-number-2.html").is_file()
    # The offline plugin makes every link a file link; the decisions section is one of them.
    assert 'href="decisions/index.html"' in (site / "index.html").read_text()


def test_their_own_page_at_the_section_index_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path
) -> None:
    root = team_site(tmp_path / "handbook", nav=False, inside=False)
    write(root, "docs/decisions/index.md", "# How we decide\n\nOur process.\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    assert run(["adrgen", "init"], root).returncode == 0
    # Theirs wins, and they hear that adrgen's index was left out: --strict fails, until
    # the plugin is told not to make one.
    strict = mkdocs_build(root, tmp_path / "site", renderer="none")
    assert strict.returncode == 1
    assert (
        "docs/decisions/index.md:0:0: this hand-written page takes the URL of adrgen's index"
        in (strict.stderr)
    )
    result = mkdocs_build(root, tmp_path / "site", renderer="none", strict=False)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "decisions" / "index.html").read_text()
    assert "Our process." in page and "Architecture decisions" not in page
    config = (root / "mkdocs.yml").read_text()
    (root / "mkdocs.yml").write_text(
        config.replace("  - adrgen\n", "  - adrgen:\n      pages: [graph, tags]\n")
    )
    assert mkdocs_build(root, tmp_path / "site", renderer="none").returncode == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "section: ../elsewhere",
            "Plugin 'adrgen' option 'section': '../elsewhere' is not a path inside the site; "
            "write one like 'decisions/' (or '' for the root)",
        ),
        (
            "pages: [index, timeline]",
            "Plugin 'adrgen' option 'pages': Expected one of: ('index', 'graph', 'tags') but "
            "received: 'timeline'",
        ),
        ("nav_title: [a, b]", "Plugin 'adrgen' option 'nav_title': Expected type: <class 'str'>"),
    ],
)
def test_plugin_options_are_validated_the_mkdocs_way(
    options: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path
) -> None:
    root = team_site(tmp_path / "handbook", nav=False, inside=False)
    text = (root / "mkdocs.yml").read_text()
    write(
        root,
        "mkdocs.yml",
        text.replace("      lang: en\n", f"      lang: en\n  - adrgen:\n      {options}\n"),
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    result = mkdocs_build(root, tmp_path / "site", renderer="none")
    assert result.returncode == 1
    assert message in result.stderr


@pytest.mark.slow
def test_mkdocs_serve_rebuilds_when_a_record_outside_docs_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path
) -> None:
    root = team_site(tmp_path / "handbook", nav=True, inside=False)
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    assert run(["adrgen", "init"], root).returncode == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", f"127.0.0.1:{port}"],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ADRGEN_RENDERER": "none", "NO_MKDOCS_2_WARNING": "1"},
        )
    try:
        url = f"http://127.0.0.1:{port}/decisions/0001-record-architecture-decisions/"
        wait_until(lambda: "Record architecture decisions" in http_get(url), 60, "the page")
        record = root / "decisions" / "0001-record-architecture-decisions.yaml"
        record.write_text(
            record.read_text().replace(
                "title: Record architecture decisions", "title: Record our decisions"
            )
        )
        wait_until(lambda: "Record our decisions" in http_get(url), 60, "the page")
        assert "Welcome to the handbook" in http_get(f"http://127.0.0.1:{port}/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
