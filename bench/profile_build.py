"""Where a cold build's time goes, and a serve edit's, for each PlantUML version.

    python bench/profile_build.py                          # 200 diagrams, both versions
    python bench/profile_build.py --serve 100              # and one serve edit, 100 records
    python bench/profile_build.py --adrgen /path/src       # the adrgen of that source tree

Needs ``py-spy`` (``pip install py-spy``; ``--py-spy PATH``), which samples every thread of
adrgen and of the processes it forks. For each version it runs one cold build under py-spy
(timing shims log when each PlantUML JVM started and ended) and sorts the samples of each
thread into the build's phases. With ``--serve N`` it attaches py-spy to ``adrgen serve``
for one edit (title changed → page served with it).
The raw stacks stay in the work folder (``--work``) for a flame graph.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402
import speed  # noqa: E402

RATE = 100
#: A sample's phase: the first rule whose text is in its stack (root to leaf, joined).
PHASES = [
    ("imports", ("_find_and_load",)),
    ("waiting for the PlantUML batch to end", ("_wait (adrgen/pipeline.py",)),
    ("MkDocs page waiting for its diagram", ("result_of (adrgen/pipeline.py",)),
    ("PlantUML pipe I/O (adrgen thread)", ("adrgen/diagrams/renderer.py",)),
    ("MkDocs: Markdown + theme, per page", ("_build_page (mkdocs/commands/build.py",)),
    ("adrgen: generate pages", ("adrgen/site/pages.py", "adrgen/templating.py")),
    (
        "adrgen: load + validate records",
        ("load_documents", "load_records", "load_decisions", "adrgen/records/"),
    ),
    ("adrgen: plan diagrams", ("plan_diagrams", "adrgen/diagrams/plan.py")),
    ("adrgen: copy SVGs, finish", ("_complete (adrgen/pipeline.py", "adrgen/diagrams/cache.py")),
    ("MkDocs: search index", ("search/search_index.py",)),
    ("MkDocs: config, files, nav, theme", ("mkdocs/", "material/")),
]


def _py_spy(py_spy: str, raw: Path) -> list[str]:
    """py-spy recording every thread and child, idle ones too, as raw stacks into ``raw``."""
    return [
        py_spy,
        "record",
        "--threads",
        "--idle",
        "--subprocesses",
        "--rate",
        str(RATE),
        "--format",
        "raw",
        "-o",
        str(raw),
    ]


def phase_of(stack: str) -> str:
    for name, marks in PHASES:
        if any(mark in stack for mark in marks):
            return name
    return "other"


def summarise(raw: Path) -> dict[str, Any]:
    """Seconds per process, thread and phase, from py-spy's raw (collapsed) output. The
    first process is adrgen; later ones are processes it forked (parsing, page generation).
    """
    threads: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        process = re.match(r"process (\d+):", frames[0])
        thread = re.match(r"thread \((\d+)\)", frames[1]) if len(frames) > 1 else None
        if not process or not thread:
            continue
        pid = int(process.group(1))
        role = "main thread" if int(thread.group(1)) == pid else "other thread"
        threads[(pid, role)][phase_of(";".join(frames[2:]))] += int(count)
    first = min((pid for pid, _ in threads), default=0)
    return {
        f"{'adrgen' if pid == first else f'forked child {pid}'}, {role}": {
            phase: round(n / RATE, 2) for phase, n in counts.most_common()
        }
        | {"total": round(sum(counts.values()) / RATE, 2)}
        for (pid, role), counts in sorted(threads.items(), key=lambda kv: -sum(kv[1].values()))
    }


def timing_shims(folder: Path, log: Path) -> None:
    """``plantuml`` and ``java`` that log when they started and ended (epoch seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("plantuml", "java"):
        real = shutil.which(name)
        if real is None:
            continue
        shim = folder / name
        shim.write_text(
            "#!/bin/sh\n"
            "start=$(date +%s.%N)\n"
            f'{real} "$@"\n'
            "rc=$?\n"
            f'printf \'%s %s %s\\n\' "$start" "$(date +%s.%N)" "$*" >> {log}\n'
            "exit $rc\n"
        )
        shim.chmod(0o755)


def spans(log: Path, began: float) -> list[dict[str, Any]]:
    rows = []
    for line in log.read_text().splitlines() if log.exists() else []:
        start, end, argv = line.split(" ", 2)
        kind = "version" if "-version" in argv.split() else "batch"
        rows.append(
            {
                "kind": kind,
                "from_s": round(float(start) - began, 2),
                "to_s": round(float(end) - began, 2),
            }
        )
    return rows


def cold_profile(
    bench: run.Bench, project: Path, puml: speed.Plantuml, py_spy: str, work: Path
) -> dict[str, Any]:
    env = bench.env(work / "xdg-unused")
    shims = work / f"timing-bin-{puml.name}"
    log = work / f"timing-{puml.name}.log"
    timing_shims(shims, log)
    env["PATH"] = f"{shims}:{env['PATH']}"
    python = str(Path(bench.adrgen).parent / "python")

    def fresh() -> None:
        for leftover in ("diagrams", "site", ".adrgen-cache"):
            shutil.rmtree(project / leftover, ignore_errors=True)
        xdg = work / f"xdg-profile-{puml.name}"
        shutil.rmtree(xdg, ignore_errors=True)
        env["XDG_CACHE_HOME"] = str(xdg)

    fresh()
    log.write_text("")
    raw = work / f"cold-{project.name}-{puml.name}.txt"
    began = time.time()
    profiled = run.checked(
        run.measure(
            [
                *_py_spy(py_spy, raw),
                "--",
                python,
                "-m",
                "adrgen",
                "build",
            ],
            cwd=project,
            env=env,
        ),
        "profiled build",
    )
    return {
        "records": speed.records_of(project),
        "diagrams": len(list((project / "diagrams").glob("*.puml"))),
        "profiled_wall_s": round(profiled.wall, 2),
        "profiled_cpu_s": round(profiled.cpu, 2),
        "plantuml_jvms": spans(log, began),
        "seconds_by_thread_and_phase": summarise(raw),
        "raw_stacks": str(raw),
    }


def serve_profile(
    bench: run.Bench, n: int, puml: speed.Plantuml, py_spy: str, work: Path
) -> dict[str, Any]:
    """One edit under ``adrgen serve``, with py-spy attached from just before the edit."""
    project = run.make_project(n, work / f"serve{n}-{puml.name}")
    env = bench.env(work / f"xdg-serve-{puml.name}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    python = str(Path(bench.adrgen).parent / "python")
    serve_log = (work / f"serve-{puml.name}.log").open("wb")
    proc = subprocess.Popen(
        [python, "-m", "adrgen", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
    )
    raw = work / f"serve-{n}-{puml.name}.txt"
    try:
        records = sorted((project / "decisions").glob("*.yaml"))
        path = records[n // 3]
        url = f"http://127.0.0.1:{port}/{path.stem}/"
        run._poll(url, bool, 900, proc)
        time.sleep(2.0)
        spy = subprocess.Popen(
            [
                *_py_spy(py_spy, raw),
                "--pid",
                str(proc.pid),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)
        marker = f"[profiled edit {time.time_ns()}]"
        run.edit_title(path, f" {marker}")
        start = time.perf_counter()
        run._poll(url, run._contains(marker), 900, proc)
        took = time.perf_counter() - start
        time.sleep(0.5)
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    finally:
        run.stop_serving(proc)
        serve_log.close()
    return {
        "records": n,
        "edit_to_page_s": round(took, 2),
        "seconds_by_thread_and_phase (1 s before the edit to 0.5 s after the page)": summarise(raw),
        "raw_stacks": str(raw),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=speed.BIG_RECORDS)
    parser.add_argument("--serve", type=int, default=0, help="also one serve edit at N records")
    parser.add_argument("--only", choices=["1.2020", "1.2026"])
    parser.add_argument("--jar", type=Path, default=speed.default_jar())
    parser.add_argument("--adrgen", type=Path)
    parser.add_argument("--py-spy", default=shutil.which("py-spy"))
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "profile-build.json")
    args = parser.parse_args()
    if not args.py_spy:
        raise SystemExit("bench: py-spy not found (pip install py-spy, or --py-spy PATH)")
    adrgen = speed._use_adrgen(args.adrgen)
    work = args.work or Path(tempfile.mkdtemp(prefix="adrgen-profile-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = run.Bench(work)
    project = run.make_project(args.records, work / f"n{args.records}")
    result: dict[str, Any] = {
        "adrgen_measured": adrgen,
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "versions": {},
    }
    for puml in speed.plantumls(args.jar):
        if args.only not in (None, puml.name):
            continue
        bench.renderer_env = puml.env
        print(f"  PlantUML {puml.name}: cold build, {args.records} records", file=sys.stderr)
        figures = {"cold": cold_profile(bench, project, puml, args.py_spy, work)}
        if args.serve:
            print(f"  PlantUML {puml.name}: one serve edit, {args.serve} records", file=sys.stderr)
            figures["serve"] = serve_profile(bench, args.serve, puml, args.py_spy, work)
        result["versions"][puml.name] = figures
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
