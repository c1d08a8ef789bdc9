"""``adrgen init`` in sites that exist already, with Markdown ADRs and a docs CI of their own.

Two fixture sites, shaped like the two a user adopted adrgen in:

* ``platform``: MkDocs Material with awesome-pages, exclude, glightbox,
  git-revision-date-localized and print-site (which must be last); an explicit, nested nav
  with awesome-pages ``...`` entries, indented differently from block to block; MADR ADRs in
  ``docs/architecture/decisions/`` (with an index page and a template); a docs workflow
  that installs ``docs/requirements.txt`` and runs ``mkdocs gh-deploy --force``.
* ``tools``: an adr-tools site (``docs_dir: doc``, ADRs in ``doc/adr/``) with mermaid2 and a
  CI job that runs ``pip install mkdocs-material mkdocs-mermaid2-plugin`` and
  ``mkdocs build --strict``.

After ``init``: no sample record beside their ADRs (and ``import --migrate`` suggested);
adrgen joins their requirements file or pip step with only that line changed; the workflow
init writes installs their toolchain, publishes only where nothing else does, and lints
clean; ``mkdocs.yml`` differs by the added lines only, with the plugin before print-site;
and their own build command passes.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from adrgen.commands.init import init_repository
from adrgen.site.adoption import (
    add_requirement,
    add_to_pip_step,
    find_markdown_adrs,
    pip_commands,
    read_workflows,
    site_packages,
)
from adrgen.site.wiring import load_site_config, plugin_position, wire_site
from tests.test_workflow import actionlint

PLATFORM_MKDOCS = """\
# The platform team's handbook.
site_name: Platform handbook
site_url: https://example.org/handbook/
repo_url: https://github.com/example/handbook

theme:
  name: material
  font: false      # offline
  features:
  - navigation.sections
  - navigation.indexes

markdown_extensions:
    - admonition
    - toc:
        permalink: true

plugins:
    - search
    - awesome-pages
    - exclude:
        glob:
          - "drafts/*"
          - '*.tmp'
    - glightbox
    - git-revision-date-localized:
        enable_creation_date: true
    # print-site must be the last plugin
    - print-site:
        add_cover_page: false

nav:
- Home: index.md
- Guides:
    - Getting started: guides/start.md
    - ... | guides/*
- Architecture:
  - Overview: architecture/index.md
  - Decisions:
      - architecture/decisions/index.md
      - ... | flat | architecture/decisions/0*.md   # every ADR, by number
- ...
"""
PLATFORM_REQUIREMENTS = """\
# The docs toolchain, pinned by Renovate
mkdocs-material>=9.5
mkdocs-awesome-pages-plugin>=2.9
mkdocs-exclude
mkdocs-glightbox
mkdocs-git-revision-date-localized-plugin>=1.2
mkdocs-print-site-plugin>=2.3
"""
PLATFORM_WORKFLOW = """\
name: docs
on:
  push:
    branches: [main]
permissions:
  contents: write
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # git-revision-date-localized needs the history
      - uses: actions/setup-python@v5
        with:
          python-version: '3.12'
          cache: pip
      - run: pip install -r docs/requirements.txt
      - run: mkdocs gh-deploy --force
"""
PLATFORM_PAGES = {
    "docs/index.md": "# Platform handbook\n\nWelcome to the handbook of the platform team.\n",
    "docs/guides/start.md": "# Getting started\n\nClone the repository.\n",
    "docs/guides/deploy.md": "# Deploying\n\nPush to main.\n",
    "docs/architecture/index.md": "# Architecture\n\nThe big picture.\n",
    "docs/architecture/decisions/index.md": "# Decisions\n\nOur ADRs, newest last.\n",
    "docs/architecture/decisions/adr-template.md": (
        "# {short title of solved problem and solution}\n\n## Context and Problem Statement\n"
    ),
    "docs/architecture/decisions/0001-use-markdown-architectural-decision-records.md": """\
# Use Markdown Architectural Decision Records

## Context and Problem Statement

We want to record architectural decisions made in this project.

## Considered Options

* MADR 3.0.0
* Michael Nygard's template

## Decision Outcome

Chosen option: "MADR 3.0.0", because it is lean.
""",
    "docs/architecture/decisions/0002-use-postgresql.md": """\
---
status: accepted
date: 2023-04-02
---
# Use PostgreSQL for the job queue

## Context and Problem Statement

Jobs must survive restarts. See [ADR 1](0001-use-markdown-architectural-decision-records.md).

## Decision Outcome

Chosen option: "PostgreSQL", because we run it already.
""",
}

TOOLS_MKDOCS = """\
site_name: Billing service
docs_dir: doc
theme: material
plugins:
  - search
  - mermaid2:
      javascript: js/mermaid.min.mjs   # vendored: the site builds offline
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:mermaid2.fence_mermaid_custom
"""
TOOLS_WORKFLOW = """\
name: CI
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
  docs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install MkDocs
        run: pip install mkdocs-material mkdocs-mermaid2-plugin  # the docs toolchain
      - name: Build the docs
        run: mkdocs build --strict
"""
NYGARD = """\
# {number}. {title}

Date: 2021-03-01

## Status

Accepted

## Context

{context}

## Decision

We will do it.

## Consequences

See [1. Record architecture decisions](0001-record-architecture-decisions.md).
"""
TOOLS_PAGES = {
    "doc/index.md": "# Billing service\n\n```mermaid\ngraph LR\n  A --> B\n```\n",
    "doc/js/mermaid.min.mjs": "export default { initialize() {} };\n",
    "doc/adr/0001-record-architecture-decisions.md": NYGARD.format(
        number=1, title="Record architecture decisions", context="We need to record decisions."
    ),
    "doc/adr/0002-use-stripe.md": NYGARD.format(
        number=2, title="Use Stripe for card payments", context="We take card payments."
    ),
}

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Team",
    "GIT_AUTHOR_EMAIL": "team@example.invalid",
    "GIT_COMMITTER_NAME": "Team",
    "GIT_COMMITTER_EMAIL": "team@example.invalid",
}


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))


def commit_all(root: Path) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "site"], check=True, env=env)


def platform_site(base: Path) -> Path:
    root = base / "platform"
    write_files(
        root,
        {
            "mkdocs.yml": PLATFORM_MKDOCS,
            "docs/requirements.txt": PLATFORM_REQUIREMENTS,
            ".github/workflows/docs.yml": PLATFORM_WORKFLOW,
            **PLATFORM_PAGES,
        },
    )
    commit_all(root)
    return root


def tools_site(base: Path) -> Path:
    root = base / "tools"
    write_files(
        root,
        {"mkdocs.yml": TOOLS_MKDOCS, ".github/workflows/ci.yml": TOOLS_WORKFLOW, **TOOLS_PAGES},
    )
    commit_all(root)
    return root


SITES: dict[str, Callable[[Path], Path]] = {"platform": platform_site, "tools": tools_site}
ADR_FOLDER = {"platform": "docs/architecture/decisions", "tools": "doc/adr"}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def only_added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if any line of ``before`` changed."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    removed = [line for line in diff if line.startswith("- ")]
    assert removed == [], "".join(diff)
    return [line[2:] for line in diff if line.startswith("+ ")]


@pytest.fixture(params=sorted(SITES))
def site(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    root = SITES[request.param](tmp_path)
    monkeypatch.chdir(root)
    return root


def kind(root: Path) -> str:
    return root.name


# ---------------------------------------------------------------------------------------
# 1. No sample record beside their ADRs


def test_no_sample_record_beside_their_adrs_and_migrate_is_suggested(site: Path) -> None:
    report = init_repository(site)
    assert not (site / "decisions").exists()
    assert not any("0001-record" in name for name in report.written)
    folder = ADR_FOLDER[kind(site)]
    assert f"adrgen import --migrate {folder}" in "\n".join(report.lines())
    # The suggestion names their ADRs only: not the index page, not the template.
    (found,) = find_markdown_adrs(site, site / ("doc" if kind(site) == "tools" else "docs"))
    assert found.folder == folder
    assert all(name[:4].isdigit() for name in found.files) and len(found.files) == 2


def test_adrs_anywhere_in_the_docs_folder_are_found(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_files(
        root,
        {
            "mkdocs.yml": "site_name: x\n",
            "docs/index.md": "# Home\n",
            # Not a usual ADR folder, but named and written as ADRs are.
            "docs/engineering/records/0001-use-kafka.md": (
                "# Use Kafka\n\n## Status\n\nAccepted\n\n## Context\n\nEvents.\n"
            ),
            # Numbered tutorial chapters are not decisions.
            "docs/tutorial/001-install.md": "# Install\n\nRun pip.\n",
            "docs/tutorial/002-configure.md": "# Configure\n\nEdit the file.\n",
        },
    )
    found = find_markdown_adrs(root, root / "docs")
    assert [(f.folder, f.files) for f in found] == [
        ("docs/engineering/records", ("0001-use-kafka.md",))
    ]


def test_an_adr_folder_with_only_an_index_and_a_template_gets_the_sample(
    docs_repo: Path,
) -> None:
    write_files(
        docs_repo,
        {"doc/adr/README.md": "# ADRs\n", "doc/adr/template.md": "# Title\n\n## Status\n"},
    )
    report = init_repository(docs_repo)
    assert "decisions/0001-record-architecture-decisions.yaml" in report.written
    assert "import --migrate" not in "\n".join(report.lines())


def test_without_a_site_the_records_folder_is_made_for_mkdocs(docs_repo: Path) -> None:
    (docs_repo / "decisions").rmdir()
    write_files(docs_repo, TOOLS_PAGES)
    report = init_repository(docs_repo)
    assert (docs_repo / "decisions" / ".gitkeep").is_file()
    assert not list((docs_repo / "decisions").glob("*.yaml"))
    # Not pages of a site: imported, not migrated.
    assert "to bring them in: adrgen import doc/adr" in "\n".join(report.lines())


# ---------------------------------------------------------------------------------------
# 2. Their CI: adrgen joins their install; the new workflow installs their toolchain


def test_adrgen_joins_their_requirements_file_and_nothing_else_changes(tmp_path: Path) -> None:
    root = platform_site(tmp_path)
    before = (root / "docs/requirements.txt").read_bytes()
    workflow = (root / ".github/workflows/docs.yml").read_bytes()
    report = init_repository(root)
    assert (root / "docs/requirements.txt").read_bytes() == before + b"adrgen\n"
    assert (root / ".github/workflows/docs.yml").read_bytes() == workflow
    assert any(
        line.startswith("edited docs/requirements.txt: added adrgen") for line in report.lines()
    )
    # Idempotent: a second run adds nothing.
    again = init_repository(root)
    assert (root / "docs/requirements.txt").read_bytes() == before + b"adrgen\n"
    assert again.edits == [] and again.written == []


def test_adrgen_joins_their_pip_step_and_nothing_else_changes(tmp_path: Path) -> None:
    root = tools_site(tmp_path)
    report = init_repository(root)
    after = (root / ".github/workflows/ci.yml").read_text()
    assert after == TOOLS_WORKFLOW.replace(
        "pip install mkdocs-material mkdocs-mermaid2-plugin  #",
        "pip install mkdocs-material mkdocs-mermaid2-plugin adrgen  #",
    )
    assert any(
        "edited .github/workflows/ci.yml: job docs: added adrgen" in line for line in report.lines()
    )
    init_repository(root)
    assert (root / ".github/workflows/ci.yml").read_text() == after


@pytest.mark.parametrize(
    ("step", "edited"),
    [
        (
            "      - run: |\n"
            "          python -m pip install --upgrade pip\n"
            "          pip install \\\n"
            "            mkdocs-material \\\n"
            '            "mkdocs-mermaid2-plugin>=1.1"\n'
            "          mkdocs build --strict\n",
            '            "mkdocs-mermaid2-plugin>=1.1" adrgen\n',
        ),
        (
            "      - run: python -m pip install -U pip && pip install 'mkdocs-material>=9' && mkdocs build\n",
            "      - run: python -m pip install -U pip && pip install 'mkdocs-material>=9' adrgen && mkdocs build\n",
        ),
        (
            '      - run: "pip install mkdocs-material"\n      - run: mkdocs build\n',
            '      - run: "pip install mkdocs-material adrgen"\n',
        ),
    ],
    ids=["literal block, continued lines", "one line with &&", "quoted"],
)
def test_the_pip_step_edit_inserts_one_word(tmp_path: Path, step: str, edited: str) -> None:
    text = (
        "name: docs  # ours\non: push\njobs:\n  docs:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n      - uses: actions/checkout@v4\n{step}"
    )
    write_files(tmp_path, {".github/workflows/docs.yml": text})
    (workflow,) = read_workflows(tmp_path)
    (step_node,) = [s for s in workflow.steps if "pip" in s.run]
    edit = add_to_pip_step(workflow, step_node)
    assert edit.changed, edit.notes
    assert edited in edit.after.splitlines(keepends=True)
    # One insertion of " adrgen", not a byte else changed.
    assert edit.after.count("adrgen") == 1 and edit.after.replace(" adrgen", "", 1) == text


def test_pip_commands_reads_requirements_and_packages() -> None:
    (one, two) = pip_commands(
        "pip install -U pip && python3 -m pip install -r docs/requirements.txt -c c.txt\n"
        "uv pip install --requirement=req.txt mkdocs 'mkdocs-material[imaging]>=9' \\\n"
        "  mkdocs-redirects  # comment\n"
    )[1:]
    assert (one.requirements, one.packages) == (["docs/requirements.txt"], [])
    assert two.requirements == ["req.txt"]
    assert two.packages == ["mkdocs", "mkdocs-material[imaging]>=9", "mkdocs-redirects"]


@pytest.mark.parametrize(
    ("text", "after"),
    [
        (
            "mkdocs-material\r\nmkdocs-redirects",
            "mkdocs-material\r\nmkdocs-redirects\r\nadrgen\r\n",
        ),
        ("mkdocs-material  # the theme\n", "mkdocs-material  # the theme\nadrgen\n"),
        ("mkdocs\nadrgen[appendix]>=0.1\n", None),
        ("mkdocs==1.6.1 \\\n    --hash=sha256:abc\n", None),
    ],
    ids=["CRLF, no final newline", "comment", "listed already", "hashes"],
)
def test_add_requirement_keeps_the_file(tmp_path: Path, text: str, after: str | None) -> None:
    path = tmp_path / "requirements-docs.txt"
    path.write_bytes(text.encode())
    edit = add_requirement(path)
    assert edit.after == (after if after is not None else text)
    if "hash" in text:
        assert edit.notes and "hashes" in edit.notes[0]


def test_a_compiled_requirements_file_gets_adrgen_in_its_source(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "docs/requirements.in": "mkdocs-material\n",
            "docs/requirements.txt": (
                "#\n# This file is autogenerated by pip-compile with Python 3.12\n#\n"
                "mkdocs-material==9.5.3\n"
            ),
        },
    )
    edit = add_requirement(tmp_path / "docs/requirements.txt")
    assert edit.path == tmp_path / "docs/requirements.in"
    assert edit.after == "mkdocs-material\nadrgen\n"
    assert "compile it again" in edit.notes[0]


def test_the_workflow_of_a_published_site_only_checks_and_installs_their_requirements(
    tmp_path: Path,
) -> None:
    root = platform_site(tmp_path)
    report = init_repository(root)
    text = (root / ".github/workflows/adr.yml").read_text()
    workflow = yaml.safe_load(text)
    assert set(workflow["jobs"]) == {"build"}  # no publish job
    steps = workflow["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert not any("pages" in u for u in uses)
    assert "pages" not in str(workflow.get("permissions"))
    assert steps[0]["with"]["fetch-depth"] == 0  # git-revision-date-localized
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert "python -m pip install -r docs/requirements.txt" in install
    assert [s["run"] for s in steps if "adrgen" in s.get("run", "")][-3:] == [
        "adrgen validate",
        "adrgen check",
        "adrgen build",
    ]
    assert any(".github/workflows/docs.yml (mkdocs gh-deploy) publishes" in n for n in report.notes)
    assert actionlint(root / ".github/workflows/adr.yml") == []


def test_the_workflow_of_an_unpublished_site_installs_its_plugins_builds_strictly_and_publishes(
    tmp_path: Path,
) -> None:
    root = tools_site(tmp_path)
    init_repository(root)
    workflow = yaml.safe_load((root / ".github/workflows/adr.yml").read_text())
    assert set(workflow["jobs"]) == {"build", "publish"}
    steps = workflow["jobs"]["build"]["steps"]
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert "python -m pip install adrgen mkdocs-material mkdocs-mermaid2-plugin\n" in install
    assert "adrgen build --strict" in [s.get("run") for s in steps]
    assert steps[1]["with"]["python-version"] == "3.11"  # theirs
    assert actionlint(root / ".github/workflows/adr.yml") == []


@pytest.mark.parametrize(
    "publisher",
    [
        "      - uses: actions/deploy-pages@v4\n",
        "      - uses: peaceiris/actions-gh-pages@v4\n        with:\n          publish_dir: site\n",
        "      - uses: JamesIves/github-pages-deploy-action@v4\n        with:\n          folder: site\n",
        "      - run: python -m mkdocs gh-deploy --force --strict\n",
    ],
    ids=["deploy-pages", "peaceiris", "JamesIves", "gh-deploy"],
)
def test_any_publisher_makes_the_workflow_check_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publisher: str
) -> None:
    write_files(
        tmp_path,
        {
            "mkdocs.yml": "site_name: x\ntheme:\n  name: material\nplugins:\n  - search\n  - redirects\n",
            "docs/index.md": "# Home\n",
            ".github/workflows/pages.yml": (
                "on: push\njobs:\n  pages:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - run: pip install mkdocs-material mkdocs-redirects\n"
                "      - run: mkdocs build\n" + publisher
            ),
        },
    )
    monkeypatch.chdir(tmp_path)
    init_repository(tmp_path)
    workflow = yaml.safe_load((tmp_path / ".github/workflows/adr.yml").read_text())
    assert set(workflow["jobs"]) == {"build"}
    build = [s.get("run") for s in workflow["jobs"]["build"]["steps"]]
    assert ("adrgen build --strict" in build) == ("--strict" in publisher)
    assert actionlint(tmp_path / ".github/workflows/adr.yml") == []


def test_read_the_docs_is_a_publisher_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(
        tmp_path,
        {
            "mkdocs.yml": "site_name: x\n",
            ".readthedocs.yaml": "version: 2\n",
            "docs/index.md": "#\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    report = init_repository(tmp_path)
    assert (
        "publish"
        not in yaml.safe_load((tmp_path / ".github/workflows/adr.yml").read_text())["jobs"]
    )
    assert any("Read the Docs (.readthedocs.yaml)" in note for note in report.notes)


def test_read_the_docs_requirements_get_adrgen(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "mkdocs.yml": "site_name: x\n",
            ".readthedocs.yaml": (
                "version: 2\nmkdocs:\n  configuration: mkdocs.yml\n"
                "python:\n  install:\n    - requirements: tools/rtd.txt\n"
            ),
            "tools/rtd.txt": "mkdocs-material\n",
            "docs/index.md": "# Home\n",
        },
    )
    init_repository(tmp_path)
    assert (tmp_path / "tools/rtd.txt").read_text() == "mkdocs-material\nadrgen\n"
    install = (tmp_path / ".github/workflows/adr.yml").read_text()
    assert "python -m pip install -r tools/rtd.txt\n" in install


def test_without_a_site_a_pages_publisher_is_not_replaced(docs_repo: Path) -> None:
    write_files(
        docs_repo,
        {
            ".github/workflows/storybook.yml": (
                "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - uses: actions/deploy-pages@v4\n"
            )
        },
    )
    report = init_repository(docs_repo)
    workflow = (docs_repo / ".github/workflows/adr.yml").read_text()
    assert set(yaml.safe_load(workflow)["jobs"]) == {"build"}
    assert "GitHub Pages has a publisher already" in workflow
    assert any("publishes to GitHub Pages already" in note for note in report.notes)
    assert actionlint(docs_repo / ".github/workflows/adr.yml") == []


def test_an_existing_gitignore_is_extended_byte_for_byte(tmp_path: Path) -> None:
    write_files(tmp_path, {"mkdocs.yml": "site_name: x\n", ".gitignore": "site/\r\n*.pyc"})
    report = init_repository(tmp_path)
    assert (tmp_path / ".gitignore").read_bytes() == b"site/\r\n*.pyc\r\n.adrgen-cache/\r\n"
    assert "edited .gitignore: added .adrgen-cache/" in report.lines()


def test_a_plugin_nobody_knows_is_left_to_the_user(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"mkdocs.yml": "site_name: x\nplugins:\n  - search\n  - our-internal-plugin\n"},
    )
    report = init_repository(tmp_path)
    install = (tmp_path / ".github/workflows/adr.yml").read_text()
    assert "python -m pip install adrgen\n" in install  # nothing guessed
    assert report.todo == [
        ".github/workflows/adr.yml: add the packages of plugin our-internal-plugin to its "
        "install step (adrgen does not know them)"
    ]


def test_site_packages_maps_plugins_theme_and_extensions() -> None:
    config = load_site_config(
        Path("mkdocs.yml"),
        "theme: {name: material}\n"
        "plugins: [search, material/tags, awesome-pages, exclude, glightbox,\n"
        "  git-revision-date-localized, print-site, mermaid2, redirects, awesome-nav, macros,\n"
        "  minify, social, adrgen, our-internal-plugin]\n"
        "markdown_extensions: [toc, admonition, pymdownx.superfences, mdx_truly_sane_lists,\n"
        "  markdown.extensions.tables, some_private_ext]\n",
    )
    packages, unknown = site_packages(config)
    assert packages == [
        "mkdocs-material",
        "mkdocs-awesome-pages-plugin",
        "mkdocs-exclude",
        "mkdocs-glightbox",
        "mkdocs-git-revision-date-localized-plugin",
        "mkdocs-print-site-plugin",
        "mkdocs-mermaid2-plugin",
        "mkdocs-redirects",
        "mkdocs-awesome-nav",
        "mkdocs-macros-plugin",
        "mkdocs-minify-plugin",
        "mkdocs-material[imaging]",
        "mdx-truly-sane-lists",
    ]
    assert unknown == ["plugin our-internal-plugin", "Markdown extension some_private_ext"]


def test_a_plugin_only_installed_packages_know_is_found_by_its_entry_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    from adrgen.site import adoption

    real = importlib.metadata.entry_points

    class Dist:
        name = "mkdocs-shiny-plugin"

    class Entry:
        name = "shiny"
        dist = Dist()

    def entry_points(*, group: str) -> object:
        return [Entry()] if group == "mkdocs.plugins" else real(group=group)

    monkeypatch.setattr(adoption.importlib.metadata, "entry_points", entry_points)
    config = load_site_config(Path("mkdocs.yml"), "plugins: [shiny]\n")
    assert site_packages(config) == (["mkdocs-shiny-plugin"], [])


# ---------------------------------------------------------------------------------------
# 3. mkdocs.yml: the added lines only, the plugin before the must-be-last ones


def test_mkdocs_yml_changes_by_the_added_lines_only(tmp_path: Path) -> None:
    root = platform_site(tmp_path)
    report = init_repository(root)
    after = (root / "mkdocs.yml").read_text()
    assert only_added_lines(PLATFORM_MKDOCS, after) == [
        "    - tags\n",
        "    - adrgen\n",
        "- Decisions: decisions/index.md\n",
    ]
    plugins = [
        next(iter(p)) if isinstance(p, dict) else p for p in yaml.safe_load(after)["plugins"]
    ]
    assert plugins == [
        "search",
        "awesome-pages",
        "tags",
        "adrgen",
        "exclude",
        "glightbox",
        "git-revision-date-localized",
        "print-site",
    ]
    assert report.wiring is not None
    assert (
        "plugins: added tags, adrgen (after awesome-pages, before exclude)" in report.wiring.changes
    )


@pytest.mark.parametrize(
    ("names", "at"),
    [
        (["search", "print-site"], 1),
        (["print-site"], 0),
        (["search", "minify", "offline"], 1),
        (["search", "redirects"], 1),
        (["mermaid2", "search"], 2),
        (["search", "material/blog", "glightbox", "material/privacy"], 2),
        ([], 0),
    ],
)
def test_plugin_position(names: list[str], at: int) -> None:
    assert plugin_position(names) == at


@pytest.mark.parametrize(
    ("text", "added"),
    [
        # Their closing comment stays last; a CRLF file gets CRLF lines.
        ("site_name: x\r\nplugins:\r\n  - search\r\n  # more later\r\n", ["  - adrgen\r\n"]),
        # No final newline.
        ("site_name: x\nplugins:\n- search", ["- adrgen\n"]),
        # The first plugin must be last: adrgen goes above it, and above its comment.
        (
            "plugins:\n    # keep print-site last\n    - print-site\nnav:\n  - index.md\n",
            ["    - adrgen\n", "  - Decisions: decisions/index.md\n"],
        ),
        # No plugins: search comes back (MkDocs' default), as the file writes lists; nav last.
        (
            "theme:\n  name: mkdocs\nnav:\n  - Home: index.md\n  - '...'\n# end\n",
            ["  - Decisions: decisions/index.md\n", "plugins:\n", "  - search\n", "  - adrgen\n"],
        ),
        # Tags and ENV survive, untouched.
        (
            "plugins:\n  - search:\n      enabled: !ENV [SEARCH, true]\n"
            "markdown_extensions:\n  - pymdownx.emoji:\n"
            "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
            ["  - adrgen\n"],
        ),
    ],
    ids=["crlf", "no final newline", "before the first", "no plugins", "tags"],
)
def test_wiring_inserts_lines_only(tmp_path: Path, text: str, added: list[str]) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_bytes(text.encode())
    wiring = wire_site(path)
    normal = text if text.endswith("\n") else text + "\n"
    assert only_added_lines(normal, wiring.after) == added
    assert wiring.after.count("\r\n") in (0, wiring.after.count("\n"))


def test_a_layout_lines_cannot_take_is_left_alone_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    text = "plugins: [search,\n  print-site]   # flow style, over two lines\nnav: [index.md]\n"
    path.write_text(text)
    wiring = wire_site(path)
    assert not wiring.changed and wiring.after == text
    assert "add them by hand" in wiring.notes[0]


def test_an_adrgen_listed_after_print_site_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("plugins:\n  - search\n  - print-site\n  - adrgen\n")
    wiring = wire_site(path)
    assert not wiring.changed
    assert "adrgen is listed after print-site" in wiring.notes[0]


# ---------------------------------------------------------------------------------------
# 4. --dry-run: every change as a diff, nothing written


def test_dry_run_shows_every_change_and_writes_nothing(tmp_path: Path) -> None:
    root = platform_site(tmp_path)
    before = snapshot(root)
    report = init_repository(root, dry_run=True)
    assert snapshot(root) == before
    diff = report.diff()
    for header in (
        "+++ b/mkdocs.yml",
        "+++ b/docs/requirements.txt",
        "+++ b/.github/workflows/adr.yml",
        "+++ b/.gitignore",
    ):
        assert header in diff, header
    assert "+    - adrgen\n" in diff and "+adrgen\n" in diff
    assert "schema/adr.schema.json" not in diff  # generated; named in the lines
    assert "would write schema/adr.schema.json" in report.lines()
    assert any(line.startswith("would edit docs/requirements.txt") for line in report.lines())


def test_dry_run_shows_the_pip_step_edit(tmp_path: Path) -> None:
    root = tools_site(tmp_path)
    diff = init_repository(root, dry_run=True).diff()
    assert "+        run: pip install mkdocs-material mkdocs-mermaid2-plugin adrgen  #" in diff


# ---------------------------------------------------------------------------------------
# Their own build, after init


def their_build(root: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **GIT_ENV,
        "ADRGEN_RENDERER": "none",
        "NO_MKDOCS_2_WARNING": "1",
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args, "-d", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_their_own_build_passes_after_init(site: Path) -> None:
    theirs = ["--strict"] if kind(site) == "tools" else []  # their CI's build command
    baseline = their_build(site, site.parent / "baseline", *theirs)
    assert baseline.returncode == 0, baseline.stderr
    init_repository(site)
    built = their_build(site, site.parent / "after", *theirs)
    assert built.returncode == 0, built.stderr
    # And strictly, for either: print-site is still last, so it has nothing to warn about.
    strictly = their_build(site, site.parent / "strict", "--strict")
    assert strictly.returncode == 0, strictly.stderr
    assert "should be defined as the *last* plugin" not in strictly.stderr
    out = site.parent / "strict"
    first = {
        "platform": "architecture/decisions/0001-use-markdown-architectural-decision-records",
        "tools": "adr/0001-record-architecture-decisions",
    }[kind(site)]
    assert (out / first / "index.html").is_file()  # their ADRs, still pages of their site
    assert (out / "decisions" / "index.html").is_file()  # adrgen's section
    home = (out / "index.html").read_text()
    assert ("Welcome to the handbook" if kind(site) == "platform" else "Billing service") in home
