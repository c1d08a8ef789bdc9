"""One bad diagram never breaks a site: on both PlantUML versions, a batch of 50 diagrams with
one crafted to crash PlantUML builds everything else, and that page shows the error.

The crash is PlantUML's own: endless preprocessor recursion, which ends the JVM with a
StackOverflowError. It reaches the batch as a project template that draws record 25 that way.
Without Markdown blocks to draw, the records' diagrams are drawn in the background while
MkDocs builds the pages, so the failed page is made again once its diagram has failed; with
a ```plantuml block (record 40's, which crashes too) everything is drawn before the pages.
A record's block may define no function, so its crash is 5,000 nested ``<b>`` tags, which
overflow the Creole parser's stack on both versions.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import PlantumlUnderTest
from tests.helpers import REPO
from tests.site.conftest import run

sys.path.insert(0, str(REPO / "bench"))
import corpus

pytestmark = pytest.mark.timeout(300)

CRASH = "!function $f($x)\n!return $f($x)\n!endfunction\nA -> B : $f(1)"
BLOCK_CRASH = "A -> B : " + "<b>" * 5000 + "x" + "</b>" * 5000


@pytest.fixture(params=["in the background", "with a block"])
def fifty(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """50 records, one of which (0025) a project template draws as a crashing diagram; and,
    with a block, one (0040) whose context holds a crashing ```plantuml block."""
    root = tmp_path / "repo"
    corpus.generate(50, root)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shipped = (REPO / "templates" / "diagrams" / "comparison.puml.j2").read_text()
    override = root / "templates" / "diagrams" / "comparison.puml.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        shipped.replace(
            "@enduml",
            "{% if decision.number == 25 %}\n" + CRASH + "\n{% endif %}\n@enduml",
        )
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if request.param != "with a block":
        return root
    record = next((root / "decisions").glob("0040-*.yaml"))
    text = record.read_text()
    block = "\n".join(
        f"  {line}" for line in ["```plantuml", "@startuml", BLOCK_CRASH, "@enduml", "```"]
    )
    fenced = re.sub(
        r"(?m)^context: \|\n", "context: |\n" + block.replace("\\", "\\\\") + "\n\n", text, count=1
    )
    assert fenced != text, "the corpus record has a block-scalar context"
    record.write_text(fenced)
    return root


def test_the_site_builds_everything_but_the_bad_diagram(
    plantuml: PlantumlUnderTest, fifty: Path
) -> None:
    result = run(["adrgen", "build"], fifty)
    assert result.returncode == 0, result.stderr
    # A warning names the record and the diagram; the summary names the PlantUML used.
    assert "decisions/0025-" in result.stderr and "StackOverflowError" in result.stderr
    with_block = "```plantuml" in next((fifty / "decisions").glob("0040-*.yaml")).read_text()
    assert ("decisions/0040-" in result.stderr) == with_block
    assert f"PlantUML {plantuml.version}" in result.stderr
    svgs = {p.stem for p in (fifty / "diagrams").glob("*.svg")}
    pumls = {p.stem for p in (fifty / "diagrams").glob("*.puml")}
    assert len(pumls) == 51 and pumls - svgs == {"0025-" + _slug(fifty, 25)}
    site = fifty / "site"
    pages = [p for p in site.glob("00*/index.html")]
    assert len(pages) == 50
    bad = (site / f"0025-{_slug(fifty, 25)}" / "index.html").read_text()
    assert "Diagram could not be drawn" in bad and "StackOverflowError" in bad
    assert "!function $f($x)" in bad  # the source, under the warning
    assert f"diagrams/0025-{_slug(fifty, 25)}.svg" not in bad
    good = (site / f"0024-{_slug(fifty, 24)}" / "index.html").read_text()
    assert f'src="../diagrams/0024-{_slug(fifty, 24)}.svg"' in good
    assert (site / "diagrams" / f"0024-{_slug(fifty, 24)}.svg").is_file()
    assert not (site / "diagrams" / f"0025-{_slug(fifty, 25)}.svg").exists()
    block_page = (site / f"0040-{_slug(fifty, 40)}" / "index.html").read_text()
    assert ("Diagram could not be drawn" in block_page) == with_block
    assert f'src="../diagrams/0040-{_slug(fifty, 40)}.svg"' in block_page  # its own diagram drew


def test_strict_check_and_render_fail_naming_the_diagram(
    plantuml: PlantumlUnderTest, fifty: Path
) -> None:
    strict = run(["adrgen", "build", "--strict"], fifty)
    assert strict.returncode == 1 and "decisions/0025-" in strict.stderr
    assert not (fifty / "site").exists()  # the previous (no) site stays
    rendered = run(["adrgen", "render"], fifty)
    assert rendered.returncode == 1
    assert "0025-" in rendered.stderr and "1 failed" in rendered.stderr
    checked = run(["adrgen", "check"], fifty)
    assert checked.returncode == 2
    assert f"diagrams/0025-{_slug(fifty, 25)}.svg" in checked.stderr


def test_plain_mkdocs_build_finishes_with_a_warning(
    plantuml: PlantumlUnderTest, fifty: Path, tmp_path: Path
) -> None:
    site = tmp_path / "plain-site"
    lax = run(["mkdocs", "build", "-d", str(site)], fifty)
    assert lax.returncode == 0, lax.stderr
    assert re.search(r"WARNING\s+-\s+\S*0025-\S+:\d+:\d+: .*StackOverflowError", lax.stderr)
    assert len(list(site.glob("00*/index.html"))) == 50
    strict = run(["mkdocs", "build", "--strict", "-d", str(tmp_path / "strict-site")], fifty)
    assert strict.returncode == 1


def _slug(root: Path, number: int) -> str:
    path = next((root / "decisions").glob(f"{number:04d}-*.yaml"))
    return path.stem.split("-", 1)[1]
