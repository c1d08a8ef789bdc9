"""Nothing leaves the repository: a hostile docs repository, built for real on both PlantUML
versions, publishes none of the secrets a CI job has in reach, and every hostile input
fails alone, named at its place, while the rest of the site builds.

One build per PlantUML version (each payload is a page or record of its own); the tests
read what it wrote. Every payload here reached the published site, diagrams or cache before
the walls (issue 18), on 1.2020 at least.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PLANTUMLS, PlantumlUnderTest
from tests.walls.hostile import (
    BLOCKS,
    ENV_SECRET,
    RECORD_SECRET,
    SECRETS,
    SOURCES,
    Hostile,
    hostile_repository,
    leaks,
    write,
)

pytestmark = pytest.mark.timeout(600)


@dataclass
class Built:
    """One build of the hostile repository."""

    hostile: Hostile
    result: subprocess.CompletedProcess[str]
    strict: subprocess.CompletedProcess[str]
    validate: subprocess.CompletedProcess[str]
    #: Connections the checkversion payload made to a local listener.
    connections: int

    @property
    def site(self) -> Path:
        return self.hostile.root / "site"

    def reported(self, prefix: str) -> list[str]:
        """The problem lines of the build's output about the file ``prefix``."""
        return [
            line.split("-  ", 1)[-1]
            for line in self.result.stderr.splitlines()
            if line.split("-  ", 1)[-1].startswith(prefix)
        ]


def _adrgen(hostile: Hostile, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adrgen", *args],
        cwd=hostile.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Built]:
    """The hostile repository built once per PlantUML version, on demand."""
    done: dict[str, Built] = {}

    def build(version: str) -> Built:
        if version not in done:
            base = tmp_path_factory.mktemp(f"hostile-{version}")
            hostile = hostile_repository(base)
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(8)
            listener.setblocking(False)
            port = listener.getsockname()[1]
            page = hostile.root / "decisions" / "checkversion.md"
            write(page, f"# c\n\n```plantuml\ncheckversion(proxy=127.0.0.1,port={port})\n```\n")
            env = {**hostile.env, **PLANTUMLS[version].env, "XDG_CACHE_HOME": str(base / "xdg")}
            result = _adrgen(hostile, env, "build")
            connections = 0
            while True:
                try:
                    listener.accept()[0].close()
                    connections += 1
                except BlockingIOError:
                    break
            listener.close()
            strict = _adrgen(hostile, env, "build", "--strict", "--site-dir", str(base / "s"))
            validate = _adrgen(hostile, env, "validate")
            done[version] = Built(hostile, result, strict, validate, connections)
        return done[version]

    return build


@pytest.fixture
def built(plantuml: PlantumlUnderTest, builds: Callable[[str], Built]) -> Built:
    return builds(plantuml.version)


def test_no_secret_reaches_anything_written(built: Built) -> None:
    assert built.result.returncode == 0, built.result.stderr
    assert leaks(built.hostile) == []
    for output in (built.result, built.strict, built.validate):
        for secret in SECRETS:
            assert secret not in output.stdout + output.stderr


def test_the_rest_of_the_site_builds(built: Built) -> None:
    good = (built.site / "good" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<img [^>]*src="[^"]*assets/adrgen/blocks/\w+\.svg"', good)
    assert (built.site / "0001-good" / "index.html").is_file()
    inside = (built.site / "inside-link" / "index.html").read_text(encoding="utf-8")
    assert "adrgen-diagram-refused" not in inside  # a symlink inside the repository is fine


@pytest.mark.parametrize("name", sorted([*BLOCKS, *SOURCES]))
def test_each_hostile_block_fails_alone_at_its_place(built: Built, name: str) -> None:
    lines = built.reported(f"decisions/{name}.md:")
    assert lines, built.result.stderr
    assert all(re.match(rf"decisions/{name}\.md:\d+:\d+: ", line) for line in lines)
    page = (built.site / name / "index.html").read_text(encoding="utf-8")
    assert "Diagram refused" in page
    assert "assets/adrgen/blocks/" not in page


def test_a_records_hostile_blocks_fail_alone(built: Built) -> None:
    lines = built.reported("decisions/0002-hostile.yaml:")
    # Each block at its own line of the record (the fence's first text line), in its field.
    assert {line.split(":")[1] for line in lines} >= {"8", "15", "22"}, built.result.stderr
    assert all(": context: " in line for line in lines)
    assert "!$s is not allowed in a record's diagram" in "\n".join(lines)
    page = (built.site / "0002-hostile" / "index.html").read_text(encoding="utf-8")
    assert page.count("Diagram refused") == 3


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("decisions/environ.txt", "/environ, outside the repository"),
        ("decisions/environ.svg", "/environ, outside the repository"),
        ("decisions/secret.txt", "outside the repository"),
        ("decisions/linked", "outside the repository"),
        ("decisions/credentials.txt", "is ignored by .gitignore"),
        ("decisions/0009-linked.yaml", "outside the repository"),
    ],
)
def test_files_the_read_policy_refuses_are_not_published(built: Built, path: str, why: str) -> None:
    # A symlinked folder is followed (as MkDocs follows it), and each file in it refused.
    lines = built.reported(f"{path}:0:0: ") or built.reported(f"{path}/")
    assert lines and why in lines[0], built.result.stderr
    published = built.site / Path(path).relative_to("decisions")
    assert not published.exists() and not published.with_suffix("").exists()


def test_validate_refuses_a_record_outside_the_repository(built: Built) -> None:
    assert built.validate.returncode == 1
    assert "decisions/0009-linked.yaml:0:0: record not read: it is a symlink to" in (
        built.validate.stderr
    )
    assert RECORD_SECRET not in built.validate.stderr


def test_no_script_link_and_no_pasted_svg_is_published(built: Built) -> None:
    for svg in [*built.site.rglob("*.svg"), *built.hostile.root.glob(".adrgen-cache/**/*.svg")]:
        text = svg.read_text(encoding="utf-8", errors="replace")
        for href in re.findall(r'href="([^"]*)"', text):
            url = re.sub(r"[\x00-\x20]|&#(?:9|10|13);", "", href).lower()
            assert not url.startswith(("javascript:", "vbscript:")), (svg, href)
        assert text.count("<svg") == 1, svg
        assert "<script" not in text and "alert(1)" not in text, svg


def test_strict_fails_the_build(built: Built) -> None:
    assert built.strict.returncode == 1, built.strict.stderr
    assert not (built.hostile.root.parent / "s").exists()


def test_nothing_reaches_the_network_or_the_working_folder(built: Built) -> None:
    assert built.connections == 0
    assert not list(built.hostile.root.rglob("svek.*"))


def test_the_environment_secret_is_really_in_the_build_environment(built: Built) -> None:
    # The fixture's sanity: the secret the tests look for is one the build could have read.
    assert built.hostile.env["ADRGEN_WALL_SECRET"] == ENV_SECRET
    assert (built.hostile.root / ".git" / "config").read_text().count("AUTHORIZATION") == 1
