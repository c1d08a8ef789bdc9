"""Page generation in the core (no MkDocs): content, links, evidence, appendix, escaping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from adrgen.config import load_config
from adrgen.pipeline import prepare_site
from adrgen.site.nav import SiteLayout
from adrgen.site.pages import url_prefix
from tests.site.conftest import record, write

EVIDENCE = """\
evidence:
  - claim: The reference implementation sustains 30x the required rate
    measured: 2024-05-01
    figures:
      - {name: closed-loop throughput, value: 1412.5, unit: req/s, baseline: 33, baseline_label: requirement}
      - {name: p99 latency at 33 req/s, value: 7.9, unit: ms}
    command: python -m bench.appendix --duration 30
    source: bench/results/appendix-load.json
    notes: |
      Measured on **2 cores** with gunicorn.
"""

#: As this repository's own site has it: the decision pages at the site's root.
ROOT_SECTION = SiteLayout(section="")


def pages(project: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ADRGEN_RENDERER", "none")
    content = prepare_site(load_config(project), layout=ROOT_SECTION)
    return {p.src_uri: p.content for p in content.pages}


def front_matter(page: str) -> dict[str, object]:
    return yaml.safe_load(page.split("---\n")[1])


def test_links_in_both_directions_and_the_superseded_banner(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        project,
        "decisions/0001-old.yaml",
        record(1, "Old way", status="superseded", superseded_by=[2]),
    )
    write(project, "decisions/0002-new.yaml", record(2, "New way", supersedes=[1], relates_to=[3]))
    write(
        project, "decisions/0003-other.yaml", record(3, "Other", status="proposed", relates_to=[2])
    )
    out = pages(project, monkeypatch)
    old = out["0001-old.md"]
    assert '!!! warning "Superseded"' in old
    assert "[0002: New way](0002-new.md)" in old
    assert front_matter(old)["title"] == "0001: Old way (superseded)"
    new = out["0002-new.md"]
    assert "**Supersedes:**" in new and "[0001: Old way](0001-old.md)" in new
    assert '<span class="adrgen-retired">[0001: Old way](0001-old.md)</span>' in new
    assert "**Relates to:**" in new and "[0003: Other](0003-other.md)" in new
    assert '!!! info "Proposed"' in out["0003-other.md"]
    index = out["index.md"]
    assert index.index("0001") < index.index("0002") < index.index("0003")
    assert 'data-status="superseded"' in index and 'data-status="proposed"' in index
    graph = out["graph.md"]
    assert "| supersedes |" in graph and "| relates to |" in graph


def test_evidence_is_shown(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First") + EVIDENCE)
    page = pages(project, monkeypatch)["0001-first.md"]
    assert "## Evidence" in page
    assert "### The reference implementation sustains 30x the required rate" in page
    assert (
        "<td>closed-loop throughput</td><td>1412.5 req/s</td><td>33 req/s (requirement)</td><td>×42.8</td>"
        in page
    )
    assert "python -m bench.appendix --duration 30" in page
    assert "<code>bench/results/appendix-load.json</code>" in page
    assert "<strong>2 cores</strong>" in page
    assert '<time datetime="2024-05-01">' in page


def test_comparison_table_has_one_column_per_option(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    page = pages(project, monkeypatch)["0001-first.md"]
    assert "| | [Keep it](#option-keep) | [Change it](#option-change) |" in page
    assert "| Computed load | 33 req/s<br><small>1000 users / 30 s = 33 req/s</small> | — |" in page
    assert "### Keep it { #option-keep }" in page
    assert '<div class="admonition danger adrgen-security">' in page


def test_the_plugin_never_adds_a_page_about_this_repository(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The appendix page is this repository's own hand-written page; a team's site, even
    # one holding bench results, gets only the decision pages.
    write(project, "decisions/0001-first.yaml", record(1, "First"))
    write(project, "bench/results/appendix-load.json", json.dumps({"summary": {}}))
    assert sorted(pages(project, monkeypatch)) == [
        "0001-first.md",
        "graph.md",
        "index.md",
        "tags.md",
    ]


def test_front_matter_is_escaped_for_the_theme(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = record(1, "X").replace("title: X", 'title: "</title><script>alert(1)</script>"')
    text = text.replace("tags: [testing]", "tags: ['<img src=x onerror=alert(1)>']")
    write(project, "decisions/0001-first.yaml", text)
    meta = front_matter(pages(project, monkeypatch)["0001-first.md"])
    assert meta["title"] == "0001: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert meta["tags"] == ["&lt;img src=x onerror=alert(1)&gt;"]


def test_output_is_deterministic(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "decisions/0001-first.yaml", record(1, "First", relates_to=[2]))
    write(project, "decisions/0002-second.yaml", record(2, "Second", relates_to=[1]))
    assert pages(project, monkeypatch) == pages(project, monkeypatch)


@pytest.mark.parametrize(
    ("src", "directory_urls", "expected"),
    [
        ("index.md", True, ""),
        ("0001-x.md", True, "../"),
        ("0001-x.md", False, ""),
        ("appendix/polling.md", True, "../../"),
        ("appendix/index.md", True, "../"),
    ],
)
def test_url_prefix(src: str, directory_urls: bool, expected: str) -> None:
    assert url_prefix(src, directory_urls) == expected


def test_record_links_to_other_pages_point_at_the_built_site(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = record(1, "First").replace(
        "  Why record 1 exists.\n", "  See [the other](0002-second.md#outcome).\n"
    )
    write(project, "decisions/0001-first.yaml", text)
    write(project, "decisions/0002-second.yaml", record(2, "Second"))
    page = pages(project, monkeypatch)["0001-first.md"]
    assert 'href="../0002-second/#outcome"' in page


def test_an_empty_repository_has_an_index(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = pages(project, monkeypatch)
    assert "There are no decisions yet" in out["index.md"]
