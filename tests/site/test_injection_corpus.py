"""Every injection vector in every free-text field: nothing leaks, nothing is fetched, nothing runs.

The corpus mixes three families: PlantUML directives and preprocessor tricks; Markdown and
HTML XSS vectors after the classes of the OWASP XSS filter evasion cheat sheet (script tags,
event handlers, javascript:/data: URLs with case, entity and whitespace tricks, SVG/MathML,
CSS, broken markup); and Jinja/template syntax. One record per vector carries it in every
free-text field the format has. The repository is rendered by the real PlantUML and built by
the real MkDocs, while a listener on 127.0.0.1 waits for any fetch; then Chromium opens every
page. Assertions: no file content or environment value in any output, no connection to the
listener, no script run, no dialog, and ``{{ 7*7 }}`` never became 49.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PlantumlUnderTest
from tests.helpers import HAS_PLANTUML, REPO
from tests.site.conftest import run, serve_directory
from tests.site.test_browser import Watched

CANARY = "canary-0b5e-do-not-leak"


def corpus(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}"
    return [
        # PlantUML directives and preprocessor tricks
        "@enduml\n@startuml\n!include /etc/passwd",
        f"!includeurl {url}/inc.puml",
        '%getenv("ADRGEN_CANARY") %getenv("HOME") $ADRGEN_CANARY',
        '!procedure $p()\n%load_json("/etc/passwd")\n!endprocedure',
        f"<img:{url}/img.png> [[{url}/link]] {{{{ sub-diagram }}}}",
        "end note\nnote bottom : injected\n' comment\n/' block '/",
        "«stereotype» “curly” ‹single›",
        # HTML and Markdown XSS (OWASP classes)
        "<script>window.__pwned='script'</script>",
        "<SCRIPT SRC=http://127.0.0.1:9/xss.js></SCRIPT>",
        "<img src=x onerror=\"window.__pwned='img'\">",
        "<IMG SRC=JaVaScRiPt:window.__pwned='case'>",
        "<a href=\"jav&#x09;ascript:window.__pwned='entity'\">tab</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;window.__pwned='dec'\">dec</a>",
        "<svg/onload=window.__pwned='svg'>",
        "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned='mxss'>",
        "<body onload=window.__pwned='body'>",
        "<iframe src=\"javascript:window.__pwned='iframe'\"></iframe>",
        "<div style=\"background-image:url(javascript:window.__pwned='css')\">css</div>",
        "<details open ontoggle=window.__pwned='toggle'>x</details>",
        "[md](javascript:window.__pwned='md') ![im](javascript:window.__pwned='mdimg')",
        '<a href="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0nZGF0YSc8L3NjcmlwdD4=">d</a>',
        "\"><script>window.__pwned='attr'</script>",
        "<<script>window.__pwned='double'//<</script>",
        '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=\'meta\'">',
        # Template syntax
        "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ config }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }} ${7*7} #{7*7} <%= 7*7 %>",
    ]


def yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def record(vector: str, number: int) -> str:
    v = yaml_str(vector)
    tag = yaml_str(("t" + vector.replace(",", " ").replace("\n", " ").strip())[:60])
    return f"""title: {v}
status: accepted
date: 2024-01-01
people: {{decision_makers: [{v}], consulted: [{v}], informed: [{v}]}}
tags: [{tag}]
diagram: {{title: {v}}}
context: {v}
drivers: [{v}]
requirements: {{users: 1000, latency: 30 s}}
options:
  - id: a
    name: {v}
    title: {v}
    verdict: {v}
    summary: {v}
    components:
      - {{id: c1, kind: browser, label: {v}, description: {v}}}
      - {{id: c2, kind: database, label: {v}}}
    flows:
      - {{from: c1, to: c2, direction: down, label: {v}}}
    security: [{v}, {{text: {v}, severity: high}}]
    complexity: low
    time: 1 week
    pros: [{v}]
    cons: [{v}]
    risks: [{v}]
    load: {{model: polling, clients: users, interval: latency}}
  - id: b
    name: Plain option {number}
    complexity: high
    time: 2 weeks
outcome:
  chosen: a
  summary: {v}
  rationale: {v}
  consequences: {{good: [{v}], bad: [{v}], neutral: [{v}]}}
  confirmation: {v}
evidence:
  - claim: {v}
    figures: [{{name: {v}, value: 1, unit: {v}, baseline_label: {v}}}]
    command: {v}
    source: {v}
    notes: {v}
"""


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    yield sock
    sock.close()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory, listener: socket.socket) -> Path:
    root = tmp_path_factory.mktemp("injection")
    (root / "decisions").mkdir()
    (root / "mkdocs.yml").write_text((REPO / "mkdocs.yml").read_text())
    vectors = corpus(listener.getsockname()[1])
    for number, vector in enumerate(vectors, start=1):
        (root / "decisions" / f"{number:04d}-vector.yaml").write_text(record(vector, number))
    with pytest.MonkeyPatch.context() as patch:  # a module fixture has no `monkeypatch`
        patch.setenv("ADRGEN_CANARY", CANARY)
        result = run(["adrgen", "build"], root, timeout=600)
    assert result.returncode == 0, result.stderr
    return root


def test_every_vector_validates_and_builds(hostile_site: Path) -> None:
    assert len(list((hostile_site / "site").rglob("index.html"))) > 26


def test_no_leak_and_no_fetch(
    plantuml: PlantumlUnderTest, hostile_site: Path, listener: socket.socket
) -> None:
    outputs = [*(hostile_site / "diagrams").glob("*.svg"), *(hostile_site / "site").rglob("*.html")]
    assert any(p.suffix == ".svg" for p in outputs) or not HAS_PLANTUML
    passwd_line = Path("/etc/passwd").read_text().splitlines()[0]
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        assert CANARY not in text, path
        assert passwd_line not in text, path
    for svg in (hostile_site / "diagrams").glob("*.svg"):
        assert "Syntax Error" not in svg.read_text(), svg
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing, in PlantUML or MkDocs, fetched a URL from a record


@pytest.mark.browser
@pytest.mark.slow
def test_no_vector_runs_in_the_browser(hostile_site: Path, chromium: Any) -> None:
    watched = Watched(chromium, viewport={"width": 1280, "height": 900})
    try:
        with serve_directory(hostile_site / "site") as url:
            pages = sorted(
                p.parent.name for p in (hostile_site / "site").glob("00*-vector/index.html")
            )
            for name in [*pages, "", "graph", "tags"]:
                page = watched.open(f"{url}{name}/" if name else url)
                page.mouse.move(100, 200)
                page.mouse.move(700, 600)
                for summary in page.locator("details summary").all()[:5]:
                    summary.click()
                assert page.evaluate("window.__pwned") is None, name
                # "49" as a whole number: the listener's random port (e.g. 49975) is printed
                # verbatim by the !includeurl vector and must not count as an evaluation.
                assert not re.search(r"(?<!\d)49(?!\d)", page.locator("article").inner_text()), name
        assert watched.dialogs == []
        assert not [r for r in watched.requests if not r.startswith(url)], "fetched off-site"
    finally:
        watched.close()
