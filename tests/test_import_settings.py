"""The `[import]` table of adrgen.toml: every mistake gets its exact message, and what it adds
reaches the importer."""

from __future__ import annotations

from pathlib import Path

import pytest

from adrgen.config import load_config
from adrgen.errors import ConfigError
from adrgen.importer import ImportSettings
from adrgen.importer.sections import SectionTable

CASES = {
    "not a table": ("import = 3\n", ["adrgen.toml:1:1: import: must be a table ([import])"]),
    "unknown setting": (
        '[import]\nlanguage = "de"\n',
        ["adrgen.toml:2:1: import.language: unknown setting; known: date_order, phrases, sections"],
    ),
    "sections not a table": (
        '[import]\nsections = "context"\n',
        [
            "adrgen.toml:2:1: import.sections: must be a table ([import.sections]) of lists: "
            'context = ["Background"]'
        ],
    ),
    "unknown part": (
        '[import.sections]\ncontxt = ["Hintergrund"]\n',
        [
            "adrgen.toml:2:1: import.sections.contxt: unknown record part; known: context, "
            "drivers, options, decision, pros_and_cons, consequences, good_consequences, "
            "bad_consequences, confirmation, links, status, date, decision_makers, consulted, "
            "informed, tags; did you mean 'context'?"
        ],
    ),
    "names not a list": (
        '[import.sections]\ncontext = "Hintergrund"\n',
        [
            "adrgen.toml:2:1: import.sections.context: must be a non-empty list of names "
            '(text): context = ["Background"]'
        ],
    ),
    "empty list": (
        "[import.sections]\ncontext = []\n",
        [
            "adrgen.toml:2:1: import.sections.context: must be a non-empty list of names "
            '(text): context = ["Background"]'
        ],
    ),
    "a name that is not text": (
        '[import.sections]\ndecision = ["Entscheidung", 3]\n',
        [
            "adrgen.toml:2:1: import.sections.decision: must be a non-empty list of names "
            '(text): context = ["Background"]'
        ],
    ),
    "a blank name": (
        '[import.sections]\ndecision = [" "]\n',
        [
            "adrgen.toml:2:1: import.sections.decision: must be a non-empty list of names "
            '(text): context = ["Background"]'
        ],
    ),
    "phrases not a table": (
        "[import]\nphrases = [1]\n",
        [
            "adrgen.toml:2:1: import.phrases: must be a table ([import.phrases]) of lists: "
            'chosen_option = ["Selected option"]'
        ],
    ),
    "unknown phrase": (
        '[import.phrases]\nchosen = ["Gewählte Option"]\n',
        [
            "adrgen.toml:2:1: import.phrases.chosen: unknown phrase; known: chosen_option, "
            "good, bad, neutral; did you mean 'chosen_option'?"
        ],
    ),
    "phrase names not a list": (
        '[import.phrases]\ngood = "Gut"\n',
        [
            "adrgen.toml:2:1: import.phrases.good: must be a non-empty list of names (text): "
            'chosen_option = ["Selected option"]'
        ],
    ),
    "date order": (
        '[import]\ndate_order = "dmy"\n',
        ["adrgen.toml:2:1: import.date_order: 'dmy' is not one of: auto, day-first, month-first"],
    ),
    "several at once": (
        '[import]\ndate_order = 1\n\n[import.sections]\nstatus = "Stand"\n',
        [
            "adrgen.toml:2:1: import.date_order: 1 is not one of: auto, day-first, month-first",
            "adrgen.toml:5:1: import.sections.status: must be a non-empty list of names (text): "
            'context = ["Background"]',
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_mistake_gets_its_message(case: str, tmp_path: Path) -> None:
    text, expected = CASES[case]
    (tmp_path / "adrgen.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    lines = [line.replace(f"{tmp_path}/", "") for line in caught.value.lines()]
    assert lines == expected


def test_the_settings_reach_the_importer(tmp_path: Path) -> None:
    (tmp_path / "adrgen.toml").write_text(
        '[import]\ndate_order = "month-first"\n\n'
        '[import.sections]\ncontext = ["Hintergrund"]\ndecision = ["Decision"]\n\n'
        '[import.phrases]\ngood = ["Gut"]\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.imports.sections == {"context": ("Hintergrund",), "decision": ("Decision",)}
    assert config.imports.phrases == {"good": ("Gut",)}
    settings = ImportSettings.from_config(config)
    assert settings.date_order == "month-first"
    assert settings.table.part_of("## Hintergrund") == ("context", "")
    assert settings.table.part_of("Kontext") is None
    assert settings.table.phrase("gut", "good")
    assert SectionTable().part_of("Contexte et énoncé du problème") == ("context", "")


def test_without_an_import_table_the_defaults_hold(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.imports.sections, config.imports.phrases, config.imports.date_order) == (
        {},
        {},
        "auto",
    )


def test_every_problem_of_the_settings_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adrgen.toml").write_text(
        "diagram_dir = 'x'\n"
        "require_estimates = 'yes'\n"
        "[renderer]\n"
        "kind = 'jar'\n"
        "timeout = 0\n"
        "[import]\n"
        "date_order = 'dmy'\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "adrgen.toml:1:1: diagram_dir: unknown setting; known: builder, cache_dir, "
        "decisions_dir, diagrams_dir, import, max_record_bytes, renderer, repo_url, "
        "require_estimates, status_aliases, statuses, templates_dir; did you mean 'diagrams_dir'?",
        "adrgen.toml:2:1: require_estimates: must be true or false",
        "adrgen.toml:3:1: renderer.jar: the jar renderer needs the path of plantuml.jar",
        "adrgen.toml:5:1: renderer.timeout: must be a positive number of seconds",
        "adrgen.toml:7:1: import.date_order: 'dmy' is not one of: auto, day-first, month-first",
    ]
