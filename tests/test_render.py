"""render: one PlantUML batch, a content-hash cache, atomic writes, no PlantUML needed."""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

import pytest

from adrgen.config import Config, load_config
from adrgen.errors import LockedError, OwnershipError, TemplateError, ValidationFailed
from adrgen.output import recover, repository_lock
from adrgen.pipeline import render_diagrams
from tests.conftest import PlantumlUnderTest
from tests.helpers import MINIMAL_RECORD, run_adrgen, write_record

RECORD = (
    MINIMAL_RECORD.split("    components:")[0]
    + """\
    components:
      - {id: web, kind: browser, label: Browser}
      - {id: api, kind: service, label: API}
    flows:
      - {from: web, to: api, direction: down, label: GET /things}
"""
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


@pytest.fixture
def three_records(docs_repo: Path) -> Path:
    for number in (1, 2, 3):
        write_record(
            docs_repo,
            f"000{number}-r{number}.yaml",
            RECORD.replace("A small decision", f"Decision {number}"),
        )
    return docs_repo


@pytest.fixture
def counting_plantuml(
    plantuml: PlantumlUnderTest, docs_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A `plantuml` wrapper that logs each start, then runs the PlantUML under test."""
    # The wrapper is the renderer now (`config_with`); the environment must not override it.
    monkeypatch.delenv("ADRGEN_RENDERER")
    monkeypatch.delenv("ADRGEN_PLANTUML_JAR", raising=False)
    log = docs_repo.parent / "plantuml-starts.log"
    wrapper = docs_repo.parent / "plantuml-counting"
    real = (
        "plantuml" if plantuml.renderer.kind == "command" else f"java -jar {plantuml.renderer.jar}"
    )
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    return wrapper


def starts(wrapper: Path) -> list[str]:
    log = wrapper.parent / "plantuml-starts.log"
    return log.read_text().splitlines() if log.exists() else []


def config_with(wrapper: Path) -> Config:
    return load_config(renderer={"kind": "command", "command": str(wrapper)})


def test_one_process_renders_every_stale_diagram(
    plantuml: PlantumlUnderTest, three_records: Path, counting_plantuml: Path
) -> None:
    report = render_diagrams(config_with(counting_plantuml))
    assert report.rendered == ["0001-r1", "0002-r2", "0003-r3", "decision-graph"]
    renders = [s for s in starts(counting_plantuml) if "-pipe" in s]
    assert len(renders) == 1
    assert (
        "-nometadata" in renders[0] and "-timeout" in renders[0] and "-pipedelimitor" in renders[0]
    )
    names = sorted(p.name for p in (three_records / "diagrams").iterdir() if p.name[0] != ".")
    assert names == sorted(f"{n}.{ext}" for n in report.rendered for ext in ("puml", "svg"))


def test_unchanged_diagrams_are_never_rendered_again(
    plantuml: PlantumlUnderTest, three_records: Path, counting_plantuml: Path
) -> None:
    config = config_with(counting_plantuml)
    render_diagrams(config)
    before = snapshot(three_records / "diagrams")
    count = len(starts(counting_plantuml))
    report = render_diagrams(config)
    assert report.rendered == [] and report.reused == 4 and not report.changed
    assert len(starts(counting_plantuml)) == count  # not even `-version`: it is memoised
    assert snapshot(three_records / "diagrams") == before  # byte-identical


def test_editing_one_record_rerenders_it_and_the_graph_only(
    plantuml: PlantumlUnderTest, three_records: Path, counting_plantuml: Path
) -> None:
    config = config_with(counting_plantuml)
    render_diagrams(config)
    path = three_records / "decisions" / "0002-r2.yaml"
    path.write_text(path.read_text().replace("GET /things", "GET /other"))
    report = render_diagrams(config)
    assert report.rendered == ["0002-r2"]
    path.write_text(path.read_text().replace("Decision 2", "Decision two"))
    assert render_diagrams(config).rendered == ["0002-r2", "decision-graph"]
    # Undoing the edit is served from the local cache: nothing is drawn.
    path.write_text(
        path.read_text().replace("Decision two", "Decision 2").replace("GET /other", "GET /things")
    )
    assert render_diagrams(config).rendered == []


def test_force_redraws_identical_bytes(plantuml: PlantumlUnderTest, three_records: Path) -> None:
    render_diagrams(load_config())
    before = snapshot(three_records / "diagrams")
    report = render_diagrams(load_config(), force=True)
    assert len(report.rendered) == 4
    assert snapshot(three_records / "diagrams") == before


def test_without_plantuml_puml_files_are_still_written(three_records: Path) -> None:
    report = render_diagrams(load_config(renderer={"kind": "none"}))
    assert sorted(p.name for p in (three_records / "diagrams").iterdir()) == [
        ".adrgen-diagrams",
        "0001-r1.puml",
        "0002-r2.puml",
        "0003-r3.puml",
        "decision-graph.puml",
    ]
    assert report.warnings and "PlantUML not found" in report.warnings[0]


def test_auto_renderer_without_plantuml_on_path(
    three_records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(three_records))  # nothing called plantuml here
    report = render_diagrams(load_config())
    assert report.rendered == [] and "PlantUML not found" in report.warnings[0]


def test_without_plantuml_current_svgs_stay_and_stale_ones_go(
    plantuml: PlantumlUnderTest, three_records: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render_diagrams(load_config())
    path = three_records / "decisions" / "0003-r3.yaml"
    path.write_text(path.read_text().replace("GET /things", "GET /changed"))
    monkeypatch.setenv("ADRGEN_RENDERER", "none")  # PlantUML gone
    report = render_diagrams(load_config())
    names = {p.name for p in (three_records / "diagrams").iterdir()}
    assert {"0001-r1.svg", "0002-r2.svg", "decision-graph.svg"} <= names
    assert "0003-r3.svg" not in names
    assert report.dropped_svgs == ["0003-r3.svg"]


def test_invalid_record_leaves_diagrams_untouched(three_records: Path) -> None:
    render_diagrams(load_config(renderer={"kind": "none"}))
    before = snapshot(three_records / "diagrams")
    write_record(three_records, "0004-bad.yaml", "title: [broken\n")
    with pytest.raises(ValidationFailed):
        render_diagrams(load_config(renderer={"kind": "none"}))
    assert snapshot(three_records / "diagrams") == before


def test_a_diagram_plantuml_cannot_draw_fails_alone(
    plantuml: PlantumlUnderTest, three_records: Path
) -> None:
    render_diagrams(load_config())
    # A project template override that draws broken PlantUML for one record.
    override = three_records / "templates" / "diagrams"
    override.mkdir(parents=True)
    broken = override / "comparison.puml.j2"
    broken.write_text(
        "@startuml\n{% if decision.number == 2 %}this is ( not plantuml\n{% else %}a -> b\n{% endif %}@enduml\n"
    )
    report = render_diagrams(load_config())
    (failure,) = report.failed
    assert failure.name == "0002-r2"
    assert failure.problem.path == "diagrams/0002-r2.puml"
    assert failure.problem.line == 2
    assert "Syntax Error?" in failure.error
    assert "decisions/0002-r2.yaml" in failure.problem.message
    # Everything else is written: the other records' new diagrams and the graph.
    assert report.rendered == ["0001-r1", "0003-r3"]
    names = {p.name for p in (three_records / "diagrams").iterdir()}
    assert {"0001-r1.svg", "0003-r3.svg", "decision-graph.svg", "0002-r2.puml"} <= names
    assert "0002-r2.svg" not in names  # not the old picture of another source either
    # A failure is not cached as a success: with the template mended, it is drawn.
    broken.write_text(broken.read_text().replace("this is ( not plantuml", "c -> d"))
    mended = render_diagrams(load_config())
    assert mended.failed == [] and mended.rendered == ["0002-r2"]


def test_a_failure_points_at_the_record_line_that_caused_it(
    plantuml: PlantumlUnderTest, three_records: Path
) -> None:
    # An override that (wrongly) writes record text as PlantUML syntax: the failing line
    # holds the record's title, so the failure names the title's place in the record.
    override = three_records / "templates" / "diagrams"
    override.mkdir(parents=True)
    (override / "comparison.puml.j2").write_text(
        "@startuml\na -> b\n{% if decision.number == 3 %}{{ record.title | raw }}\n{% endif %}@enduml\n"
    )
    path = three_records / "decisions" / "0003-r3.yaml"
    path.write_text(path.read_text().replace("title: Decision 3", "title: broken ( syntax here"))
    (failure,) = render_diagrams(load_config()).failed
    assert str(failure.problem).startswith(
        "decisions/0003-r3.yaml:1:8: title: PlantUML could not draw diagrams/0003-r3.puml (line 3): "
    )


def test_render_exits_1_naming_the_diagram_and_the_plantuml_version(
    plantuml: PlantumlUnderTest, three_records: Path
) -> None:
    override = three_records / "templates" / "diagrams"
    override.mkdir(parents=True)
    (override / "comparison.puml.j2").write_text(
        "@startuml\n{% if decision.number == 2 %}this is ( not plantuml\n{% else %}a -> b\n{% endif %}@enduml\n"
    )
    result = run_adrgen("render", cwd=three_records)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert any(
        line.startswith("diagrams/0002-r2.puml:2:1: PlantUML: Syntax Error?") for line in lines
    )
    summary = lines[-1]
    assert "3 rendered" in summary and "1 failed" in summary, summary
    assert f"PlantUML {plantuml.version}" in summary, summary
    assert (three_records / "diagrams" / "0001-r1.svg").is_file()


def test_template_syntax_error_is_reported(three_records: Path) -> None:
    override = three_records / "templates" / "diagrams"
    override.mkdir(parents=True)
    (override / "comparison.puml.j2").write_text("@startuml\n{% if %}\n@enduml\n")
    with pytest.raises(TemplateError, match=r"comparison.puml.j2:2:1: template syntax error"):
        render_diagrams(load_config(renderer={"kind": "none"}))


def test_orphans_are_removed_and_dotfiles_kept(three_records: Path) -> None:
    diagrams = three_records / "diagrams"
    diagrams.mkdir()
    (diagrams / ".adrgen-diagrams").write_text("adrgen's\n")  # a folder adrgen wrote before
    (diagrams / "0009-gone.puml").write_text("old")
    (diagrams / ".gitattributes").write_text("*.svg binary\n")
    report = render_diagrams(load_config(renderer={"kind": "none"}))
    assert report.removed == ["0009-gone.puml"]
    assert not (diagrams / "0009-gone.puml").exists()
    assert (diagrams / ".gitattributes").read_text() == "*.svg binary\n"


def test_a_folder_adrgen_did_not_write_is_never_replaced(three_records: Path) -> None:
    diagrams = three_records / "diagrams"
    diagrams.mkdir()
    (diagrams / "0009-mine.puml").write_text("@startuml\nA -> B\n@enduml\n")
    with pytest.raises(OwnershipError, match=r"did not write \(0009-mine.puml\)"):
        render_diagrams(load_config(renderer={"kind": "none"}))
    assert sorted(p.name for p in diagrams.iterdir()) == ["0009-mine.puml"]  # untouched


def test_a_second_run_waits_for_no_one_it_fails_clearly(three_records: Path) -> None:
    config = load_config(renderer={"kind": "none"})
    config.cache_dir.mkdir(parents=True)
    # Another process holds the lock (a separate open file, as another run would have).
    with (config.cache_dir / "lock").open("a+") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.write("pid 4242")
        other.flush()
        with pytest.raises(LockedError, match="another adrgen run \\(pid 4242\\)"):
            render_diagrams(config)
    render_diagrams(config)  # released: the next run goes ahead


def test_the_lock_is_reentrant_within_one_process(three_records: Path) -> None:
    config = load_config(renderer={"kind": "none"})
    with repository_lock(config.cache_dir):
        render_diagrams(config)  # `adrgen build` holds it around the diagram step


def test_leftovers_of_a_killed_run_are_cleaned(three_records: Path) -> None:
    target = three_records / "diagrams"
    render_diagrams(load_config(renderer={"kind": "none"}))
    staging = three_records / ".diagrams.adrgen-new-99999"
    staging.mkdir()
    (staging / "half.svg").write_text("<svg")
    recover(target)
    assert not staging.exists()
    # Killed between the two renames of the fallback path: the old folder comes back.
    os.rename(target, three_records / ".diagrams.adrgen-old-99999")
    recover(target)
    assert (target / "0001-r1.puml").is_file()


def test_project_templates_render_in_a_sandbox(three_records: Path) -> None:
    override = three_records / "templates" / "diagrams"
    override.mkdir(parents=True)
    (override / "comparison.puml.j2").write_text(
        "@startuml\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n@enduml\n"
    )
    with pytest.raises(TemplateError, match="unsafe"):
        render_diagrams(load_config(renderer={"kind": "none"}))


def test_jinja_in_record_text_is_never_evaluated(docs_repo: Path) -> None:
    write_record(
        docs_repo,
        "0001-jinja.yaml",
        MINIMAL_RECORD.replace("A small decision", "'{{ 7*7 }} {% if 1 %}x{% endif %}'"),
    )
    render_diagrams(load_config(renderer={"kind": "none"}))
    graph = (docs_repo / "diagrams" / "decision-graph.puml").read_text()
    assert "<U+007B><U+007B> 7<U+002A>7 <U+007D><U+007D>" in graph
    assert "49" not in graph
