"""Shared fixtures: a scratch docs repository, the golden-file switch, tool detection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from adrgen.config import RendererConfig
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, HAS_PLANTUML, HAS_PLANTUML_JAR, PLANTUML_JAR

# Property tests draw the same examples on every run, so CI can neither pass nor fail by
# luck: `derandomize` seeds each test from its own source, and with no example database a
# failure found on one machine is not silently replayed (or missed) on another. A failure
# once found is kept for good as an @example(...) on its test. To explore new random
# examples instead, run with HYPOTHESIS_PROFILE=explore (it keeps Hypothesis's database in
# .hypothesis/, so a failure it finds is replayed on the next explore run).
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


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


@dataclass(frozen=True)
class PlantumlUnderTest:
    """One PlantUML installation the suite runs against: how the renderer is configured,
    and the environment that makes ``adrgen`` (in-process or a subprocess) use it."""

    version: str
    renderer: RendererConfig
    env: dict[str, str]


#: Every PlantUML test runs on both: Debian bookworm's package (what `apt install plantuml`
#: gives) and a current release (the jar users get from brew, choco or plantuml.com).
PLANTUMLS = {
    "1.2020": PlantumlUnderTest(
        "1.2020", RendererConfig(kind="command"), {"ADRGEN_RENDERER": "command"}
    ),
    "1.2026": PlantumlUnderTest(
        "1.2026",
        RendererConfig(kind="jar", jar=str(PLANTUML_JAR)),
        {"ADRGEN_RENDERER": "jar", "ADRGEN_PLANTUML_JAR": str(PLANTUML_JAR)},
    ),
}
_MISSING = {
    "1.2020": None
    if HAS_PLANTUML
    else "Debian's PlantUML is not installed (apt-get install plantuml)",
    "1.2026": None if HAS_PLANTUML_JAR else f"{PLANTUML_JAR} is missing (scripts/bootstrap test)",
}


#: The PlantUML the quick suite (``-m "not slow"``) runs every PlantUML test on: Debian's, the
#: default renderer, on which adrgen's guard is the only wall. The full suite runs both.
QUICK_PLANTUML = "1.2020"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "plantuml" in metafunc.fixturenames:
        versions = [
            pytest.param(v, marks=() if v == QUICK_PLANTUML else pytest.mark.slow)
            for v in sorted(PLANTUMLS)
        ]
        metafunc.parametrize("plantuml", versions, indirect=True, ids=lambda v: f"puml{v}")


@pytest.fixture
def plantuml(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> PlantumlUnderTest:
    """The PlantUML of this run of the test; set in the environment for adrgen to find."""
    version = str(request.param)
    if _MISSING[version]:
        pytest.skip(_MISSING[version])
    under_test = PLANTUMLS[version]
    for name, value in under_test.env.items():
        monkeypatch.setenv(name, value)
    return under_test


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # A test that takes the `plantuml` fixture is a PlantUML test (run on both versions);
        # a test marked so without it would silently run on one version only.
        takes_fixture = "plantuml" in getattr(item, "fixturenames", ())
        if takes_fixture:
            item.add_marker(pytest.mark.plantuml)
        elif item.get_closest_marker("plantuml") is not None:
            raise pytest.UsageError(
                f"{item.nodeid}: marked plantuml but does not take the `plantuml` fixture"
            )


@pytest.fixture(autouse=True, scope="session")
def _no_renderer_from_the_developer() -> Iterator[None]:
    """A renderer chosen in the developer's shell must not leak into the tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ADRGEN_RENDERER", raising=False)
        patch.delenv("ADRGEN_PLANTUML_JAR", raising=False)
        yield


@pytest.fixture
def docs_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty docs repository in a temp folder, as the working directory.

    The user cache (PlantUML version memo) is redirected too, so tests never touch ~/.cache.
    """
    root = tmp_path / "repo"
    (root / "decisions").mkdir(parents=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    yield root


@pytest.fixture(scope="session")
def xdg_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One user cache per test session: the PlantUML version is asked once, not per test."""
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
