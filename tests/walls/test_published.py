"""Every SVG and generated page is checked for script before it ships, whoever made it:
PlantUML, a template, a committed SVG with a forged stamp, the local cache, or a hand-written
SVG in the docs folder. One that fails the check fails alone."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from adrgen.diagrams.cache import read_stamp_of, stamp_svg
from adrgen.walls.published import html_problems, svg_problems
from tests.conftest import PlantumlUnderTest
from tests.helpers import MINIMAL_RECORD, run_adrgen

pytestmark = pytest.mark.timeout(300)

SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (f"<svg {SVG_NS}><script>alert(1)</script></svg>", "a <script> element"),
        (f'<svg {SVG_NS}><rect onclick="alert(1)"/></svg>', "onclick="),
        (
            f'<svg {SVG_NS}><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
            "javascript:",
        ),
        (f'<svg {SVG_NS}><a href=" JaVa&#9;ScRiPt:alert(1)">x</a></svg>', "javascript:"),
        (f'<svg {SVG_NS}><a href="java\tscript:alert(1)">x</a></svg>', "javascript:"),
        (f'<svg {SVG_NS}><a href="data:text/html,&lt;script&gt;">x</a></svg>', "data:"),
        (f'<svg {SVG_NS}><a href="vbscript:msgbox(1)">x</a></svg>', "vbscript:"),
        (f'<svg {SVG_NS}><set attributeName="href" to="javascript:alert(1)"/></svg>', "<set>"),
        (f"<svg {SVG_NS}><foreignObject><div/></foreignObject></svg>", "foreignobject"),
        (f"<svg {SVG_NS}><style>a {{ background: url(javascript:x) }}</style></svg>", "url()"),
        (f'<svg {SVG_NS}><g style="behavior: url(x.htc)"/></svg>', "CSS"),
        (f"<svg {SVG_NS}><svg><script>alert(1)</script></svg></svg>", "pasted"),
        ('<!DOCTYPE svg [<!ENTITY x "y">]><svg>&x;</svg>', "document type"),
        # Not well-formed (a browser draws nothing), and read leniently all the same.
        (f"<svg {SVG_NS}>\ufffe<script>alert(1)</script></svg>", "<script>"),
    ],
)
def test_script_in_an_svg_is_found(svg: str, reason: str) -> None:
    problems = svg_problems(svg)
    assert problems and reason in "; ".join(problems)


@pytest.mark.parametrize(
    "svg",
    [
        f'<svg {SVG_NS} contentScriptType="application/ecmascript"><text>script and data: in words</text></svg>',
        f'<svg {SVG_NS}><a href="https://example.org" xlink:href="https://example.org">x</a></svg>',
        f'<svg {SVG_NS}><image xlink:href="data:image/png;base64,iVBORw0KGgo="/></svg>',
        f'<svg {SVG_NS}><rect filter="url(#f1)" style="fill:#FFF"/></svg>',
        f'<svg {SVG_NS}><a href="../0002-x/">relative</a></svg>',
    ],
)
def test_an_ordinary_svg_passes(svg: str) -> None:
    assert svg_problems(svg) == []


def test_a_page_is_read_as_html_not_as_text() -> None:
    assert (
        html_problems("<p>&lt;script&gt;alert(1)&lt;/script&gt; and javascript: in words</p>") == []
    )
    assert html_problems('<pre><code>[x](javascript:alert(1)) onclick="x"</code></pre>') == []
    assert html_problems('<a href="jav&#x09;ascript:x">x</a>')
    assert html_problems("<img src=x onerror=alert(1)>")
    assert html_problems("<svg><script>x</script></svg>")
    assert html_problems('<img srcset="ok.png 1x, javascript:x 2x">')


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    (root / "decisions" / "0001-small.yaml").write_text(MINIMAL_RECORD, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: S\ndocs_dir: decisions\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - adrgen:\n      section: ''\n",
        encoding="utf-8",
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return root


def _env(plantuml: PlantumlUnderTest | None) -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.update(plantuml.env if plantuml else {"ADRGEN_RENDERER": "none"})
    return env


def _poison(svg: Path) -> None:
    """Put a script into an SVG, keeping its stamp: what a pull request can commit."""
    text = svg.read_text(encoding="utf-8")
    svg.write_text(text.replace("</svg>", "<script>alert('poisoned')</script></svg>"), "utf-8")


def test_a_committed_svg_with_a_forged_stamp_is_drawn_again(
    plantuml: PlantumlUnderTest, repo: Path
) -> None:
    assert run_adrgen("render", cwd=repo, env=_env(plantuml)).returncode == 0
    svg = repo / "diagrams" / "0001-small.svg"
    stamp = read_stamp_of(svg)
    _poison(svg)
    assert read_stamp_of(svg) == stamp  # the stamp still says adrgen drew it
    # And the same poison in the local cache, which a pull request can commit to as well.
    for cached in (repo / ".adrgen-cache" / "svg").glob("*.svg"):
        _poison(cached)
    result = run_adrgen("build", cwd=repo, env=_env(plantuml))
    assert result.returncode == 0, result.stderr
    for published in [*repo.glob("diagrams/*.svg"), *(repo / "site").rglob("*.svg")]:
        assert "poisoned" not in published.read_text(encoding="utf-8"), published


def test_without_plantuml_a_poisoned_svg_is_dropped_not_published(
    plantuml: PlantumlUnderTest, repo: Path
) -> None:
    assert run_adrgen("render", cwd=repo, env=_env(plantuml)).returncode == 0
    _poison(repo / "diagrams" / "0001-small.svg")
    result = run_adrgen("build", cwd=repo, env=_env(None))
    assert result.returncode == 0, result.stderr
    assert not (repo / "diagrams" / "0001-small.svg").exists()
    assert not any("poisoned" in p.read_text("utf-8") for p in (repo / "site").rglob("*.svg"))


def test_a_hand_written_svg_with_script_is_not_published(repo: Path) -> None:
    (repo / "decisions" / "logo.svg").write_text(
        f'<svg {SVG_NS}><rect onload="alert(1)"/></svg>', encoding="utf-8"
    )
    (repo / "decisions" / "clean.svg").write_text(f"<svg {SVG_NS}><rect/></svg>", encoding="utf-8")
    for argv in (["build"], ["build", "--pages-only", "out"]):
        result = run_adrgen(*argv, cwd=repo, env=_env(None))
        assert result.returncode == 0, result.stderr
        assert (
            "decisions/logo.svg:0:0: not published: the SVG holds an event attribute onload="
            in (result.stderr)
        )
    assert not (repo / "site" / "logo.svg").exists() and (repo / "site" / "clean.svg").is_file()
    assert not (repo / "out" / "logo.svg").exists() and (repo / "out" / "clean.svg").is_file()
    strict = run_adrgen("build", "--strict", cwd=repo, env=_env(None))
    assert strict.returncode == 1


def test_a_page_whose_html_holds_script_fails_alone(repo: Path) -> None:
    # A project template is trusted to lay pages out; even so, what it makes is checked.
    template = repo / "templates" / "pages" / "decision.md.j2"
    template.parent.mkdir(parents=True)
    template.write_text(
        '{{ front_matter }}\n# {{ record.title }}\n\n<p onclick="alert(1)">hi</p>\n',
        encoding="utf-8",
    )
    result = run_adrgen("build", cwd=repo, env=_env(None))
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"0001-small\.md:0:0: page not published: its HTML holds an event attribute", result.stderr
    )
    page = (repo / "site" / "0001-small" / "index.html").read_text(encoding="utf-8")
    assert "This page was not published" in page and 'onclick="alert(1)"' not in page
    assert (repo / "site" / "index.html").is_file()  # the rest of the site built


def test_stamps_keep_their_meaning(tmp_path: Path) -> None:
    # The check reads the SVG adrgen stamped, not a copy: a stamped clean SVG passes.
    svg = stamp_svg(
        f"<?xml version='1.0'?><svg {SVG_NS}><rect/></svg>", "@startuml\n@enduml\n", "0" * 64
    )
    assert svg_problems(svg) == []
    target = tmp_path / "x.svg"
    target.write_text(svg, encoding="utf-8")
    assert read_stamp_of(target) is not None
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)


def test_check_fails_on_a_committed_svg_with_script(
    plantuml: PlantumlUnderTest, repo: Path
) -> None:
    assert run_adrgen("render", cwd=repo, env=_env(plantuml)).returncode == 0
    assert run_adrgen("check", cwd=repo, env=_env(plantuml)).returncode == 0
    _poison(repo / "diagrams" / "0001-small.svg")
    result = run_adrgen("check", cwd=repo, env=_env(plantuml))
    assert result.returncode == 2
    assert "diagrams/0001-small.svg:0:0: unsafe: it holds a <script> element" in result.stderr


def test_the_svg_check_stands_behind_the_guard(plantuml: PlantumlUnderTest) -> None:
    # Handed straight to PlantUML (no guard), a script link: 1.2020 draws it live, and the
    # published-output check fails the diagram; 1.2026 blanks it itself.
    from adrgen.diagrams.renderer import make_renderer

    renderer = make_renderer(plantuml.renderer)
    assert renderer is not None
    try:
        [result] = renderer.render(["@startuml\nclass X [[javascript:alert(1)]]\n@enduml\n"])
    finally:
        renderer.close()
    if result.ok:  # the text stays in the tooltip, never in a link
        assert not re.search(r'href="\s*javascript:', result.svg, re.IGNORECASE)
    else:
        assert "the SVG was not published: it holds a javascript: URL" in result.error
    assert plantuml.version != "1.2020" or not result.ok
