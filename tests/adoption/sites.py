"""Two existing MkDocs Material sites that already keep Markdown ADRs, built like the real
projects a user adopted adrgen in (issue 19), written fresh into a git repository per test.

* ``platform``: MADR 2 ADRs in ``docs/architecture/decisions/``, an explicit nav with
  awesome-pages ``...`` entries, and the plugins awesome-pages, exclude, glightbox,
  git-revision-date-localized and print-site (which must be last); built by a docs workflow
  that installs ``docs/requirements.txt`` and runs ``mkdocs gh-deploy``.
* ``tools``: adr-tools (Nygard) ADRs in ``docs/adr/`` with Mermaid diagrams and links
  between them, mermaid2, no explicit nav, and a workflow that runs ``mkdocs build --strict``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

PLATFORM_MKDOCS = """\
site_name: Platform Docs
docs_dir: docs
theme:
  name: material
  font: false
  features:
    - navigation.sections
plugins:
  - search
  - awesome-pages
  - exclude:
      glob:
        - "drafts/*"
  - glightbox
  - git-revision-date-localized:
      fallback_to_build_date: true
  - print-site
markdown_extensions:
  - admonition
  - attr_list
nav:
  - Home: index.md
  - Guides:
      - guides/setup.md
  - Architecture:
      - architecture/index.md
      - Decisions:
          - architecture/decisions/index.md
          - architecture/decisions/0001-use-markdown-architectural-decision-records.md
          - architecture/decisions/0002-use-postgresql.md
          - architecture/decisions/0003-deploy-with-kubernetes.md
  - ...
"""

PLATFORM_ADRS = {
    "0001-use-markdown-architectural-decision-records.md": """\
# Use Markdown Architectural Decision Records

* Status: accepted
* Deciders: Ana, Ben
* Date: 2021-03-04

## Context and Problem Statement

We want to record architectural decisions made in this project.

## Considered Options

* MADR 2.1.2
* Nygard's template
* No records

## Decision Outcome

Chosen option: "MADR 2.1.2", because it is lean and fits our docs.
""",
    "0002-use-postgresql.md": """\
# Use PostgreSQL for the catalogue

* Status: accepted
* Date: 2021-05-10

## Context and Problem Statement

The catalogue needs a database. See [the first decision](0001-use-markdown-architectural-decision-records.md).

## Considered Options

* PostgreSQL
* MySQL

## Decision Outcome

Chosen option: "PostgreSQL", because the team knows it.

### Positive Consequences

* ttyd can read it with the same driver.
""",
    "0003-deploy-with-kubernetes.md": """\
# Deploy with Kubernetes

* Status: proposed
* Date: 2022-01-20

## Context and Problem Statement

We deploy by hand today. ![the current setup](img/setup.png)

## Considered Options

* Kubernetes
* Nomad

## Decision Outcome

Chosen option: "Kubernetes", because the platform team runs it.
""",
    "index.md": """\
# Decisions

The log of [our decisions](0001-use-markdown-architectural-decision-records.md):

* [ADR-0001](0001-use-markdown-architectural-decision-records.md)
* [ADR-0002](0002-use-postgresql.md)
* [ADR-0003](0003-deploy-with-kubernetes.md#context-and-problem-statement)
""",
    "template.md": "# [short title]\n\n* Status: [proposed | accepted]\n\n## Context and Problem Statement\n\n[...]\n",
}

PLATFORM_PAGES = {
    "index.md": "# Platform\n\nWe chose [PostgreSQL](architecture/decisions/0002-use-postgresql.md).\n",
    "guides/setup.md": "# Setup\n\nSee the [database decision](../architecture/decisions/0002-use-postgresql.md).\n",
    "architecture/index.md": "# Architecture\n\nThe [decision log](decisions/index.md).\n",
    "drafts/wip.md": "# Work in progress\n",
    "extra.md": "# Extra\n\nA page the `...` entry lists.\n",
}

PLATFORM_REQUIREMENTS = """\
mkdocs-material>=9.5
mkdocs-awesome-pages-plugin
mkdocs-exclude
mkdocs-glightbox
mkdocs-git-revision-date-localized-plugin
mkdocs-print-site-plugin
"""

PLATFORM_WORKFLOW = """\
name: docs
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r docs/requirements.txt
      - run: mkdocs gh-deploy --force
"""

TOOLS_MKDOCS = """\
site_name: Tools
docs_dir: docs
theme:
  name: material
  font: false
plugins:
  - search
  # The library is served from the site itself (it builds offline, as its CI checks).
  - mermaid2:
      javascript: js/mermaid.min.js
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:mermaid2.fence_mermaid_custom
"""

TOOLS_ADRS = {
    "0001-record-architecture-decisions.md": """\
# 1. Record architecture decisions

Date: 2020-03-25

## Status

Accepted

## Context

We need to record the architectural decisions made on this project.

## Decision

We will use Architecture Decision Records, as described by Michael Nygard.

## Consequences

See Michael Nygard's article, linked above.
""",
    "0002-use-ttyd-for-terminals.md": """\
# 2. Use ttyd for terminals

Date: 2020-04-02

## Status

Superseded by [3. Run terminals in Kubernetes](0003-run-terminals-in-kubernetes.md)

## Context

Users need a terminal in the browser.

```mermaid
graph LR
  Browser --> ttyd
```

## Decision

We use ttyd.

## Consequences

ttyd can be embedded in an iframe.
""",
    "0003-run-terminals-in-kubernetes.md": """\
# 3. Run terminals in Kubernetes

Date: 2020-06-11

## Status

Accepted

Supersedes [2. Use ttyd for terminals](0002-use-ttyd-for-terminals.md)

## Context

One ttyd per user does not scale on one machine.

## Decision

Chosen: ttyd and Kubernetes Service, one pod per session.

## Consequences

We need a cluster.
""",
}

TOOLS_PAGES = {
    "index.md": "# Tools\n\nTerminals follow [ADR 3](adr/0003-run-terminals-in-kubernetes.md).\n",
    "js/mermaid.min.js": "/* stands in for the vendored Mermaid library */\n",
}

TOOLS_WORKFLOW = """\
name: docs
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install mkdocs-material mkdocs-mermaid2-plugin
      - run: mkdocs build --strict
"""


@dataclass(frozen=True)
class Site:
    """An existing site: where it is, its ADR folder, and how its own CI builds it."""

    root: Path
    adrs: Path
    #: The site's own build command (its CI's), as argv after ``mkdocs``.
    build: tuple[str, ...]
    #: The ADRs as pages: site path of each (relative to docs_dir).
    adr_pages: tuple[str, ...]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _git(root: Path, *args: str, date: str = "2024-01-01T00:00:00") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Team",
        "GIT_AUTHOR_EMAIL": "team@example.invalid",
        "GIT_COMMITTER_NAME": "Team",
        "GIT_COMMITTER_EMAIL": "team@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def platform_site(base: Path) -> Site:
    """The MADR 2 site with awesome-pages, exclude, glightbox, git dates and print-site."""
    root = base / "platform"
    decisions = "architecture/decisions"
    _write(root, {"mkdocs.yml": PLATFORM_MKDOCS, "docs/requirements.txt": PLATFORM_REQUIREMENTS})
    _write(root, {".github/workflows/docs.yml": PLATFORM_WORKFLOW, ".gitignore": "site/\n"})
    _write(root / "docs", PLATFORM_PAGES)
    _write(root / "docs" / decisions, PLATFORM_ADRS)
    (root / "docs" / decisions / "img").mkdir()
    (root / "docs" / decisions / "img" / "setup.png").write_bytes(_PNG)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    # The ADRs arrive one commit each, on their own dates, as a team writes them.
    _git(root, "add", "mkdocs.yml", "docs/index.md", ".gitignore")
    _git(root, "commit", "-q", "-m", "site", date="2021-03-01T10:00:00")
    for name, date in (
        ("0001-use-markdown-architectural-decision-records.md", "2021-03-04T10:00:00"),
        ("0002-use-postgresql.md", "2021-05-10T10:00:00"),
        ("0003-deploy-with-kubernetes.md", "2022-01-20T10:00:00"),
    ):
        _git(root, "add", f"docs/{decisions}/{name}")
        _git(root, "commit", "-q", "-m", name, date=date)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "the rest", date="2022-02-01T10:00:00")
    pages = tuple(f"{decisions}/{n}" for n in sorted(PLATFORM_ADRS) if n[0].isdigit())
    return Site(root, root / "docs" / decisions, ("build",), pages)


def tools_site(base: Path) -> Site:
    """The adr-tools site with Mermaid, no explicit nav, and a strict build."""
    root = base / "tools"
    _write(root, {"mkdocs.yml": TOOLS_MKDOCS, ".github/workflows/docs.yml": TOOLS_WORKFLOW})
    _write(root, {".gitignore": "site/\n"})
    _write(root / "docs", TOOLS_PAGES)
    _write(root / "docs" / "adr", TOOLS_ADRS)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    # A snapshot: every ADR in one bulk commit, so git dates none of them.
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "import from the old wiki", date="2023-09-09T09:00:00")
    pages = tuple(f"adr/{n}" for n in sorted(TOOLS_ADRS))
    return Site(root, root / "docs" / "adr", ("build", "--strict"), pages)


#: A 1x1 PNG.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
