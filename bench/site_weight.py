"""A site of many records, built by MkDocs and by Zensical: build times and page weight.

    .venv/bin/python bench/site_weight.py             # 400 records (issue 12's size)
    .venv/bin/python bench/site_weight.py --n 100

For N generated records (``bench/corpus.py``), in one run: a cold ``adrgen build`` (no
``diagrams/``, no cache, a fresh user cache) and a warm one (nothing changed), with MkDocs
and with ``--builder zensical``; and the HTML weight of the decision pages each built
(largest and median). Writes ``bench/results/site-weight.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "site-weight.json"


def decision_pages(site: Path) -> list[int]:
    """The size in bytes of every decision page's HTML (``…/NNNN-slug/index.html``, in
    whatever section the site puts them)."""
    return [
        p.stat().st_size
        for p in site.rglob("[0-9][0-9][0-9][0-9]-*/index.html")
        if "by-number" not in p.parts  # the number-range pages
    ]


def builds(bench: run.Bench, project: Path, builder: str) -> dict[str, Any]:
    """A cold build, then a warm one, with ``builder``; and the pages' weight."""
    for leftover in ("diagrams", "site", ".adrgen-cache"):
        shutil.rmtree(project / leftover, ignore_errors=True)
    xdg = bench.work / f"xdg-{builder}"
    shutil.rmtree(xdg, ignore_errors=True)
    env = bench.env(xdg)
    argv = [bench.adrgen, "build", "-q", "--builder", builder]
    cold = run.checked(run.measure(argv, cwd=project, env=env), f"cold {builder} build")
    warm = run.checked(run.measure(argv, cwd=project, env=env), f"warm {builder} build")
    sizes = decision_pages(project / "site")
    home = (project / "site" / "index.html").read_text(encoding="utf-8", errors="replace")
    return {
        # What built it, as the site says: so a row can never show the other builder's site.
        "generator": home.split('name="generator" content="', 1)[-1].split('"', 1)[0],
        "cold_s": round(cold.wall, 1),
        "warm_s": round(warm.wall, 1),
        "decision_pages": len(sizes),
        "largest_kb": round(max(sizes) / 1024, 1),
        "median_kb": round(statistics.median(sizes) / 1024, 1),
        "total_bytes": sum(sizes),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus with both builders and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="how many records")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="adrgen-weight-") as folder:
        bench = run.Bench(Path(folder))
        project = run.make_project(args.n, Path(folder) / "repo")
        result = {b: builds(bench, project, b) for b in ("mkdocs", "zensical")}
    print(
        f"| builder, {args.n} records | generator | cold build | warm build "
        "| decision page: largest | median | all decision pages |"
    )
    print("|---|---|---|---|---|---|---|")
    for builder, row in result.items():
        print(
            f"| {builder} | {row['generator']} | {row['cold_s']} s | {row['warm_s']} s "
            f"| {row['largest_kb']} KB | {row['median_kb']} KB | {row['total_bytes']:,} bytes |"
        )
    RESULTS.write_text(json.dumps({"records": args.n, "builders": result}, indent=2) + "\n")
    print(f"{RESULTS.relative_to(ROOT)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
