"""The MkDocs plugin, driven through a real MkDocsConfig."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files, get_files

from adrgen.site.plugin import AdrgenPlugin
from tests.helpers import REPO
from tests.servers import free_port, wait_until
from tests.site.conftest import http_get, record, write

pytestmark = pytest.mark.timeout(90)


def configure(root: Path, **overrides: Any) -> MkDocsConfig:
    config = load_config(config_file=str(root / "mkdocs.yml"), **overrides)
    return config.plugins.on_config(config)


def generated_files(config: MkDocsConfig) -> Files:
    files = get_files(config)
    return config.plugins.on_files(files, config=config)


def test_registered_as_a_mkdocs_plugin() -> None:
    (found,) = [e for e in entry_points(group="mkdocs.plugins") if e.name == "adrgen"]
    assert found.load() is AdrgenPlugin


def test_pages_are_generated_in_memory(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First", relates_to=[2]))
    write(project, "decisions/0002-second.yaml", record(2, "Second", relates_to=[1]))
    config = configure(project)
    files = generated_files(config)
    generated = {f.src_uri: f for f in files if f.generated_by == "adrgen"}
    assert {
        "0001-first.md",
        "0002-second.md",
        "index.md",
        "graph.md",
        "tags.md",
        "assets/adrgen/adrgen.css",
        "assets/adrgen/adrgen.js",
    } <= set(generated)
    page = generated["0001-first.md"]
    assert page.content_string.startswith("---\ntitle: '0001: First'\ntags:\n- testing\n")
    assert page.edit_uri == "0001-first.yaml"  # the theme's edit button opens the YAML
    # The records themselves ship with the site (view source offline).
    assert files.get_file_from_path("0001-first.yaml") is not None
    # Nothing was written into the docs folder (mkdocs serve watches it).
    assert sorted(p.name for p in (project / "decisions").iterdir()) == [
        "0001-first.yaml",
        "0002-second.yaml",
    ]
    # Without a nav in mkdocs.yml, adrgen orders one.
    assert config.nav[:3] == [
        "index.md",
        "graph.md",
        {"Decisions": ["0001-first.md", "0002-second.md"]},
    ]
    assert "assets/adrgen/adrgen.css" in config.extra_css


def test_invalid_record_is_a_plugin_error_naming_file_and_line(project: Path) -> None:
    write(
        project,
        "decisions/0001-first.yaml",
        record(1, "First").replace("complexity: low", "complexity: lowish"),
    )
    config = configure(project)
    with pytest.raises(PluginError) as caught:
        generated_files(config)
    lines = str(caught.value).splitlines()
    assert re.match(r"decisions/0001-first\.yaml:\d+:\d+: options\[0\]\.complexity: ", lines[0])


def test_several_problems_are_one_line_each(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First", relates_to=[7]))
    write(project, "decisions/0002-second.yaml", "title: [unclosed\n")
    with pytest.raises(PluginError) as caught:
        generated_files(configure(project))
    lines = str(caught.value).splitlines()
    assert any(line.startswith("decisions/0001-first.yaml:") and "0007" in line for line in lines)
    assert any(line.startswith("decisions/0002-second.yaml:") for line in lines)
    assert lines[-1] == "adrgen: 2 problems"


def test_bad_settings_are_a_plugin_error(project: Path) -> None:
    write(project, "adrgen.toml", "colour = 'blue'\n")
    with pytest.raises(PluginError, match=r"adrgen\.toml:1:1: colour: unknown setting"):
        configure(project)


def test_hand_written_page_wins_over_a_generated_one(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(project, "decisions/index.md", "# Our decisions\n")
    files = generated_files(configure(project))
    index = files.get_file_from_path("index.md")
    assert index is not None and index.generated_by is None


class FakeServer:
    def __init__(self) -> None:
        self.watched: list[str] = []

    def watch(self, path: str) -> None:
        self.watched.append(path)


def test_serve_watches_templates_but_never_the_outputs(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(project, "templates/pages/decision.md.j2", "{{ front_matter }}\n# {{ record.title }}\n")
    write(project, "adrgen.toml", "")
    config = configure(project)
    generated_files(config)
    server = FakeServer()
    config.plugins.on_serve(server, config=config, builder=lambda: None)
    watched = {Path(p).resolve() for p in server.watched}
    assert (project / "templates").resolve() in watched
    assert (project / "adrgen.toml").resolve() in watched
    for written in (project, project / "diagrams", project / ".adrgen-cache"):
        assert written.resolve() not in watched


def test_project_template_overrides_the_default(project: Path) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(
        project,
        "templates/pages/decision.md.j2",
        "{{ front_matter }}\n# Custom: {{ record.title }}\n",
    )
    files = generated_files(configure(project))
    page = files.get_file_from_path("0001-first.md")
    assert page is not None and "# Custom: First" in page.content_string


def test_no_renderer_still_builds_and_shows_the_source(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADRGEN_RENDERER", "none")
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    files = generated_files(configure(project))
    page = files.get_file_from_path("0001-first.md")
    assert page is not None
    assert "Diagram not rendered" in page.content_string
    assert "@startuml" in page.content_string
    assert files.get_file_from_path("diagrams/0001-first.svg") is None
    assert (project / "diagrams" / "0001-first.puml").is_file()


@pytest.mark.slow
def test_serve_rebuilds_on_change_without_a_loop(project: Path, tmp_path: Path) -> None:
    """A real `mkdocs serve`: one rebuild per edit, none by itself."""
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    default = (REPO / "templates" / "pages" / "decision.md.j2").read_text()
    write(project, "templates/pages/decision.md.j2", default)
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", f"127.0.0.1:{port}"],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ADRGEN_RENDERER": "none", "NO_MKDOCS_2_WARNING": "1"},
        )
    try:
        url = f"http://127.0.0.1:{port}/0001-first/"
        wait_until(lambda: "First" in http_get(url), 40, "the page")
        time.sleep(2)
        builds_before = log.read_text().count("Building documentation")
        source = project / "decisions" / "0001-first.yaml"
        source.write_text(source.read_text().replace("title: First", "title: Renamed"))
        wait_until(lambda: "Renamed" in http_get(url), 30, "the page")
        template = project / "templates" / "pages" / "decision.md.j2"
        write(
            project, "templates/pages/decision.md.j2", "{{ front_matter }}\n# From the template\n"
        )
        wait_until(lambda: "From the template" in http_get(url), 30, "the page")
        time.sleep(4)  # a loop would keep building here
        builds_after = log.read_text().count("Building documentation")
        assert builds_after == builds_before + 2, log.read_text()
        assert template.is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_outputs_inside_the_docs_folder_are_refused(project: Path) -> None:
    write(project, "adrgen.toml", 'diagrams_dir = "decisions/diagrams"\n')
    with pytest.raises(
        PluginError, match=r"diagrams_dir: refusing to use .* it is inside the records"
    ):
        configure(project)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["mkdocs", "adrgen"])
def test_serve_shows_a_broken_record_and_recovers(
    project: Path, tmp_path: Path, command: str
) -> None:
    """A record that does not parse: the preview shows the problem on the page (it used to
    keep the old page, the browser waiting), and the next save that fixes it recovers."""
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    port = free_port()
    argv = {
        "mkdocs": [sys.executable, "-m", "mkdocs", "serve", "--livereload", "--dirty"],
        "adrgen": [sys.executable, "-m", "adrgen", "serve"],
    }[command]
    address = (
        ["-a", f"127.0.0.1:{port}"] if command == "mkdocs" else ["--dev-addr", f"127.0.0.1:{port}"]
    )
    with (tmp_path / "serve.log").open("w") as out:
        proc = subprocess.Popen(
            [*argv, *address],
            cwd=project,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ADRGEN_RENDERER": "none", "NO_MKDOCS_2_WARNING": "1"},
        )
    try:
        url = f"http://127.0.0.1:{port}/0001-first/"
        wait_until(lambda: "First" in http_get(url), 40, "the page")
        source = project / "decisions" / "0001-first.yaml"
        good = source.read_text()
        source.write_text(good.replace("title: First", "title: [unclosed"))
        wait_until(lambda: "adrgen could not rebuild" in http_get(url), 30, "the problems")
        page = http_get(url)
        assert "decisions/0001-first.yaml:2:7: YAML syntax error" in page and "First" in page
        source.write_text(good.replace("title: First", "title: Fixed"))
        wait_until(lambda: "Fixed" in http_get(url), 30, "the fixed page")
        assert "adrgen could not rebuild" not in http_get(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
