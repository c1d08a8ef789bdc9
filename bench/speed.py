"""The speed goals of issue 14, in one run, for both PlantUML versions side by side.

    python bench/speed.py                     # every row, both versions: about 30 minutes
    python bench/speed.py --quick             # the same rows on smaller corpora, one rep each
    python bench/speed.py --adrgen /path/src  # measure the adrgen of that source tree

Every figure stands next to its baseline, measured in the same run, on the same corpus, with
the same PlantUML (``ADRGEN_RENDERER=command``: Debian's ``plantuml`` 1.2020; or
``ADRGEN_RENDERER=jar`` with ``plantuml-1.2026.*.jar``; the naive route runs the same one):

* **cold build vs naive, 37 diagrams**: a copy of this repository (its tracked files, no
  ``diagrams/``) plus 30 variants of record 0001 (new numbers and titles): 37 records, whose
  37 diagrams and the decision graph are drawn. Cold: ``adrgen build`` with no ``diagrams/``,
  ``site/``, ``.adrgen-cache/`` and a fresh ``XDG_CACHE_HOME``. Naive: plain MkDocs with
  plantuml-markdown drawing every diagram as a fenced block, one JVM each
  (``bench/run.py``'s naive route).
* **cold build vs naive, 200 diagrams**: ``bench/corpus.py``'s corpus of 154 records (their 154
  diagrams and 46 parts of the decision graph).
* **cold build vs its floor**: one JVM start (a one-diagram batch, C1) + every diagram at warm
  speed (one C2 JVM drawing the batch twice: the second pass) shared over the cores + a plain
  ``mkdocs build`` of the same pages (``adrgen build --pages-only``). Also shown: one
  PlantUML batch in one process (``bench/run.py``'s floor).
* **live preview**: ``adrgen serve`` on a free port; a record's title is edited and the
  decision's page is polled over HTTP until it shows the new title; median of the edits.
* **no-op build vs MkDocs**: a second ``adrgen build`` with nothing changed, against a plain
  ``mkdocs build`` of the pages ``adrgen build --pages-only`` writes, 50 records.
* **adrgen validate** on 1000 records, less a bare interpreter's start-up.

It prints one table (measure | each version's figure, baseline, ratio | goal | met?), a table
of the parts, and writes ``bench/results/speed-goals.json`` (``speed-goals-quick.json``).
Helpers (shims that count PlantUML processes, measuring, the naive route, the serve poll)
come from ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (bench/run.py: the shared helpers)
from run import Bench, Measured, checked, measure, median  # noqa: E402

RESULTS = BENCH / "results"
HEADLESS = "-Djava.awt.headless=true"
#: The JVM start of the floor: C1 only starts fastest (bench/run.py's JVM table).
START_OPTIONS = f"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC {HEADLESS}"
#: The warm speed of the floor: C2, once compiled, draws fastest.
WARM_OPTIONS = f"-XX:+UseSerialGC {HEADLESS}"
RECORD_0001 = "0001-notification-delivery.yaml"
#: "200 diagrams": bench/corpus.py's records draw one diagram each, and the decision graph one
#: per group of linked records (46 groups among 154 records): 154 + 46 = 200.
BIG_RECORDS = 154
#: The scenarios, in the order they run (``--rows``).
ROWS = ("small", "big", "noop", "validate", "serve_small", "serve_big")


@dataclass(frozen=True)
class Plantuml:
    """One PlantUML under test: how adrgen is told to use it, and how to run it directly."""

    name: str
    env: dict[str, str]
    command: tuple[str, ...]


def plantumls(jar: Path | None) -> list[Plantuml]:
    """Debian's ``plantuml`` (1.2020) and the jar (1.2026); both must be there."""
    if shutil.which("plantuml") is None:
        raise SystemExit("bench: Debian's plantuml is missing (apt-get install plantuml)")
    if jar is None or not jar.is_file():
        raise SystemExit(f"bench: the PlantUML 1.2026 jar is missing ({jar}); pass --jar")
    return [
        Plantuml("1.2020", {"ADRGEN_RENDERER": "command"}, ("plantuml",)),
        Plantuml(
            "1.2026",
            {"ADRGEN_RENDERER": "jar", "ADRGEN_PLANTUML_JAR": str(jar)},
            ("java", "-jar", str(jar)),
        ),
    ]


def default_jar() -> Path | None:
    """``tools/plantuml/plantuml-1.2026.*.jar`` here, or in the main checkout of a worktree."""
    roots = [ROOT]
    common = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if common:
        roots.append(Path(common).parent)
    for root in roots:
        found = sorted((root / "tools" / "plantuml").glob("plantuml-1.2026*.jar"))
        if found:
            return found[-1]
    return None


# ---------------------------------------------------------------------------------------------
# Corpora (deterministic)


def repository_copy(target: Path, variants: int = 30) -> Path:
    """This repository's tracked docs files (not its code, tests or ``diagrams/``) and
    ``variants`` copies of record 0001 numbered after the last record: titles changed, links
    dropped."""
    if target.exists():
        shutil.rmtree(target)
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True
    ).stdout.decode()
    skip = ("adrgen/", "tests/", "bench/", "diagrams/", "site/", "scripts/", "tools/", ".")
    for name in filter(None, tracked.split("\0")):
        if name.startswith(skip):
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    decisions = target / "decisions"
    # 0001's links are one-way from a copy (its targets do not list it back): dropped.
    source = re.sub(r"^links:\n(?:  .*\n)+", "", (decisions / RECORD_0001).read_text(), flags=re.M)
    last = max(int(p.name[:4]) for p in decisions.glob("[0-9][0-9][0-9][0-9]-*.yaml"))
    for k in range(last + 1, last + 1 + variants):
        text = re.sub(
            r'^title: "(.*?)"$',
            lambda m, k=k: f'title: "{m[1]} (variant {k})"',
            source,
            count=1,
            flags=re.M,
        )
        (decisions / f"{k:04d}-notification-delivery-variant-{k}.yaml").write_text(text)
    return target


def records_of(project: Path) -> int:
    return len(list((project / "decisions").glob("*.yaml")))


# ---------------------------------------------------------------------------------------------
# Scenarios, each for one PlantUML


def _round(values: Sequence[float], digits: int = 2) -> list[float]:
    return [round(v, digits) for v in values]


def _wall(runs: Sequence[Measured]) -> float:
    return round(median([r.wall for r in runs]), 2)


def cold_against_naive_and_floor(
    bench: Bench, project: Path, puml: Plantuml, reps: int, label: str
) -> dict[str, Any]:
    """Cold builds, plain mkdocs builds and the floor's PlantUML runs (interleaved), then the
    naive route once."""
    work = bench.work / f"{label}-{puml.name}"
    work.mkdir(parents=True, exist_ok=True)
    pages = work / "pages"
    cores = len(os.sched_getaffinity(0))
    cold: list[Measured] = []
    cold_calls: list[dict[str, int]] = []
    plain: list[Measured] = []
    batch: list[Measured] = []
    start: list[Measured] = []
    single: list[Measured] = []
    double: list[Measured] = []
    plain_cfg = warm_project = tiny = None
    env: dict[str, str] = {}
    for rep in range(reps):
        _log(f"{label}, PlantUML {puml.name}: cold build ({rep + 1}/{reps})")
        runs, counted, xdg = run.cold_builds(bench, project, 1, rep)
        cold += runs
        cold_calls += counted
        env = bench.env(xdg)
        if plain_cfg is None:
            plain_cfg = run.plain_config(bench, project, pages, work / "plain-site", env)
            warm_project = _twice(project, work / "warm")
            tiny = work / "tiny"
            (tiny / "diagrams").mkdir(parents=True, exist_ok=True)
            (tiny / "diagrams" / "tiny.puml").write_text("@startuml\nA -> B\n@enduml\n")
        _log(f"{label}, PlantUML {puml.name}: floor parts ({rep + 1}/{reps})")
        plain.append(
            checked(
                measure([bench.mkdocs, "build", "-q", "-f", str(plain_cfg)], cwd=project, env=env),
                "plain mkdocs",
            )
        )
        batch += run.floor_batches(bench, project, env, 1, command=puml.command)
        start += run.floor_batches(bench, tiny, env, 3, START_OPTIONS, command=puml.command)
        single += run.floor_batches(bench, project, env, 1, WARM_OPTIONS, command=puml.command)
        double += run.floor_batches(bench, warm_project, env, 1, WARM_OPTIONS, command=puml.command)
    diagrams = len(list((project / "diagrams").glob("*.puml")))
    warm_per_diagram = max(0.0, (_wall(double) - _wall(single)) / diagrams)
    floor = _wall(start) + diagrams * warm_per_diagram / cores + _wall(plain)
    out: dict[str, Any] = {
        "records": records_of(project),
        "diagrams": diagrams,
        "cold": run._stats(cold)
        | {"plantuml_processes": cold_calls[-1], "summary": run.summary_of(cold[-1].output)},
        "plain_mkdocs": run._stats(plain),
        "batch_one_process": run._stats(batch),
        "jvm_start_s": _wall(start),
        "warm_single_pass": run._stats(single),
        "warm_two_passes": run._stats(double),
        "warm_ms_per_diagram": round(1000 * warm_per_diagram, 1),
        "cores": cores,
        "floor_s": round(floor, 2),
        "batch_floor_s": round(_wall(batch) + _wall(plain), 2),
    }
    out["floor_ratio"] = round(out["cold"]["wall_s"] / floor, 2)

    _log(f"{label}, PlantUML {puml.name}: naive route ({diagrams} JVMs)")
    naive_docs = work / "naive"
    fences = run.naive_pages(pages, project / "diagrams", naive_docs)
    naive_cfg = run.plain_mkdocs_config(
        project, naive_docs, work / "naive-site", naive=True, plantuml_cmd=" ".join(puml.command)
    )
    result, calls = bench.plantuml_calls(
        lambda: measure([bench.mkdocs, "build", "-q", "-f", str(naive_cfg)], cwd=project, env=env)
    )
    out["naive"] = run._stats([checked(result, "naive route")]) | {
        "plantuml_processes": calls,
        "fences": fences,
    }
    if fences != diagrams or calls["total"] != diagrams:
        _log(f"  warning: {fences} fences, {calls['total']} JVMs for {diagrams} diagrams")
    out["naive_ratio"] = round(out["naive"]["wall_s"] / out["cold"]["wall_s"], 1)
    return out


def _twice(project: Path, target: Path) -> Path:
    """A folder whose ``diagrams/`` holds every ``.puml`` twice: a- copies, then b- copies."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "diagrams").mkdir(parents=True)
    for source in sorted((project / "diagrams").glob("*.puml")):
        for prefix in ("a", "b"):
            shutil.copy2(source, target / "diagrams" / f"{prefix}-{source.name}")
    return target


def noop_against_mkdocs(bench: Bench, n: int, puml: Plantuml, reps: int) -> dict[str, Any]:
    """A second ``adrgen build``, nothing changed, against plain MkDocs on the same pages."""
    label = f"noop{n}-{puml.name}"
    project = run.make_project(n, bench.work / label)
    xdg = bench.work / f"xdg-{label}"
    shutil.rmtree(xdg, ignore_errors=True)
    env = bench.env(xdg)
    _log(f"no-op, {n} records, PlantUML {puml.name}: cold build, pages, one warm-up build")
    checked(measure([bench.adrgen, "build", "-q"], cwd=project, env=env), "cold build")
    pages = bench.work / f"{label}-pages"
    checked(
        measure([bench.adrgen, "build", "-q", "--pages-only", str(pages)], cwd=project, env=env),
        "pages-only",
    )
    cfg = run.plain_mkdocs_config(project, pages, bench.work / f"{label}-site", naive=False)
    checked(measure([bench.adrgen, "build", "-q"], cwd=project, env=env), "warm-up build")
    noop: list[Measured] = []
    plain: list[Measured] = []
    calls: list[dict[str, int]] = []
    for rep in range(reps):
        _log(f"no-op, {n} records, PlantUML {puml.name}: ({rep + 1}/{reps})")
        result, counted = bench.plantuml_calls(
            lambda: measure([bench.adrgen, "build", "-v"], cwd=project, env=env)
        )
        noop.append(checked(result, "no-op build"))
        calls.append(counted)
        plain.append(
            checked(
                measure([bench.mkdocs, "build", "-q", "-f", str(cfg)], cwd=project, env=env),
                "plain mkdocs",
            )
        )
    out = {
        "records": n,
        "noop": run._stats(noop)
        | {
            "plantuml_processes_max": max(c["total"] for c in calls),
            "summary": run.summary_of(noop[-1].output),
        },
        "plain_mkdocs": run._stats(plain),
    }
    out["noop_ratio"] = round(out["noop"]["wall_s"] / out["plain_mkdocs"]["wall_s"], 2)
    return out


def serve_edit_to_page(bench: Bench, n: int, puml: Plantuml, edits: int) -> dict[str, Any]:
    """``adrgen serve``: seconds from saving a record to its page showing the new title."""
    label = f"serve{n}-{puml.name}"
    project = run.make_project(n, bench.work / label)
    xdg = bench.work / f"xdg-{label}"
    shutil.rmtree(xdg, ignore_errors=True)
    _log(f"serve, {n} records, PlantUML {puml.name}: first build, then {edits} edit(s)")
    began = time.perf_counter()
    times = run.serve_reloads(
        bench, project, bench.env(xdg), edits, [n // 3 + k for k in range(max(edits, 1))]
    )
    return {
        "records": n,
        "edits": edits,
        "median_s": round(median(times), 2),
        "runs_s": _round(times),
        "total_s": round(time.perf_counter() - began, 1),
    }


def validate_beyond_startup(bench: Bench, n: int, puml: Plantuml, reps: int) -> dict[str, Any]:
    """``adrgen validate`` on ``n`` records, against a bare interpreter (bench/run.py)."""
    label = f"validate{n}"
    project = bench.work / label
    if not project.is_dir():
        run.make_project(n, project)
    _log(f"validate, {n} records, PlantUML {puml.name}")
    env = bench.env(bench.work / f"xdg-{label}")
    return {"records": n} | run.validate_times(bench, project, env, reps)


# ---------------------------------------------------------------------------------------------
# Goals and tables


@dataclass(frozen=True)
class Goal:
    """One row: how to read each version's figure, its baseline and their ratio."""

    key: str
    measure: str
    goal: str
    read: Callable[[dict[str, Any]], tuple[str, str, str, bool]]


def _ratio_row(
    scenario: str, at_least: dict[str, float]
) -> Callable[[dict[str, Any]], tuple[str, str, str, bool]]:
    def read(v: dict[str, Any]) -> tuple[str, str, str, bool]:
        s = v[scenario]
        ratio = s["naive_ratio"]
        return (
            f"{s['cold']['wall_s']:.1f} s",
            f"{s['naive']['wall_s']:.1f} s naive",
            f"{ratio:.1f}×",
            ratio >= at_least[v["plantuml"]],
        )

    return read


def _floor_row(scenario: str) -> Callable[[dict[str, Any]], tuple[str, str, str, bool]]:
    def read(v: dict[str, Any]) -> tuple[str, str, str, bool]:
        s = v[scenario]
        return (
            f"{s['cold']['wall_s']:.1f} s",
            f"{s['floor_s']:.1f} s floor",
            f"{s['floor_ratio']:.2f}×",
            s["floor_ratio"] <= 1.2,
        )

    return read


def _serve_row(key: str, at_most: float) -> Callable[[dict[str, Any]], tuple[str, str, str, bool]]:
    def read(v: dict[str, Any]) -> tuple[str, str, str, bool]:
        s = v[key]
        runs = ", ".join(f"{t:.1f}" for t in s["runs_s"])
        return f"{s['median_s']:.2f} s", f"runs {runs}", "–", s["median_s"] <= at_most

    return read


def _noop(v: dict[str, Any]) -> tuple[str, str, str, bool]:
    s = v["noop"]
    return (
        f"{s['noop']['wall_s']:.2f} s",
        f"{s['plain_mkdocs']['wall_s']:.2f} s mkdocs",
        f"{s['noop_ratio']:.2f}×",
        s["noop_ratio"] <= 1.2,
    )


def _validate(v: dict[str, Any]) -> tuple[str, str, str, bool]:
    s = v["validate"]
    return (
        f"{s['beyond_startup_s']:.2f} s",
        f"{s['validate_s']:.2f} − {s['bare_interpreter_s']:.3f} s",
        "–",
        s["beyond_startup_s"] <= 0.5,
    )


def goals(sizes: dict[str, Any]) -> list[Goal]:
    small, big = sizes.get("small_diagrams", 38), sizes.get("big_diagrams", 200)
    serve_small, serve_big = sizes["serve_small"], sizes["serve_big"]
    big_goal = {"1.2026": 20.0, "1.2020": 15.0}
    return [
        Goal(
            "naive_small",
            f"cold build vs naive, {small} diagrams",
            "≥12× (1.2026), ≥10× (1.2020)",
            _ratio_row("small", {"1.2026": 12.0, "1.2020": 10.0}),
        ),
        Goal(
            "naive_big",
            f"cold build vs naive, {big} diagrams",
            "≥20× (1.2026), ≥15× (1.2020)",
            _ratio_row("big", big_goal),
        ),
        Goal(
            "floor_small",
            f"cold build vs its floor, {small} diagrams",
            "≤1.2×",
            _floor_row("small"),
        ),
        Goal("floor_big", f"cold build vs its floor, {big} diagrams", "≤1.2×", _floor_row("big")),
        Goal(
            "serve_small",
            f"serve: edit → page shows it, {serve_small} records (median)",
            "≤1 s",
            _serve_row("serve_small", 1.0),
        ),
        Goal(
            "serve_big",
            f"serve: edit → page shows it, {serve_big} records (median)",
            "≤3 s",
            _serve_row("serve_big", 3.0),
        ),
        Goal(
            "noop",
            f"no-op build vs mkdocs, {sizes['noop']} records",
            "≤1.2×",
            _noop,
        ),
        Goal(
            "validate",
            f"adrgen validate, {sizes['validate']} records, beyond start-up",
            "≤0.5 s",
            _validate,
        ),
    ]


def verdict_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for g in goals(result["sizes"]):
        row: dict[str, Any] = {"key": g.key, "measure": g.measure, "goal": g.goal}
        for name, v in result["versions"].items():
            try:
                figure, baseline, ratio, met = g.read(v | {"plantuml": name})
            except KeyError:
                continue
            row[name] = {"figure": figure, "baseline": baseline, "ratio": ratio, "met": met}
        rows.append(row)
    return rows


def table(result: dict[str, Any]) -> str:
    names = list(result["versions"])
    head = ["measure"]
    for name in names:
        head += [f"{name} figure", "baseline", "ratio"]
    head += ["goal", "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in result["verdicts"]:
        cells = [row["measure"]]
        mets = []
        for name in names:
            r = row.get(name)
            if r is None:
                cells += ["–", "–", "–"]
                mets.append(f"{name} –")
                continue
            cells += [f"**{r['figure']}**", r["baseline"], r["ratio"]]
            mets.append(f"{name} {'yes' if r['met'] else '**no**'}")
        cells += [row["goal"], ", ".join(mets)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parts_table(result: dict[str, Any]) -> str:
    head = (
        "| PlantUML | corpus | records (diagrams) | cold build: wall, CPU | naive route (per diagram) "
        "| one batch, one process | JVM start | warm per diagram | plain mkdocs | floor | "
        "PlantUML processes: cold / naive |"
    )
    lines = [head, "|" + "---|" * 11]
    for name, v in result["versions"].items():
        for key in ("small", "big"):
            s = v.get(key)
            if not s:
                continue
            d = s["diagrams"]
            lines.append(
                f"| {name} | {key} | {s['records']} ({d}) | {s['cold']['wall_s']:.1f} s, {s['cold']['cpu_s']:.1f} s "
                f"| {s['naive']['wall_s']:.1f} s ({1000 * s['naive']['wall_s'] / d:.0f} ms) "
                f"| {s['batch_one_process']['wall_s']:.1f} s | {s['jvm_start_s']:.2f} s "
                f"| {s['warm_ms_per_diagram']:.0f} ms | {s['plain_mkdocs']['wall_s']:.1f} s "
                f"| {s['floor_s']:.1f} s | {s['cold']['plantuml_processes']['total']} / "
                f"{s['naive']['plantuml_processes']['total']} |"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def busy_fraction(seconds: float = 3.0) -> float:
    """The share of all cores busy over the next ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def _wait_for_idle(busy: float, at_most: float) -> float:
    """The machine may be shared: wait a while for others' work to end before timing."""
    deadline = time.monotonic() + at_most
    now = busy_fraction()
    if now >= busy:
        _log(f"waiting up to {at_most:.0f} s for the CPUs to be idle ({now:.0%} busy)")
    while now >= busy and time.monotonic() < deadline:
        now = busy_fraction()
    return round(now, 2)


def _log(text: str) -> None:
    print(f"  {text}", file=sys.stderr, flush=True)


def _use_adrgen(source: Path | None) -> dict[str, str]:
    """Put ``source`` first on every command's PYTHONPATH; say which adrgen is measured."""
    if source is not None:
        source = source.resolve()
        if not (source / "adrgen" / "__init__.py").is_file():
            raise SystemExit(f"bench: no adrgen package in {source}")
        sys.path.insert(0, str(source))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(source), os.environ.get("PYTHONPATH", "")])
        )
    probe = subprocess.run(
        [sys.executable, "-c", "import adrgen, adrgen.cli; print(adrgen.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    if probe.returncode != 0:
        raise SystemExit(f"bench: the adrgen to measure does not import:\n{probe.stderr[-2000:]}")
    tree = Path(probe.stdout.strip()).parent.parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tree), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "source": str(tree),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes_in_adrgen": bool(git("status", "--porcelain", "adrgen")),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="check the harness: 60 records instead of 200, serve at 30 and 150, one rep",
    )
    parser.add_argument("--jar", type=Path, default=default_jar(), help="PlantUML 1.2026 jar")
    parser.add_argument(
        "--adrgen", type=Path, help="an adrgen source tree to measure (default: the installed)"
    )
    parser.add_argument("--only", choices=["1.2020", "1.2026"], help="one PlantUML only")
    parser.add_argument(
        "--rows",
        type=lambda text: text.split(","),
        default=list(ROWS),
        help=f"the scenarios to run, comma-separated (default: all of {','.join(ROWS)})",
    )
    parser.add_argument(
        "--idle-busy",
        type=float,
        default=0.25,
        help="before each scenario, wait until less than this share of the CPUs is busy",
    )
    parser.add_argument(
        "--idle-wait", type=float, default=45, help="…but for at most this many seconds"
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: temporary, removed)")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/…)")
    args = parser.parse_args(argv)
    if (
        sys.prefix == sys.base_prefix
        or shutil.which("dot") is None
        or not (Path(sys.executable).parent / "mkdocs").exists()
    ):
        run._ensure_environment()
    adrgen = _use_adrgen(args.adrgen)
    versions = [p for p in plantumls(args.jar) if args.only in (None, p.name)]
    quick = args.quick
    reps = 1 if quick else 2
    big_records = 60 if quick else BIG_RECORDS
    serve_sizes = (30, 150) if quick else (100, 1000)
    validate_records = 150 if quick else 1000
    edits = 1 if quick else 3
    out = args.out or RESULTS / f"speed-goals{'-quick' if quick else ''}.json"

    began = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="adrgen-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"bench: work folder {work}", file=sys.stderr)
    bench = Bench(work)
    result: dict[str, Any] = {
        "benchmark": "adrgen speed goals (issue 14), both PlantUML versions",
        "command": "python bench/speed.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": run.machine() | {"adrgen_measured": adrgen},
        "plantuml_versions": {},
        "calibration_s_start": run.calibrate(),
        "load_avg_start": _round(os.getloadavg()),
        "versions": {p.name: {} for p in versions},
    }
    result["sizes"] = {
        "serve_small": serve_sizes[0],
        "serve_big": serve_sizes[1],
        "noop": 50,
        "validate": validate_records,
    }

    def save() -> None:
        """The results so far (a run that fails late keeps its earlier figures)."""
        result["verdicts"] = verdict_rows(result)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    try:
        small = repository_copy(work / "repo37")
        big = run.make_project(big_records, work / f"n{big_records}")

        def each(key: str, scenario: Callable[[Plantuml], dict[str, Any]]) -> None:
            if key not in args.rows:
                return
            for puml in versions:
                bench.renderer_env = puml.env
                idle = _wait_for_idle(args.idle_busy, args.idle_wait)
                figures = scenario(puml) | {"cpus_busy_before": idle}
                result["versions"][puml.name][key] = figures
                if key in ("small", "big"):
                    result["sizes"][f"{key}_diagrams"] = figures["diagrams"]
                save()

        for puml in versions:
            probe = subprocess.run(
                [*puml.command, "-version"], capture_output=True, text=True, check=False
            )
            result["plantuml_versions"][puml.name] = (probe.stdout or "?").splitlines()[0]
        each("small", lambda p: cold_against_naive_and_floor(bench, small, p, reps, "small"))
        each("big", lambda p: cold_against_naive_and_floor(bench, big, p, reps, "big"))
        each("noop", lambda p: noop_against_mkdocs(bench, 50, p, reps + 1))
        each("validate", lambda p: validate_beyond_startup(bench, validate_records, p, 5))
        each("serve_small", lambda p: serve_edit_to_page(bench, serve_sizes[0], p, edits))
        each("serve_big", lambda p: serve_edit_to_page(bench, serve_sizes[1], p, edits))
    finally:
        bench.renderer_env = {}
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    result["calibration_s_end"] = run.calibrate()
    result["load_avg_end"] = _round(os.getloadavg())
    result["duration_s"] = round(time.monotonic() - began)
    save()
    m = result["machine"]
    print(
        f"\n{m['nproc']} × {m['cpu']}; {m['java']}; "
        + "; ".join(f"{k}: {v}" for k, v in result["plantuml_versions"].items())
        + f"; mkdocs {m['mkdocs']}, material {m['mkdocs-material']}, "
        f"plantuml-markdown {m['plantuml-markdown']}; adrgen {adrgen['source']} at "
        f"{adrgen['commit']}{' (uncommitted changes)' if adrgen['uncommitted_changes_in_adrgen'] else ''}; "
        f"load average {result['load_avg_start'][0]} → {result['load_avg_end'][0]}; "
        f"{result['duration_s'] // 60} min {result['duration_s'] % 60} s\n"
    )
    print(table(result))
    print()
    print(parts_table(result))
    print(f"\n{out} written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
