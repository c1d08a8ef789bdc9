"""One invalid record per error, each paired with the exact message a user sees.

Each folder in ``tests/invalid/`` is a tiny docs repository whose ``decisions/`` holds the
bad record(s), and whose ``expected.txt`` is the exact stderr of ``adrgen validate`` run in
that folder. ``pytest --update-goldens`` rewrites the expectations; review the diff.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from adrgen.errors import ValidationFailed
from adrgen.records.loader import load_file
from tests.helpers import run_adrgen

CASES = Path(__file__).parent / "invalid"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def run_validate(root: Path) -> subprocess.CompletedProcess[str]:
    return run_adrgen("validate", cwd=root, timeout=60)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_invalid_record_gets_its_exact_message(
    case: str, tmp_path: Path, update_goldens: bool
) -> None:
    root = tmp_path / case
    shutil.copytree(CASES / case, root)
    (root / "diagrams").mkdir()
    (root / "diagrams" / "keep.puml").write_text("untouched\n")
    result = run_validate(root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    if update_goldens:
        (CASES / case / "expected.txt").write_text(result.stderr)
    expected = (CASES / case / "expected.txt").read_text()
    assert result.stderr == expected
    for line in expected.splitlines():
        if line.endswith("file(s)"):
            continue
        # path:line:col: [field: ]message, naming a file of the case
        path, line_no, col, _rest = line.split(":", 3)
        assert (root / path).is_file()
        assert int(line_no) >= 0 and int(col) >= 0


def test_validate_never_writes(tmp_path: Path) -> None:
    root = tmp_path / "case"
    shutil.copytree(CASES / "several-problems", root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    run_validate(root)
    after = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert before == after


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "0001-huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    with pytest.raises(ValidationFailed) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert problem.message == "file is 52,428,800 bytes; records are limited to 1,048,576"
    assert (problem.line, problem.col) == (0, 0)


def test_huge_file_through_cli(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    with (root / "decisions" / "0001-huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run_validate(root)
    assert result.returncode == 1
    assert result.stderr == (
        "decisions/0001-huge.yaml:0:0: file is 52,428,800 bytes; records are limited to 1,048,576\n"
    )


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    root = tmp_path / "case"
    shutil.copytree(CASES / "several-problems", root)
    result = run_validate(root)
    assert result.stderr.strip().endswith("7 problems in 1 file(s)")
