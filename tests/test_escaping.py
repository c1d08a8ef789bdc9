"""No text from a record ever becomes PlantUML syntax.

Hostile strings go into every free-text field that reaches a diagram; the real PlantUML
renders them; the SVG must show each one literally, with no file read, no environment
variable read, and no URL fetched.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from adrgen.config import load_config
from adrgen.diagrams.escape import escape_line, finalize, raw
from adrgen.pipeline import render_diagrams
from tests.conftest import PlantumlUnderTest
from tests.helpers import svg_texts, write_record

CANARY = "canary-7f3a9c-secret"


def hostile_strings(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}"
    return [
        "@enduml",
        "@startuml",
        "!include /etc/passwd",
        f"!includeurl {url}/inc.puml",
        '%getenv("ADRGEN_CANARY")',
        "%getenv('HOME') and %date()",
        "$ADRGEN_CANARY ${x}",
        "!define X Y",
        "!theme spacelab",
        "{{ 7*7 }} {% raw %}",
        f"<img:{url}/i.png>",
        f"[[{url}/link click me]]",
        "end note",
        "endnote",
        "' a comment",
        "/' block comment '/",
        '"quoted" [brackets] (parens)',
        '**bold** //italic// __under__ --strike-- ~~wave~~ ""mono""',
        "C:\\new\\table \\n not a newline",
        "<&star> <size:40>big</size> <color:red>red</color>",
        "|= h1 |= h2 |",
        "== heading",
        "# numbered",
        "* bullet",
        "-> arrow --> dashed",
        "& &amp; &#37; &#92;",
        "<U+0041> stays as typed",
        "ünïcødé 中文 🚀 ‮rtl",
        "skinparam backgroundColor red",
        "note bottom : injected",
    ]


def yaml_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON strings are valid YAML scalars


@pytest.fixture
def listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def hostile_record(strings: list[str]) -> str:
    components = "\n".join(
        f"      - {{id: c{i}, label: {yaml_str(s)}}}" for i, s in enumerate(strings)
    )
    flows = "\n".join(
        f"      - {{from: c{i}, to: c{i + 1}, direction: down, label: {yaml_str(s)}}}"
        for i, s in enumerate(strings[:-1])
    )
    security = "\n".join(f"      - {yaml_str(s)}" for s in strings)
    return f"""\
title: {yaml_str(strings[0])}
status: accepted
date: 2024-01-01
requirements:
  users: 1000
  latency: 30 s
diagram:
  title: {yaml_str(strings[2])}
options:
  - id: a
    name: {yaml_str(strings[3])}
    title: {yaml_str(strings[4])}
    verdict: {yaml_str(strings[5])}
    complexity: low
    time: 1 week
    components:
{components}
    flows:
{flows}
    security:
{security}
    load: {{model: polling, clients: users, interval: latency}}
outcome:
  chosen: a
  summary: {yaml_str(strings[12])}
"""


def test_hostile_text_renders_literally(
    plantuml: PlantumlUnderTest,
    docs_repo: Path,
    listener: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADRGEN_CANARY", CANARY)
    strings = hostile_strings(listener.getsockname()[1])
    write_record(docs_repo, "0001-hostile.yaml", hostile_record(strings))
    report = render_diagrams(load_config())
    assert report.rendered == ["0001-hostile", "decision-graph"]
    svg = (docs_repo / "diagrams" / "0001-hostile.svg").read_text()
    texts = svg_texts(svg)
    joined = "\n".join(texts)
    for s in strings:
        expected = s.replace("\t", " ")
        assert expected in texts or expected in joined, f"{s!r} not shown literally"
    assert "Syntax Error" not in joined and "error" not in joined.lower().replace("-", "")
    assert CANARY not in svg
    assert "root:x:0:0" not in svg
    assert str(Path.home()) not in joined
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected: no URL was fetched
    graph = svg_texts((docs_repo / "diagrams" / "decision-graph.svg").read_text())
    assert f"0001: {strings[0]}" in graph


def test_newlines_become_line_breaks_not_source_lines(
    plantuml: PlantumlUnderTest, docs_repo: Path
) -> None:
    record = hostile_record(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"])
    record = record.replace(
        'summary: "m"', 'summary: "first\\n@enduml\\n!include /etc/passwd\\nend note"'
    )
    write_record(docs_repo, "0001-lines.yaml", record)
    render_diagrams(load_config())
    texts = svg_texts((docs_repo / "diagrams" / "0001-lines.svg").read_text())
    for line in ["first", "@enduml", "!include /etc/passwd", "end note"]:
        assert line in texts


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words 123", "plain words 123"),
        ("@enduml", "<U+0040>enduml"),
        ("!include x", "<U+0021>include x"),
        ('%getenv("X")', "<U+0025>getenv(<U+0022>X<U+0022>)"),
        ("a\nb", "a\\nb"),
        ("a\r\nb\u2028c", "a\\nb\\nc"),
        ("end note", "<U+0065>nd note"),
        ("x end", "x end"),
        ("user_id a/b", "user_id a/b"),
        ("__u__ //i//", "<U+005F><U+005F>u_<U+005F> /<U+002F>i/<U+002F>"),
        ("bell\x07 nul\x00", "bell nul"),
        ("tab\there", "tab here"),
    ],
)
def test_escape_line(text: str, escaped: str) -> None:
    assert escape_line(text) == escaped


def test_finalize_escapes_by_default_and_passes_marked_syntax() -> None:
    assert finalize("!x") == "<U+0021>x"
    assert finalize(raw("-down->")) == "-down->"
    assert finalize(None) == ""
    assert finalize(3) == "3"
