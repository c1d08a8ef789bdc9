"""Record text on a page: Markdown rendered and sanitised, plain text escaped."""

from __future__ import annotations

import markdown
import pytest

from adrgen.site.markdown import (
    PlantumlFence,
    find_plantuml_fences,
    html_text,
    md_text,
    render_markdown,
    safe_url,
)

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "<svg onload=window.__pwned=1><circle r=5></circle></svg>",
    '<a href="javascript:window.__pwned=1">x</a>',
    '<a href="JaVaScRiPt:window.__pwned=1">x</a>',
    '<a href="java&#x09;script:window.__pwned=1">x</a>',
    "[x](javascript:window.__pwned=1)",
    "[x](  javascript:window.__pwned=1  )",
    '<iframe src="javascript:window.__pwned=1"></iframe>',
    '<div onclick="window.__pwned=1" style="background:url(javascript:x)">x</div>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1">',
    "<object data=javascript:window.__pwned=1></object>",
    '<form action="javascript:window.__pwned=1"><button>x</button></form>',
    "<details open ontoggle=window.__pwned=1>x</details>",
    '<a href="data:text/html,<script>window.__pwned=1</script>">x</a>',
]


def _site_markdown(text: str) -> str:
    """What MkDocs' own Markdown pass makes of a page fragment (same core extensions)."""
    return markdown.markdown(
        text, extensions=["toc", "admonition", "attr_list", "tables", "md_in_html"]
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_fields_are_sanitised(payload: str) -> None:
    rendered = str(render_markdown(f"Before\n\n{payload}\n\nAfter"))
    # Also through the builder's Markdown pass: a raw block must come out unchanged.
    for html_out in (rendered, _site_markdown(rendered)):
        lowered = html_out.lower()
        assert "<script" not in lowered
        assert 'href="javascript' not in lowered
        assert 'href="data:' not in lowered
        assert " on" not in _attributes(html_out)
        assert "<iframe" not in lowered and "<object" not in lowered and "<form" not in lowered
        assert "<style" not in lowered and "style=" not in lowered


def _attributes(html_out: str) -> str:
    """The attribute parts of every tag, to look for on*= handlers."""
    import re

    return " ".join(m.group(1).lower() for m in re.finditer(r"<[a-z][a-z0-9]*(\s[^>]*)>", html_out))


def test_markdown_keeps_ordinary_formatting() -> None:
    out = str(
        render_markdown("Some **bold**, `code` and [a link](https://example.org).\n\n- one\n- two")
    )
    assert "<strong>bold</strong>" in out
    assert "<code>code</code>" in out
    assert 'href="https://example.org"' in out
    assert "<li>one</li>" in out
    assert out.startswith('<div class="adrgen-md">') and out.endswith("</div>")


def test_external_images_are_dropped_but_links_stay() -> None:
    out = str(render_markdown("![x](https://tracker.example/p.png) ![y](local.png)"))
    assert "tracker.example" not in out
    assert 'src="local.png"' in out


def test_jinja_in_a_field_is_text() -> None:
    out = str(render_markdown("{{ 7*7 }} {% if true %}yes{% endif %} {{ config }}"))
    assert "{{ 7*7 }}" in out
    assert "49" not in out
    assert "{% if true %}" in out


def test_control_characters_cannot_forge_markdown_placeholders() -> None:
    out = str(render_markdown("a \x02wzxhzdk:0\x03 b"))
    assert "\x02" not in out and "\x03" not in out


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "**bold** _it_ `code` [x](javascript:alert(1))",
        "# heading",
        'Title {: onclick="alert(1)" }',
        "!!! note",
        "| a | b |",
        "1. not a list",
        "```",
        "&lt;entity&gt; &amp;",
        "\\",
        "{{ 7*7 }}",
    ],
)
def test_md_text_is_literal_after_markdown(text: str) -> None:
    """Plain text in a heading or table cell shows exactly as written, with no markup."""
    page = _site_markdown(f"# {md_text(text)}\n\n| {md_text(text)} |\n|---|\n| x |\n")
    heading = page.split("</h1>")[0]
    assert " onclick=" not in heading.split(">", 1)[0]
    import html

    visible = html.unescape(heading.split(">", 1)[1])
    assert visible == " ".join(text.split())
    assert "<script" not in page


def test_html_text_escapes_quotes_for_attributes() -> None:
    assert str(html_text('"><script>')) == "&quot;&gt;&lt;script&gt;"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("bench/results/x.json", "bench/results/x.json"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,x", None),
        ('https://x/"onmouseover=', None),
    ],
)
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_find_plantuml_fences() -> None:
    text = "a\n```plantuml\nA -> B\n```\nb\n~~~puml\nC -> D\n~~~\n```python\nx\n```"
    found = [(f.start, f.stop, f.body, f.info) for f in find_plantuml_fences(text)]
    assert found == [(1, 4, "A -> B", "plantuml"), (5, 8, "C -> D", "puml")]


def test_plantuml_fence_is_replaced_by_the_hook() -> None:
    calls: list[str] = []

    def hook(fence: PlantumlFence) -> str:
        calls.append(fence.body)
        return '<figure class="diagram">drawn</figure>'

    out = str(render_markdown("Intro\n\n```plantuml\nA -> B\n```\n\nEnd", diagrams=hook))
    assert calls == ["A -> B"]
    assert '<figure class="diagram">drawn</figure>' in out
    assert "A -&gt; B" not in out


def test_a_fence_in_a_record_list_is_drawn_inside_its_item() -> None:
    def hook(fence: PlantumlFence) -> str:
        return f'<figure class="diagram">{fence.body}</figure>'

    text = "1. First\n    - Nested\n        ```plantuml\n        A -> B\n        ```\n2. Second"
    out = str(render_markdown(text, diagrams=hook))
    item = out.split("<li>")[2]  # the nested item
    assert (
        item.lstrip().startswith("<p>Nested</p>")
        and '<figure class="diagram">A -> B</figure>' in item
    )
    assert "Second" in out and "```" not in out


def test_record_fields_have_no_admonitions_to_look_into() -> None:
    calls: list[str] = []

    def hook(fence: PlantumlFence) -> str:
        calls.append(fence.body)
        return "drawn"

    render_markdown("!!! note\n\n    ```plantuml\n    A -> B\n    ```\n", diagrams=hook)
    assert calls == []  # an indented code block there, as Python-Markdown reads it
