"""The PlantUML batch: two processes on two cores, and the same bytes whatever the split."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adrgen.config import RendererConfig
from adrgen.diagrams import renderer as plantuml_renderer
from adrgen.diagrams.renderer import (
    SPLIT_BATCH,
    PipeRenderer,
    batch_jvm_options,
    position_independent,
    processes_for,
)
from adrgen.errors import RendererUnavailable
from tests.conftest import PlantumlUnderTest

TWO_CORES = len(os.sched_getaffinity(0)) >= 2


def with_notes(n: int) -> str:
    """A diagram with a floating note, as adrgen's comparison diagrams have: PlantUML 1.2020
    names it, and the hidden link that places it, from a counter that runs for the whole
    process (``GMN<n>``)."""
    return (
        "@startuml\n"
        f'package "Option {n}" {{\n'
        f'queue "Queue {n}" as q{n}\n[Worker {n}] as w{n}\nq{n} -up-> w{n} : call {n}\n'
        f"note right of q{n}\nSecurity:\n- note {n}\nend note\n"
        "}\n"
        f"note bottom\nLoad: {n} req/s\nend note\n"
        "@enduml\n"
    )


def renderer(plantuml: PlantumlUnderTest) -> PipeRenderer:
    made = plantuml_renderer.make_renderer(plantuml.renderer)
    assert isinstance(made, PipeRenderer)
    return made


def test_a_diagram_draws_the_same_bytes_wherever_it_sits_in_a_batch(
    plantuml: PlantumlUnderTest,
) -> None:
    alone = renderer(plantuml).render([with_notes(7)])[0]
    after_others = renderer(plantuml).render([with_notes(n) for n in range(5)] + [with_notes(7)])[
        -1
    ]
    assert alone.ok and after_others.ok
    assert 'id="' in alone.svg and "GMN" in alone.svg  # the case this is about
    assert alone.svg == after_others.svg
    assert "<!--MD5=" not in alone.svg


@pytest.mark.skipif(not TWO_CORES, reason="the split needs two cores")
def test_two_processes_draw_what_one_draws(
    plantuml: PlantumlUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [with_notes(n) for n in range(SPLIT_BATCH + 4)]
    assert processes_for(len(sources)) == 2
    split = renderer(plantuml).render(sources)
    monkeypatch.setattr(plantuml_renderer, "SPLIT_BATCH", 10**6)
    assert processes_for(len(sources)) == 1
    single = renderer(plantuml).render(sources)
    assert [r.svg for r in split] == [r.svg for r in single]
    assert all(r.ok for r in split)


@pytest.mark.skipif(not TWO_CORES, reason="the split needs two cores")
def test_an_error_in_the_second_process_names_its_own_diagram(plantuml: PlantumlUnderTest) -> None:
    sources = [with_notes(n) for n in range(SPLIT_BATCH + 4)]
    broken = len(sources) - 3  # in the second half
    sources[broken] = "@startuml\ncomponent A\nA -> -> ((\n@enduml\n"
    results = renderer(plantuml).render(sources)
    assert [i for i, r in enumerate(results) if not r.ok] == [broken]
    assert results[broken].line == 3


def test_a_prestarted_pair_serves_a_small_batch(plantuml: PlantumlUnderTest) -> None:
    # prestart() guessed a big batch (two processes); the batch turned out to be one diagram.
    made = renderer(plantuml)
    made.prestart(SPLIT_BATCH * 2)
    started = [process.proc for process in made._waiting]
    assert len(started) == processes_for(SPLIT_BATCH * 2)
    results = made.render([with_notes(1)])
    assert len(results) == 1 and results[0].ok
    # Every process it started has exited: the one that drew, and any it had no work for.
    assert all(proc.poll() is not None for proc in started)


def test_split_batches_keep_the_fast_starting_jit() -> None:
    config = RendererConfig()
    long_batch = plantuml_renderer.LONG_BATCH
    assert "-XX:TieredStopAtLevel=1" not in batch_jvm_options(config, {}, long_batch, 1)
    assert "-XX:TieredStopAtLevel=1" in batch_jvm_options(config, {}, long_batch, 2)


def test_position_independent_touches_ids_only() -> None:
    svg = (
        '<svg><!--MD5=[0123abcd]\nlink a to GMN41--><path id="a-GMN41"/>'
        '<g id="GMN41"/><path id="GMN40-GMN41"/><text>GMN41 is a label</text></svg>'
    )
    assert position_independent(svg) == (
        '<svg><path id="a-GMN1"/><g id="GMN1"/><path id="GMN2-GMN1"/>'
        "<text>GMN41 is a label</text></svg>"
    )


@pytest.mark.skipif(not TWO_CORES, reason="the split needs two cores")
def test_only_middle_sized_batches_are_split() -> None:
    assert processes_for(SPLIT_BATCH - 1) == 1  # a second JVM start would cost more
    assert processes_for(SPLIT_BATCH) == 2
    assert processes_for(plantuml_renderer.SPLIT_LIMIT - 1) == 2
    assert processes_for(plantuml_renderer.SPLIT_LIMIT) == 1  # one C2 process draws faster


#: Crafted to crash PlantUML on both versions: endless preprocessor recursion ends the JVM
#: with a StackOverflowError, and the rest of the batch with it unless adrgen isolates it.
CRASHER = "@startuml\n!function $f($x)\n!return $f($x)\n!endfunction\nA -> B : $f(1)\n@enduml\n"
#: PlantUML reports this one as a syntax error, and goes on.
SYNTAX_ERROR = "@startuml\nthis is -> not -> valid ((\n@enduml\n"


def counted(made: PipeRenderer) -> list[list[str]]:
    """Record the command line of every PlantUML process ``made`` starts."""
    started: list[list[str]] = []
    spawn = made._spawn

    def spawn_and_count(batch_size: int, processes: int) -> plantuml_renderer._Process:
        process = spawn(batch_size, processes)
        started.append(list(process.proc.args))  # type: ignore[arg-type]
        return process

    made._spawn = spawn_and_count  # type: ignore[method-assign]
    return started


def test_a_crash_fails_only_its_diagram(plantuml: PlantumlUnderTest) -> None:
    sources = [with_notes(n) for n in range(12)]
    sources[7] = CRASHER
    made = renderer(plantuml)
    made.identity()
    started = counted(made)
    results = made.render(sources)
    assert [i for i, r in enumerate(results) if not r.ok] == [7]
    assert "StackOverflowError" in results[7].error
    assert all("<svg" in r.svg[:300] for i, r in enumerate(results) if i != 7)
    # The crash ended the first process: the crasher gets a fresh one of its own (where it
    # crashes again, so it is to blame), and the rest a third.
    assert len(started) <= 3


def test_errors_crashes_and_exceptions_each_fail_alone(plantuml: PlantumlUnderTest) -> None:
    sources = [with_notes(n) for n in range(6)]
    sources[0] = CRASHER  # the first diagram of a fresh process
    sources[2] = SYNTAX_ERROR
    sources[4] = "@startuml\na -> b\nno end line here @enduml\n"  # never sent
    results = renderer(plantuml).render(sources)
    assert [i for i, r in enumerate(results) if not r.ok] == [0, 2, 4]
    assert "StackOverflowError" in results[0].error
    assert "Syntax Error" in results[2].error and results[2].line == 2
    assert "@enduml line" in results[4].error


def test_the_batch_after_a_crash_draws_the_same_bytes(plantuml: PlantumlUnderTest) -> None:
    clean = renderer(plantuml).render([with_notes(n) for n in range(5)])
    crashed = renderer(plantuml).render(
        [*[with_notes(n) for n in range(2)], CRASHER, *[with_notes(n) for n in range(2, 5)]]
    )
    assert [r.svg for r in clean] == [r.svg for i, r in enumerate(crashed) if i != 2]


def test_results_stream_to_the_listener_in_batch_indices(plantuml: PlantumlUnderTest) -> None:
    sources = [with_notes(n) for n in range(SPLIT_BATCH + 2)]
    sources[3] = CRASHER
    heard: dict[int, bool] = {}
    results = renderer(plantuml).render(sources, listener=lambda i, r: heard.setdefault(i, r.ok))
    assert heard == {i: r.ok for i, r in enumerate(results)}
    assert heard[3] is False and sum(heard.values()) == len(sources) - 1


def test_the_version_comes_from_the_batch_process(
    plantuml: PlantumlUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing remembered
    made = renderer(plantuml)
    started = counted(made)
    assert made.identity() == f"PlantUML {plantuml.version}" or made.identity().startswith(
        f"PlantUML {plantuml.version}."
    )
    assert made.render([with_notes(1)])[0].ok
    assert len(started) == 1  # one JVM learned the version, then drew the batch
    again = renderer(plantuml)
    counted_again = counted(again)
    assert again.identity() == made.identity()
    assert counted_again == []  # remembered: no JVM at all


def test_a_plantuml_that_cannot_start_is_unavailable_not_a_bad_diagram(
    plantuml: PlantumlUnderTest, tmp_path: Path
) -> None:
    broken = tmp_path / "plantuml"
    broken.write_text("#!/bin/sh\necho 'Error: Unable to access jarfile' >&2\nexit 1\n")
    broken.chmod(0o755)
    made = plantuml_renderer.make_renderer(RendererConfig(kind="command", command=str(broken)))
    assert made is not None
    with pytest.raises(RendererUnavailable, match="cannot run"):
        made.render([with_notes(1), with_notes(2)])
