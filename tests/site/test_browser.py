"""What a reviewer sees: the built site in a real (Debian) Chromium, served over HTTP."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import HAS_PLANTUML
from tests.site.conftest import HOSTILE_RECORD, artifact, mkdocs_build, serve_directory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

DECISION = "0001-notification-delivery/"


@pytest.fixture(scope="module")
def site_url(repo_site: Path) -> Iterator[str]:
    with serve_directory(repo_site) as url:
        yield url


class Watched:
    """A page plus everything it reported: console errors, uncaught errors, dialogs, requests."""

    def __init__(self, browser: Any, **context: Any) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, url: str) -> Any:
        self.page.goto(url, wait_until="networkidle")
        return self.page

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(chromium: Any) -> Iterator[Watched]:
    w = Watched(chromium, viewport={"width": 1280, "height": 900})
    yield w
    w.close()


@pytest.mark.skipif(not HAS_PLANTUML, reason="the diagram is an SVG only with PlantUML")
def test_decision_page_diagram_loads_without_errors(watched: Watched, site_url: str) -> None:
    page = watched.open(site_url + DECISION)
    image = page.locator('img[src$="diagrams/0001-notification-delivery.svg"]')
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=15_000
    )
    assert image.evaluate("img => img.naturalWidth") > 0
    assert page.locator("h1").first.inner_text().startswith("0001: In-app notifications")
    assert page.locator(".adrgen-badge").first.inner_text().lower() == "accepted"
    assert watched.errors == []
    # Offline: nothing but the local server was asked for anything.
    assert all(url.startswith(site_url) for url in watched.requests), watched.requests
    shot = artifact("site-decision-0001.png")
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")


def test_search_finds_the_decision_by_an_option_word(watched: Watched, site_url: str) -> None:
    page = watched.open(site_url)
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("WebSocket", delay=30)  # Material searches on key events
    hit = page.locator(f".md-search-result__item a[href*='{DECISION}']").first
    hit.wait_for(timeout=20_000)
    assert "0001" in hit.inner_text()
    assert watched.errors == []


def test_index_lists_filters_and_marks_retired_records(watched: Watched, site_url: str) -> None:
    page = watched.open(site_url)
    rows = page.locator("table[data-adrgen-index-table] tbody tr")
    total = rows.count()
    assert total >= 1
    numbers = [rows.nth(i).locator("td").first.inner_text() for i in range(total)]
    assert numbers == sorted(numbers)
    retired = page.locator("tr.adrgen-row--retired")
    for i in range(retired.count()):
        title = retired.nth(i).locator(".adrgen-retired").first
        assert "line-through" in title.evaluate("e => getComputedStyle(e).textDecorationLine")
    page.locator("#adrgen-filter-input").fill("notifications realtime")
    visible = [r for r in range(total) if rows.nth(r).is_visible()]
    assert len(visible) >= 1
    assert all("realtime" in rows.nth(r).inner_text() for r in visible)
    page.locator("#adrgen-filter-input").fill("")
    page.locator("button.adrgen-count[data-status='accepted']").click()
    assert all(
        rows.nth(r).get_attribute("data-status") == "accepted"
        for r in range(total)
        if rows.nth(r).is_visible()
    )
    assert watched.errors == []


def test_dark_mode_toggle(watched: Watched, site_url: str) -> None:
    page = watched.open(site_url + DECISION)
    before = page.locator("body").get_attribute("data-md-color-scheme")
    page.locator("form[data-md-component='palette'] label:visible").first.click()
    page.wait_for_function(f"document.body.dataset.mdColorScheme !== '{before}'")
    assert {before, page.locator("body").get_attribute("data-md-color-scheme")} == {
        "default",
        "slate",
    }


def test_phone_layout_has_no_horizontal_overflow(chromium: Any, site_url: str) -> None:
    phone = Watched(
        chromium, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    try:
        for path in ("", DECISION, "graph/", "appendix/polling/"):
            page = phone.open(site_url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (path, width)
        shot = artifact("site-index-phone.png")
        phone.open(site_url).screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        assert phone.errors == []
    finally:
        phone.close()


# ---------------------------------------------------------------------------------------------
# Hostile records


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("hostile") / "project"
    (root / "decisions").mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copy(HOSTILE_RECORD, root / "decisions" / "0001-hostile.yaml")
    result = mkdocs_build(root, root / "site", renderer="none")
    assert result.returncode == 0, result.stderr
    with serve_directory(root / "site") as url:
        yield url


def test_payloads_in_records_never_run(watched: Watched, hostile_url: str) -> None:
    for path in ("0001-hostile/", "", "graph/", "tags/"):
        page = watched.open(hostile_url + path)
        page.mouse.move(200, 300)
        page.mouse.move(600, 500)
        assert page.evaluate("window.__pwned") is None, path
        # No handler, no javascript: URL and no script from a record anywhere in the content.
        assert (
            page.evaluate(
                """() => [...document.querySelectorAll('.md-content *')].flatMap(el =>
                 [...el.attributes].filter(a => /^on/i.test(a.name) ||
                   /^\\s*javascript:/i.test(a.value)).map(a => el.tagName + ' ' + a.name))"""
            )
            == []
        ), path
        assert (
            page.locator(".md-content script, .md-content iframe, .md-content object").count() == 0
        )
    page = watched.open(hostile_url + "0001-hostile/")
    article = page.locator("article").inner_text()
    assert "{{ 7*7 }}" in article
    assert "49" not in article
    assert "<script>window.__pwned='title'</script>" in page.locator("h1").first.inner_text()
    # Material's search renders titles and text of the hostile page too.
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially("Intro", delay=30)
    page.locator(".md-search-result__item").first.wait_for(timeout=20_000)
    assert page.evaluate("window.__pwned") is None
    assert watched.dialogs == []
    assert watched.errors == [] or all("Failed to load resource" in e for e in watched.errors)
