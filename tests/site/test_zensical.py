"""Zensical as the builder: `adrgen build` / `adrgen serve` with the real Zensical.

Nothing here is mocked: the builds run `python -m zensical`, the site opens in Debian's
Chromium, the preview is a real `zensical serve`. Zensical is an optional extra; without it
these tests are skipped (the dev extra installs it).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from adrgen.site.zensical import ZENSICAL_PLUGINS, derive_config, parse_output, read_site_source
from tests.conftest import PlantumlUnderTest
from tests.helpers import HAS_PLANTUML, REPO
from tests.servers import free_port, wait_until
from tests.site.conftest import (
    artifact,
    http_get,
    record,
    run,
    serve_directory,
    write,
)

zensical = pytest.importorskip("zensical", reason="Zensical is not installed (adrgen[zensical])")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

#: A team's site with its own pages, an explicit nav, the records outside docs_dir.
TEAM_SITE = """\
site_name: Team handbook
docs_dir: docs
theme:
  name: material
  font: false
  features: [navigation.sections]
plugins:
  - search
  - tags
  - adrgen
nav:
  - Home: index.md
  - Guide: guide.md
  - Decisions: decisions/
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.superfences
"""


def add_records(root: Path, folder: str) -> None:
    """Three records whose links agree both ways; one superseded."""
    write(root, f"{folder}/0001-first.yaml", record(1, "First decision", relates_to=[2]))
    write(
        root,
        f"{folder}/0002-second.yaml",
        record(2, "Second decision", relates_to=[1], supersedes=[3]),
    )
    write(
        root,
        f"{folder}/0003-third.yaml",
        record(3, "Third decision", status="superseded", superseded_by=[2]),
    )


@pytest.fixture
def records_inside(project: Path) -> Path:
    """This repository's layout: docs_dir is decisions/, the records and a page are in it."""
    add_records(project, "decisions")
    write(project, "decisions/notes.md", "# Notes\n\nHand-written, next to the records.\n")
    return project


@pytest.fixture
def records_outside(project: Path) -> Path:
    """A team's site: docs/ with its pages and nav; the records in decisions/, outside it."""
    write(project, "mkdocs.yml", TEAM_SITE)
    add_records(project, "decisions")
    write(project, "docs/index.md", "# Team handbook\n\nWelcome. See [the guide](guide.md).\n")
    write(
        project,
        "docs/guide.md",
        "# Guide\n\nHow we work.\n\n```plantuml\nAlice -> Bob : hello\n```\n",
    )
    return project


def digest(folder: Path) -> dict[str, str]:
    """Every file of a folder, by path, with a hash of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def build(root: Path, *args: str, renderer: str | None = None) -> subprocess.CompletedProcess[str]:
    result = run(["adrgen", "build", "--builder", "zensical", *args], root, renderer=renderer)
    assert "Traceback" not in result.stderr, result.stderr
    return result


# ---------------------------------------------------------------------------------------------
# Building


@pytest.mark.parametrize("layout", ["records_inside", "records_outside"])
def test_builds_every_page_with_zensical(layout: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(layout)
    original = (root / "mkdocs.yml").read_bytes()
    result = build(root)
    assert result.returncode == 0, result.stderr
    # The same summary line as with MkDocs: decisions, diagrams, and the PlantUML used.
    (summary,) = [line for line in result.stderr.splitlines() if line.startswith("adrgen: ")]
    assert re.match(r"adrgen: 3 decision\(s\), 4 diagram\(s\): .*\((PlantUML|no PlantUML)", summary)
    site = root / "site"
    section = "" if layout == "records_inside" else "decisions/"
    for name in ("0001-first", "0002-second", "0003-third"):
        page = (site / section / name / "index.html").read_text()
        assert 'content="zensical-' in page  # built by Zensical, not MkDocs
        assert (site / section / f"{name}.yaml").is_file()  # "view source" works offline
        if HAS_PLANTUML:
            assert f'src="../diagrams/{name}.svg"' in page
            # The SVG PlantUML drew, not the placeholder the site was built with meanwhile.
            drawn = (root / "diagrams" / f"{name}.svg").read_bytes()
            assert (site / section / "diagrams" / f"{name}.svg").read_bytes() == drawn
            assert b"<svg" in drawn
        else:
            assert "Diagram not rendered" in page
    index = (site / section / "index.html").read_text()
    assert all(name in index for name in ("0001-first", "0002-second", "0003-third"))
    assert "Decision graph" in (site / section / "graph" / "index.html").read_text()
    assert (site / section / "tags" / "index.html").is_file()
    if HAS_PLANTUML:
        assert (site / section / "diagrams" / "decision-graph.svg").is_file()
    if layout == "records_inside":
        assert "Hand-written, next to the records." in (site / "notes" / "index.html").read_text()
    else:
        assert "Welcome." in (site / "index.html").read_text()
        guide = (site / "guide" / "index.html").read_text()
        if HAS_PLANTUML:  # the hand-written page's ```plantuml block, drawn by adrgen
            (src,) = re.findall(
                r'<img[^>]+src="([^"]+/assets/adrgen/blocks/[0-9a-f]+\.svg)"', guide
            )
            assert (site / "guide" / src).resolve().is_file()
        # adrgen's section where the nav's placeholder was, the team's entries kept.
        home = (site / "index.html").read_text()
        nav = re.findall(r'class="md-nav__link[^"]*"[^>]*href="([^"]+)"', home) + re.findall(
            r'href="([^"]+)"[^>]*class="md-nav__link', home
        )
        assert "./guide/" in nav and "./decisions/0001-first/" in nav, nav
    # The user's mkdocs.yml is never touched; adrgen's working copies live in its cache.
    assert (root / "mkdocs.yml").read_bytes() == original
    assert (root / ".adrgen-cache" / "zensical" / "mkdocs.yml").is_file()
    assert not (root / ".adrgen-cache" / "zensical" / "site-build").exists()


def test_a_diagram_plantuml_cannot_draw_fails_only_its_page(
    plantuml: PlantumlUnderTest, records_inside: Path
) -> None:
    """The batch draws while Zensical builds; a failed diagram's page is made again."""
    shipped = (REPO / "templates" / "diagrams" / "comparison.puml.j2").read_text()
    write(
        records_inside,
        "templates/diagrams/comparison.puml.j2",
        shipped.replace(
            "@enduml",
            "{% if decision.number == 2 %}\nthis is (( not PlantUML\n{% endif %}\n@enduml",
        ),
    )
    site = records_inside / "site"
    result = build(records_inside, "--strict")
    assert result.returncode == 1
    assert "0002-second" in result.stderr and "strict mode" in result.stderr
    assert not site.exists()
    result = build(records_inside)
    assert result.returncode == 0, result.stderr
    assert "1 problem(s) on the site" in result.stderr
    assert "Diagram could not be drawn" in (site / "0002-second" / "index.html").read_text()
    assert not (site / "diagrams" / "0002-second.svg").exists()
    for name in ("0001-first", "0003-third"):
        assert 'src="../diagrams/' in (site / name / "index.html").read_text()
        # The SVG PlantUML drew, not the placeholder the site was built with meanwhile.
        drawn = (records_inside / "diagrams" / f"{name}.svg").read_bytes()
        assert (site / "diagrams" / f"{name}.svg").read_bytes() == drawn and b"<svg" in drawn


def test_builder_setting_in_adrgen_toml(records_inside: Path) -> None:
    write(records_inside, "adrgen.toml", 'builder = "zensical"\n')
    result = run(["adrgen", "build"], records_inside, renderer="none")
    assert result.returncode == 0, result.stderr
    assert 'content="zensical-' in (records_inside / "site" / "index.html").read_text()
    # --builder still wins over the setting.
    result = run(["adrgen", "build", "--builder", "mkdocs"], records_inside, renderer="none")
    assert result.returncode == 0, result.stderr
    assert 'content="mkdocs-' in (records_inside / "site" / "index.html").read_text()


def test_invalid_builder_setting_is_reported_exactly(records_inside: Path) -> None:
    write(records_inside, "adrgen.toml", 'statuses = ["on-hold"]\nbuilder = "sphinx"\n')
    result = run(["adrgen", "build"], records_inside)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "adrgen.toml:2:1: builder: 'sphinx' is not one of: mkdocs, zensical"
    ]
    assert not (records_inside / "site").exists()


def test_zensical_not_installed_names_the_extra(records_inside: Path) -> None:
    # Python's own way to make a module unavailable: None in sys.modules.
    code = (
        "import sys; sys.modules['zensical'] = None\n"
        "from adrgen.cli import main\n"
        "raise SystemExit(main(['build', '--builder', 'zensical']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=records_inside,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 1
    assert "pip install 'adrgen[zensical]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_failed_build_leaves_the_previous_site(records_inside: Path) -> None:
    assert build(records_inside, renderer="none").returncode == 0
    before = digest(records_inside / "site")
    # A broken link is a warning; --strict makes Zensical abort the build.
    write(records_inside, "decisions/notes.md", "# Notes\n\nSee [nothing](missing.md).\n")
    result = build(records_inside, "--strict", renderer="none")
    assert result.returncode == 1
    # Zensical's report, translated: the user's own file, line and column.
    assert "decisions/notes.md:3:15: page does not exist" in result.stderr, result.stderr
    assert "site was left as it was" in result.stderr.splitlines()[-1]
    assert digest(records_inside / "site") == before
    # Without --strict the warning is shown and the site is built.
    result = build(records_inside, renderer="none")
    assert result.returncode == 0, result.stderr
    assert "decisions/notes.md:3:15: page does not exist" in result.stderr
    assert digest(records_inside / "site") != before


def test_broken_configuration_fails_in_one_line(records_inside: Path) -> None:
    assert build(records_inside, renderer="none").returncode == 0
    before = digest(records_inside / "site")
    config = records_inside / "mkdocs.yml"
    config.write_text(config.read_text().replace("name: material", "name: no-such-theme"))
    result = build(records_inside, renderer="none")
    assert result.returncode == 1
    assert "no-such-theme" in result.stderr and "site was left as it was" in result.stderr
    assert digest(records_inside / "site") == before


def test_plugins_zensical_cannot_run_are_dropped_with_a_warning(records_inside: Path) -> None:
    config = records_inside / "mkdocs.yml"
    text = config.read_text().replace(
        "  - tags\n", "  - tags\n  - git-revision-date-localized:\n      type: date\n"
    )
    text += "hooks:\n  - hooks.py\n"
    config.write_text(text)
    line = text.splitlines().index("  - git-revision-date-localized:") + 1
    result = build(records_inside, renderer="none")
    assert result.returncode == 0, result.stderr
    assert (
        f"mkdocs.yml:{line}:5: plugins.git-revision-date-localized: an MkDocs plugin Zensical "
        "cannot run; the Zensical build leaves it out"
    ) in result.stderr
    assert "mkdocs.yml:" in result.stderr and "hooks: MkDocs hooks" in result.stderr
    derived = yaml.safe_load(
        (records_inside / ".adrgen-cache" / "zensical" / "mkdocs.yml").read_text()
    )
    assert derived["plugins"] == ["search", "tags"] and "hooks" not in derived


def test_plugin_list_matches_the_installed_zensical() -> None:
    """ZENSICAL_PLUGINS copies Zensical's list; an upgrade that changes it shows up here."""
    from zensical import config

    known = getattr(config, "_PLUGIN_UNSUPPORTED_OPTIONS", None)
    if not isinstance(known, dict):
        pytest.skip("this Zensical keeps its plugin list elsewhere")
    assert set(known) == set(ZENSICAL_PLUGINS)


def test_derived_configuration_keeps_tags_and_merges_inherit(project: Path) -> None:
    write(
        project,
        "base.yml",
        "site_name: Base\ntheme:\n  name: material\n  font: false\n"
        "extra:\n  keep: [1, 2]\n  version: base\n",
    )
    write(
        project,
        "mkdocs.yml",
        "INHERIT: base.yml\n"
        "site_name: Child\n"
        "docs_dir: decisions\n"
        "extra:\n  version: !ENV [ADRGEN_TEST_VERSION, fallback]\n"
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "  - pymdownx.snippets:\n"
        "      base_path: [!relative $config_dir/snippets]\n"
        "plugins: [search, adrgen]\n",
    )
    source = read_site_source(project / "mkdocs.yml")
    text = derive_config(source, None, site="site-build")
    # Tags are kept for Zensical to resolve; MkDocs' INHERIT merge: the child wins.
    assert "version: !ENV [ADRGEN_TEST_VERSION, fallback]" in text, text
    assert "!!python/name:material.extensions.emoji.twemoji" in text
    assert "site_name: Child" in text and "keep:" in text and "INHERIT" not in text
    assert "docs_dir: docs" in text and "site_dir: site-build" in text
    assert "- attr_list" in text  # the generated pages need it; the plugin adds it too
    # The derived file lives elsewhere: a path relative to mkdocs.yml is made absolute.
    assert f"base_path: [{project / 'snippets'}]" in text


def test_report_parsing() -> None:
    report = (
        "\x1b[33mWarning:\x1b[0m page does not exist\n"
        "    \x1b[38;5;246m╭─[\x1b[0m guide/a.md:78:10 \x1b[38;5;246m]\x1b[0m\n"
        " 78 │ [broken](nope.md)\n"
        "Traceback (most recent call last):\n"
        '  File "x", line 1, in <module>\n'
        "RuntimeError: Aborted because --strict flag is set\n"
    )
    (warning, error) = parse_output(report)
    assert (warning.level, warning.message, warning.uri, warning.line, warning.col) == (
        "warning",
        "page does not exist",
        "guide/a.md",
        78,
        10,
    )
    assert (error.level, error.message) == ("error", "Aborted because --strict flag is set")


# ---------------------------------------------------------------------------------------------
# In the browser


class Watched:
    """A Chromium page that records console errors, uncaught errors and requests."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))


@pytest.fixture
def watched(chromium: Any) -> Iterator[Watched]:
    w = Watched(chromium)
    yield w
    w.context.close()


@pytest.mark.browser
def test_zensical_site_in_chromium(records_outside: Path, watched: Watched) -> None:
    result = build(records_outside)
    assert result.returncode == 0, result.stderr
    with serve_directory(records_outside / "site") as url:
        page = watched.page
        page.goto(url, wait_until="networkidle")
        assert page.locator("h1").first.inner_text() == "Team handbook"
        # From the home page, through the nav, to the index, then to a decision.
        page.locator(
            "nav.md-nav--primary a.md-nav__link", has_text="Architecture decisions"
        ).click()
        page.wait_for_url(url + "decisions/")
        rows = page.locator("table[data-adrgen-index-table] tbody tr")
        assert rows.count() == 3
        listed = [rows.nth(i).inner_text() for i in range(3)]
        assert [text.split("\t")[:2] for text in listed] == [
            ["0001", "First decision"],
            ["0002", "Second decision"],
            ["0003", "Third decision"],
        ]
        rows.nth(0).locator("a").first.click()
        page.wait_for_url(url + "decisions/0001-first/")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").first.inner_text() == "0001: First decision"
        image = page.locator('img[src$="diagrams/0001-first.svg"]')
        if HAS_PLANTUML:
            image.scroll_into_view_if_needed()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0",
                arg=image.element_handle(),
                timeout=15_000,
            )
            assert image.evaluate("img => img.naturalWidth") > 0
        else:
            assert image.count() == 0 and page.locator(".adrgen-no-renderer").count() == 1
        # The decision is also one click away in the sidebar, from any page.
        page.goto(url + "guide/", wait_until="networkidle")
        page.locator("nav.md-nav--primary a.md-nav__link", has_text="0002: Second decision").click()
        page.wait_for_url(url + "decisions/0002-second/")
        shot = artifact("zensical-decision.png")
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
    assert watched.errors == []
    # Offline: nothing but the local server was asked for anything.
    assert all(r.startswith(url) for r in watched.requests), watched.requests


# ---------------------------------------------------------------------------------------------
# Serving


@pytest.mark.slow
def test_serve_shows_an_edit_and_stops_on_ctrl_c(records_inside: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "adrgen",
                "serve",
                "--builder",
                "zensical",
                "--dev-addr",
                f"127.0.0.1:{port}",
            ],
            cwd=records_inside,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ADRGEN_RENDERER": "none", "NO_COLOR": "1"},
        )
    url = f"http://127.0.0.1:{port}/0001-first/"
    try:
        wait_until(lambda: "First decision" in http_get(url), 60, "the preview")
        source = records_inside / "decisions" / "0001-first.yaml"
        source.write_text(source.read_text().replace("title: First decision", "title: Renamed"))
        wait_until(lambda: "0001: Renamed" in http_get(url), 60, "the preview")
        # A new record appears in the index, too.
        write(records_inside, "decisions/0004-fourth.yaml", record(4, "Fourth decision"))
        wait_until(
            lambda: "Fourth decision" in http_get(f"http://127.0.0.1:{port}/"), 60, "the preview"
        )
        # An invalid record is reported; the preview keeps serving the last good pages.
        source.write_text(source.read_text().replace("status: accepted", "status: [oops]"))
        wait_until(lambda: "0001-first.yaml:" in log.read_text(), 60, "the preview")
        assert "0001: Renamed" in http_get(url)
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            status = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert status == 0, log.read_text()
    assert http_get(url) == ""  # Zensical stopped with it
    assert "Traceback" not in log.read_text()
    assert (records_inside / "mkdocs.yml").read_text().startswith("# The decision site")


@pytest.mark.slow
def test_killed_serve_leaves_no_zensical_behind(records_inside: Path) -> None:
    """SIGKILL gives adrgen no chance to stop Zensical: the kernel does (no orphan server)."""
    port = free_port()
    argv = ["serve", "--builder", "zensical", "--dev-addr", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "adrgen", *argv],
        cwd=records_inside,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ADRGEN_RENDERER": "none"},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: "First decision" in http_get(url), 60, "the preview")
    finally:
        proc.kill()
        proc.wait(timeout=10)
    wait_until(lambda: http_get(url) == "", 30, "the preview")
