"""The smaller walls: file names that cannot forge a line of CI output, the lock checked
before MkDocs empties the site, a preview that waits for the lock instead of sticking, and
temporary files of killed runs removed by the next one."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from adrgen.errors import Problem, display_path, printable
from adrgen.output import repository_lock, sweep
from tests.helpers import MINIMAL_RECORD, run_adrgen

pytestmark = pytest.mark.timeout(300)

MKDOCS = (
    "site_name: S\ndocs_dir: decisions\ntheme:\n  name: material\n  font: false\n"
    "plugins:\n  - search\n  - adrgen\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    (root / "decisions" / "0001-small.yaml").write_text(MINIMAL_RECORD, encoding="utf-8")
    (root / "mkdocs.yml").write_text(MKDOCS, encoding="utf-8")
    return root


def _env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NO_COLOR": "1",
        "ADRGEN_RENDERER": "none",
        "NO_MKDOCS_2_WARNING": "1",
        "XDG_CACHE_HOME": str(root.parent / "xdg"),
    }


def test_a_file_name_cannot_forge_a_line_of_ci_output(repo: Path) -> None:
    # A newline followed by a GitHub Actions workflow command, and a right-to-left override.
    (repo / "decisions" / "0002-x\n::error file=a::pwned.yaml").write_text(MINIMAL_RECORD)
    (repo / "decisions" / "0003-\u202egnp.yaml").write_text(MINIMAL_RECORD)
    result = run_adrgen("validate", cwd=repo, env=_env(repo))
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert "\u202e" not in result.stderr
    assert "0002-x\\x0a::error file=a::pwned.yaml" in result.stderr
    assert "0003-\\u202egnp.yaml" in result.stderr


def test_names_are_printed_escaped_everywhere() -> None:
    assert printable("a\tb\x1b[31m\u2066c") == "a\\x09b\\x1b[31m\\u2066c"
    assert display_path("::warning::x") == "./::warning::x"
    problem = Problem("f.yaml", 1, 2, "title", "value 'x\u202ey'")
    assert str(problem) == "f.yaml:1:2: title: value 'x\\u202ey'"


def _hold_lock(cache: Path) -> object:
    cache.mkdir(parents=True, exist_ok=True)
    handle = (cache / "lock").open("a+")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    handle.write("pid 4242")
    handle.flush()
    return handle


def test_a_build_refused_by_the_lock_leaves_the_site_as_it_was(repo: Path) -> None:
    env = _env(repo)
    assert run_adrgen("build", cwd=repo, env=env).returncode == 0
    before = sorted(p.relative_to(repo) for p in (repo / "site").rglob("*"))
    handle = _hold_lock(repo / ".adrgen-cache")
    try:
        for argv in (
            [sys.executable, "-m", "mkdocs", "build"],
            [sys.executable, "-m", "adrgen", "build"],
        ):
            result = subprocess.run(
                argv, cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False
            )
            assert result.returncode == 1, result.stderr
            assert "another adrgen run (pid 4242)" in result.stderr
            assert sorted(p.relative_to(repo) for p in (repo / "site").rglob("*")) == before
    finally:
        handle.close()  # type: ignore[attr-defined]


def test_a_preview_waits_for_the_lock_and_then_builds(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    handle = _hold_lock(cache)
    told: list[str] = []
    acquired = threading.Event()

    def preview_build() -> None:
        with repository_lock(cache, wait=told.append):
            acquired.set()

    thread = threading.Thread(target=preview_build)
    thread.start()
    thread.join(0.5)
    assert not acquired.is_set()  # still waiting, not failed
    handle.close()  # type: ignore[attr-defined]
    thread.join(30)
    assert acquired.is_set() and told == ["pid 4242"]


def test_temporary_files_of_a_killed_run_are_removed(repo: Path) -> None:
    folder = repo / "decisions"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    stray = folder / f".0002-x.yaml.adrgen-new-{pid}"
    stray.write_text("half a record")
    mine = folder / f".0003-x.yaml.adrgen-new-{os.getppid()}"  # a live process: kept
    mine.write_text("being written")
    result = run_adrgen("new", "Another", cwd=repo, env=_env(repo))
    assert result.returncode == 0, result.stderr
    assert not stray.exists() and mine.exists()
    assert sweep(folder) == []
