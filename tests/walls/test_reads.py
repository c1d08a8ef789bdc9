"""One policy for what adrgen may read (:mod:`adrgen.walls.reads`), and templates that get
data, not objects with I/O."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from adrgen.errors import ReadRefused, TemplateError
from adrgen.templating import render_template, sandboxed_environment
from adrgen.walls.reads import ReadPolicy
from tests.helpers import MINIMAL_RECORD, run_adrgen

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("docs/sub", "build", "keep", "cache"):
        (root / folder).mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("outside\n")
    (root / "docs" / "page.md").write_text("page\n")
    (root / "docs" / "sub" / "x.log").write_text("log\n")
    (root / "docs" / "sub" / "keep.log").write_text("log\n")
    (root / "build" / "out.txt").write_text("out\n")
    (root / "keep" / "tracked.txt").write_text("tracked\n")
    (root / ".gitignore").write_text("build/\nkeep/\n")
    (root / "docs" / ".gitignore").write_text("*.log\n!keep.log\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-f", "keep/tracked.txt"], check=True)
    os.symlink(tmp_path / "outside.txt", root / "docs" / "out-link.txt")
    os.symlink("page.md", root / "docs" / "in-link.md")
    os.symlink("../.git/config", root / "docs" / "git-link")
    os.symlink("hop2", root / "docs" / "hop1")
    os.symlink(tmp_path / "outside.txt", root / "docs" / "hop2")
    os.symlink("loop", root / "docs" / "loop")
    return root


@pytest.mark.parametrize(
    ("relative", "why"),
    [
        ("docs/page.md", None),
        ("docs/in-link.md", None),
        ("docs/sub/keep.log", None),
        ("keep/tracked.txt", None),  # ignored, but git tracks it: not ignored, as git has it
        ("../outside.txt", "is outside the repository"),
        ("docs/out-link.txt", "outside the repository"),
        ("docs/hop1", "outside the repository"),
        ("docs/git-link", "inside .git/"),
        (".git/config", "is inside .git/"),
        ("build/out.txt", "is ignored by .gitignore"),
        ("docs/sub/x.log", "is ignored by docs/.gitignore"),
        ("cache/anything", "is inside cache/, which adrgen writes"),
        ("docs/loop", "cannot be resolved"),
    ],
)
def test_the_policy(
    tree: Path, relative: str, why: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    policy = ReadPolicy.for_root(tree, [tree / "cache"])
    found = policy.why_not(tree / relative)
    if why is None:
        assert found is None
    else:
        assert found is not None and why in found, found


def test_a_refusal_names_the_path_not_its_content(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    with pytest.raises(ReadRefused) as caught:
        ReadPolicy.for_root(tree).check(tree / "docs" / "out-link.txt", "page")
    assert str(caught.value).startswith("docs/out-link.txt:0:0: page not read: it is a symlink to")
    assert "outside\n" not in str(caught.value)


def test_templates_get_no_objects_that_do_io(tmp_path: Path) -> None:
    env = sandboxed_environment([str(tmp_path)])
    secret = tmp_path / "secret.txt"
    secret.write_text("TEMPLATE-SECRET")
    for source in (
        "{{ path.read_text() }}",
        "{{ path.joinpath('x').write_text('owned') }}",
        "{{ record.source.read_text() }}",
        "{{ record.model_copy() }}",
    ):
        (tmp_path / "t.j2").write_text(source)
        with pytest.raises(TemplateError):
            render_template(env, "t.j2", path=secret, record=_Record(secret))
    assert not (tmp_path / "x").exists()


class _Record:
    """A stand-in with a path attribute, as a record's model used to hand templates."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def model_copy(self) -> None:  # a library's method, not adrgen's: refused as well
        raise AssertionError("called")


def test_an_include_may_not_follow_a_symlink_out_of_the_templates(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (tmp_path / "secret.txt").write_text("TEMPLATE-SECRET")
    os.symlink(tmp_path / "secret.txt", templates / "part.j2")
    (templates / "page.j2").write_text("{% include 'part.j2' %}")
    env = sandboxed_environment([str(templates)])
    with pytest.raises(TemplateError, match="template not read: it is a symlink to"):
        render_template(env, "page.j2")


def test_a_project_template_that_reads_a_file_fails_the_build_without_leaking(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    (root / "decisions" / "0001-small.yaml").write_text(MINIMAL_RECORD)
    (root / "mkdocs.yml").write_text(
        "site_name: S\ndocs_dir: decisions\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - adrgen\n"
    )
    (tmp_path / "secret.txt").write_text("TEMPLATE-SECRET")
    template = root / "templates" / "pages" / "decision.md.j2"
    template.parent.mkdir(parents=True)
    template.write_text(
        "{{ decision.source.parent.parent.parent.joinpath('secret.txt').read_text() }}"
    )
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "ADRGEN_RENDERER": "none",
        "XDG_CACHE_HOME": str(tmp_path / "x"),
    }
    result = run_adrgen("build", cwd=root, env=env)
    assert result.returncode == 1
    assert "unsafe" in result.stderr and "TEMPLATE-SECRET" not in result.stderr
    assert not (root / "site").exists()
