"""``adrgen import`` reads somebody else's ADRs as adrgen reads its own repository: nothing
outside the repository they come from, nothing in its ``.git/`` or its ignored files; and a
killed import leaves nothing that the next one does not clean up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_adrgen

pytestmark = pytest.mark.timeout(120)

ADR = "# {n}. {title}\n\nDate: 2024-01-0{n}\n\n## Status\n\nAccepted\n\n## Context\n\n{body}\n\n## Decision\n\nWe do it.\n"


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """Another team's repository of ADRs, with hostile links in it."""
    root = tmp_path / "theirs"
    adr = root / "doc" / "adr"
    adr.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("doc/adr/local-*.md\n")
    (adr / "0001-first.md").write_text(ADR.format(n=1, title="First", body="Fine."))
    (adr / "local-notes.md").write_text(ADR.format(n=2, title="Local", body="IGNORED-SECRET"))
    (tmp_path / "outside.md").write_text(ADR.format(n=3, title="Outside", body="OUTSIDE-SECRET"))
    os.symlink(tmp_path / "outside.md", adr / "0003-outside.md")
    os.symlink("/proc/self/environ", adr / "0004-environ")
    os.symlink("../../.git/config", adr / "0005-git.md")
    return adr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "ours"
    (root / "decisions").mkdir(parents=True)
    return root


def test_an_import_reads_nothing_outside_the_repository_it_comes_from(
    source: Path, repo: Path, tmp_path: Path
) -> None:
    env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env["IMPORT_SECRET"] = "ENV-SECRET-in-environ"
    report = tmp_path / "report.json"
    result = run_adrgen("import", "--report", str(report), str(source), cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (repo / "decisions").glob("*.yaml"))
    assert written == ["0001-first.yaml"]
    entries = json.loads(report.read_text())["files"]
    files = {Path(entry["source"]).name: entry for entry in entries}
    for name, why in (
        ("0003-outside.md", "outside the repository"),
        ("0004-environ", "outside the repository"),
        ("0005-git.md", "inside .git/"),
        ("local-notes.md", "is ignored by"),
    ):
        assert files[name]["skip"]["kind"] == "refused", files[name]
        assert why in files[name]["skip"]["reason"]
    everything = "".join(p.read_text() for p in (repo / "decisions").glob("*"))
    everything += result.stdout + result.stderr + report.read_text()
    for secret in ("OUTSIDE-SECRET", "IGNORED-SECRET", "ENV-SECRET", "[core]"):
        assert secret not in everything


def test_an_import_sweeps_what_a_killed_import_left(
    source: Path, repo: Path, tmp_path: Path
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stray = repo / "decisions" / f".0001-first.yaml.adrgen-new-{int(dead.stdout)}"
    stray.write_text("half a record")
    env = {**os.environ, "NO_COLOR": "1", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    result = run_adrgen("import", str(source / "0001-first.md"), cwd=repo, env=env)
    assert result.returncode == 0, result.stderr
    assert not stray.exists()
    assert (repo / "decisions" / "0001-first.yaml").is_file()
