"""adrgen replaces only the folders it owns: a setting or flag that names the repository,
``.git``, the records, the templates, the docs folder or someone else's folder is refused
at its place, exit 1, and nothing is touched.

Each test snapshots every file of the repository (and its parent) before and after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import MINIMAL_RECORD, run_adrgen

pytestmark = pytest.mark.timeout(300)

MKDOCS = "site_name: Owned\ndocs_dir: decisions\ntheme:\n  name: material\n  font: false\nplugins:\n  - search\n  - adrgen\n"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (symlinks not followed) with a hash of its bytes."""
    files = {}
    for current, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            path = Path(current) / name
            if path.is_file() and not path.is_symlink():
                files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def untouched(before: dict[str, str], folder: Path) -> bool:
    """Whether every file of ``before`` is still there, unchanged, and nothing was added but
    adrgen's cache and the user cache."""
    after = snapshot(folder)
    added = {
        p for p in set(after) - set(before) if not p.startswith(("repo/.adrgen-cache/", "xdg/"))
    }
    return not added and all(after.get(path) == digest for path, digest in before.items())


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A docs repository with a record, a template, a neighbour folder beside it."""
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    (root / "decisions" / "0001-small.yaml").write_text(MINIMAL_RECORD, encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "note.txt").write_text("a template\n", encoding="utf-8")
    (root / "src").mkdir()
    (root / "src" / "main.py").write_text("print('mine')\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (tmp_path / "neighbour.txt").write_text("beside the repository\n", encoding="utf-8")
    return root


def adrgen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "ADRGEN_RENDERER": "none"}
    env["XDG_CACHE_HOME"] = str(root.parent / "xdg")
    return run_adrgen(*args, cwd=root, env=env)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("decisions", "it is the records folder"),
        (".", "it is the repository root"),
        ("..", "it holds the repository"),
        (".git", "it is inside .git/"),
        (".git/hooks", "it is inside .git/"),
        ("templates", "it is the templates folder"),
        ("decisions/diagrams", "it is inside the records folder"),
        ("/", "it holds the repository"),
    ],
)
def test_a_diagrams_setting_that_names_what_adrgen_does_not_own_is_refused(
    repo: Path, value: str, why: str
) -> None:
    (repo / "adrgen.toml").write_text(f'# folders\ndiagrams_dir = "{value}"\n', encoding="utf-8")
    before = snapshot(repo.parent)
    # Refused when the settings are read, so by every command; render and build are the
    # ones that would replace the folder.
    for command in ("render", "build", "validate"):
        result = adrgen(repo, command)
        assert result.returncode == 1, result.stderr
        assert "adrgen.toml:2:1: diagrams_dir: refusing to use" in result.stderr
        assert why in result.stderr
        assert "updated" not in result.stderr and "Traceback" not in result.stderr
    assert untouched(before, repo.parent)


def test_a_diagrams_folder_that_is_a_symlink_out_of_the_repository_is_refused(
    repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", repo / "diagrams")
    before = snapshot(repo.parent)
    result = adrgen(repo, "render")
    assert result.returncode == 1
    assert (
        "diagrams_dir: refusing to use diagrams as adrgen's diagrams folder: it is a symlink to"
        in (result.stderr)
    )
    assert untouched(before, repo.parent) and not list((tmp_path / "elsewhere").iterdir())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (".", "it is the repository root"),
        ("decisions", "it is the records folder"),
        (".git", "it is inside .git/"),
    ],
)
def test_a_cache_setting_that_names_what_adrgen_does_not_own_is_refused(
    repo: Path, value: str, why: str
) -> None:
    (repo / "adrgen.toml").write_text(f'cache_dir = "{value}"\n', encoding="utf-8")
    before = snapshot(repo.parent)
    result = adrgen(repo, "build")
    assert result.returncode == 1
    assert "adrgen.toml:1:1: cache_dir: refusing to use" in result.stderr and why in result.stderr
    assert untouched(before, repo.parent)


@pytest.mark.parametrize(
    ("flag", "why"),
    [
        (".git", "it is inside .git/"),
        (".", "it is the repository root"),
        ("..", "it holds the repository"),
        ("decisions", "it is the records folder"),
        ("templates", "it is the templates folder"),
        ("diagrams", "it is the diagrams folder"),
        ("decisions/site", "it is inside the records folder"),
    ],
)
def test_a_site_folder_that_adrgen_does_not_own_is_refused(repo: Path, flag: str, why: str) -> None:
    before = snapshot(repo.parent)
    result = adrgen(repo, "build", "--site-dir", flag)
    assert result.returncode == 1, result.stderr
    assert "--site-dir: refusing to use" in result.stderr and why in result.stderr
    assert untouched(before, repo.parent)


def test_a_folder_of_someone_elses_files_is_never_replaced(repo: Path) -> None:
    before = snapshot(repo.parent)
    result = adrgen(repo, "build", "--site-dir", "src")
    assert result.returncode == 1
    assert "--site-dir: refusing to replace src: it holds files adrgen did not write (main.py)" in (
        result.stderr
    )
    result = adrgen(repo, "build", "--pages-only", "src")
    assert result.returncode == 1 and "--pages-only: refusing to replace src" in result.stderr
    (repo / "adrgen.toml").write_text('diagrams_dir = "src"\n', encoding="utf-8")
    before = snapshot(repo.parent)
    result = adrgen(repo, "render")
    assert result.returncode == 1
    assert "adrgen.toml:1:1: diagrams_dir: refusing to replace src" in result.stderr
    assert untouched(before, repo.parent)


def test_mkdocs_build_into_a_protected_folder_is_refused_by_the_plugin(repo: Path) -> None:
    before = snapshot(repo.parent)
    env = {**os.environ, "NO_COLOR": "1", "ADRGEN_RENDERER": "none", "NO_MKDOCS_2_WARNING": "1"}
    for target in (".git", "templates", "src"):
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--site-dir", target],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1, result.stderr
        assert "mkdocs.yml: site_dir: refusing to" in result.stderr
    assert untouched(before, repo.parent)


def test_folders_adrgen_wrote_are_replaced_and_marked(repo: Path) -> None:
    result = adrgen(repo, "build")
    assert result.returncode == 0, result.stderr
    for marker in ("diagrams/.adrgen-diagrams", "site/.adrgen-site", ".adrgen-cache/CACHEDIR.TAG"):
        assert (repo / marker).is_file(), marker
    again = adrgen(repo, "build")
    assert again.returncode == 0, again.stderr
    pages = adrgen(repo, "build", "--pages-only", "out")
    assert pages.returncode == 0 and (repo / "out" / ".adrgen-pages").is_file()
    assert adrgen(repo, "build", "--pages-only", "out").returncode == 0


def test_diagrams_from_before_markers_are_still_adrgens(repo: Path) -> None:
    # A diagrams/ folder written by an adrgen without markers: stamped SVGs and the .puml
    # files those stamps hash are provably adrgen's; it is replaced, and marked from now on.
    assert adrgen(repo, "render").returncode == 0
    (repo / "diagrams" / ".adrgen-diagrams").unlink()
    (repo / "decisions" / "0002-more.yaml").write_text(MINIMAL_RECORD, encoding="utf-8")
    result = adrgen(repo, "render")
    assert result.returncode == 0, result.stderr
    assert (repo / "diagrams" / "0002-more.puml").is_file()
    assert (repo / "diagrams" / ".adrgen-diagrams").is_file()
