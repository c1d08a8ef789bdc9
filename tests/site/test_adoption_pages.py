"""Pages as the source says them (issue 19): no filler for what no option states, titles'
inline Markdown rendered (plain in the nav), "edit this page" at the record's real path,
and a warning (an error under --strict) for a link to no page and for a hand-written page
that takes a decision's URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site.conftest import write

pytestmark = pytest.mark.timeout(180)

#: As an import of a MADR file gives it: options with names only, one of them chosen.
IMPORTED = """\
title: Use `nh3` to sanitise
status: accepted
date: 2024-02-01
context: |
  We sanitise bodies. See [the older decision](0002-older.yaml) and
  [a missing one](0009-missing.md), and the [spec](../openapi.yaml).
options:
  - id: nh3
    name: nh3
    pros: [maintained]
  - id: bleach
    name: bleach
outcome:
  chosen: nh3
"""
OLDER = """\
title: The older decision
status: accepted
date: 2023-01-01
context: An older one.
"""
MKDOCS = """\
site_name: Site
docs_dir: docs
repo_url: https://example.invalid/team/site
edit_uri: edit/main/docs/
theme:
  name: material
  font: false
  features: [content.action.edit]
plugins:
  - search
  - adrgen
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site-repo"
    write(root, "mkdocs.yml", MKDOCS)
    write(root, "docs/index.md", "# Home\n")
    write(root, "docs/openapi.yaml", "openapi: 3.0.0\n")
    write(root, "decisions/0001-use-nh3-to-sanitise.yaml", IMPORTED)
    write(root, "decisions/0002-older.yaml", OLDER)
    return root


def build(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "ADRGEN_RENDERER": "none",
        "NO_MKDOCS_2_WARNING": "1",
        "XDG_CACHE_HOME": str(root.parent / "xdg"),
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def page(root: Path, name: str) -> str:
    return (root / "site" / "decisions" / name / "index.html").read_text(encoding="utf-8")


def test_what_no_option_states_is_left_out(site: Path) -> None:
    assert build(site).returncode == 0
    text = page(site, "0001-use-nh3-to-sanitise")
    article = text[text.find("<article") : text.find("</article>")]
    for filler in ("not estimated", "Complexity", "Time estimate", "Security concerns"):
        assert filler not in article, filler
    assert "Comparison diagram" not in article  # no option names a component
    assert "none stated" in article  # bleach has no pros where nh3 has one
    assert "Cons" not in article and "Risks" not in article  # no option states any


def test_a_titles_markdown_renders_and_the_nav_shows_it_plain(site: Path) -> None:
    assert build(site).returncode == 0
    text = page(site, "0001-use-nh3-to-sanitise")
    assert re.search(r"<h1[^>]*>0001: Use <code>nh3</code> to sanitise", text)
    assert "<title>0001: Use nh3 to sanitise" in text
    assert "`nh3`" not in text.split("<article")[0]  # nor raw backticks in the nav


def test_edit_this_page_opens_the_record_where_it_lives(site: Path) -> None:
    assert build(site).returncode == 0
    text = page(site, "0001-use-nh3-to-sanitise")
    edit = re.search(r'<a href="([^"]+)"[^>]*class="md-content__button md-icon"', text)
    assert edit, "no edit button"
    assert (
        edit[1]
        == "https://example.invalid/team/site/edit/main/decisions/0001-use-nh3-to-sanitise.yaml"
    )


def test_a_link_to_no_page_is_a_warning_and_strict_fails(site: Path) -> None:
    lax = build(site)
    assert lax.returncode == 0
    assert (
        "decisions/0001-use-nh3-to-sanitise.yaml:0:0: a link to 0009-missing.md leads to no "
        "page of the site"
    ) in lax.stderr
    assert "openapi.yaml leads to no page" not in lax.stderr  # a file of the site
    text = page(site, "0001-use-nh3-to-sanitise")
    assert 'href="../0002-older/"' in text  # a record's YAML name leads to its page
    assert build(site, "--strict").returncode == 1


def test_a_hand_written_page_that_takes_a_decisions_url_is_named(site: Path) -> None:
    write(site, "docs/decisions/0002-older.md", "# A stale copy of ADR 2\n")
    lax = build(site)
    assert lax.returncode == 0
    assert re.search(
        r"docs/decisions/0002-older\.md:0:0: this hand-written page takes the URL of the decision "
        r"page of decisions/0002-older\.yaml",
        lax.stderr,
    )
    assert build(site, "--strict").returncode == 1
