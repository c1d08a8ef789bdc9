"""Fixtures for the site tests: scratch projects, real MkDocs builds, a real browser."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO

ARTIFACTS = REPO / "test-artifacts"
HOSTILE_RECORD = Path(__file__).with_name("hostile-record.yaml")

RECORD = """\
title: {title}
status: {status}
date: 2024-0{number}-01
tags: [{tags}]
links:
{links}
context: |
  Why record {number} exists.
options:
  - id: keep
    name: Keep it
    verdict: SHIP THIS
    components:
      - {{id: browser, kind: browser, label: Browser}}
      - {{id: api, kind: service, label: API}}
    flows:
      - {{from: browser, to: api, label: GET /things}}
    complexity: low
    time: 1 week
    pros: [Cheap]
    security: [Nothing new]
    load: {{model: polling, clients: users, interval: latency}}
  - id: change
    name: Change it
    verdict: DON'T
    components:
      - {{id: ws, kind: service, label: Socket server}}
    complexity: high
    time: 3-4 weeks
requirements:
  users: 1000
  latency: 30 s
outcome:
  chosen: keep
  summary: Keep it for now
"""


def record(
    number: int,
    title: str,
    *,
    status: str = "accepted",
    tags: str = "testing",
    supersedes: list[int] | None = None,
    superseded_by: list[int] | None = None,
    relates_to: list[int] | None = None,
) -> str:
    """A small valid record (format v1) with the given identity and links."""
    links = "\n".join(
        f"  {kind}: {values}"
        for kind, values in (
            ("supersedes", supersedes),
            ("superseded_by", superseded_by),
            ("relates_to", relates_to),
        )
        if values
    )
    return RECORD.format(
        title=title, status=status, number=number, tags=tags, links=links or "  relates_to: []"
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_cache: Path) -> Path:
    """A docs repository with the repo's mkdocs.yml and no records yet, as working directory."""
    root = tmp_path / "project"
    (root / "decisions").mkdir(parents=True)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    return root


def write(root: Path, relative: str, text: str) -> Path:
    """Write a file below ``root``."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(
    argv: list[str], cwd: Path, *, renderer: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command (``mkdocs`` or ``adrgen``) from this venv, output captured."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    if renderer:
        env["ADRGEN_RENDERER"] = renderer
    tool = {"mkdocs": [sys.executable, "-m", "mkdocs"], "adrgen": [sys.executable, "-m", "adrgen"]}
    return subprocess.run(
        [*tool[argv[0]], *argv[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def mkdocs_build(
    root: Path, site: Path, *, renderer: str | None = None, strict: bool = True
) -> subprocess.CompletedProcess[str]:
    """A real ``mkdocs build`` of ``root`` into ``site``."""
    argv = ["mkdocs", "build", "-d", str(site)]
    if strict:
        argv.append("--strict")
    return run(argv, root, renderer=renderer)


def copy_repo(target: Path) -> Path:
    """A copy of this repository's docs: records, templates, mkdocs.yml, diagrams, results."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("decisions", "templates", "diagrams", "schema"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target / name)
    for name in ("mkdocs.yml", "adrgen.toml"):
        if (REPO / name).is_file():
            shutil.copy(REPO / name, target / name)
    results = REPO / "bench" / "results"
    if results.is_dir():
        shutil.copytree(results, target / "bench" / "results")
    return target


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 from a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def repo_site(tmp_path_factory: pytest.TempPathFactory, xdg_cache: Path) -> Path:
    """This repository's site, built once per session by a real ``mkdocs build --strict``."""
    root = copy_repo(tmp_path_factory.mktemp("repo-copy") / "repo")
    site = root / "site"
    with pytest.MonkeyPatch.context() as patch:  # a session fixture has no `monkeypatch`
        patch.setenv("XDG_CACHE_HOME", str(xdg_cache))
        result = mkdocs_build(root, site)
    assert result.returncode == 0, result.stderr
    return site


def artifact(name: str) -> Path:
    """A path in test-artifacts/ (gitignored) for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def http_get(url: str) -> str:
    """The body at ``url``, or ``""`` while nothing answers there."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode("utf-8", "replace"))
    except OSError:
        return ""
