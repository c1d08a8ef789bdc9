"""Shared fixtures: a scratch docs repository, the golden-file switch, tool detection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import HAS_PLANTUML


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_PLANTUML:
        return
    # CI installs PlantUML; a developer without it still gets every other test.
    skip = pytest.mark.skip(reason="PlantUML is not installed (apt-get install plantuml)")
    for item in items:
        if "plantuml" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def docs_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty docs repository in a temp folder, as the working directory.

    The user cache (PlantUML version memo) is redirected too, so tests never touch ~/.cache.
    """
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("ADRGEN_RENDERER", raising=False)
    yield root
