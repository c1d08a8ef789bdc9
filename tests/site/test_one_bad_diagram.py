"""One bad diagram never breaks a site: on both PlantUML versions, a batch of 20 diagrams with
one crafted to crash PlantUML builds everything else, and that page shows the error.

The crash is PlantUML's own: endless preprocessor recursion, which ends the JVM with a
StackOverflowError. It reaches the batch as a project template that draws record 10 that way.
Without Markdown blocks to draw, the records' diagrams are drawn in the background while
MkDocs builds the pages, so the failed page is made again once its diagram has failed; with
a ```plantuml block (record 15's, which crashes too) everything is drawn before the pages.
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

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: Records in the batch; the one a template crashes, and the one whose block crashes.
RECORDS, CRASHED, BLOCKED = 20, 10, 15
CRASH = "!function $f($x)\n!return $f($x)\n!endfunction\nA -> B : $f(1)"
BLOCK_CRASH = "A -> B : " + "<b>" * 5000 + "x" + "</b>" * 5000


@pytest.fixture(params=["in the background", "with a block"])
def fifty(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """RECORDS records, one of which (CRASHED) a project template draws as a crashing
    diagram; and, with a block, one (BLOCKED) whose context holds a crashing block."""
    root = tmp_path / "repo"
    corpus.generate(RECORDS, root)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shipped = (REPO / "templates" / "diagrams" / "comparison.puml.j2").read_text()
    override = root / "templates" / "diagrams" / "comparison.puml.j2"
    override.parent.mkdir(parents=True)
    override.write_text(
        shipped.replace(
            "@enduml",
            "{% if decision.number == " + str(CRASHED) + " %}\n" + CRASH + "\n{% endif %}\n@enduml",
        )
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if request.param != "with a block":
        return root
    record = next((root / "decisions").glob(f"{BLOCKED:04d}-*.yaml"))
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
    assert f"decisions/{CRASHED:04d}-" in result.stderr and "StackOverflowError" in result.stderr
    with_block = (
        "```plantuml" in next((fifty / "decisions").glob(f"{BLOCKED:04d}-*.yaml")).read_text()
    )
    assert (f"decisions/{BLOCKED:04d}-" in result.stderr) == with_block
    assert f"PlantUML {plantuml.version}" in result.stderr
    svgs = {p.stem for p in (fifty / "diagrams").glob("*.svg")}
    pumls = {p.stem for p in (fifty / "diagrams").glob("*.puml")}
    assert len(pumls) == RECORDS + 1 and pumls - svgs == {f"{CRASHED:04d}-" + _slug(fifty, CRASHED)}
    site = fifty / "site"
    pages = [p for p in site.glob("00*/index.html")]
    assert len(pages) == RECORDS
    bad = (site / f"{CRASHED:04d}-{_slug(fifty, CRASHED)}" / "index.html").read_text()
    assert "Diagram could not be drawn" in bad and "StackOverflowError" in bad
    assert "!function $f($x)" in bad  # the source, under the warning
    assert f"diagrams/{CRASHED:04d}-{_slug(fifty, CRASHED)}.svg" not in bad
    good = (site / f"{CRASHED - 1:04d}-{_slug(fifty, CRASHED - 1)}" / "index.html").read_text()
    assert f'src="../diagrams/{CRASHED - 1:04d}-{_slug(fifty, CRASHED - 1)}.svg"' in good
    assert (site / "diagrams" / f"{CRASHED - 1:04d}-{_slug(fifty, CRASHED - 1)}.svg").is_file()
    assert not (site / "diagrams" / f"{CRASHED:04d}-{_slug(fifty, CRASHED)}.svg").exists()
    block_page = (site / f"{BLOCKED:04d}-{_slug(fifty, BLOCKED)}" / "index.html").read_text()
    assert ("Diagram could not be drawn" in block_page) == with_block
    assert (
        f'src="../diagrams/{BLOCKED:04d}-{_slug(fifty, BLOCKED)}.svg"' in block_page
    )  # its own diagram drew


def test_strict_check_and_render_fail_naming_the_diagram(
    plantuml: PlantumlUnderTest, fifty: Path
) -> None:
    strict = run(["adrgen", "build", "--strict"], fifty)
    assert strict.returncode == 1 and f"decisions/{CRASHED:04d}-" in strict.stderr
    assert not (fifty / "site").exists()  # the previous (no) site stays
    rendered = run(["adrgen", "render"], fifty)
    assert rendered.returncode == 1
    assert f"{CRASHED:04d}-" in rendered.stderr and "1 failed" in rendered.stderr
    checked = run(["adrgen", "check"], fifty)
    assert checked.returncode == 2
    assert f"diagrams/{CRASHED:04d}-{_slug(fifty, CRASHED)}.svg" in checked.stderr


def test_plain_mkdocs_build_finishes_with_a_warning(
    plantuml: PlantumlUnderTest, fifty: Path, tmp_path: Path
) -> None:
    site = tmp_path / "plain-site"
    lax = run(["mkdocs", "build", "-d", str(site)], fifty)
    assert lax.returncode == 0, lax.stderr
    assert re.search(
        r"WARNING\s+-\s+\S*" + f"{CRASHED:04d}" + r"-\S+:\d+:\d+: .*StackOverflowError", lax.stderr
    )
    assert len(list(site.glob("00*/index.html"))) == RECORDS
    strict = run(["mkdocs", "build", "--strict", "-d", str(tmp_path / "strict-site")], fifty)
    assert strict.returncode == 1


def _slug(root: Path, number: int) -> str:
    path = next((root / "decisions").glob(f"{number:04d}-*.yaml"))
    return path.stem.split("-", 1)[1]
