"""The progress bar: counted from the real PlantUML stream, drawn only on a terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from adrgen.diagrams.renderer import PipeRenderer, make_renderer
from adrgen.progress import MIN_DIAGRAMS, ProgressBar, render_line
from tests.conftest import PlantumlUnderTest
from tests.helpers import MINIMAL_RECORD, run_adrgen, write_record


def diagram(n: int) -> str:
    return f"@startuml\nrectangle R{n}\nR{n} --> R{n + 1} : step {n}\n@enduml\n"


def test_the_line_fills_in_proportion() -> None:
    assert render_line("rendering diagrams", 0, 30) == f"rendering diagrams [{'.' * 30}] 0/30"
    assert render_line("x", 10, 30) == f"x [{'#' * 10}{'.' * 20}] 10/30"
    assert render_line("x", 30, 30) == f"x [{'#' * 30}] 30/30"


def test_the_bar_redraws_one_line_and_erases_itself() -> None:
    stream = io.StringIO()
    now = [100.0]
    bar = ProgressBar(stream, clock=lambda: now[0])
    bar(1, 40)
    now[0] += 0.05
    bar(2, 40)  # within 0.1 s of the first: skipped
    bar(40, 40)  # the end is always drawn
    bar.close()
    drawn = stream.getvalue()
    assert drawn == (
        "\r\033[K"
        + render_line("rendering diagrams", 1, 40)
        + "\r\033[K"
        + render_line("rendering diagrams", 40, 40)
        + "\r\033[K"
    )
    assert "\n" not in drawn


def test_small_batches_get_no_bar() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(MIN_DIAGRAMS - 1, MIN_DIAGRAMS - 1)
    bar.close()
    assert stream.getvalue() == ""


def test_a_closed_terminal_turns_the_bar_off_instead_of_failing() -> None:
    stream = io.StringIO()
    stream.close()
    bar = ProgressBar(stream)
    bar(20, 20)  # no ValueError from the closed stream
    bar.close()


def test_the_real_batch_reports_every_diagram_in_order(plantuml: PlantumlUnderTest) -> None:
    renderer = make_renderer(plantuml.renderer)
    assert isinstance(renderer, PipeRenderer)
    sources = [diagram(n) for n in range(25)]
    seen: list[tuple[int, int]] = []
    results = renderer.render(sources, lambda d, t: seen.append((d, t)))
    assert len(results) == 25 and all(r.ok for r in results)
    assert seen[-1] == (25, 25)
    assert all(total == 25 for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(set(done)), "each count once, never backwards"
    # Same SVGs as a batch rendered without anyone watching.
    quiet = make_renderer(plantuml.renderer)
    assert quiet is not None
    assert [r.svg for r in quiet.render(sources)] == [r.svg for r in results]


def test_a_failing_diagram_still_counts_and_is_reported(plantuml: PlantumlUnderTest) -> None:
    renderer = make_renderer(plantuml.renderer)
    assert renderer is not None
    sources = [diagram(n) for n in range(12)]
    sources[5] = "@startuml\nthis is -> not -> valid ((\n@enduml\n"
    seen: list[tuple[int, int]] = []
    results = renderer.render(sources, lambda d, t: seen.append((d, t)))
    assert seen[-1] == (12, 12)
    assert [i for i, r in enumerate(results) if not r.ok] == [5]


def run_in_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run the CLI with stdout and stderr on a pseudo-terminal; everything it wrote."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=follower, stderr=follower)
    os.close(follower)
    out = bytearray()
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for 120 s; so far: {out!r}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, out.decode()
    return out.decode("utf-8", "replace")


@pytest.fixture
def twelve_records(docs_repo: Path) -> Path:
    for n in range(1, 13):
        write_record(
            docs_repo,
            f"{n:04d}-r{n}.yaml",
            MINIMAL_RECORD.replace("A small decision", f"Decision {n}"),
        )
    return docs_repo


def test_render_on_a_terminal_shows_the_bar_then_only_the_summary(
    plantuml: PlantumlUnderTest, twelve_records: Path
) -> None:
    env = {**os.environ, "TERM": "xterm"}
    shown = run_in_terminal([sys.executable, "-m", "adrgen", "render"], twelve_records, env)
    assert "rendering diagrams [" in shown
    assert f"[{'#' * 30}] 13/13" in shown  # 12 records and the decision graph
    # The bar erased itself: what remains on screen after the last erase is the summary.
    screen = shown.rsplit("\r\033[K", 1)[-1]
    assert screen.strip().startswith("13 diagram(s): 13 rendered, 0 reused"), screen
    assert screen.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "env_extra"),
    [(["-q"], {}), (["-v"], {}), ([], {"TERM": "dumb"})],
    ids=["quiet", "verbose", "dumb-terminal"],
)
def test_no_bar_when_quiet_verbose_or_dumb(
    plantuml: PlantumlUnderTest, twelve_records: Path, extra: list[str], env_extra: dict[str, str]
) -> None:
    env = {**os.environ, "TERM": "xterm", **env_extra}
    shown = run_in_terminal([sys.executable, "-m", "adrgen", *extra, "render"], twelve_records, env)
    assert "rendering diagrams" not in shown and "\r" not in shown.replace("\r\n", "\n")


def test_no_bar_in_a_log(plantuml: PlantumlUnderTest, twelve_records: Path) -> None:
    env = dict(os.environ)
    result = run_adrgen("render", cwd=twelve_records, env=env)
    assert result.returncode == 0, result.stderr
    assert "rendering diagrams" not in result.stderr and "\r" not in result.stderr
    assert result.stderr.startswith("13 diagram(s): 13 rendered")


def test_build_on_a_terminal_shows_the_bar(
    plantuml: PlantumlUnderTest, twelve_records: Path
) -> None:
    (twelve_records / "mkdocs.yml").write_text(
        "site_name: t\ntheme: {name: material}\nplugins: [search, tags, adrgen]\n"
    )
    (twelve_records / "docs").mkdir()
    env = {**os.environ, "TERM": "xterm"}
    shown = run_in_terminal([sys.executable, "-m", "adrgen", "build"], twelve_records, env)
    assert f"[{'#' * 30}] 13/13" in shown
    # After the bar is erased, only the summary (naming the PlantUML used) and the site.
    after = shown.rsplit("\r\033[K", 1)[-1].strip().splitlines()
    assert after[0].startswith("adrgen: 12 decision(s), 13 diagram(s): 13 rendered"), after
    assert after[-1].startswith("site written to"), after
