"""The CLI: exit codes, one line per problem, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from adrgen import __version__
from adrgen.cli import main
from adrgen.records.format import record_json_schema
from tests.helpers import MINIMAL_RECORD, REPO, run_adrgen, write_record


def adrgen(*args: str, cwd: Path, renderer: str = "none") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "ADRGEN_RENDERER": renderer}
    if not renderer:
        del env["ADRGEN_RENDERER"]
    return run_adrgen(*args, cwd=cwd, env=env)


def test_version(docs_repo: Path) -> None:
    result = adrgen("--version", cwd=docs_repo)
    assert result.returncode == 0 and result.stdout.strip() == f"adrgen {__version__}"


def test_no_command_prints_help_and_exits_2(docs_repo: Path) -> None:
    result = adrgen(cwd=docs_repo)
    assert result.returncode == 2 and "validate" in result.stderr


def test_validate_clean(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-ok.yaml", MINIMAL_RECORD)
    result = adrgen("validate", cwd=docs_repo)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "1 record(s) valid (1 in the repository)\n"


def test_validate_named_files_still_checks_links(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-ok.yaml", MINIMAL_RECORD + "links:\n  relates_to: [2]\n")
    write_record(docs_repo, "0002-other.yaml", MINIMAL_RECORD)
    result = adrgen("validate", "decisions/0002-other.yaml", cwd=docs_repo)
    assert result.returncode == 0
    result = adrgen("validate", "decisions/0001-ok.yaml", cwd=docs_repo)
    assert result.returncode == 1
    assert "0001-ok.yaml does not list" not in result.stderr
    assert "relates_to 0002, but 0002-other.yaml does not list 0001" in result.stderr


def test_quiet_prints_nothing_on_success(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-ok.yaml", MINIMAL_RECORD)
    assert adrgen("-q", "validate", cwd=docs_repo).stderr == ""


def test_render_warns_without_plantuml_and_succeeds(docs_repo: Path) -> None:
    write_record(docs_repo, "0001-ok.yaml", MINIMAL_RECORD)
    result = adrgen("render", cwd=docs_repo)
    assert result.returncode == 0
    assert "warning: PlantUML not found" in result.stderr
    assert (docs_repo / "diagrams" / "0001-ok.puml").is_file()


def test_bad_settings_are_reported_like_records(docs_repo: Path) -> None:
    (docs_repo / "adrgen.toml").write_text('diagram_dir = "x"\n[renderer]\nkind = "magic"\n')
    result = adrgen("validate", cwd=docs_repo, renderer="")
    assert result.returncode == 1
    assert "adrgen.toml:1:1: diagram_dir: unknown setting" in result.stderr
    assert "adrgen.toml:3:1: renderer.kind: 'magic' is not one of" in result.stderr
    assert "Traceback" not in result.stderr


def test_internal_errors_show_no_traceback(
    docs_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("adrgen.commands.validate.load_decisions", boom)
    assert main(["validate"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: disk on fire" in err and "Traceback" not in err


def test_schema_is_the_validators_schema(docs_repo: Path) -> None:
    result = adrgen("schema", cwd=docs_repo)
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(record_json_schema()))
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((REPO / "decisions").glob("*.yaml")):
        data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        data = json.loads(json.dumps(data, default=str))  # dates as strings, as editors see them
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{path.name}: {errors}"
    bad = yaml.safe_load(MINIMAL_RECORD.replace("proposed", "pending"))
    bad["date"] = "2024-01-01"
    assert list(validator.iter_errors(bad))


def test_schema_includes_project_statuses(docs_repo: Path) -> None:
    (docs_repo / "adrgen.toml").write_text('statuses = ["on-hold"]\n')
    schema = json.loads(adrgen("schema", cwd=docs_repo).stdout)
    assert "on-hold" in schema["properties"]["status"]["enum"]
    write_record(docs_repo, "0001-ok.yaml", MINIMAL_RECORD.replace("proposed", "on-hold"))
    assert adrgen("validate", cwd=docs_repo).returncode == 0


def test_the_repositorys_schema_file_is_current() -> None:
    committed = json.loads((REPO / "schema" / "adr.schema.json").read_text())
    assert committed == json.loads(json.dumps(record_json_schema()))
