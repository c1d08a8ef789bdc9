"""What one bad diagram costs a batch, and what a diagram costs, on both PlantUML versions.

    .venv/bin/python bench/isolation.py            # 200 diagrams, 3 repetitions
    .venv/bin/python bench/isolation.py --n 50 --reps 1

For each PlantUML (Debian's 1.2020 command; the 1.2026.8 jar that ``scripts/bootstrap test``
fetches), in one run, on the comparison diagrams of ``bench/corpus.py``'s N records:

* **clean**: the batch as adrgen draws it (one or two processes, as :func:`processes_for`
  says), from a cold start (JVM start included, the version already known);
* **one crasher**: the same batch with the diagram in the middle replaced by one that ends
  the JVM (endless preprocessor recursion, a ``StackOverflowError``);
* **one syntax error**: the same, with a diagram PlantUML rejects and goes on.

It prints the wall time (median), the PlantUML processes started, and the extra cost of the
bad diagram against the clean batch of the same run; and the time per diagram in a warm
process (from the moment the first result arrives to the last). Writes
``bench/results/isolation.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

from adrgen.config import RendererConfig, load_config  # noqa: E402
from adrgen.diagrams import renderer as plantuml  # noqa: E402
from adrgen.diagrams.plan import plan_diagrams  # noqa: E402
from adrgen.records.collect import load_decisions  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "isolation.json"
JAR = ROOT / "tools" / "plantuml" / "plantuml-1.2026.8.jar"
CRASHER = "@startuml\n!function $f($x)\n!return $f($x)\n!endfunction\nA -> B : $f(1)\n@enduml\n"
SYNTAX_ERROR = "@startuml\nthis is -> not -> valid ((\n@enduml\n"


def diagrams(n: int) -> list[str]:
    """The comparison diagrams of ``n`` generated records (the decision graph left out)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        corpus.generate(n, root)
        config = load_config(root)
        return [s.text for s in plan_diagrams(config, load_decisions(config)) if s.origin]


def batch(config: RendererConfig, sources: Sequence[str]) -> dict[str, Any]:
    """One batch from a cold start: wall seconds, processes started, per-diagram seconds."""
    made = plantuml.make_renderer(config)
    assert isinstance(made, plantuml.PipeRenderer)
    made.identity()  # remembered by an earlier run: no JVM
    started: list[int] = []
    spawn = made._spawn

    def counted(batch_size: int, processes: int) -> plantuml._Process:
        started.append(batch_size)
        return spawn(batch_size, processes)

    made._spawn = counted  # type: ignore[method-assign]
    arrivals: list[float] = []
    begin = time.perf_counter()
    results = made.render(sources, listener=lambda _i, _r: arrivals.append(time.perf_counter()))
    wall = time.perf_counter() - begin
    warm = (arrivals[-1] - arrivals[0]) / max(1, len(arrivals) - 1)
    return {
        "wall": wall,
        "processes": len(started),
        "failed": [i for i, r in enumerate(results) if not r.ok],
        "per_diagram_warm": warm,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="diagrams in the batch")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each batch")
    args = parser.parse_args(argv)
    sources = diagrams(args.n)
    middle = len(sources) // 2
    versions = {"1.2020 (Debian command)": RendererConfig(kind="command")}
    if JAR.is_file():
        versions["1.2026.8 (jar)"] = RendererConfig(kind="jar", jar=str(JAR))
    cases = {
        "clean": sources,
        "one crasher": [*sources[:middle], CRASHER, *sources[middle + 1 :]],
        "one syntax error": [*sources[:middle], SYNTAX_ERROR, *sources[middle + 1 :]],
    }
    out: dict[str, Any] = {"n": len(sources), "reps": args.reps, "versions": {}}
    for version, config in versions.items():
        rows: dict[str, Any] = {}
        for case, batch_sources in cases.items():
            runs = [batch(config, batch_sources) for _ in range(args.reps)]
            rows[case] = {
                "wall_median": statistics.median(r["wall"] for r in runs),
                "walls": [r["wall"] for r in runs],
                "processes": max(r["processes"] for r in runs),
                "failed": runs[0]["failed"],
                "per_diagram_warm": statistics.median(r["per_diagram_warm"] for r in runs),
            }
        out["versions"][version] = rows
    print(f"A batch of {len(sources)} comparison diagrams, median of {args.reps}:\n")
    print("| PlantUML | batch | wall | processes | extra vs clean | failed | per diagram (warm) |")
    print("|---|---|---|---|---|---|---|")
    for version, rows in out["versions"].items():
        clean = rows["clean"]
        for case, row in rows.items():
            extra = (
                ""
                if case == "clean"
                else f"+{row['wall_median'] - clean['wall_median']:.2f} s, "
                f"+{row['processes'] - clean['processes']} JVM"
            )
            print(
                f"| {version} | {case} | {row['wall_median']:.2f} s | {row['processes']} | "
                f"{extra} | {row['failed']} | {row['per_diagram_warm'] * 1000:.0f} ms |"
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
