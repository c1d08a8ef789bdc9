"""Raw PlantUML in Markdown passes adrgen's guard before PlantUML ever sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from adrgen.config import RendererConfig
from adrgen.diagrams.fenced import Origin, PlantumlBlocks, guard
from adrgen.diagrams.renderer import make_renderer
from adrgen.errors import ValidationFailed
from adrgen.walls.reads import ReadPolicy
from tests.conftest import PlantumlUnderTest


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "decisions" / "parts").mkdir(parents=True)
    (root / "decisions" / "parts" / "style.iuml").write_text(
        "@startuml\nskinparam backgroundColor #EEEEEE\n!startsub BOXES\nrectangle Shared\n!endsub\n@enduml\n"
    )
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    return root


def check(repo: Path, source: str) -> str:
    page = repo / "decisions" / "page.md"
    return guard(
        source, base_dir=page.parent, reads=ReadPolicy.for_root(repo), origin=Origin(page, 10)
    )


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("!include /etc/passwd", "absolute"),
        ("!include ../../secret.txt", "outside the repository"),
        ("  !include_many ../../secret.txt", "outside the repository"),
        ("!include_once ~/.ssh/id_rsa", "absolute"),
        ("!includesub ../../secret.txt!X", "outside the repository"),
        ("!include https://evil.example/x.puml", "URL"),
        ("!includeurl https://evil.example/x.puml", "not allowed"),
        ("!INCLUDEURL http://evil.example/x.puml", "not allowed"),
        ("!import /tmp/lib.zip", "not allowed"),
        ("!includedef ../x", "not allowed"),
        ('!$p = "/etc/passwd"\n!include $p', "computed"),
        ('A -> B : %getenv("HOME")', "%getenv"),
        ('!$x = %load_json("/etc/x.json")', "%load_json"),
        ('A -> B : %call_user_func("getenv", "HOME")', "%call_user_func"),
        ('A -> B : %file_exists("/etc/passwd")', "%file_exists"),
        ("A -> B : <img:http://evil.example/t.png>", "URL"),
        ("A -> B : <img:https://evil.example/t.png{scale=2}>", "URL"),
        ("A -> B : <img:/etc/hostname>", "absolute"),
        ("A -> B : [[javascript:alert(1) click]]", "link target"),
        ("!theme spacelab from https://evil.example/", "!theme"),
        ("A -> B\n@enduml\n@startuml\nB -> C", "one diagram"),
        ("@startditaa\n+--+\n@endditaa", "not supported"),
    ],
)
def test_dangerous_plantuml_is_refused(repo: Path, source: str, needle: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(repo, source)
    text = str(caught.value)
    assert needle in text
    # Messages name the file and a line inside the block (the block starts on line 10).
    assert "decisions/page.md:1" in text.replace(str(repo) + "/", "")


def test_include_inside_the_repo_is_inlined(repo: Path) -> None:
    out = check(repo, "!include parts/style.iuml\nA -> B")
    assert out.startswith("@startuml\n") and out.endswith("@enduml\n")
    assert "skinparam backgroundColor #EEEEEE" in out
    assert "!include" not in out  # PlantUML never opens a file itself
    assert out.count("@startuml") == 1


def test_includesub_takes_only_the_named_part(repo: Path) -> None:
    out = check(repo, "!includesub parts/style.iuml!BOXES")
    assert "rectangle Shared" in out
    assert "backgroundColor" not in out


def test_standard_library_include_is_kept(repo: Path) -> None:
    out = check(repo, '!include <C4/C4_Container>\nPerson(u, "User")')
    assert "!include <C4/C4_Container>" in out


def test_framed_block_keeps_its_kind(repo: Path) -> None:
    assert check(repo, "@startmindmap\n* root\n@endmindmap").startswith("@startmindmap\n")


def test_harmless_text_mentioning_directives_passes(repo: Path) -> None:
    out = check(
        repo, 'A -> B : see "!include docs" and 100% done\nnote left: [[https://example.org]]'
    )
    assert "100% done" in out


def test_the_same_block_is_collected_once(repo: Path) -> None:
    blocks = PlantumlBlocks(ReadPolicy.for_root(repo), repo / ".adrgen-cache")
    page = repo / "decisions" / "page.md"
    first = blocks.add("A -> B", base_dir=page.parent, origin=Origin(page, 1))
    second = blocks.add("A -> B\n", base_dir=page.parent, origin=Origin(page, 9))
    third = blocks.add("A -> B", base_dir=page.parent, origin=Origin(page, 20), info='uml alt="x"')
    assert first == second
    assert third.source == first.source and third.options.alt == "x"
    assert len(blocks) == 1  # the same diagram, drawn once whatever the options


@pytest.mark.timeout(90)
def test_blocks_render_in_one_batch_and_are_cached(
    plantuml: PlantumlUnderTest, repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    renderer = make_renderer(RendererConfig())
    assert renderer is not None
    identity = renderer.identity()
    calls: list[int] = []
    original = renderer.render

    def counting(sources):  # type: ignore[no-untyped-def]
        calls.append(len(sources))
        return original(sources)

    renderer.render = counting  # type: ignore[method-assign]
    page = repo / "decisions" / "page.md"
    blocks = PlantumlBlocks(ReadPolicy.for_root(repo), repo / ".adrgen-cache")
    sources = [
        blocks.add(f"A{i} -> B{i}", base_dir=page.parent, origin=Origin(page, 1)).source
        for i in range(3)
    ]
    blocks.resolve(renderer, identity, {})
    assert calls == [3]  # three diagrams, one PlantUML process
    for source in sources:
        svg = blocks.get(source).svg
        assert svg is not None and svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    again = PlantumlBlocks(ReadPolicy.for_root(repo), repo / ".adrgen-cache")
    for i in range(3):
        again.add(f"A{i} -> B{i}", base_dir=page.parent, origin=Origin(page, 1))
    again.resolve(renderer, identity, {})
    assert calls == [3]  # all cached: no second process
