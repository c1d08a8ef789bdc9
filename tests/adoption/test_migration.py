"""Adopting adrgen in a site that already has ADRs, end to end (issue 19): their own build
passes before and after, ``import --migrate`` makes the records the only copy, every old
URL answers, each decision appears once in the nav, and a browser sees no doubled page.

The two sites are :mod:`tests.adoption.sites`: built like the real projects a user adopted
adrgen in, with their plugins installed (awesome-pages, exclude, glightbox,
git-revision-date-localized, print-site; mermaid2 with a strict build).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.adoption.sites import Site, platform_site, tools_site
from tests.helpers import run_adrgen
from tests.site.conftest import serve_directory

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SITES: dict[str, Callable[[Path], Site]] = {"platform": platform_site, "tools": tools_site}


def _env(base: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NO_COLOR": "1",
        "ADRGEN_RENDERER": "none",
        "NO_MKDOCS_2_WARNING": "1",
        "DISABLE_MKDOCS_2_WARNING": "true",
        "XDG_CACHE_HOME": str(base / "xdg"),
    }


def their_build(site: Site, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The site's own build command, as its CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *site.build],
        cwd=site.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and "site" not in p.relative_to(root).parts[:1]
    }


class _PrimaryNav(HTMLParser):
    """The links of Material's primary navigation (its nested ``<nav>`` elements included)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "nav" and (self.depth or "md-nav--primary" in classes):
            self.depth += 1
        elif tag == "a" and self.depth and "md-nav__link" in classes:
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1


def nav_links(page: Path) -> list[str]:
    """The links of a built page's primary navigation (Material)."""
    parser = _PrimaryNav()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


@pytest.fixture(params=sorted(SITES))
def adopted(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Site, dict[str, str], dict[str, str]]:
    """A site before and after init and import --migrate: (site, env, old → new page)."""
    site = SITES[request.param](tmp_path)
    env = _env(tmp_path)
    before = their_build(site, env)
    assert before.returncode == 0, before.stderr
    old_pages = {uri: (site.root / "site" / uri).with_suffix("") for uri in site.adr_pages}
    assert all((folder / "index.html").is_file() for folder in old_pages.values())
    init = run_adrgen("init", cwd=site.root, env=env)
    assert init.returncode == 0, init.stderr
    assert not list((site.root / "decisions").glob("*.yaml")), (
        "init wrote a sample beside their ADRs"
    )
    folder = site.adrs.relative_to(site.root).as_posix()
    assert f"adrgen import --migrate {folder}" in init.stdout + init.stderr
    files_before = snapshot(site.root)
    dry = run_adrgen("import", "--migrate", "--dry-run", folder, cwd=site.root, env=env)
    assert dry.returncode == 0, dry.stderr
    assert "would migrate:" in dry.stderr and snapshot(site.root) == files_before
    done = run_adrgen("import", "--migrate", folder, cwd=site.root, env=env)
    assert done.returncode == 0, done.stderr
    moved = dict(
        re.findall(
            r"migrated: \S*?docs/(\S+): removed \(git rm\), its URL redirects to (\S+)", done.stderr
        )
    )
    assert set(site.adr_pages) <= set(moved), done.stderr
    return site, env, moved


def test_their_build_passes_after_the_migration(
    adopted: tuple[Site, dict[str, str], dict[str, str]],
) -> None:
    site, env, _moved = adopted
    after = their_build(site, env)
    assert after.returncode == 0, after.stderr
    assert "WARNING" not in after.stderr.replace("MkDocs 2", ""), after.stderr


def test_the_records_are_the_only_copy_and_history_keeps_the_pages(
    adopted: tuple[Site, dict[str, str], dict[str, str]],
) -> None:
    site, _, _moved = adopted
    for uri in site.adr_pages:
        source = site.root / "docs" / uri
        assert not source.exists()
        log = subprocess.run(
            ["git", "-C", str(site.root), "log", "--oneline", "--", f"docs/{uri}"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert log.stdout.strip(), uri  # removed from the tree, not from history
    staged = subprocess.run(
        ["git", "-C", str(site.root), "diff", "--cached", "--name-status"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(f"D\tdocs/{uri}" in staged for uri in site.adr_pages)
    numbers = sorted(p.name[:4] for p in (site.root / "decisions").glob("*.yaml"))
    assert numbers == sorted(Path(uri).name[:4] for uri in site.adr_pages)  # numbers kept


def test_every_old_url_answers_with_its_decision(
    adopted: tuple[Site, dict[str, str], dict[str, str]],
) -> None:
    site, env, moved = adopted
    assert their_build(site, env).returncode == 0
    built = site.root / "site"
    for old, new in moved.items():
        redirect = built / Path(old).with_suffix("") / "index.html"
        if Path(old).name == "index.md":
            redirect = built / Path(old).parent / "index.html"
        text = redirect.read_text(encoding="utf-8")
        target = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', text)
        assert target, redirect
        landed = (redirect.parent / html.unescape(target[1])).resolve()
        landed = landed / "index.html" if landed.is_dir() or not landed.suffix else landed
        assert landed.is_file(), (old, new, landed)
        assert landed.resolve() == (
            built / Path(new).with_suffix("") / "index.html"
        ).resolve() or new.endswith("index.md")


def test_each_decision_once_in_the_nav_and_no_link_to_a_missing_page(
    adopted: tuple[Site, dict[str, str], dict[str, str]],
) -> None:
    site, env, _moved = adopted
    assert their_build(site, env).returncode == 0
    built = site.root / "site"
    links = nav_links(built / "index.html")
    decisions = [link for link in links if re.search(r"decisions/\d{4}-", link)]
    assert len(decisions) == len(site.adr_pages), links
    assert max(Counter(links).values()) == 1, links
    for page in built.rglob("index.html"):
        for href in re.findall(r'href="([^"#?]+\.md)"', page.read_text(encoding="utf-8")):
            pytest.fail(f"{page}: a link to a Markdown file was left unresolved: {href}")


@pytest.mark.browser
def test_a_browser_sees_no_doubled_page(
    adopted: tuple[Site, dict[str, str], dict[str, str]], chromium: Any
) -> None:
    site, env, moved = adopted
    assert their_build(site, env).returncode == 0
    with serve_directory(site.root / "site") as url:
        page = chromium.new_page()
        try:
            page.goto(url)
            titles = page.eval_on_selector_all(
                ".md-nav--primary a.md-nav__link", "links => links.map(l => l.textContent.trim())"
            )
            named = [t for t in titles if t]
            assert max(Counter(named).values()) == 1, named
            for old in moved:
                path = Path(old)
                folder = path.parent if path.name == "index.md" else path.with_suffix("")
                page.goto(f"{url}{folder.as_posix()}/")
                page.wait_for_url(re.compile(r"/decisions/"), timeout=10_000)
                assert page.locator("article h1").count() == 1
        finally:
            page.close()
