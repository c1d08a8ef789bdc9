"""plantuml-markdown's block syntax: fence options, blocks nested in lists and admonitions,
``source=`` files through the include guard, and hostile option values."""

from __future__ import annotations

import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adrgen.diagrams.fenced import (
    MAX_INCLUDE_BYTES,
    BlockDiagram,
    BlockOptions,
    Origin,
    PlantumlBlocks,
    guard_fence,
    parse_options,
    plantuml_options,
)
from adrgen.diagrams.renderer import make_renderer
from adrgen.errors import ValidationFailed
from adrgen.site.markdown import (
    find_plantuml_fences,
    inline_html,
    markdown_image,
    replace_fences,
)
from adrgen.site.pages import block_html
from adrgen.walls.reads import ReadPolicy
from tests.conftest import PlantumlUnderTest
from tests.site.conftest import mkdocs_build, record, write

pytestmark = pytest.mark.timeout(120)

#: The Markdown extensions of an MkDocs site with adrgen's plugin (it adds attr_list,
#: admonition and md_in_html), plus the pymdownx ones a Material site has.
SITE_EXTENSIONS = [
    "toc",
    "tables",
    "admonition",
    "attr_list",
    "md_in_html",
    "pymdownx.superfences",
    "pymdownx.details",
    "pymdownx.tabbed",
]


class _Images(HTMLParser):
    """Every <img> of a page: its attributes, and the tags (with classes) it is inside."""

    VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.images: list[tuple[dict[str, str | None], list[str]]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "img":
            self.images.append((dict(attrs), list(self.stack)))
        if tag not in self.VOID:
            classes = dict(attrs).get("class") or ""
            self.stack.append(f"{tag}.{'.'.join(classes.split())}" if classes else tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].split(".")[0] == tag:
                del self.stack[index:]
                break


def images(page: str) -> list[tuple[dict[str, str | None], list[str]]]:
    parser = _Images()
    parser.feed(page)
    return parser.images


def block_images(page: str) -> list[tuple[dict[str, str | None], list[str]]]:
    """The diagrams of blocks on a built page, each with the tags it is in (its link left
    out), from the page's article on."""
    found = []
    for attributes, stack in images(page):
        if "/assets/adrgen/blocks/" in (attributes.get("src") or ""):
            inner = stack[stack.index("article.md-content__inner.md-typeset") + 1 :]
            found.append((attributes, inner[:-1] if inner[-1] == "a" else inner))
    return found


# ---------------------------------------------------------------------------------------------
# The fence's options


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ("plantuml", BlockOptions()),
        ('plantuml format="png"', BlockOptions(format="png")),
        ('plantuml format="svg_inline"', BlockOptions(format="svg_inline")),
        ('plantuml format="gif"', BlockOptions(format="gif")),  # unknown: drawn as SVG too
        ('plantuml classes="uml my-diagram"', BlockOptions(classes=("uml", "my-diagram"))),
        ('plantuml alt="Login flow"', BlockOptions(alt="Login flow")),
        ('plantuml title="Hover text"', BlockOptions(title="Hover text")),
        ('plantuml width="50%"', BlockOptions(width="50%")),
        ('plantuml width="300PX" height="12.5em"', BlockOptions(width="300px", height="12.5em")),
        ('plantuml id="login-flow"', BlockOptions(id="login-flow")),
        ('plantuml source="x.puml"', BlockOptions(source="x.puml", source_index=1)),
    ],
)
def test_each_option_is_read(info: str, expected: BlockOptions) -> None:
    text = plantuml_options(info)
    assert text is not None
    assert parse_options(text) == (expected, [])


@pytest.mark.parametrize(
    ("info", "alt", "title"),
    [
        # Single or double quotes, the other kind inside freely.
        ('plantuml alt=\'Say "hi"\' title="it\'s"', 'Say "hi"', "it's"),
        # A quote of the same kind may stand inside a value when the rest still reads as
        # options: plantuml-markdown's lazy pattern takes the shortest value that works.
        ('plantuml alt="He said "hi" there"', 'He said "hi" there', ""),
        # No space needed between options; plantuml-markdown's own order is not required.
        ('plantuml title="b"alt="a"', "a", "b"),
        # The attribute-list form, closed by a brace or not.
        ('{.plantuml alt="a" title="b"}', "a", "b"),
        ('{plantuml alt="a" }', "a", ""),
        # Whitespace inside a value is one space, as on one line of text.
        ('uml alt="  two\tspaces  "', "two spaces", ""),
    ],
)
def test_quoting_rules(info: str, alt: str, title: str) -> None:
    options, problems = parse_options(plantuml_options(info) or "")
    assert problems == []
    assert (options.alt, options.title) == (alt, title)


@pytest.mark.parametrize(
    ("info", "diagram"),
    [
        ("plantuml", True),
        ("uml", True),
        ("c4plantuml", True),
        ("puml", True),  # adrgen's, kept from before
        ("PlantUML", True),
        ("{.plantuml}", True),
        ("{ .uml format='svg' }", True),
        ("plantumlx", False),
        ("plantuml-diagram", False),
        ("python", False),
        ("", False),
    ],
)
def test_languages_that_mean_a_diagram(info: str, diagram: bool) -> None:
    assert (plantuml_options(info) is not None) is diagram


@pytest.fixture
def repo(docs_repo: Path, tmp_path: Path) -> Path:
    """A docs repository (the working directory) with a page folder and diagram files."""
    write(
        docs_repo, "decisions/guide/login.puml", "@startuml\nAlice -> Bob : from a file\n@enduml\n"
    )
    write(docs_repo, "shared/style.iuml", "skinparam backgroundColor #EEEEEE\n")
    write(docs_repo, "shared/leaky.puml", "!include ../../secret.txt\nA -> B\n")
    write(docs_repo, "shared/two.puml", "@startuml\nA -> B\n@enduml\n@startuml\nC -> D\n@enduml\n")
    (docs_repo / "shared" / "latin1.puml").write_bytes(b"A -> B : caf\xe9\n")
    (docs_repo / "shared" / "big.puml").write_text("' x\n" * (MAX_INCLUDE_BYTES // 4 + 1))
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", docs_repo / "shared" / "link.puml")
    return docs_repo


def fence(repo: Path, info: str, body: str = "A -> B") -> str:
    """A fence on line 9 of decisions/guide/page.md: its options start at column 4."""
    page = repo / "decisions" / "guide" / "page.md"
    origin = Origin(page, 10, column=1, info_column=4)
    return guard_fence(
        body, info, base_dir=page.parent, reads=ReadPolicy.for_root(repo), origin=origin
    ).source


def problems(repo: Path, info: str, body: str = "A -> B") -> list[str]:
    with pytest.raises(ValidationFailed) as caught:
        fence(repo, info, body)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("info", "message"),
    [
        (
            'plantuml formt="svg"',
            "decisions/guide/page.md:9:13: unknown option 'formt'; did you mean 'format'?",
        ),
        (
            'plantuml caption="x"',
            "decisions/guide/page.md:9:13: unknown option 'caption'; known options: id, format,"
            " classes, alt, title, width, height, source",
        ),
        (
            'plantuml alt="a" alt="b"',
            "decisions/guide/page.md:9:21: option 'alt' is given twice",
        ),
        (
            "plantuml format=svg",
            "decisions/guide/page.md:9:13: option 'format': put its value in quotes: format=\"svg\"",
        ),
        (
            'plantuml alt="never closed',
            "decisions/guide/page.md:9:17: option 'alt': its value has no closing \"",
        ),
        (
            "plantuml alt",
            "decisions/guide/page.md:9:13: option 'alt' needs a value: alt=\"…\"",
        ),
        (
            'plantuml alt="a" } more',
            "decisions/guide/page.md:9:23: unexpected 'more' after '}'",
        ),
        (
            'plantuml "alt"',
            'decisions/guide/page.md:9:13: unexpected \'"alt"\' in the fence\'s options; write name="value"',
        ),
        (
            'plantuml width="100"',
            "decisions/guide/page.md:9:13: width '100' is not a CSS length or percentage"
            " (e.g. 300px, 20em, 50%)",
        ),
        (
            'plantuml source=""',
            'decisions/guide/page.md:9:13: source is empty; name a file: source="parts/x.puml"',
        ),
        (
            "plantuml alt='" + "x" * 2000 + "'",
            "decisions/guide/page.md:9:12: the fence's options are longer than 2000 characters",
        ),
    ],
)
def test_bad_options_are_problems_at_the_fence_line(repo: Path, info: str, message: str) -> None:
    assert problems(repo, info) == [message]


@pytest.mark.parametrize(
    ("info", "message"),
    [
        # CSS injection through a size: nothing but a length or a percentage is taken.
        (
            'plantuml width="50%;background:url(javascript:alert(1))"',
            "decisions/guide/page.md:9:13: width '50%;background:url(javascript:alert(1))' is"
            " not a CSS length or percentage (e.g. 300px, 20em, 50%)",
        ),
        (
            "plantuml height='1px\" onload=\"alert(1)'",
            "decisions/guide/page.md:9:13: height '1px\" onload=\"alert(1)' is not a CSS length"
            " or percentage (e.g. 300px, 20em, 50%)",
        ),
        (
            'plantuml width="expression(alert(1))"',
            "decisions/guide/page.md:9:13: width 'expression(alert(1))' is not a CSS length or"
            " percentage (e.g. 300px, 20em, 50%)",
        ),
        # Attribute injection through a class name or an id.
        (
            "plantuml classes='x\" onmouseover=\"alert(1)'",
            "decisions/guide/page.md:9:13: classes 'x\" onmouseover=\"alert(1)': a class name"
            " holds only letters, digits, '-' and '_'",
        ),
        (
            'plantuml classes="<script>"',
            "decisions/guide/page.md:9:13: classes '<script>': a class name holds only letters,"
            " digits, '-' and '_'",
        ),
        (
            "plantuml id='a\" onclick=\"alert(1)'",
            "decisions/guide/page.md:9:13: id 'a\" onclick=\"alert(1)': an id holds only"
            " letters, digits, '-' and '_'",
        ),
    ],
)
def test_hostile_option_values_are_refused(repo: Path, info: str, message: str) -> None:
    assert problems(repo, info) == [message]


def test_every_problem_of_a_fence_is_reported_at_once(repo: Path) -> None:
    assert problems(repo, 'plantuml width="wide" source="/etc/passwd"', "!include /etc/hosts") == [
        "decisions/guide/page.md:9:13: width 'wide' is not a CSS length or percentage"
        " (e.g. 300px, 20em, 50%)",
        "decisions/guide/page.md:9:26: source '/etc/passwd' is absolute; use a path relative"
        " to this file",
    ]


# ---------------------------------------------------------------------------------------------
# source=


def test_source_is_read_from_the_page_folder(repo: Path) -> None:
    out = fence(repo, 'plantuml source="login.puml"', "ignored : this text")
    # The file is framed by @startuml…@enduml: PlantUML never draws what plantuml-markdown
    # appends after its @enduml, so the block's own text is left out.
    assert out == "@startuml\nAlice -> Bob : from a file\n@enduml\n"


def test_source_falls_back_to_the_repository_root(repo: Path) -> None:
    # plantuml-markdown's default base_dir is the folder mkdocs runs in: the repository.
    out = fence(repo, 'plantuml source="shared/style.iuml"', "@startuml\nA -> B\n@enduml")
    # An unframed file (shared skinparams) is followed by the block's own text.
    assert out == "@startuml\nskinparam backgroundColor #EEEEEE\nA -> B\n@enduml\n"


def test_the_same_source_with_other_options_is_one_diagram(repo: Path) -> None:
    page = repo / "decisions" / "guide" / "page.md"
    blocks = PlantumlBlocks(ReadPolicy.for_root(repo), repo / ".adrgen-cache")
    a = blocks.add("", base_dir=page.parent, origin=Origin(page, 2), info='uml source="login.puml"')
    b = blocks.add(
        "x", base_dir=page.parent, origin=Origin(page, 9), info='uml alt="B" source="login.puml"'
    )
    assert a.source == b.source and len(blocks) == 1
    assert blocks.get(b.source, b.options).options.alt == "B"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "../../../secret.txt",
            "source '../../../secret.txt': not read: it is outside the repository",
        ),
        ("/etc/passwd", "source '/etc/passwd' is absolute; use a path relative to this file"),
        ("~/.ssh/id_rsa", "source '~/.ssh/id_rsa' is absolute; use a path relative to this file"),
        (
            "https://evil.example/x.puml",
            "source 'https://evil.example/x.puml' is a URL; only files inside the repository",
        ),
        (
            "file:///etc/passwd",
            "source 'file:///etc/passwd' is a URL; only files inside the repository",
        ),
        ("missing.puml", "source 'missing.puml': no such file here or at the repository root"),
        (
            "../../shared/link.puml",
            "source '../../shared/link.puml': not read: it is a symlink to TMP/secret.txt,"
            " outside the repository",
        ),
        ("shared/big.puml", f"source 'shared/big.puml' is larger than {MAX_INCLUDE_BYTES} bytes"),
        (
            "shared/latin1.puml",
            "source 'shared/latin1.puml': cannot read: 'utf-8' codec can't decode byte 0xe9 in"
            " position 12: invalid continuation byte",
        ),
        (
            "shared/leaky.puml",
            "!include '../../secret.txt': not read: it is outside the repository",
        ),
        (
            "shared/two.puml",
            "source 'shared/two.puml': a block holds one diagram: @start…/@end… only on its"
            " first and last lines",
        ),
    ],
)
def test_source_outside_the_guard_is_refused(
    repo: Path, tmp_path: Path, source: str, message: str
) -> None:
    # At the fence line, pointing at `source=` (column 13), like the guard's other problems.
    found = problems(repo, f'plantuml source="{source}"')
    assert [p.replace(str(tmp_path.resolve()), "TMP") for p in found] == [
        f"decisions/guide/page.md:9:13: {message}"
    ]


# ---------------------------------------------------------------------------------------------
# Finding the fences, nested


NESTED = """\
# Nested

1. Ordered
    - Unordered

        ```plantuml alt="in a list"
        A -> B
          indented
        ```

> ```plantuml alt="in a quote"
> C -> D
> ```

!!! note "A note"
    ```plantuml alt="in an admonition"
    E -> F
    ```

??? tip "Details"

    === "Tab"

        ```{.plantuml alt="in a tab in details"}
        G -> H
        ```

- ```plantuml alt="on the marker line"
  I -> J
  ```
"""


def test_fences_nested_in_lists_quotes_and_admonitions_are_found() -> None:
    found = find_plantuml_fences(NESTED)
    assert [(f.start, f.stop, f.body, f.lead) for f in found] == [
        (5, 9, "A -> B\n  indented", " " * 8),
        (10, 13, "C -> D", "> "),
        (15, 18, "E -> F", " " * 4),
        (23, 26, "G -> H", " " * 8),
        (27, 30, "I -> J", "- "),
    ]
    assert [f.column for f in found] == [9, 3, 5, 9, 3]


def test_replaced_fences_keep_the_structure_around_them() -> None:
    found = find_plantuml_fences(NESTED)
    marker = {f.start: f'<img alt="{i}" src="x.svg">' for i, f in enumerate(found)}
    page = markdown.markdown(
        replace_fences(NESTED, found, lambda f: marker[f.start]), extensions=SITE_EXTENSIONS
    )
    where = {a["alt"]: stack for a, stack in images(page)}
    assert where["0"][-3:] == ["ul", "li", "p"] and where["0"][:2] == ["ol", "li"]
    assert where["1"] == ["blockquote", "p"]
    assert where["2"] == ["div.admonition.note", "p"]
    assert where["3"][0] == "details.tip" and "div.tabbed-set" in where["3"]
    assert where["4"] == ["ul", "li"]
    assert "```" not in page


def test_pelican_syntax_blocks_are_found() -> None:
    text = (
        "::uml:: alt='top'\nA -> B\n::end-uml::\n\n"
        '- item\n\n    ::uml:: format="png"\n      C -> D\n    ::end-uml::\n\n'
        "```text\n::uml::\nE -> F\n::end-uml::\n```\n\n"  # an example: code
        "::uml::\nnever closed\n"
    )
    found = find_plantuml_fences(text)
    assert [(f.start, f.stop, f.body, f.info, f.lead) for f in found] == [
        (0, 3, "A -> B", "uml alt='top'", ""),
        (6, 9, "  C -> D", 'uml format="png"', "    "),
    ]


def test_pelican_syntax_option_problems_point_at_the_option(repo: Path) -> None:
    (found,) = find_plantuml_fences("Text\n\n::uml:: widht='9px'\nA -> B\n::end-uml::\n")
    page = repo / "decisions" / "guide" / "page.md"
    origin = Origin(page, found.start + 2, column=found.column, info_column=found.info_column)
    with pytest.raises(ValidationFailed) as caught:
        guard_fence(
            found.body,
            found.info,
            base_dir=page.parent,
            reads=ReadPolicy.for_root(repo),
            origin=origin,
        )
    assert str(caught.value) == (
        "decisions/guide/page.md:3:9: unknown option 'widht'; did you mean 'width'?"
    )


@pytest.mark.parametrize(
    "text",
    [
        # An example of Markdown, shown as code: the fences in it are text.
        "````markdown\n```plantuml\nA -> B\n```\n````\n",
        "~~~markdown\n```plantuml\nA -> B\n```\n~~~\n",
        "- item\n\n    ````md\n    ```plantuml\n    A -> B\n    ```\n    ````\n",
        # An indented code block.
        "Text\n\n    ```plantuml\n    A -> B\n    ```\n",
        # Four backticks: how a plantuml-markdown page shows PlantUML source as code.
        "````plantuml\nA -> B\n````\n",
        # Inside raw HTML.
        "<div>\n```plantuml\nA -> B\n```\n</div>\n",
    ],
)
def test_fences_inside_other_code_blocks_are_not_diagrams(text: str) -> None:
    assert find_plantuml_fences(text) == []


MARKDOWN_PIECES = st.sampled_from(
    ["```", "~~~", "````", "plantuml", "uml", "{.plantuml", "}", " ", "\t", "\n", "\r", ">",
     "- ", "1. ", "    ", "!!! note", "??? tip", '=== "T"', "::uml::", "::end-uml::", 'alt="',
     "'", '"', "=", "x", "<div>", "\\", "`", "\x00", "é"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(pieces=st.lists(MARKDOWN_PIECES, max_size=60))
def test_any_text_is_read_without_a_traceback(pieces: list[str]) -> None:
    text = "".join(pieces)
    found = find_plantuml_fences(text)
    out = replace_fences(text, found, lambda fence: "DRAWN").split("\n")
    assert sum(line.endswith("DRAWN") for line in out) == len(found)
    for fence in found:
        options = plantuml_options(fence.info)
        assert options is not None
        parse_options(options)
    parse_options(text)


# ---------------------------------------------------------------------------------------------
# What a fence's options become on the page


HOSTILE_ALT = '"><script>alert(1)</script> [x](javascript:alert(1)) *b* {: onclick="y" }'
HOSTILE_TITLE = "' onmouseover='alert(1)' \" ` \\ ] ) & &amp; <img src=x onerror=alert(1)>"


def test_block_html_escapes_alt_and_title() -> None:
    diagram = BlockDiagram(
        source="@startuml\n@enduml\n",
        key="k" * 24,
        svg=Path("x.svg"),
        options=BlockOptions(
            alt=HOSTILE_ALT, title=HOSTILE_TITLE, classes=("a", "b"), id="d", width="50%"
        ),
    )
    out = block_html(diagram, "../")
    ((attributes, _stack),) = images(out)
    assert attributes == {
        "src": "../assets/adrgen/blocks/kkkkkkkkkkkkkkkkkkkkkkkk.svg",
        "alt": HOSTILE_ALT,
        "title": HOSTILE_TITLE,
        "class": "a b",
        "id": "d",
        "width": "100%",
        "style": "max-width:50%",
        "loading": "lazy",
    }
    assert "<script" not in out and out.count("<img") == 1


def test_markdown_image_escapes_alt_and_title() -> None:
    options = BlockOptions(
        alt=HOSTILE_ALT, title=HOSTILE_TITLE, classes=("uml", "x"), id="d", height="9em"
    )
    line = markdown_image("../assets/adrgen/blocks/k.svg", options, "PlantUML diagram")
    for context in (line, f"- item\n\n    {line}", f"!!! note\n    {line}", f"> {line}"):
        page = markdown.markdown(context, extensions=SITE_EXTENSIONS)
        ((attributes, _stack),) = images(page)
        assert attributes == {
            "alt": HOSTILE_ALT,
            "title": HOSTILE_TITLE,
            "class": "uml x",
            "id": "d",
            "width": "100%",
            "style": "max-height:9em",
            "src": "../assets/adrgen/blocks/k.svg",
        }
        assert "<script" not in page and "javascript:" not in page.split('title="')[0]


def test_markdown_image_without_options_needs_no_extension() -> None:
    line = markdown_image("b.svg", BlockOptions(), "PlantUML diagram")
    assert line == "[![PlantUML diagram](b.svg)](b.svg)"


def test_a_failed_block_stays_whole_inside_a_list_item() -> None:
    source = "@startuml\nA -> B : **x** [y](javascript:z) <script>s</script>\n- dash\n@enduml\n"
    warning = block_html(BlockDiagram(source=source, error="Syntax Error?"), "")
    assert "\n" not in inline_html(warning)
    for context in ("{}", "- item\n\n    {}\n\n- next", "!!! note\n    {}"):
        page = markdown.markdown(context.format(inline_html(warning)), extensions=SITE_EXTENSIONS)
        code = re.search(r'<code class="language-plantuml">(.*?)</code>', page, re.DOTALL)
        assert code is not None and html.unescape(code[1]) == source
        assert "<script" not in page and "<strong>" not in page and 'href="javascript' not in page


# ---------------------------------------------------------------------------------------------
# Real PlantUML


@pytest.mark.timeout(90)
def test_blocks_with_options_and_source_render(
    plantuml: PlantumlUnderTest, repo: Path, tmp_path: Path
) -> None:
    renderer = make_renderer(plantuml.renderer)
    assert renderer is not None
    page = repo / "decisions" / "guide" / "page.md"
    blocks = PlantumlBlocks(ReadPolicy.for_root(repo), repo / ".adrgen-cache")
    added = [
        blocks.add(
            "ignored", base_dir=page.parent, origin=Origin(page, 2), info='uml source="login.puml"'
        ),
        blocks.add(
            "Carol -> Dave : inline",
            base_dir=page.parent,
            origin=Origin(page, 9),
            info='plantuml format="png" alt="Inline" width="40%"',
        ),
    ]
    blocks.resolve(renderer, renderer.identity(), {})
    texts = []
    for block in added:
        diagram = blocks.get(block.source, block.options)
        assert diagram.svg is not None, diagram.error
        texts.append(diagram.svg.read_text())
    assert "from a file" in texts[0] and "ignored" not in texts[0]
    assert "inline" in texts[1]


PAGE_FOR_PLANTUML_MARKDOWN = """\
# Written for plantuml-markdown

```plantuml format="svg" classes="uml wide" alt="Top level" title="The top one" width="60%" height="400px"
Alice -> Bob : top
```

1. A step
    - with a detail

        ```plantuml format="png" alt='A "nested" one' id="nested-one"
        Alice -> Bob : nested
        ```

2. Another step

!!! note "Drawn in a note"
    ```{.plantuml format="svg_object" classes="in-note" title="In a note"}
    Alice -> Bob : in a note
    ```

> ```uml format="txt" source="../shared/flow.puml"
> ```

- In Pelican's syntax:

    ::uml:: format="svg" alt="Pelican style"
        Alice -> Bob : pelican
    ::end-uml::

How to write one:

````markdown
```plantuml
Alice -> Bob : only an example
```
````
"""


@pytest.mark.timeout(180)
def test_a_page_written_for_plantuml_markdown_builds_strict(
    plantuml: PlantumlUnderTest, project: Path, tmp_path: Path
) -> None:
    write(
        project,
        "decisions/0001-first.yaml",
        record(1, "First").replace(
            "  Why record 1 exists.\n",
            "  Why record 1 exists.\n\n  - A list item\n\n"
            '      ```plantuml alt="In a record" classes="rec" width="20em"\n'
            "      Alice -> Bob : in a record\n      ```\n",
        ),
    )
    write(project, "decisions/shared/flow.puml", "@startuml\nAlice -> Bob : from a file\n@enduml\n")
    write(project, "decisions/guide/plantuml.md", PAGE_FOR_PLANTUML_MARKDOWN)
    site = tmp_path / "site"
    result = mkdocs_build(project, site)
    assert result.returncode == 0, result.stderr

    page = (site / "guide" / "plantuml" / "index.html").read_text()
    drawn = block_images(page)
    assert [a.get("alt") for a, _ in drawn] == [
        "Top level",
        'A "nested" one',
        "PlantUML diagram",
        "PlantUML diagram",
        "Pelican style",
    ]
    (top, top_in), (nested, nested_in), (note, note_in), (_, quoted_in), (_, uml_in) = drawn
    assert top["title"] == "The top one" and top["class"] == "uml wide"
    assert top["width"] == "100%" and top["style"] == "max-width:60%;max-height:400px"
    assert top_in == ["p"]
    assert nested["id"] == "nested-one" and nested_in == ["ol", "li", "ul", "li", "p"]
    assert note["class"] == "in-note" and note["title"] == "In a note"
    assert note_in == ["div.admonition.note", "p"]
    assert quoted_in == ["blockquote", "p"]
    assert uml_in == ["ul", "li", "p"]
    texts = []
    for attributes, _ in drawn:
        svg = (site / "guide" / "plantuml" / (attributes["src"] or "")).resolve()
        assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
        texts.append(svg.read_text())
    assert ["top" in texts[0], "nested" in texts[1], "in a note" in texts[2]] == [True] * 3
    assert "from a file" in texts[3]  # source=, from the docs folder next to the page
    assert "pelican" in texts[4]
    # The example stays an example.
    assert "only an example" in page and "```plantuml" in html.unescape(re.sub("<[^>]+>", "", page))

    record_page = (site / "0001-first" / "index.html").read_text()
    ((attributes, stack),) = block_images(record_page)
    assert attributes["alt"] == "In a record" and attributes["class"] == "rec"
    assert attributes["style"] == "max-width:20em"
    assert stack[-4:] == [
        "div.adrgen-md",
        "ul",
        "li",
        "figure.adrgen-diagram.adrgen-diagram--block",
    ]


@pytest.mark.timeout(180)
def test_a_nested_block_plantuml_cannot_draw_shows_its_error_and_source(
    plantuml: PlantumlUnderTest, project: Path, tmp_path: Path
) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(
        project,
        "decisions/broken.md",
        "# Broken\n\n- An item\n\n    ```plantuml alt='x'\n    Alice -> Bob\n"
        "    this is not PlantUML {{{\n    ```\n\n- Next item\n",
    )
    site = tmp_path / "site"
    result = mkdocs_build(project, site, strict=False)
    assert result.returncode == 0, result.stderr
    assert "decisions/broken.md:7:5: PlantUML could not draw this block" in result.stderr
    page = (site / "broken" / "index.html").read_text()
    item = page.split("<li>")[1].split("</li>")[0]
    assert "Diagram could not be drawn" in item
    assert "this is not PlantUML {{{" in html.unescape(item)
    assert "Next item" in page


def test_hostile_options_fail_the_build_naming_the_place(project: Path, tmp_path: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(
        project,
        "decisions/hostile.md",
        "# Hostile\n\n"
        "- item\n\n"
        '    ```plantuml width="1px;background:url(javascript:alert(1))"\n    A -> B\n    ```\n\n'
        "!!! note\n"
        '    ```plantuml source="../../etc/passwd" classes=\'a" onclick="x\'\n    ```\n',
    )
    result = mkdocs_build(project, tmp_path / "site", renderer="none")
    assert result.returncode != 0
    assert (
        "decisions/hostile.md:5:17: width '1px;background:url(javascript:alert(1))' is not a"
        " CSS length or percentage (e.g. 300px, 20em, 50%)"
    ) in result.stderr
    assert (
        "decisions/hostile.md:10:17: source '../../etc/passwd': not read: it is outside the"
        " repository" in result.stderr
    )
    assert (
        "decisions/hostile.md:10:43: classes 'a\" onclick=\"x': a class name holds only"
        " letters, digits, '-' and '_'"
    ) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.timeout(180)
def test_hostile_alt_and_title_are_text_on_a_built_page(
    plantuml: PlantumlUnderTest, project: Path, tmp_path: Path
) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(
        project,
        "decisions/text.md",
        # Tildes: a backtick fence's line cannot hold a backtick (CommonMark).
        "# Text\n\n- item\n\n"
        f"    ~~~plantuml alt='{HOSTILE_ALT}' title=\"{HOSTILE_TITLE}\"\n    A -> B\n    ~~~\n",
    )
    result = mkdocs_build(project, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "text" / "index.html").read_text()
    ((attributes, stack),) = block_images(page)
    assert (attributes["alt"], attributes["title"]) == (HOSTILE_ALT, HOSTILE_TITLE)
    assert stack == ["ul", "li", "p"]
    parser = _Images()
    parser.feed(page[page.index("<article") : page.index("</article>")])
    assert "script" not in parser.tags
