"""No text from a record ever becomes PlantUML syntax.

Hostile strings go into every free-text field that reaches a diagram; the real PlantUML
renders them; the SVG must show each one literally, with no file read, no environment
variable read, and no URL fetched.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adrgen.config import load_config
from adrgen.diagrams.escape import WRAP, escape_block, escape_line, finalize, raw
from adrgen.diagrams.renderer import make_renderer
from adrgen.pipeline import render_diagrams
from tests.conftest import PlantumlUnderTest
from tests.helpers import (
    collapsed,
    diagram_sources,
    drawn,
    shown_lines,
    svg_texts,
    text_everywhere,
    write_record,
)

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


#: Every text found failing, or drawn other than as typed, on 1.2020 or 1.2026 (by the
#: users' reports, by Hypothesis, and by tools/plantuml_char_sweep.py), with the form adrgen
#: writes. What went wrong before, per case, is in the comment above its group.
ESCAPED_CASES = [
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
    ("bell\x07 nul\x00 us\x1f", "bell nul us"),
    ("tab\there", "tab here"),
    # Namespace separators in a package name: 1.2020 "Syntax Error?" for a name ending in
    # `.`; 1.2026 an IllegalStateException for `a..b` and `a.b.`, and `::` drawn as nothing.
    # The package alias in comparison.puml.j2 fixes them; the escaping stays readable.
    ("CUID2.", "CUID2."),
    ("a.", "a."),
    ("a.b.", "a.b."),
    ("a..b", "a.<U+002E>b"),
    (".", "<U+002E>"),
    ("::", "<U+003A><U+003A>"),
    ("a::b", "a:<U+003A>b"),
    # A package named like a component's alias clashed with it (both versions).
    ("o1_c1", "o1_c1"),
    # Nothing that anchors a title (a letter, an ASCII digit, `_` or `.`): "Syntax Error?"
    # on both versions for `title )`, `title ±`, `title 🚀`, a lone combining mark, a
    # letter newer than Java's Unicode (U+0870), and one that is a mark since Unicode 9
    # (U+1885); 1.2020 also for `title ²`.
    (")", "<U+0029>"),
    ("(", "<U+0028>"),
    ("()", "<U+0028>)"),
    ("±", "<U+00B1>"),
    ("÷ ±", "<U+00F7> ±"),
    ("²", "<U+00B2>"),
    ("\U0001f680", "<U+D83D><U+DE80>"),
    ("a \U0001f680", "a \U0001f680"),
    ("\u0301", "<U+0301>"),
    ("a\u0301", "a\u0301"),
    ("\u0870", "<U+0870>"),
    ("\u1885", "<U+1885>"),
    ("中文", "中文"),
    ("0", "0"),
    ("000000", "000000"),
    # `title : x` is the `title:` form: the colon was lost (both versions).
    (": x", "<U+003A> x"),
    ("x:", "x:"),
    ("-", "<U+002D>"),
    ("x.", "x."),
    # PlantUML keywords are text wherever the templates put them.
    ("end", "<U+0065>nd"),
    ("End Note", "<U+0045>nd Note"),
    ("endnote", "<U+0065>ndnote"),
    ("end title", "<U+0065>nd title"),
    ("package", "package"),
    ("as", "as"),
    ("note", "note"),
    ("title", "title"),
    ("skinparam", "skinparam"),
    ("left", "left"),
    ("right", "right"),
    ("up", "up"),
    ("down", "down"),
    ("left to right direction", "left to right direction"),
    ("}", "<U+007D>"),
    # Blank: a bare space after `title` or an arrow's `:` is "Syntax Error?" on both
    # versions, and so is an empty package name.
    ("", "<U+0020>"),
    (" ", "<U+0020>"),
    ("   ", "<U+0020>"),
    ("\t", "<U+0020>"),
    (" \n ", "<U+0020>"),
    ("\u00a0", "<U+0020>"),
    ("\u3000", "<U+0020>"),
    # Private use: raw, 1.2020 dropped U+E000-U+E0FF (U+E00A in a note ended its -pipe
    # process) and 1.2026 turned U+E000-U+E100 into line breaks or nothing.
    ("\ue000", "<U+E000>"),
    ("a\ue00ab", "a<U+E00A>b"),
    ("a\ue021b", "a<U+E021>b"),
    ("\ue0ff", "<U+E0FF>"),
    ("\ue100", "<U+E100>"),
    ("\uf8ff", "<U+F8FF>"),
    # Astral characters: both versions decode only four or five hex digits.
    ("\U000f0000", "<U+DB80><U+DC00>"),
    ("\U00100000", "<U+DBC0><U+DC00>"),
    ("x\U0010fffd", "x<U+DBFF><U+DFFD>"),
    ("\ufffe", "<U+FFFE>"),
    ("\ufdd0", "<U+FDD0>"),
    ("x\U0001ffff", "x<U+D83F><U+DFFF>"),
    # A typed EN DASH was drawn as `-` (both versions); a byte-order mark was dropped.
    ("a\u2013b", "a<U+2013>b"),
    ("x\ufeffy", "x<U+FEFF>y"),
]


@pytest.mark.parametrize(("text", "escaped"), ESCAPED_CASES)
def test_escape_line(text: str, escaped: str) -> None:
    assert escape_line(text) == escaped


#: The failing examples Hypothesis reported for test_any_unicode_text_shows_literally,
#: 1.2020 (`)` as a title) and 1.2026 (U+E000), pinned: nothing else in them needs escaping.
HYPOTHESIS_FOUND = [
    ["000000", ")", "0", "1", "00", "000", "0000", "00000"],
    ["0", "1", "2", "\ue000", "00", "000", "0000", "00000"],
]


def test_hypothesis_found_texts_escape_as_pinned() -> None:
    assert [escape_line(t) for t in HYPOTHESIS_FOUND[0]] == [
        "000000", "<U+0029>", "0", "1", "00", "000", "0000", "00000",
    ]  # fmt: skip
    assert [escape_line(t) for t in HYPOTHESIS_FOUND[1]] == [
        "0", "1", "2", "<U+E000>", "00", "000", "0000", "00000",
    ]  # fmt: skip


def test_long_labels_wrap_at_spaces_and_never_drop_text() -> None:
    words = "word " * 2000  # 10,000 characters, the longest a text field may be
    lines = escape_line(words).split("\\n")
    assert all(len(line) <= WRAP for line in lines)
    assert " ".join(lines).split() == words.split()
    assert lines[0] == ("word " * 20).rstrip()


def test_long_words_wrap_hard_and_marks_stay_with_their_letter() -> None:
    assert escape_line("x" * 230) == "\\n".join(["x" * 100, "x" * 100, "x" * 30])
    accented = "e" * 99 + "e\u0301" + "z"
    assert escape_line(accented) == "e" * 99 + "\\ne\u0301z"


def test_long_note_lines_become_source_lines() -> None:
    text = "a" * 150 + " end note\n" + "b" * 10
    assert escape_block(text).split("\n") == ["a" * 100, "a" * 50 + " end note", "b" * 10]


def test_each_wrapped_line_is_guarded_at_its_start() -> None:
    # The break makes "==x" and "end note" the start of a drawn line (or a note line).
    assert escape_line("x" * 100 + "==x") == "x" * 100 + "\\n<U+003D><U+003D>x"
    assert escape_block("y" * 100 + " end note").split("\n")[1] == "<U+0065>nd note"


def _decoded(escaped: str) -> str:
    """The text PlantUML draws for escaped source: ``\\n`` breaks, ``<U+XXXX>`` decoded."""
    units = [
        re.sub(r"<U\+([0-9A-F]{4})>", lambda m: chr(int(m[1], 16)), piece)
        for piece in escaped.split("\\n")
    ]
    return "\n".join(unit.encode("utf-16", "surrogatepass").decode("utf-16") for unit in units)


@settings(max_examples=500)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_escaping_is_pure_one_line_and_loses_nothing(text: str) -> None:
    escaped = escape_line(text)
    assert escaped == escape_line(text)  # a pure function: no state, no randomness
    assert "\n" not in escaped and "\r" not in escaped
    # Syntax characters only ever appear inside an escape.
    assert not set(re.sub(r"<U\+[0-9A-F]{4}>", "", escaped)) & set("!@%$'\"<>[]{}&*#~`|^«»“”")
    expected = drawn(text, "1.2020")
    shown = _decoded(escaped)
    if expected.strip():
        assert "".join(shown.split()) == "".join(expected.split())
    else:
        assert shown == " "
    block = escape_block(text)
    assert block == escape_block(text)
    assert "".join(_decoded(block.replace("\n", "\\n")).split()) == "".join(shown.split())


def test_package_has_an_alias_and_blank_optional_parts_are_left_out() -> None:
    record = text_everywhere("CUID2.")
    record["options"][0]["verdict"] = "   "
    record["options"][0]["flows"][0]["label"] = " "
    (source,), _ = diagram_sources([record])
    assert 'package "CUID2." as p1 {' in source
    assert 'package "CUID2. (CUID2.)" as p2 {' in source
    assert "o1_c1 -down-> o1_c2\n" in source  # no ` : ` with nothing after it


#: The cases the real PlantUML draws, one diagram each, in one batch: every escaped case,
#: the longest texts a field allows, and a long note line.
RENDERED_CASES = [
    *(text for text, _ in ESCAPED_CASES if text),  # a text field holds one character at least
    *(t for texts in HYPOTHESIS_FOUND for t in texts),
    "word " * 2000,
    "x" * 10_000,
    "note line " * 30 + "\n" + "z" * 250,
]
#: What the templates themselves write (a blank text must add nothing to these).
TEMPLATE_TEXTS = {
    "Security:",
    "-",
    "- (high)",
    "Complexity: LOW",
    "Time: 1 week",
    "Complexity: HIGH",
    "Time: 2 weeks",
    "For 1000 users, 30s latency requirement:",
    "= 33 req/s",
}


@pytest.mark.slow
def test_every_case_renders_and_shows_literally(plantuml: PlantumlUnderTest) -> None:
    cases = list(dict.fromkeys(RENDERED_CASES))
    comparisons, graph = diagram_sources([text_everywhere(text) for text in cases])
    renderer = make_renderer(plantuml.renderer)
    assert renderer is not None
    results = renderer.render([*comparisons, graph])
    failed = [(text, r.error) for text, r in zip(cases, results, strict=False) if not r.ok]
    assert not failed, f"PlantUML {plantuml.version} failed on {failed}"
    assert results[-1].ok, results[-1].error
    graph_shown = collapsed(" ".join(svg_texts(results[-1].svg)))
    for text, result in zip(cases, results, strict=False):
        texts = svg_texts(result.svg)
        shown = collapsed(" ".join(texts))
        expected = drawn(text, plantuml.version)
        if not expected.strip():
            invented = {collapsed(t) for t in texts} - TEMPLATE_TEXTS - {""}
            assert not invented, f"{text!r} drew {invented}"
        elif len(expected) > WRAP:
            # Wrapped: every character is there, in order, broken into lines.
            squeezed = "".join(expected.split())
            assert squeezed in "".join(shown.split()), f"{text[:20]!r}… not all drawn"
        else:
            for line in shown_lines(expected):
                assert line in shown, f"{text!r}: {line!r} not in {shown!r}"
            assert shown.count(collapsed(f"{expected} ({expected})")) == 2, "packages merged"
            assert collapsed(f"{cases.index(text) + 1:04d}: {expected}") in graph_shown


def test_finalize_escapes_by_default_and_passes_marked_syntax() -> None:
    assert finalize("!x") == "<U+0021>x"
    assert finalize(raw("-down->")) == "-down->"
    assert finalize(None) == ""
    assert finalize(3) == "3"
