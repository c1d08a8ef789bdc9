"""The demo page in a real headless Chromium (Debian's /usr/bin/chromium, never a download)."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from adrgen.appendix.polling import create_app
from adrgen.appendix.polling.notifications import get_storage

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(90)]

FLASK = Path(sys.executable).with_name("flask")
PAYLOAD = (
    "Hello <b>browser</b>"
    "<script>window.__pwned = 'script'</script>"
    '<img src="x" onerror="window.__pwned = \'onerror\'">'
    "<a href=\"javascript:window.__pwned='link'\">click me</a>"
)


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # dozens of polls per test; their log lines would drown the failure output


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    # The session's one Chromium (tests/conftest.py): Playwright's sync API allows one
    # instance per process, and a test worker runs browser tests of several modules.
    return chromium


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[str, str]]]:
    """serve(**config) -> (base_url, database_url): the app on a werkzeug thread."""
    running: list[tuple[Any, threading.Thread, Any]] = []

    def start(**config: Any) -> tuple[str, str]:
        database_url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
        app = create_app(
            {
                "SECRET_KEY": "browser-secret",
                "POLLING_DATABASE_URL": database_url,
                "POLLING_DEMO_LOGIN": True,
                "POLLING_COOKIE_SECURE": False,  # plain http on 127.0.0.1
                "INSTANCE_PATH": str(tmp_path / "instance"),
                **config,
            }
        )
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread, app))
        return f"http://127.0.0.1:{server.server_port}", database_url

    yield start
    for server, thread, app in running:
        server.shutdown()
        thread.join(10)
        get_storage(app).close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def flask_notify(database_url: str, user_id: int, text: str) -> None:
    command = [str(FLASK)] if FLASK.exists() else [sys.executable, "-m", "flask"]
    env = {**os.environ, "POLLING_DATABASE_URL": database_url, "SECRET_KEY": "browser-secret"}
    subprocess.run(
        [*command, "--app", "adrgen.appendix.polling", "notify", "--user", str(user_id), text],
        env=env,
        check=True,
        timeout=30,
        capture_output=True,
    )


def record(page: Any) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"console": [], "errors": [], "dialogs": [], "polls": []}
    page.on("console", lambda m: seen["console"].append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))

    def on_dialog(dialog: Any) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def on_request(request: Any) -> None:
        if request.url.endswith("/notifications/unread"):
            seen["polls"].append((time.monotonic(), request.headers))

    page.on("request", on_request)
    return seen


def sign_in(page: Any, base_url: str, user_id: int, interval: float) -> None:
    page.goto(f"{base_url}/?interval={interval}")
    page.fill("#demo-user-id", str(user_id))
    page.click("#demo-login button[type=submit]")
    page.wait_for_selector(f"#who:has-text('Signed in as user {user_id}')")


def test_notification_appears_without_reload_and_its_script_never_runs(
    serve: Callable[..., tuple[str, str]], page: Any, tmp_path: Path
) -> None:
    base_url, database_url = serve()
    seen = record(page)
    sign_in(page, base_url, user_id=7, interval=0.5)
    page.wait_for_selector("#status:has-text('No unread notifications')")

    flask_notify(database_url, 7, PAYLOAD)
    flask_notify(database_url, 8, "for somebody else")
    item = page.wait_for_selector("#notifications li:has-text('Hello browser')")
    assert item.inner_html().count("<b>browser</b>") == 1
    evil = page.locator("#notifications a:has-text('click me')")
    evil.click()  # its javascript: href was stripped on write
    page.wait_for_timeout(1200)  # a few more polls, all 304

    screenshot = tmp_path / "polling-demo.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nscreenshot: {screenshot}")

    assert page.evaluate("window.__pwned") is None
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert [m for m in seen["console"] if m.startswith("error")] == []
    assert page.locator("#notifications li").count() == 1  # not user 8's
    assert page.locator("#notifications script, #notifications img").count() == 0
    assert evil.get_attribute("href") is None

    # Polls after the first carry the ETag, and the server answered 304 to them.
    conditional = [headers for _, headers in seen["polls"] if "if-none-match" in headers]
    assert len(conditional) >= 2

    # Mark read: the item goes, and stays gone after the next polls.
    page.click("#notifications li button.mark-read")
    page.wait_for_selector("#status:has-text('No unread notifications')")
    page.wait_for_timeout(1200)
    assert page.locator("#notifications li").count() == 0


def test_polling_pauses_while_the_tab_is_hidden(
    serve: Callable[..., tuple[str, str]], page: Any
) -> None:
    base_url, _ = serve()
    seen = record(page)
    sign_in(page, base_url, user_id=3, interval=0.3)
    page.wait_for_timeout(1000)
    assert len(seen["polls"]) >= 2

    page.evaluate(
        """() => {
            Object.defineProperty(document, 'hidden', {value: true, configurable: true});
            Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    page.wait_for_timeout(400)  # let a poll already in flight finish
    hidden_from = time.monotonic()
    page.wait_for_timeout(2000)  # ~6 intervals
    assert [t for t, _ in seen["polls"] if t > hidden_from] == []

    page.evaluate(
        """() => {
            Object.defineProperty(document, 'hidden', {value: false, configurable: true});
            Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true});
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    shown_at = time.monotonic()
    page.wait_for_timeout(1500)
    assert [t for t, _ in seen["polls"] if t > shown_at], "polling did not resume"


def test_client_honours_retry_after(serve: Callable[..., tuple[str, str]], page: Any) -> None:
    base_url, _ = serve(POLLING_RATE_LIMIT="3/minute")
    seen = record(page)
    sign_in(page, base_url, user_id=5, interval=0.3)
    page.wait_for_selector("#status:has-text('429')")
    limited_at = time.monotonic()
    assert len(seen["polls"]) == 4  # 3 allowed, the 4th got 429 with Retry-After ~60 s
    page.wait_for_timeout(3000)  # ten poll intervals
    assert [t for t, _ in seen["polls"] if t > limited_at] == []
    assert seen["errors"] == []


def test_client_backs_off_exponentially_on_errors(
    serve: Callable[..., tuple[str, str]], page: Any, tmp_path: Path
) -> None:
    # A directory where the database file should be: every query fails, every poll gets 503.
    broken = tmp_path / "not-a-database"
    broken.mkdir()
    base_url, _ = serve(
        POLLING_DATABASE_URL=f"sqlite:///{broken}",
        POLLING_DB_RETRY_AFTER=0,  # no server hint: the client's own backoff decides
    )
    seen = record(page)
    sign_in(page, base_url, user_id=1, interval=0.2)
    page.wait_for_selector("#status:has-text('503')")
    page.wait_for_timeout(5000)
    times = [t for t, _ in seen["polls"]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    print(f"\ngaps between failing polls: {[round(g, 2) for g in gaps]}")
    # Without backoff 5 s would hold ~25 polls at 0.2 s; doubling holds about 5.
    assert 3 <= len(times) <= 8
    # Equal jitter: gap n lies in [B*2^(n-1), B*2^n], so every gap beats the one two back.
    assert all(gaps[i + 2] > gaps[i] for i in range(len(gaps) - 2)), gaps


def test_client_honours_retry_after_on_503(
    serve: Callable[..., tuple[str, str]], page: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "not-a-database"
    broken.mkdir()
    base_url, _ = serve(POLLING_DATABASE_URL=f"sqlite:///{broken}", POLLING_DB_RETRY_AFTER=4)
    seen = record(page)
    sign_in(page, base_url, user_id=1, interval=0.2)
    page.wait_for_selector("#status:has-text('503')")
    page.wait_for_timeout(3000)
    assert len(seen["polls"]) == 1  # the next try waits for Retry-After: 4 s
