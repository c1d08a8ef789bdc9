"""How long `adrgen import` takes on adversarial Markdown, against ordinary ADR prose.

    .venv/bin/python bench/import_adversarial.py                    # 1 MiB files, every class
    .venv/bin/python bench/import_adversarial.py --sizes 64K,256K,1M # the growth with size
    .venv/bin/python bench/import_adversarial.py --only brackets,images --reps 3
    .venv/bin/python bench/import_adversarial.py --adrgen /tmp/old --timeout 120 --json /tmp/old.json

Each class is one file of exactly SIZE bytes (1 MiB by default, the importer's limit: the
limit of a record, `DEFAULT_MAX_BYTES`): an ordinary ADR head (title, date, status, a
Context heading) and then the class's text up to the size. The text is generated, with no
randomness (the mixture comes from a seeded generator). Every file is imported in-process
with the function `adrgen import` runs (`adrgen.importer.import_adrs`, `--dry-run`: nothing is
written), into an empty decisions folder, and timed: wall and CPU seconds, the median of
`--reps` runs. The baseline, measured in the same run at the same size, is ordinary ADR
prose: a MADR 4 record repeated (`prose`); each class is also shown as a multiple of it.

The outcome column says what the import did: the record it would write, or why it refused
(a record's Markdown fields hold at most 200,000 characters, so most 1 MiB inputs are
refused by validation, after every stage of the import has run on them). Writes
``bench/results/import-adversarial.json``.

``--adrgen DIR`` measures the adrgen of another source tree (``git archive`` of an older
commit: the "before" figures); ``--timeout S`` runs each import in a child process (the same
call, in that process) and stops it after S seconds, for code that may not finish.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "import-adversarial.json"
#: The importer's limit on a file, as adrgen.records.loader.DEFAULT_MAX_BYTES says.
MAX_BYTES = 1024 * 1024

HEAD = (
    "# 1. Import whatever the file holds\n\n"
    "Date: 2024-03-05\n\n"
    "## Status\n\n"
    "Accepted\n\n"
    "## Context\n\n"
)

#: An ordinary MADR 4 record: the baseline is this, repeated to the size.
MADR = """---
status: accepted
date: 2024-02-05
decision-makers: [Leila Haddad, Owen Price]
---

# Authenticate patients with an identity provider

## Context and Problem Statement

Patients log in to book, move and cancel appointments and to upload referral letters. The
app holds health data, so login must support two-factor authentication and account recovery
that support staff cannot abuse. Do we build login ourselves or use an identity provider?
See ADR-0003 for where the documents are stored, and [ADR 2](0002-render-pages.md).

## Decision Drivers

* Two-factor authentication from day one
* Data must stay in the EU
* Small team: login is not our product

## Considered Options

* Keycloak
* Auth0
* Build login ourselves

## Decision Outcome

Chosen option: "Keycloak", because it meets the EU data requirement on our own
infrastructure and supports the two-factor methods clinics asked for.

### Consequences

* Good, because password storage, lockout and recovery are handled by a mature product
* Bad, because Keycloak upgrades are our job
* Neutral, because the login pages need a custom theme to match the app

## Pros and Cons of the Options

### Keycloak

* Good, because it is open source and self-hosted in our EU region
* Bad, because it is a heavy Java service to run

### Auth0

* Good, because it is fully managed
* Bad, because EU-only data residency needs a more expensive plan

## More Information

Realm settings are exported to `infra/keycloak/realm.json` and applied by the pipeline.

"""


def _fill(unit: str, size: int) -> str:
    """``unit`` repeated to ``size`` characters (the units here are ASCII: bytes)."""
    return (unit * (size // len(unit) + 1))[:size]


def _lines(make: Callable[[int], str], size: int) -> str:
    """Lines ``make(0)``, ``make(1)``, … up to ``size`` characters."""
    out: list[str] = []
    total, index = 0, 0
    while total < size:
        line = make(index)
        out.append(line)
        total += len(line)
        index += 1
    return "".join(out)[:size]


def _deep_list(size: int) -> str:
    """Lists nested as deep as they go: each item indented under the one before."""
    out: list[str] = []
    total, depth = 0, 0
    while total < size:
        line = "  " * depth + "- item\n"
        out.append(line)
        total += len(line)
        depth = depth + 1 if depth < 400 else 0
    return "".join(out)[:size]


def _mixture(size: int) -> str:
    """Every character the other classes use, in a seeded random order, with newlines."""
    rng = random.Random(20240305)
    pieces = ["[", "]", "(", ")", "*", "_", "`", "<", ">", "!", "~", "#", "|", "-", "&#"]
    pieces += ["![", "](", "<!--", "ADR-7 ", "a", " ", " ", "\n", "\n\n", "1. ", "> "]
    return "".join(rng.choice(pieces) for _ in range(size))[:size]


#: class → (what it is, its text for a size). The text follows HEAD, in the Context section,
#: except where the class is about another section.
CLASSES: dict[str, tuple[str, Callable[[int], str]]] = {
    "prose": ("baseline: a MADR 4 record repeated", lambda n: _fill(MADR, n)),
    "brackets": ("one line of `[`", lambda n: _fill("[", n)),
    "brackets_closed": ("`[` × n/2 then `]` × n/2", lambda n: "[" * (n // 2) + "]" * (n - n // 2)),
    "stars": ("one line of `*`", lambda n: _fill("*", n)),
    "star_words": ("`*a ` repeated (emphasis openers)", lambda n: _fill("*a ", n)),
    "underscores": ("one line of `_`", lambda n: _fill("_", n)),
    "underscore_words": ("`_a ` repeated", lambda n: _fill("_a ", n)),
    "lt": ("one line of `<`", lambda n: _fill("<", n)),
    "open_tags": ("`<a` repeated (tags never closed)", lambda n: _fill("<a", n)),
    "backticks": ("one line of backticks", lambda n: _fill("`", n)),
    "backtick_runs": (
        "runs of 1, 2, 3… backticks",
        lambda n: _lines(lambda i: "`" * (i % 50 + 1) + " x ", n),
    ),
    "parens": ("one line of `(`", lambda n: _fill("(", n)),
    "tildes": ("one line of `~`", lambda n: _fill("~", n)),
    "hashes": ("one line of `#`", lambda n: _fill("#", n)),
    "gt": ("one line of `>` (nested quotes)", lambda n: _fill(">", n)),
    "quote_lines": (
        "`> ` lines, ever deeper",
        lambda n: _lines(lambda i: "> " * (i % 60 + 1) + "x\n", n),
    ),
    "dashes": ("one line of `-`", lambda n: _fill("-", n)),
    "dash_items": ("`- ` repeated on one line (nested lists)", lambda n: _fill("- ", n)),
    "bangs": ("one line of `!`", lambda n: _fill("!", n)),
    "images": ("`![` repeated", lambda n: _fill("![", n)),
    "close_open": ("`](` repeated", lambda n: _fill("](", n)),
    "links_unclosed": ("`[a](` repeated (destinations never closed)", lambda n: _fill("[a](", n)),
    "image_links": ("`![a](` repeated", lambda n: _fill("![a](", n)),
    "links": ("`[a](b.md) ` repeated (real links)", lambda n: _fill("[a](b.md) ", n)),
    "entities": ("`&#` repeated", lambda n: _fill("&#", n)),
    "comment": ("`<!--` never closed, then text", lambda n: "<!--" + _fill("text ", n - 4)),
    "table": (
        "a table of many rows",
        lambda n: "| a | b |\n|---|---|\n" + _fill("| x | y |\n", n - 20),
    ),
    "table_wide": ("a table row of many cells", lambda n: "|" + _fill(" x |", n - 1)),
    "table_sparse": (
        "a header of n/40 columns, then one-cell rows (cells filled in)",
        lambda n: "|" + "a|" * (n // 40) + "\n|" + "-|" * (n // 40) + "\n" + _fill("x\n", n),
    ),
    "short_lines": ("one paragraph of `x` lines", lambda n: _fill("x\n", n)),
    "paragraphs": ("paragraphs of one character", lambda n: _fill("x\n\n", n)),
    "list_items": ("a list of one-character items", lambda n: _fill("- x\n", n)),
    "refdefs": ("link reference definitions", lambda n: _lines(lambda i: f"[r{i}]: /u/{i}\n", n)),
    "refdef_uses": (
        "definitions, then uses of each",
        lambda n: (
            _lines(lambda i: f"[r{i}]: /u/{i}\n", n // 2)
            + _lines(lambda i: f"See [r{i}] and [r{i}][]. ", n - n // 2)
        ),
    ),
    "long_line": ("one line of words", lambda n: _fill("word ", n)),
    "headings": ("many headings", lambda n: _lines(lambda i: f"## Heading {i}\n", n)),
    "deep_list": ("lists nested 400 deep, again and again", _deep_list),
    "digits": ("one line of digits", lambda n: _fill("7", n)),
    "adr_number": (
        "`ADR-` and a number of n digits",
        lambda n: "Superseded by ADR-" + _fill("7", n - 18),
    ),
    "mentions": ("`ADR-1 ADR-2 …`", lambda n: _lines(lambda i: f"ADR-{i} ", n)),
    "mention_lines": (
        "`Superseded by ADR-n` lines",
        lambda n: _lines(lambda i: f"Superseded by ADR-{i}\n\n", n),
    ),
    "metadata_lines": (
        "`Status: …` and `Date: …` lines",
        lambda n: _lines(lambda i: f"Status: proposed {i}\nDate: 2024-01-{i % 28 + 1:02d}\n", n),
    ),
    "options": (
        "many options, each with its own heading",
        lambda n: (
            "## Considered Options\n\n"
            + _lines(lambda i: f"* Option {i}\n", n // 2)
            + "\n\n## Pros and Cons of the Options\n\n"
            + _lines(lambda i: f"### Option {i}\n\n* Good, because {i}\n\n", n - n // 2)
        ),
    ),
    "mixture": ("all of the above characters, seeded", _mixture),
}


def document(name: str, size: int) -> str:
    """The file of class ``name``: exactly ``size`` bytes."""
    body = CLASSES[name][1]
    text = body(size) if name == "prose" else HEAD + body(size - len(HEAD))
    text = text[: size - 1] + "\n"
    assert len(text.encode("utf-8")) == size, name
    return text


def use_adrgen(source: Path | None) -> str:
    """Put the adrgen of ``source`` (default: this tree) first on the path; where it is."""
    tree = (source or ROOT).resolve()
    sys.path.insert(0, str(tree))
    adrgen = importlib.import_module("adrgen")
    assert adrgen.__file__ is not None
    return str(Path(adrgen.__file__).parent)


def import_once(path: Path, folder: Path) -> dict[str, Any]:
    """Import one file in a dry run, timed; what it did."""
    from adrgen.errors import ImportFailed
    from adrgen.importer import import_adrs

    decisions = folder / "decisions"
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        report = import_adrs([path], decisions, dry_run=True)
        outcome = ""
    except ImportFailed as exc:
        report = None
        problems = exc.problems
        outcome = f"refused: {problems[0].message}" if problems else "refused"
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if report is not None:
        (entry,) = report.files
        outcome = f"{entry.action}: {len(entry.notes)} notes, {len(entry.unmapped)} kept pieces"
    return {"wall": wall, "cpu": cpu, "outcome": outcome}


def in_child(name: str, size: int, adrgen: Path | None, timeout: float) -> dict[str, Any]:
    """One import in a child process (this script, ``--child``), stopped after ``timeout``."""
    command = [sys.executable, __file__, "--child", f"{name}:{size}"]
    if adrgen is not None:
        command += ["--adrgen", str(adrgen)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"wall": timeout, "cpu": timeout, "outcome": f"stopped after {timeout:g} s"}
    except subprocess.CalledProcessError as exc:
        return {"wall": 0.0, "cpu": 0.0, "outcome": f"failed: {exc.stderr.strip()[-200:]}"}
    run: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return run


def measure(
    name: str, size: int, reps: int, adrgen: Path | None = None, timeout: float | None = None
) -> dict[str, Any]:
    """Median wall and CPU seconds of ``reps`` imports of the class at ``size``."""
    with tempfile.TemporaryDirectory(prefix="adrgen-adversarial-") as scratch:
        folder = Path(scratch)
        path = folder / f"0001-{name.replace('_', '-')}.md"
        path.write_text(document(name, size), encoding="utf-8")
        runs = []
        for _ in range(reps):
            runs.append(
                import_once(path, folder)
                if timeout is None
                else in_child(name, size, adrgen, timeout)
            )
            if runs[-1]["outcome"].startswith("stopped"):
                break  # no second wait for code that does not finish
    return {
        "bytes": size,
        "wall_s": round(statistics.median(r["wall"] for r in runs), 3),
        "cpu_s": round(statistics.median(r["cpu"] for r in runs), 3),
        "walls": [round(r["wall"], 3) for r in runs],
        "outcome": runs[0]["outcome"],
    }


def _size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in ("K", "M") else text
    return min(int(float(number) * factor), MAX_BYTES)


def _commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "adrgen/importer"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() + (" + working tree" if dirty.stdout.strip() else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Import every class at every size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1M", help="comma-separated sizes (64K, 1M…), at most 1 MiB"
    )
    parser.add_argument("--reps", type=int, default=1, help="imports of each file (median)")
    parser.add_argument("--only", default="", help="comma-separated classes (prose is kept)")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument("--adrgen", type=Path, help="an adrgen source tree (default: this one)")
    parser.add_argument(
        "--timeout", type=float, help="each import in a child process, stopped after this"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    where = use_adrgen(args.adrgen)
    if args.child:
        name, size = args.child.rsplit(":", 1)
        with tempfile.TemporaryDirectory(prefix="adrgen-adversarial-") as scratch:
            path = Path(scratch) / f"0001-{name.replace('_', '-')}.md"
            path.write_text(document(name, int(size)), encoding="utf-8")
            print(json.dumps(import_once(path, Path(scratch))))
        return 0
    from adrgen.records.loader import DEFAULT_MAX_BYTES

    assert DEFAULT_MAX_BYTES == MAX_BYTES, "the importer's limit changed: change MAX_BYTES"
    sizes = [_size(s) for s in args.sizes.split(",") if s.strip()]
    names = [n for n in CLASSES if not args.only or n == "prose" or n in args.only.split(",")]
    import markdown_it

    out: dict[str, Any] = {
        "command": "python bench/import_adversarial.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "adrgen": where,
        "commit": _commit() if args.adrgen is None else f"the tree at {args.adrgen}",
        "python": platform.python_version(),
        "markdown_it_py": markdown_it.__version__,
        "machine": f"{platform.machine()}, {platform.processor() or platform.system()}",
        "reps": args.reps,
        "sizes": {},
    }
    started = time.perf_counter()
    print("| class | what | bytes | wall | CPU | × prose | outcome |")
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        rows: dict[str, Any] = {}
        for name in names:
            row = measure(name, size, args.reps, args.adrgen, args.timeout)
            row["what"] = CLASSES[name][0]
            rows[name] = row
            base = rows["prose"]["cpu_s"] or 1e-9
            row["times_prose_cpu"] = round(row["cpu_s"] / base, 2)
            print(
                f"| {name} | {row['what']} | {size:,} | {row['wall_s']:.2f} s "
                f"| {row['cpu_s']:.2f} s | {row['times_prose_cpu']:.1f}× | {row['outcome']} |",
                flush=True,
            )
        out["sizes"][str(size)] = rows
    out["total_s"] = round(time.perf_counter() - started, 1)
    slowest = max(
        (
            (size, name, row["cpu_s"])
            for size, rows in out["sizes"].items()
            for name, row in rows.items()
        ),
        key=lambda item: item[2],
    )
    print(f"\nslowest: {slowest[1]} at {int(slowest[0]):,} bytes, {slowest[2]:.2f} s CPU")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"{args.json} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
