"""Build speed: adrgen against the naive route and against its floor, on N = 50, 200, 1000.

    python3 bench/run.py            # the full run, about 25 minutes on 2 cores
    python3 bench/run.py --quick    # N = 50 and 200, naive route at 50 only: about 5 minutes

From a fresh clone this is the one command: outside the project's virtual environment it runs
``scripts/bootstrap site`` (PlantUML, Graphviz, ``.venv``) and starts again inside it. It
prints the tables of ``bench/README.md`` and writes ``bench/results/build-speed.json``.

For every N, in one run, on the same generated corpus (``bench/corpus.py``):

* **cold build**: ``adrgen build`` with no ``diagrams/``, no ``site/``, no ``.adrgen-cache/``
  and a fresh ``XDG_CACHE_HOME``;
* **naive route**: the same pages with every diagram as a fenced ```plantuml block, built by
  plain MkDocs + plantuml-markdown (``format: svg``, ``server: ''``: the local ``plantuml``,
  one JVM per diagram; ``cachedir: ''``: cache off);
* **floor**: one PlantUML batch of the same ``.puml`` files (adrgen's command line and JVM
  options) plus a plain ``mkdocs build`` (no adrgen plugin) of the same pages with the SVGs
  ready (the output of ``adrgen build --pages-only``);
* **no-op rebuild**, **one record edited**, ``adrgen validate``, the edit-to-reload time of
  ``adrgen serve``, peak memory (``ru_maxrss`` of each command and its children), and the
  time per diagram as N grows.

Every PlantUML process is counted: ``plantuml`` on ``PATH`` is a shim that logs its
arguments, then runs the real one. Only loopback and local processes are used.

The machine is usually shared: wall times are medians of repeated runs, CPU time is shown
beside them, and the load average and a CPU calibration loop are recorded with the results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "build-speed.json"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
COMMAND = "python3 bench/run.py"


def _ensure_environment() -> None:
    """Outside .venv: bootstrap (PlantUML, Graphviz, .venv) and run again inside it."""
    inside = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    if inside and shutil.which("plantuml") and shutil.which("dot"):
        return
    if not inside or not shutil.which("plantuml"):
        subprocess.run([str(ROOT / "scripts" / "bootstrap"), "site"], check=True)
    if not inside:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])


# ---------------------------------------------------------------------------------------------
# Running and measuring one command


@dataclass
class Measured:
    """One command: wall and CPU seconds (itself and its children), peak RSS, exit code."""

    wall: float
    cpu: float
    rss_mb: float
    rc: int
    load: float
    output: str = field(default="", repr=False)


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdin: Path | None = None,
    timeout: float = 3600,
) -> Measured:
    """Run ``argv`` to completion; rusage comes from ``wait4`` on it alone.

    CPU and ``ru_maxrss`` include the processes it waited for (PlantUML's JVM); the peak is
    that of the largest single process. Output goes to a file (no pipe to drain while timing).
    """
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as out:
        source = stdin.open("rb") if stdin else subprocess.DEVNULL
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                list(argv), cwd=cwd, env=env, stdin=source, stdout=out, stderr=subprocess.STDOUT
            )
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if stdin:
                source.close()  # type: ignore[union-attr]
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,
        rc=proc.returncode,
        load=load,
        output=text,
    )


def checked(result: Measured, what: str) -> Measured:
    """Fail loudly (with the command's output) when a measured command failed."""
    if result.rc != 0:
        sys.stderr.write(result.output[-4000:])
        raise SystemExit(f"bench: {what} failed with exit code {result.rc}")
    return result


def median(values: Sequence[float]) -> float:
    """The median (one value: itself)."""
    return float(statistics.median(values)) if values else float("nan")


def calibrate() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine is *right now*."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return round(time.perf_counter() - start, 3)


# ---------------------------------------------------------------------------------------------
# The environment every measured command gets


class Bench:
    """Paths, the PlantUML shim, and the settings shared by every scenario."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.bin = work / "bin"
        self.bin.mkdir(parents=True, exist_ok=True)
        real = shutil.which("plantuml")
        if real is None:
            raise SystemExit("bench: plantuml not found (run scripts/bootstrap site)")
        self.real_plantuml = real
        self.log = work / "plantuml-calls.log"
        shim = self.bin / "plantuml"
        shim.write_text(
            f'#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$ADRGEN_BENCH_PLANTUML_LOG"\nexec {real} "$@"\n'
        )
        shim.chmod(0o755)
        # The jar renderer and a `java -jar` naive route run `java`: counted the same way.
        # (Debian's plantuml script runs /usr/bin/java by its full path: not counted twice.)
        java = shutil.which("java")
        if java is not None:
            java_shim = self.bin / "java"
            java_shim.write_text(
                f'#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$ADRGEN_BENCH_PLANTUML_LOG"\nexec {java} "$@"\n'
            )
            java_shim.chmod(0o755)
        #: Set for every command (``ADRGEN_RENDERER``, ``ADRGEN_PLANTUML_JAR``): which PlantUML.
        self.renderer_env: dict[str, str] = {}
        self.venv_bin = Path(sys.executable).parent
        self.adrgen = str(self.venv_bin / "adrgen")
        self.mkdocs = str(self.venv_bin / "mkdocs")

    def env(self, xdg: Path) -> dict[str, str]:
        """The environment: the shims first on PATH, a given XDG cache, and the renderer of
        :attr:`renderer_env` (none by default: adrgen's own choice)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ADRGEN_")}
        env.update(
            PATH=f"{self.bin}:{self.venv_bin}:{os.environ.get('PATH', '')}",
            XDG_CACHE_HOME=str(xdg),
            ADRGEN_BENCH_PLANTUML_LOG=str(self.log),
            NO_MKDOCS_2_WARNING="1",
        )
        env.update(self.renderer_env)
        # As installed for a user: compiled modules are cached (a CI image may say otherwise).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env

    def plantuml_calls(self, action: Callable[[], Measured]) -> tuple[Measured, dict[str, int]]:
        """Run ``action`` and count the PlantUML processes it started, by kind."""
        self.log.write_text("")
        result = action()
        lines = self.log.read_text().splitlines()
        counts = {
            "batch": sum(1 for line in lines if "-pipe" in line.split()),
            "version": sum(1 for line in lines if "-version" in line.split()),
        }
        counts["other"] = len(lines) - counts["batch"] - counts["version"]
        counts["total"] = len(lines)
        return result, counts


# ---------------------------------------------------------------------------------------------
# Projects


def make_project(n: int, root: Path) -> Path:
    """A docs repository as `adrgen init` makes it, with N generated records."""
    from adrgen.commands.init import init_repository

    sys.path.insert(0, str(ROOT / "bench"))
    import corpus

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    init_repository(root, site_name=f"bench {n}")
    for sample in (root / "decisions").glob("*.yaml"):
        sample.unlink()
    corpus.generate(n, root)
    return root


def plain_config(bench: Bench, project: Path, pages: Path, site: Path, env: dict[str, str]) -> Path:
    """The generated pages written by ``adrgen build --pages-only`` and a plain MkDocs
    configuration building them: what the floor's and the no-op's ``mkdocs build`` runs."""
    checked(
        measure([bench.adrgen, "build", "-q", "--pages-only", str(pages)], cwd=project, env=env),
        "pages-only",
    )
    return plain_mkdocs_config(project, pages, site, naive=False)


def plain_mkdocs_config(
    project: Path, docs: Path, site: Path, *, naive: bool, plantuml_cmd: str = "plantuml"
) -> Path:
    """The project's mkdocs.yml without the adrgen plugin, for ``docs``; with ``naive``,
    plantuml-markdown renders the fences (``plantuml_cmd``, SVG, no cache)."""
    import yaml

    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    # `- adrgen` or `- adrgen: {section: ""}`: either way, the plugin goes.
    config["plugins"] = [
        p
        for p in config.get("plugins", [])
        if p != "adrgen" and not (isinstance(p, dict) and "adrgen" in p)
    ]
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(site)
    # The nav adrgen's plugin proposes (mkdocs.yml has none), so both builds render the same
    # navigation on every page: Material's cost per page grows with the nav.
    config["nav"] = adrgen_nav(docs)
    if naive:
        config["markdown_extensions"].append(
            {
                "plantuml_markdown": {
                    "format": "svg",
                    "server": "",
                    "cachedir": "",
                    "plantuml_cmd": plantuml_cmd,
                }
            }
        )
    path = project.parent / f"{project.name}-{'naive' if naive else 'plain'}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def adrgen_nav(docs: Path) -> list[Any]:
    """The nav of :meth:`adrgen.site.pages.SiteContent.nav` for a ``--pages-only`` folder."""
    decisions = sorted(p.name for p in docs.glob("[0-9]*.md"))
    nav: list[Any] = ["index.md", "graph.md", {"Decisions": decisions}, "tags.md"]
    if (docs / "appendix" / "polling.md").is_file():
        nav.append({"Appendix": ["appendix/polling.md"]})
    return nav


_IMAGE_LINK = re.compile(
    r"^\[!\[[^\]\n]*\]\((?:\.\./)*diagrams/(?P<name>[^)/\s]+)\.svg\)\]\([^)\n]*\)$", re.M
)


def naive_pages(pages: Path, diagrams: Path, target: Path) -> int:
    """The --pages-only output with every diagram image replaced by its ```plantuml fence."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(pages, target, ignore=shutil.ignore_patterns("diagrams"))
    count = 0
    for page in target.rglob("*.md"):
        text = page.read_text()

        def fence(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            source = (diagrams / f"{match['name']}.puml").read_text().rstrip("\n")
            return f"```plantuml\n{source}\n```"

        changed = _IMAGE_LINK.sub(fence, text)
        if changed != text:
            page.write_text(changed)
    return count


def svg_inodes(diagrams: Path) -> dict[str, int]:
    """Inode of every SVG: adrgen links unchanged SVGs, so a new inode means a new render."""
    return {p.stem: p.stat().st_ino for p in diagrams.glob("*.svg")}


def edit_title(path: Path, suffix: str) -> None:
    """Change a record's title (it shows in its diagram, its page and the decision graph)."""
    text = path.read_text()
    text = re.sub(
        r'^title: "(.*?)"$', lambda m: f'title: "{m[1]}{suffix}"', text, count=1, flags=re.M
    )
    path.write_text(text)


# ---------------------------------------------------------------------------------------------
# Scenarios


def cold_builds(
    bench: Bench, project: Path, reps: int, first: int = 0
) -> tuple[list[Measured], list[dict[str, int]], Path]:
    """``adrgen build`` from nothing, ``reps`` times; returns the XDG cache of the last one."""
    runs, calls = [], []
    xdg = bench.work / "xdg"
    for i in range(first, first + reps):
        for leftover in ("diagrams", "site", ".adrgen-cache"):
            shutil.rmtree(project / leftover, ignore_errors=True)
        xdg = bench.work / f"xdg-{project.name}-cold{i}"
        shutil.rmtree(xdg, ignore_errors=True)
        env = bench.env(xdg)
        result, counted = bench.plantuml_calls(
            functools.partial(measure, [bench.adrgen, "build", "-v"], cwd=project, env=env)
        )
        runs.append(checked(result, "cold build"))
        calls.append(counted)
    return runs, calls, xdg


_SUMMARY = re.compile(
    r"adrgen: \d+ decision\(s\), (\d+) diagram\(s\): (\d+) rendered, (\d+) reused"
)


def summary_of(output: str) -> dict[str, int]:
    """The plugin's "N diagram(s): R rendered, U reused" line."""
    match = _SUMMARY.search(output)
    if not match:
        return {}
    return {"diagrams": int(match[1]), "rendered": int(match[2]), "reused": int(match[3])}


def floor_batches(
    bench: Bench,
    project: Path,
    env: dict[str, str],
    reps: int,
    options: str | None = None,
    processes: int = 1,
    command: Sequence[str] = ("plantuml",),
) -> list[Measured]:
    """Every ``.puml`` of the project through ``plantuml -pipe`` with adrgen's arguments: one
    process, or ``processes`` in parallel on contiguous parts as adrgen splits a batch. JVM
    options: ``options``, or those adrgen picks for a batch that size and that many processes.
    ``command`` runs PlantUML (``java -jar plantuml.jar`` for a jar).
    """
    from adrgen.config import RendererConfig
    from adrgen.diagrams.renderer import OUTPUT_OPTIONS, batch_jvm_options

    sources = sorted((project / "diagrams").glob("*.puml"))
    size = -(-len(sources) // processes)
    parts = []
    for index, start in enumerate(range(0, len(sources), size)):
        part = bench.work / f"{project.name}-batch-{index}.txt"
        text = "".join(p.read_text().rstrip("\n") + "\n" for p in sources[start : start + size])
        part.write_text(text)
        parts.append(part)
    env = dict(env)
    if options is None:
        options = " ".join(batch_jvm_options(RendererConfig(), env, len(sources), len(parts)))
    env["JAVA_TOOL_OPTIONS"] = options
    plantuml = [
        *command,
        *OUTPUT_OPTIONS,
        "-pipe",
        "-pipedelimitor",
        "bench-delimiter",
        "-timeout",
        "60",
    ]
    if len(parts) == 1:
        argv, stdin = plantuml, parts[0]
    else:
        # A shell starts the processes together; wait4 on the shell counts their CPU too.
        starts = " ".join(
            f"{shlex.join(plantuml)} < {shlex.quote(str(p))} > /dev/null & p{i}=$!;"
            for i, p in enumerate(parts)
        )
        waits = " && ".join(f"wait $p{i}" for i in range(len(parts)))
        argv, stdin = ["sh", "-c", f"{starts} {waits}"], None
    return [
        checked(measure(argv, cwd=project, env=env, stdin=stdin), "floor batch")
        for _ in range(reps)
    ]


def serve_reloads(
    bench: Bench, project: Path, env: dict[str, str], edits: int, numbers: Sequence[int]
) -> list[float]:
    """Seconds from saving a record to ``adrgen serve`` serving the changed page."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (bench.work / f"serve-{project.name}.log").open("wb")
    proc = subprocess.Popen(
        [bench.adrgen, "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    times: list[float] = []
    try:
        records = sorted((project / "decisions").glob("*.yaml"))
        first = records[numbers[0] - 1]
        _poll(f"http://127.0.0.1:{port}/{first.stem}/", lambda body: bool(body), 900, proc)
        time.sleep(1.0)
        for k in range(edits):
            path = records[numbers[k % len(numbers)] - 1]
            marker = f" [reload {k} {time.time_ns()}]"
            url = f"http://127.0.0.1:{port}/{path.stem}/"
            edit_title(path, marker)
            start = time.perf_counter()
            _poll(url, _contains(marker.strip()), 900, proc)
            times.append(time.perf_counter() - start)
            time.sleep(1.5)
    finally:
        stop_serving(proc)
        log.close()
    return times


def stop_serving(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server the way an author does (Ctrl-C); kill it if it does not end."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _contains(marker: str) -> Callable[[str], bool]:
    return lambda body: marker in body


def _poll(
    url: str, ready: Callable[[str], bool], timeout: float, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: adrgen serve exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                body = response.read().decode("utf-8", "replace")
            if ready(body):
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"bench: {url} did not show the change within {timeout} s")


_INSTRUMENT = r"""
import os, sys, json
log = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
records = os.path.realpath("decisions")
def innermost(frame):
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.startswith(("adrgen", "mkdocs", "material", "markdown", "jinja2", "yaml")):
            return name.split(".")[0]
        frame = frame.f_back
    return "other"
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path.startswith(records + os.sep) and path.endswith((".yaml", ".yml")):
            os.write(log, f"open {innermost(sys._getframe(1))} {path}\n".encode())
sys.addaudithook(hook)
import adrgen.records.loader as loader
parse = loader.load_text
def counted(text, path):
    os.write(log, f"parse adrgen {os.path.realpath(path)}\n".encode())
    return parse(text, path)
loader.load_text = counted
from adrgen.cli import main
sys.exit(main(sys.argv[2:]))
"""


def reads_and_parses(bench: Bench, project: Path, env: dict[str, str]) -> dict[str, Any]:
    """How often one build opens and parses each record (adrgen's own opens vs MkDocs')."""
    log = bench.work / f"reads-{project.name}.log"
    log.write_text("")
    checked(
        measure([sys.executable, "-c", _INSTRUMENT, str(log), "build"], cwd=project, env=env),
        "instrumented build",
    )
    opens: dict[str, dict[str, int]] = {}
    parses: dict[str, int] = {}
    for line in log.read_text().splitlines():
        kind, who, path = line.split(" ", 2)
        if kind == "open":
            opens.setdefault(who, {}).setdefault(path, 0)
            opens[who][path] += 1
        else:
            parses[path] = parses.get(path, 0) + 1
    count = len(list((project / "decisions").glob("*.yaml")))
    adrgen_opens = opens.get("adrgen", {})
    return {
        "records": count,
        "adrgen_opens_per_record_max": max(adrgen_opens.values(), default=0),
        "adrgen_opens_total": sum(adrgen_opens.values()),
        "mkdocs_opens_total": sum(opens.get("mkdocs", {}).values()),
        "parses_per_record_max": max(parses.values(), default=0),
        "parses_total": sum(parses.values()),
    }


def validate_times(bench: Bench, project: Path, env: dict[str, str], reps: int) -> dict[str, float]:
    """``adrgen validate`` against a bare interpreter and the CLI's imports."""

    def best(argv: list[str]) -> float:
        return median(
            [checked(measure(argv, cwd=project, env=env), "validate").wall for _ in range(reps)]
        )

    bare = best([sys.executable, "-c", "pass"])
    imports = best([sys.executable, "-c", "import adrgen.cli"])
    validate = best([bench.adrgen, "validate"])
    return {
        "bare_interpreter_s": round(bare, 3),
        "import_adrgen_cli_s": round(imports, 3),
        "validate_s": round(validate, 3),
        "beyond_startup_s": round(validate - bare, 3),
    }


def jvm_experiments(
    bench: Bench,
    small: Path,
    large: Path,
    env: dict[str, str],
    reps: int,
    largest: Path | None = None,
) -> list[dict[str, Any]]:
    """PlantUML batches under different JVM options: JIT, collector, class-data sharing.

    ``small`` and ``large`` are projects whose ``diagrams/`` hold the batches; ``largest``
    (once each) compares the two JIT settings on the longest batch.
    """
    headless = "-Djava.awt.headless=true"
    c1_serial = f"-XX:TieredStopAtLevel=1 -XX:+UseSerialGC {headless}"
    c2_serial = f"-XX:+UseSerialGC {headless}"
    rows: list[dict[str, Any]] = []

    def row(name: str, project: Path, options: str, count: int = reps, processes: int = 1) -> None:
        runs = floor_batches(bench, project, env, count, options, processes)
        rows.append(
            {
                "jvm": name,
                "diagrams": len(list((project / "diagrams").glob("*.puml"))),
                "wall_s": round(median([r.wall for r in runs]), 2),
                "cpu_s": round(median([r.cpu for r in runs]), 2),
                "options": options,
                "processes": processes,
            }
        )

    for project in (small, large):
        row(
            "one process, C1 only, serial GC (adrgen on one core, < 100 diagrams)",
            project,
            c1_serial,
        )
        row("one process, C2, serial GC (adrgen on one core, ≥ 100 diagrams)", project, c2_serial)
        row(
            "two processes in parallel, C1, serial GC (adrgen on two cores, 16 to 499 diagrams)",
            project,
            c1_serial,
            processes=2,
        )
        row(
            "two processes in parallel, C2, serial GC (not used: their compilers compete)",
            project,
            c2_serial,
            processes=2,
        )
    if largest is not None:
        row("one process, C1 only, serial GC", largest, c1_serial, 1)
        row("one process, C2, serial GC (adrgen from 500 diagrams)", largest, c2_serial, 1)
    row(
        "C1 only, G1 (adrgen's options before issue 6)",
        large,
        f"-XX:TieredStopAtLevel=1 {headless}",
    )
    row("the JVM's defaults (C2, G1): Debian's plantuml as is", large, headless)
    # Class-data sharing: an archive written at the exit of one batch (what that batch pays
    # extra), then read by later JVMs started with the same options.
    large_archive = bench.work / "plantuml-cds-c2.jsa"
    large_archive.unlink(missing_ok=True)
    row(
        "C2, serial GC, writing a CDS archive at exit",
        large,
        f"{c2_serial} -XX:ArchiveClassesAtExit={large_archive}",
        1,
    )
    row(
        "C2, serial GC, with that CDS archive",
        large,
        f"{c2_serial} -XX:SharedArchiveFile={large_archive}",
    )
    small_archive = bench.work / "plantuml-cds-c1.jsa"
    small_archive.unlink(missing_ok=True)
    floor_batches(bench, small, env, 1, f"{c1_serial} -XX:ArchiveClassesAtExit={small_archive}")
    # Start-up alone: one tiny diagram, with and without an archive.
    tiny = bench.work / "tiny"
    (tiny / "diagrams").mkdir(parents=True, exist_ok=True)
    (tiny / "diagrams" / "tiny.puml").write_text("@startuml\nA -> B\n@enduml\n")
    variants = {
        "start-up + 1 tiny diagram, C1, serial GC": c1_serial,
        "start-up + 1 tiny diagram, C1, serial GC, CDS archive": (
            f"{c1_serial} -XX:SharedArchiveFile={small_archive}"
        ),
    }
    tiny_runs: dict[str, list[Measured]] = {name: [] for name in variants}
    for _ in range(9):  # alternating, so that a change in load weighs on both alike
        for name, options in variants.items():
            tiny_runs[name] += floor_batches(bench, tiny, env, 1, options)
    for name, runs in tiny_runs.items():
        rows.append(
            {
                "jvm": name,
                "diagrams": 1,
                "wall_s": round(median([r.wall for r in runs]), 2),
                "cpu_s": round(median([r.cpu for r in runs]), 2),
                "options": variants[name],
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# One size


def bench_size(bench: Bench, n: int, args: argparse.Namespace, naive: bool) -> dict[str, Any]:
    """Every scenario on a corpus of ``n`` records."""
    big = n >= 1000
    reps = 1 if big else args.reps
    project = make_project(n, bench.work / f"n{n}")
    out: dict[str, Any] = {"records": n, "load_avg_start": round(os.getloadavg()[0], 2)}

    def log(text: str) -> None:
        print(f"  N={n}: {text}", file=sys.stderr, flush=True)

    # Cold builds, plain MkDocs builds and floor batches alternate, so that a change in the
    # machine's load (it is shared) weighs on each of them alike.
    pages = bench.work / f"pages{n}"
    plain_cfg = None
    cold: list[Measured] = []
    cold_calls: list[dict[str, int]] = []
    plain: list[Measured] = []
    batch: list[Measured] = []
    for rep in range(reps):
        log(f"cold build ({rep + 1}/{reps})")
        runs, counted, xdg = cold_builds(bench, project, 1, rep)
        cold += runs
        cold_calls += counted
        env = bench.env(xdg)
        if plain_cfg is None:
            plain_cfg = plain_config(bench, project, pages, bench.work / f"plain-site{n}", env)
        log(f"floor: plain mkdocs build and one PlantUML batch ({rep + 1}/{reps})")
        plain.append(
            checked(
                measure([bench.mkdocs, "build", "-q", "-f", str(plain_cfg)], cwd=project, env=env),
                "plain mkdocs",
            )
        )
        batch += floor_batches(bench, project, env, 1)
    diagrams = len(list((project / "diagrams").glob("*.puml")))
    out["diagrams"] = diagrams
    out["cold"] = _stats(cold) | {
        "plantuml_processes": cold_calls[-1],
        "summary": summary_of(cold[-1].output),
    }
    out["plain_mkdocs"] = _stats(plain)
    out["floor_batch"] = _stats(batch)
    out["floor_s"] = round(out["floor_batch"]["wall_s"] + out["plain_mkdocs"]["wall_s"], 2)
    out["calibration_s"] = calibrate()

    if naive:
        log(f"naive route ({diagrams} JVMs; about {diagrams * 0.9:.0f} s)")
        naive_docs = bench.work / f"naive{n}"
        fences = naive_pages(pages, project / "diagrams", naive_docs)
        naive_cfg = plain_mkdocs_config(
            project, naive_docs, bench.work / f"naive-site{n}", naive=True
        )
        result, calls = bench.plantuml_calls(
            lambda: measure(
                [bench.mkdocs, "build", "-q", "-f", str(naive_cfg)], cwd=project, env=env
            )
        )
        out["naive"] = _stats([checked(result, "naive route")]) | {
            "plantuml_processes": calls,
            "fences": fences,
        }

    log("no-op rebuild")
    noop, noop_calls = [], []
    for _ in range(reps + (0 if big else 1)):
        result, calls = bench.plantuml_calls(
            lambda: measure([bench.adrgen, "build", "-v"], cwd=project, env=env)
        )
        noop.append(checked(result, "no-op build"))
        noop_calls.append(calls)
    out["noop"] = _stats(noop) | {
        "plantuml_processes_max": max(c["total"] for c in noop_calls),
        "summary": summary_of(noop[-1].output),
    }

    log("one record edited")
    edits, edit_calls, edit_checks = [], [], []
    for k in range(reps + (0 if big else 1)):
        number = n // 2 + k
        path = sorted((project / "decisions").glob("*.yaml"))[number - 1]
        before = svg_inodes(project / "diagrams")
        edit_title(path, f" (edit {k})")
        result, calls = bench.plantuml_calls(
            lambda: measure([bench.adrgen, "build", "-v"], cwd=project, env=env)
        )
        edits.append(checked(result, "edit build"))
        edit_calls.append(calls)
        after = svg_inodes(project / "diagrams")
        redrawn = sorted(name for name, inode in after.items() if before.get(name) != inode)
        edit_checks.append(redrawn == sorted([path.stem, "decision-graph"]))
    out["edit"] = _stats(edits) | {
        "plantuml_processes_max": max(c["total"] for c in edit_calls),
        "batch_processes_max": max(c["batch"] for c in edit_calls),
        "only_that_record_and_graph_redrawn": all(edit_checks),
        "summary": summary_of(edits[-1].output),
    }

    if n <= 200:
        log("reads and parses per record in one build")
        out["reads"] = reads_and_parses(bench, project, env)

    if n in args.serve_sizes:
        log("adrgen serve: edit to reload")
        reloads = serve_reloads(
            bench, project, env, 1 if big else 3, [n // 3, n // 3 + 1, n // 3 + 2]
        )
        out["serve_reload_s"] = round(median(reloads), 2)
        out["serve_reload_runs_s"] = [round(t, 2) for t in reloads]

    out["load_avg_end"] = round(os.getloadavg()[0], 2)
    return out


def _stats(runs: Sequence[Measured]) -> dict[str, Any]:
    return {
        "wall_s": round(median([r.wall for r in runs]), 2),
        "cpu_s": round(median([r.cpu for r in runs]), 2),
        "peak_rss_mb": round(max(r.rss_mb for r in runs), 1),
        "runs_s": [round(r.wall, 2) for r in runs],
        "load_avg": [round(r.load, 2) for r in runs],
    }


# ---------------------------------------------------------------------------------------------
# Machine, verdicts, tables


def machine() -> dict[str, Any]:
    """What the figures came from."""

    def first_line(argv: list[str]) -> str:
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        except OSError:
            return "?"
        text = (proc.stdout or proc.stderr).strip()
        return text.splitlines()[0] if text else "?"

    from importlib.metadata import version

    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])  # type: ignore[index]
    commit = first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = bool(
        subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "adrgen"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": first_line(["java", "-version"]),
        "plantuml": first_line(["plantuml", "-version"]),
        "graphviz": first_line(["dot", "-V"]),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "plantuml-markdown": version("plantuml-markdown"),
        "adrgen": f"{version('adrgen')} ({commit}{', uncommitted changes' if dirty else ''})",
    }


def verdicts(
    sizes: dict[int, dict[str, Any]], validate: dict[str, float] | None
) -> list[dict[str, Any]]:
    """Each goal of issue 6, with the measured figure and whether it holds."""
    goals: list[dict[str, Any]] = []

    def goal(name: str, figure: str, holds: bool) -> None:
        goals.append({"goal": name, "measured": figure, "holds": holds})

    ratios = {n: s["naive_ratio"] for n, s in sizes.items() if "naive_ratio" in s}
    if ratios:
        first = min(ratios)
        goal(
            "cold build ≥10× faster than the naive route at N=50",
            f"{ratios[first]:.1f}× at N={first}",
            ratios[first] >= 10,
        )
        if len(ratios) > 1:
            ordered = [ratios[n] for n in sorted(ratios)]
            goal(
                "… and more at larger N",
                ", ".join(
                    f"{ratios[n]:.1f}× at N={n}{' (extrapolated)' if sizes[n].get('naive_extrapolated') else ''}"
                    for n in sorted(ratios)
                ),
                all(b >= a for a, b in itertools.pairwise(ordered)),
            )
    for n, s in sizes.items():
        goal(
            f"cold build within 1.5× of the floor (N={n})",
            f"{s['floor_ratio']:.2f}×",
            s["floor_ratio"] <= 1.5,
        )
    for n, s in sizes.items():
        goal(
            f"no-op rebuild: no PlantUML process, ≤1.2× plain mkdocs (N={n})",
            f"{s['noop']['plantuml_processes_max']} processes, {s['noop_ratio']:.2f}×",
            s["noop"]["plantuml_processes_max"] == 0 and s["noop_ratio"] <= 1.2,
        )
    for n, s in sizes.items():
        goal(
            f"one record edited: ≤1 PlantUML process, only its diagram + the graph redrawn (N={n})",
            f"{s['edit']['plantuml_processes_max']} process(es), only those: {s['edit']['only_that_record_and_graph_redrawn']}",
            s["edit"]["plantuml_processes_max"] <= 1
            and s["edit"]["only_that_record_and_graph_redrawn"],
        )
    if validate:
        goal(
            f"adrgen validate on {validate['records']} records: < 1 s beyond interpreter start-up",
            f"{validate['beyond_startup_s']:.2f} s",
            validate["beyond_startup_s"] < 1.0,
        )
    for n, s in sizes.items():
        if "reads" in s:
            r = s["reads"]
            goal(
                f"a build reads and parses each record once (N={n})",
                f"adrgen opens ≤{r['adrgen_opens_per_record_max']}, parses ≤{r['parses_per_record_max']} per record",
                r["adrgen_opens_per_record_max"] == 1 and r["parses_per_record_max"] == 1,
            )
    return goals


def tables(result: dict[str, Any]) -> str:
    """The Markdown tables printed at the end (and pasted into bench/README.md)."""
    sizes = {int(n): s for n, s in result["sizes"].items()}
    lines = [
        "| N records (diagrams) | naive route | floor: batch + mkdocs | **cold build** | naive ÷ cold | cold ÷ floor | no-op rebuild | plain mkdocs | no-op ÷ mkdocs | 1 record edited | serve: edit → reload | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, s in sorted(sizes.items()):
        naive = s.get("naive", {}).get("wall_s")
        naive_text = (
            f"{naive:.1f} s"
            if naive
            else (
                f"~{s['naive_extrapolated_s']:.0f} s (extrapolated)"
                if s.get("naive_extrapolated_s")
                else "–"
            )
        )
        ratio = f"{s['naive_ratio']:.1f}×" if "naive_ratio" in s else "–"
        serve = f"{s['serve_reload_s']:.1f} s" if "serve_reload_s" in s else "–"
        lines.append(
            f"| {n} ({s['diagrams']}) | {naive_text} | {s['floor_s']:.1f} s ({s['floor_batch']['wall_s']:.1f} + {s['plain_mkdocs']['wall_s']:.1f}) "
            f"| **{s['cold']['wall_s']:.1f} s** | {ratio} | {s['floor_ratio']:.2f}× | {s['noop']['wall_s']:.1f} s | {s['plain_mkdocs']['wall_s']:.1f} s "
            f"| {s['noop_ratio']:.2f}× | {s['edit']['wall_s']:.1f} s | {serve} | {s['cold']['peak_rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        "| N | cold build per diagram | PlantUML batch per diagram | naive route per diagram | cold CPU (s) | PlantUML processes: cold / no-op / edit / naive |",
        "|---|---|---|---|---|---|",
    ]
    for n, s in sorted(sizes.items()):
        d = s["diagrams"]
        naive = s.get("naive", {}).get("wall_s") or s.get("naive_extrapolated_s")
        naive_procs = s.get("naive", {}).get("plantuml_processes", {}).get("total", "–")
        lines.append(
            f"| {n} | {1000 * s['cold']['wall_s'] / d:.0f} ms | {1000 * s['floor_batch']['wall_s'] / d:.0f} ms "
            f"| {f'{1000 * naive / d:.0f} ms' if naive else '–'}{' (extrapolated)' if s.get('naive_extrapolated_s') and 'naive' not in s else ''} "
            f"| {s['cold']['cpu_s']:.1f} | {s['cold']['plantuml_processes']['total']} / {s['noop']['plantuml_processes_max']} / {s['edit']['plantuml_processes_max']} / {naive_procs} |"
        )
    if result.get("validate"):
        v = result["validate"]
        lines += [
            "",
            "| adrgen validate, records | wall | bare interpreter | `import adrgen.cli` | beyond interpreter start-up |",
            "|---|---|---|---|---|",
            f"| {v['records']} | {v['validate_s']:.2f} s | {v['bare_interpreter_s']:.3f} s | {v['import_adrgen_cli_s']:.2f} s | **{v['beyond_startup_s']:.2f} s** |",
        ]
    if result.get("jvm"):
        lines += [
            "",
            "| PlantUML batch, JVM options | diagrams | wall | CPU |",
            "|---|---|---|---|",
        ]
        for row in result["jvm"]:
            lines.append(
                f"| {row['jvm']} | {row['diagrams']} | {row['wall_s']:.2f} s | {row['cpu_s']:.2f} s |"
            )
    lines += ["", "| goal | measured | holds |", "|---|---|---|"]
    for g in result["goals"]:
        lines.append(f"| {g['goal']} | {g['measured']} | {'yes' if g['holds'] else '**no**'} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the tables; write bench/results/build-speed.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="N = 50 and 200; naive route at 50 only"
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        help="record counts (default 50,200,1000)",
    )
    parser.add_argument(
        "--naive-sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        help="sizes the naive route is measured at (default 50,200)",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=2,
        help="repetitions below N=1000 (default 2; no-op and edit get one more)",
    )
    parser.add_argument("--no-jvm", action="store_true", help="skip the JVM-options experiments")
    parser.add_argument(
        "--work", type=Path, help="scratch folder (default: a temporary one, removed)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help=f"JSON results (default {RESULTS.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([50, 200] if args.quick else [50, 200, 1000])
    args.naive_sizes = args.naive_sizes or ([50] if args.quick else [50, 200])
    args.serve_sizes = set(args.sizes)
    _ensure_environment()
    began = time.monotonic()
    work = args.work or Path(tempfile.mkdtemp(prefix="adrgen-bench-"))
    bench = Bench(work)
    result: dict[str, Any] = {
        "benchmark": "adrgen build speed (issue 6)",
        "command": f"{COMMAND}{' --quick' if args.quick else ''}",
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "calibration_s_start": calibrate(),
        "load_avg_start": [round(x, 2) for x in os.getloadavg()],
        "sizes": {},
    }
    print(f"bench: work folder {work}", file=sys.stderr)
    try:
        for n in args.sizes:
            result["sizes"][str(n)] = bench_size(bench, n, args, naive=n in args.naive_sizes)
        largest = max(args.sizes)
        project = work / f"n{largest}"
        env = bench.env(work / f"xdg-n{largest}-cold0")
        print(f"  validate on {largest} records", file=sys.stderr, flush=True)
        result["validate"] = {"records": largest} | validate_times(bench, project, env, 5)
        if not args.no_jvm:
            small, large = min(args.sizes), (200 if 200 in args.sizes else largest)
            print(f"  JVM options on the {small}- and {large}-record batches", file=sys.stderr)
            result["jvm"] = jvm_experiments(
                bench,
                work / f"n{small}",
                work / f"n{large}",
                env,
                1 if args.quick else 2,
                work / f"n{largest}" if largest > large else None,
            )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    _derive(result["sizes"])
    result["goals"] = verdicts(
        {int(n): s for n, s in result["sizes"].items()}, result.get("validate")
    )
    result["calibration_s_end"] = calibrate()
    result["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    result["duration_s"] = round(time.monotonic() - began)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    m = result["machine"]
    print(
        f"\n{m['nproc']} × {m['cpu']}, {m['ram_gb']} GB; {m['java']}; {m['plantuml']}; {m['graphviz']}; "
        f"mkdocs {m['mkdocs']}, material {m['mkdocs-material']}, plantuml-markdown {m['plantuml-markdown']}; "
        f"load average {result['load_avg_start'][0]} → {result['load_avg_end'][0]}; "
        f"{result['duration_s'] // 60} min {result['duration_s'] % 60} s\n"
    )
    print(tables(result))
    print(
        f"\n{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} written",
        file=sys.stderr,
    )
    return 0


def _derive(sizes: dict[str, dict[str, Any]]) -> None:
    """Ratios, and the naive route at sizes where it was not measured (stated as such)."""
    measured = {int(n): s for n, s in sizes.items() if "naive" in s}
    per_diagram = None
    if measured:
        biggest = max(measured)
        s = measured[biggest]
        per_diagram = (s["naive"]["wall_s"] - s["plain_mkdocs"]["wall_s"]) / s["diagrams"]
    for s in sizes.values():
        s["floor_ratio"] = round(s["cold"]["wall_s"] / s["floor_s"], 2)
        s["noop_ratio"] = round(s["noop"]["wall_s"] / s["plain_mkdocs"]["wall_s"], 2)
        if "naive" in s:
            s["naive_ratio"] = round(s["naive"]["wall_s"] / s["cold"]["wall_s"], 1)
        elif per_diagram is not None:
            # Extrapolated: the per-diagram cost measured at the largest measured N, times
            # this N's diagrams, plus this N's own plain mkdocs build.
            s["naive_extrapolated_s"] = round(
                per_diagram * s["diagrams"] + s["plain_mkdocs"]["wall_s"], 0
            )
            s["naive_extrapolated"] = True
            s["naive_ratio"] = round(s["naive_extrapolated_s"] / s["cold"]["wall_s"], 1)


if __name__ == "__main__":
    sys.exit(main())
