"""`adrgen serve` rebuilds only what an edit changed, and the site stays whole.

A real `adrgen serve` (MkDocs dirty builds, Material, the search and tags plugins, the
real PlantUML) is edited the way an author edits: each step checks the served pages and
the served search index against what a full build would show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO
from tests.servers import free_port, wait_until
from tests.site.conftest import http_get, record, write

pytestmark = pytest.mark.slow


def _search(base: str) -> dict[str, list[str]]:
    """The served search index: each page's URL → the titles and texts of its entries."""
    data: dict[str, Any] = json.loads(http_get(f"{base}search/search_index.json"))
    pages: dict[str, list[str]] = {}
    for entry in data["docs"]:
        page = entry["location"].split("#")[0]
        pages.setdefault(page, []).append(f"{entry['title']} {entry['text']}")
    return pages


def _mtime(site: Path, page: str) -> int:
    return (site / page / "index.html").stat().st_mtime_ns


def test_an_edit_rebuilds_its_pages_and_keeps_nav_tags_and_search_whole(
    project: Path, tmp_path: Path
) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First", tags="alpha"))
    write(project, "decisions/0002-second.yaml", record(2, "Second", tags="beta"))
    write(project, "decisions/0003-third.yaml", record(3, "Third", tags="gamma"))
    # The project's own copy of a template, watched from the start, edited in step 3.
    default = (REPO / "templates" / "pages" / "decision.md.j2").read_text()
    write(project, "templates/pages/decision.md.j2", default)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tmp_path / "serve.log"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "adrgen", "serve", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "TMPDIR": str(temporary)},
        )
    try:
        wait_until(lambda: "Third" in http_get(f"{base}0003-third/"), 90, "the first build")
        (site,) = temporary.glob("mkdocs_*")  # where `mkdocs serve` builds
        before = {page: _mtime(site, page) for page in ("0001-first", "0002-second")}
        assert set(_search(base)) >= {"", "0001-first/", "0002-second/", "0003-third/", "tags/"}

        # 1. A body edit: that page (and the pages listing it) change; the others do not.
        third = project / "decisions" / "0003-third.yaml"
        third.write_text(third.read_text().replace("Why record 3 exists.", "Brand-new context."))
        wait_until(lambda: "Brand-new context." in http_get(f"{base}0003-third/"), 30, "the edit")
        wait_until(
            lambda: any("Brand-new context." in t for t in _search(base)["0003-third/"]),
            10,
            "the search index to hold the edit",
        )
        assert {page: _mtime(site, page) for page in before} == before, "rebuilt untouched pages"
        search = _search(base)
        assert {"", "0001-first/", "0002-second/", "0003-third/", "tags/"} <= set(search)
        assert sum("Brand-new context." in t for t in search["0003-third/"]) == 1
        assert all("Why record 3 exists." not in t for t in search["0003-third/"])

        # 2. A title edit: it is in every page's sidebar, so every page shows the new one.
        second = project / "decisions" / "0002-second.yaml"
        second.write_text(second.read_text().replace("title: Second", "title: Renamed"))
        wait_until(lambda: "Renamed" in http_get(f"{base}0001-first/"), 30, "the sidebar")
        assert "Second" not in http_get(f"{base}0003-third/")
        tags_page = http_get(f"{base}tags/")
        for title in ("First", "Renamed", "Third"):
            assert title in tags_page, f"the tags page lost {title}"
        wait_until(lambda: any("Renamed" in t for t in _search(base)["0002-second/"]), 10, "search")

        # 3. A template edited: every page made from it is made again (none from a memo).
        write(project, "templates/pages/decision.md.j2", default + "\nFrom the new template.\n")
        for page in ("0001-first/", "0002-second/", "0003-third/"):
            wait_until(
                lambda page=page: "From the new template." in http_get(base + page), 30, page
            )

        # 4. A record removed: its page and its search entries go.
        third.unlink()
        wait_until(lambda: "Third" not in http_get(f"{base}"), 30, "the index page")
        search = _search(base)
        assert "0003-third/" not in search
        assert {"", "0001-first/", "0002-second/"} <= set(search)
        assert "Third" not in http_get(f"{base}tags/")
        assert "warning" not in log.read_text().lower().replace("warnings", ""), log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
