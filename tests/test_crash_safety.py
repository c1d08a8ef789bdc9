"""kill -9 at any moment leaves diagrams/ and site/ whole: the old output or the new, never a mix.

Each test makes a repository, builds it once (the "old" output), changes every record, and
learns the "new" output from a clean run in a copy. Then it starts the real command again
and again, killing it with SIGKILL after a different delay each time (spread over the whole
run), and checks that the folder holds exactly the old or exactly the new files, every one
complete. The next run must then finish without any manual cleanup.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import PlantumlUnderTest
from tests.helpers import REPO, run_adrgen

_spec = importlib.util.spec_from_file_location("bench_corpus", REPO / "bench" / "corpus.py")
assert _spec and _spec.loader
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

KILLS = 10


def run(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_adrgen(*args, cwd=root, env=env, timeout=600)


def snapshot(folder: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(skip)
    }


def edit_every_record(root: Path) -> None:
    for path in sorted((root / "decisions").glob("*.yaml")):
        path.write_text(path.read_text().replace("Ship option 0", "Ship the first option"))


def assert_complete(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.suffix == ".svg":
            ElementTree.parse(path)  # a truncated SVG is not well-formed XML
        elif path.suffix == ".puml":
            assert path.read_text().rstrip().endswith("@enduml"), path
        elif path.suffix == ".html":
            assert path.read_text().rstrip().endswith("</html>"), path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg"), "NO_COLOR": "1"}


def kill_repeatedly(
    root: Path,
    args: tuple[str, ...],
    folder: str,
    old: dict[str, str],
    new: dict[str, str],
    env: dict[str, str],
    duration: float,
    skip: tuple[str, ...] = (),
) -> list[str]:
    outcomes = []
    for attempt in range(KILLS):
        # Clear the local SVG cache so every attempt has real rendering work to be killed in.
        shutil.rmtree(root / ".adrgen-cache" / "svg", ignore_errors=True)
        proc = subprocess.Popen(
            [sys.executable, "-m", "adrgen", *args],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(duration * (attempt + 0.5) / KILLS)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        current = snapshot(root / folder, skip=skip)
        assert current in (old, new), f"attempt {attempt}: {folder}/ is a mix of old and new"
        assert_complete(root / folder)
        outcomes.append("old" if current == old else "new")
        if current == new:
            # Put the old output back so the next kill again interrupts a real change.
            shutil.rmtree(root / folder)
            shutil.copytree(root.parent / f"old-{folder}", root / folder)
    return outcomes


def old_and_new(
    root: Path, command: str, folder: str, env: dict[str, str], skip: tuple[str, ...] = ()
) -> tuple[dict[str, str], dict[str, str], float]:
    """The output ``folder`` before and after every record is edited, and how long ``command``
    takes to go from one to the other with no cache (so kills can be spread over that time).

    ``root`` keeps the old output, also copied to ``old-FOLDER`` next to it for
    :func:`kill_repeatedly`; the new one comes from a clean copy of the edited repository.
    """
    assert run(root, command, env=env).returncode == 0
    shutil.copytree(root / folder, root.parent / f"old-{folder}")
    old = snapshot(root / folder, skip=skip)
    edit_every_record(root)
    clean = root.parent / "clean"
    shutil.copytree(root, clean)
    shutil.rmtree(clean / ".adrgen-cache")
    started = time.monotonic()
    assert run(clean, command, env=env).returncode == 0
    duration = time.monotonic() - started
    return old, snapshot(clean / folder, skip=skip), duration


@pytest.mark.slow
def test_kill_during_render_leaves_old_or_new_diagrams(
    plantuml: PlantumlUnderTest, tmp_path: Path, env: dict[str, str]
) -> None:
    root = tmp_path / "repo"
    corpus.generate(20, root)
    old, new, duration = old_and_new(root, "render", "diagrams", env)
    assert new != old
    outcomes = kill_repeatedly(root, ("render",), "diagrams", old, new, env, duration)
    assert "old" in outcomes  # the kills did land before the swap
    result = run(root, "render", env=env)
    assert result.returncode == 0, result.stderr
    assert snapshot(root / "diagrams") == new
    assert not [p for p in root.iterdir() if p.name.startswith(".diagrams.adrgen-")]


@pytest.mark.slow
def test_kill_during_build_leaves_old_or_new_site(
    plantuml: PlantumlUnderTest, tmp_path: Path, env: dict[str, str]
) -> None:
    root = tmp_path / "repo"
    corpus.generate(15, root)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    skip = ("sitemap.xml",)  # MkDocs stamps the build date into the sitemap
    old, new, duration = old_and_new(root, "build", "site", env, skip)
    outcomes = kill_repeatedly(root, ("build",), "site", old, new, env, duration, skip)
    assert "old" in outcomes
    result = run(root, "build", env=env)
    assert result.returncode == 0, result.stderr
    assert snapshot(root / "site", skip=skip) == new
    assert not list((root / ".adrgen-cache").glob("site-build-*"))


def test_two_builds_at_once_do_not_corrupt_each_other(
    plantuml: PlantumlUnderTest, tmp_path: Path, env: dict[str, str]
) -> None:
    root = tmp_path / "repo"
    corpus.generate(20, root)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "adrgen", "render"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes[0] == 0
    for code, err in results:
        if code != 0:
            assert "another adrgen run" in err and "Traceback" not in err
    assert_complete(root / "diagrams")
    again = run(root, "render", env=env)
    assert again.returncode == 0 and "0 rendered" in again.stderr
