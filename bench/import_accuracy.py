"""How faithfully `adrgen import` reads real ADRs, measured against hand labels.

    python bench/import_accuracy.py CORPUS LABELS [--json OUT] [--aggregate-only]

CORPUS holds one folder per project; LABELS (YAML) gives, per file (path relative to
CORPUS), what a careful reader reads: adr, title, number, status, date, options, chosen,
estimates, links. Each project folder is copied into a scratch folder (a copy: the
corpus's own git history, if any, is the history of the corpus, not of the projects), then
imported into a fresh docs repository with one run of

    adrgen import --renumber --recursive --report report.json PROJECT

and that repository is validated (`adrgen validate`) and built (`adrgen build`, with
ADRGEN_RENDERER=none: no PlantUML, the site still builds). Files at the top of CORPUS are
one more run. The figures, per corpus:

* files, ADR files, records written, % of ADR files that became records;
* status agreement over the files whose label has a status, and over all ADR files (a file
  labelled with no status must be imported as `unknown`);
* date agreement likewise; invented dates: a date written where the label has none;
* invented estimates: a complexity or time written for an option whose label lists none;
* option, chosen-option and link agreement (links compared with both ends of every labelled
  link, since a valid repository has both);
* whether every repository validates and builds.

Then every disagreement, file by file, for review. `--aggregate-only` leaves file names and
text out of the JSON (for corpora that must not be committed).
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
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
KINDS = ("supersedes", "superseded_by", "relates_to")


def adrgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "ADRGEN_RENDERER": "none"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "adrgen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def key(text: Any) -> str:
    """Names compared as a reader compares them: no case, accents, quotes or emphasis."""
    value = unicodedata.normalize("NFKD", str(text))
    value = "".join(c for c in value if not unicodedata.combining(c)).casefold()
    value = re.sub(r"[\"'`*_“”‘’«»\\]", "", value)
    return re.sub(r"\s+", " ", value).strip(" .:;,")


def date_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def import_project(source: Path, scratch: Path, name: str) -> dict[str, Any]:
    """Import one project into its own docs repository; validate and build it."""
    copy = scratch / "src" / name
    if source.is_dir():
        shutil.copytree(source, copy, symlinks=True)
    repo = scratch / "repos" / name
    repo.mkdir(parents=True)
    init = adrgen("init", "--site-name", name, cwd=repo)
    if init.returncode:
        raise SystemExit(f"adrgen init failed: {init.stderr}")
    for starter in (repo / "decisions").glob("*.yaml"):
        starter.unlink()  # the starter record would take number 1 from the imported ones
    run = adrgen(
        "import", "--renumber", "--recursive", "--report", "report.json", str(copy), cwd=repo
    )
    result: dict[str, Any] = {"name": name, "copy": copy, "repo": repo, "import_rc": run.returncode}
    result["import_stderr"] = run.stderr[-4000:]
    report_path = repo / "report.json"
    result["report"] = json.loads(report_path.read_text()) if report_path.exists() else None
    validate = adrgen("validate", cwd=repo)
    result["validates"] = validate.returncode == 0
    result["validate_stderr"] = validate.stderr[-4000:]
    build = adrgen("build", cwd=repo)
    result["builds"] = build.returncode == 0 and (repo / "site" / "index.html").is_file()
    result["build_stderr"] = build.stderr[-4000:]
    return result


def read_records(repo: Path) -> dict[int, dict[str, Any]]:
    out = {}
    for path in sorted((repo / "decisions").glob("*.yaml")):
        match = re.match(r"^(\d{4,})-", path.name)
        if match:
            out[int(match[1])] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return out


def measure(corpus: Path, labels: dict[str, Any], scratch: Path) -> dict[str, Any]:
    projects = sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
    runs = []
    for project in projects:
        runs.append(import_project(project, scratch, project.name))
    top = [p for p in corpus.iterdir() if p.is_file() and p.name in labels]
    if top:
        root = scratch / "toplevel"
        root.mkdir()
        for path in top:
            shutil.copy2(path, root / path.name)
        runs.append(import_project(root, scratch, "_toplevel"))
    # source key (corpus-relative) → (report entry, record, run)
    entries: dict[str, tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any]]] = {}
    by_number: dict[tuple[str, int], str] = {}
    for run in runs:
        if run["report"] is None:
            continue
        records = read_records(run["repo"])
        for entry in run["report"]["files"]:
            src = Path(entry["source"])
            if not src.is_absolute():
                src = run["repo"] / src
            rel = (
                src.relative_to(run["copy"]).as_posix()
                if src.is_relative_to(run["copy"])
                else src.name
            )
            corpus_key = rel if run["name"] == "_toplevel" else f"{run['name']}/{rel}"
            record = records.get(entry["number"]) if entry["action"] == "written" else None
            entries[corpus_key] = (entry, record, run)
            if entry["action"] == "written":
                by_number[(run["name"], entry["number"])] = corpus_key

    # Labelled links, with both ends (a valid repository has both).
    expected_links: dict[str, dict[str, set[str]]] = defaultdict(lambda: {k: set() for k in KINDS})
    inverse = {
        "supersedes": "superseded_by",
        "superseded_by": "supersedes",
        "relates_to": "relates_to",
    }
    for name, label in labels.items():
        if not label.get("adr"):
            continue
        for kind in KINDS:
            for target in (label.get("links") or {}).get(kind) or []:
                if target in labels:
                    expected_links[name][kind].add(target)
                    expected_links[target][inverse[kind]].add(name)

    counts: dict[str, int] = defaultdict(int)
    disagreements: list[dict[str, Any]] = []

    def disagree(name: str, what: str, expected: Any, got: Any) -> None:
        disagreements.append({"file": name, "field": what, "expected": expected, "got": got})

    for name, label in sorted(labels.items()):
        counts["files"] += 1
        entry, record, run = entries.get(name, ({}, None, {}))
        written = entry.get("action") == "written"
        if not label.get("adr"):
            if written:
                counts["non_adr_written"] += 1
                disagree(name, "adr", False, f"written ({entry.get('output')})")
            continue
        counts["adr_files"] += 1
        if not written or record is None:
            disagree(name, "record", "written", entry.get("skip", entry.get("action", "not found")))
            continue
        counts["records"] += 1
        # Status
        status = record.get("status")
        if label.get("status") is not None:
            counts["status_labelled"] += 1
            if status == label["status"]:
                counts["status_agree"] += 1
                counts["status_agree_all"] += 1
            else:
                disagree(
                    name,
                    "status",
                    label["status"],
                    f"{status} (read from {entry['status'].get('from')}: {entry['status'].get('as_written')!r})",
                )
        else:
            if status == "unknown":
                counts["status_agree_all"] += 1
            else:
                disagree(
                    name,
                    "status",
                    None,
                    f"{status} (read from {entry['status'].get('from')}: {entry['status'].get('as_written')!r})",
                )
        # Date
        written_date = date_text(record.get("date"))
        written_date = None if written_date == "unknown" else written_date
        labelled_date = date_text(label.get("date"))
        if labelled_date is not None:
            counts["date_labelled"] += 1
        if written_date == labelled_date:
            counts["date_agree_all"] += 1
            if labelled_date is not None:
                counts["date_agree"] += 1
        else:
            how = (record.get("imported") or {}).get("date_from")
            disagree(
                name,
                "date",
                labelled_date,
                f"{written_date} (from {how}: {entry['date'].get('as_written')!r})",
            )
            if labelled_date is None:
                source_text = (
                    run["copy"] / Path(name).relative_to(run["name"])
                    if run["name"] != "_toplevel"
                    else run["copy"] / name
                ).read_text(encoding="utf-8", errors="replace")
                as_written = entry["date"].get("as_written") or ""
                if (
                    re.fullmatch(r"\d{4}-\d{2}", written_date or "")
                    and as_written
                    and as_written in source_text
                ):
                    # A month the source states ("Date: 2018-11"), kept as a month: no day is
                    # invented. Labels that record full dates only have none for it.
                    counts["month_only_dates_unlabelled"] += 1
                else:
                    counts["invented_dates"] += 1
        # Estimates
        stated = {key(o) for o in (label.get("estimates") or {})}
        for option in record.get("options") or []:
            for field in ("complexity", "time"):
                if option.get(field) is not None:
                    counts["estimates_written"] += 1
                    if key(option["name"]) not in stated:
                        counts["invented_estimates"] += 1
                        disagree(
                            name,
                            f"estimate ({field})",
                            sorted(label.get("estimates") or {}),
                            f"{option['name']}: {option[field]}",
                        )
        for option_name in label.get("estimates") or {}:
            counts["estimates_labelled"] += 1
            written_option = next(
                (o for o in record.get("options") or [] if key(o["name"]) == key(option_name)), None
            )
            if written_option is not None and (
                written_option.get("time") or written_option.get("complexity")
            ):
                counts["estimates_read"] += 1
        # Options and chosen
        written_options = [o["name"] for o in record.get("options") or []]
        labelled_options = [str(o) for o in label.get("options") or []]
        if [key(o) for o in written_options] == [key(o) for o in labelled_options]:
            counts["options_agree"] += 1
        else:
            disagree(name, "options", labelled_options, written_options)
        outcome = record.get("outcome") or {}
        chosen_id = outcome.get("chosen")
        chosen = next(
            (o["name"] for o in record.get("options") or [] if o["id"] == chosen_id), None
        )
        # Labels quote the "Chosen option:" text as written, which may abbreviate the option
        # or add to it: the same option when one contains the other.
        if (chosen is None and label.get("chosen") is None) or (
            chosen is not None
            and label.get("chosen") is not None
            and (key(chosen) in key(label["chosen"]) or key(label["chosen"]) in key(chosen))
        ):
            counts["chosen_agree"] += 1
        else:
            disagree(name, "chosen", label.get("chosen"), chosen)
        # Links
        got_links = {k: set() for k in KINDS}
        for kind in KINDS:
            for number in (record.get("links") or {}).get(kind) or []:
                got_links[kind].add(by_number.get((run["name"], number), f"#{number}"))
        want = expected_links.get(name, {k: set() for k in KINDS})
        want = {k: {t for t in want[k] if t in entries} for k in KINDS}
        if got_links == want:
            counts["links_agree"] += 1
        else:
            disagree(
                name,
                "links",
                {k: sorted(v) for k, v in want.items() if v},
                {k: sorted(v) for k, v in got_links.items() if v},
            )

    def pct(part: str, whole: str) -> float:
        return round(100.0 * counts[part] / counts[whole], 1) if counts[whole] else 100.0

    figures = {
        "files": counts["files"],
        "adr_files": counts["adr_files"],
        "records_written": counts["records"],
        "adr_files_to_records_pct": pct("records", "adr_files"),
        "non_adr_files_written": counts["non_adr_written"],
        "status_agreement_pct": pct("status_agree", "status_labelled"),
        "status_labelled_files": counts["status_labelled"],
        "status_agreement_incl_unknown_pct": pct("status_agree_all", "adr_files"),
        "date_agreement_pct": pct("date_agree", "date_labelled"),
        "date_labelled_files": counts["date_labelled"],
        "date_agreement_incl_unknown_pct": pct("date_agree_all", "adr_files"),
        "invented_dates": counts["invented_dates"],
        "month_only_dates_where_labels_have_none": counts["month_only_dates_unlabelled"],
        "estimates_written": counts["estimates_written"],
        "invented_estimates": counts["invented_estimates"],
        "labelled_estimates": counts["estimates_labelled"],
        "labelled_estimates_read": counts["estimates_read"],
        "option_agreement_pct": pct("options_agree", "adr_files"),
        "chosen_agreement_pct": pct("chosen_agree", "adr_files"),
        "link_agreement_pct": pct("links_agree", "adr_files"),
        "projects": len(runs),
        "projects_imported": sum(1 for r in runs if r["import_rc"] == 0),
        "projects_validating": sum(1 for r in runs if r["validates"]),
        "projects_building": sum(1 for r in runs if r["builds"]),
    }
    failures = [
        {
            "project": r["name"],
            "import": r["import_stderr"],
            "validate": r["validate_stderr"],
            "build": r["build_stderr"],
        }
        for r in runs
        if r["import_rc"] or not r["validates"] or not r["builds"]
    ]
    return {"figures": figures, "disagreements": disagreements, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("labels", type=Path)
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO / "bench" / "results" / "import-accuracy.json",
        help="merge the results into this file, under the corpus's name (default: %(default)s)",
    )
    parser.add_argument(
        "--aggregate-only",
        action="store_true",
        help="no file names or text in the JSON (implied for a corpus outside this repository)",
    )
    parser.add_argument("--keep", type=Path, help="keep the scratch repositories in this folder")
    args = parser.parse_args()
    labels = yaml.safe_load(args.labels.read_text(encoding="utf-8"))
    scratch = (
        Path(tempfile.mkdtemp(prefix="adrgen-import-accuracy-")) if args.keep is None else args.keep
    )
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        result = measure(args.corpus.resolve(), labels, scratch)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    figures = result["figures"]
    width = max(len(k) for k in figures)
    print(f"corpus: {args.corpus}")
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value}")
    for failure in result["failures"]:
        print(f"\nFAILED project {failure['project']}:")
        for step in ("import", "validate", "build"):
            if failure[step].strip():
                print(f"  {step}: {failure[step].strip()[-1500:]}")
    print(f"\n{len(result['disagreements'])} disagreement(s):")
    for item in result["disagreements"]:
        print(
            f"  {item['file']}: {item['field']}: expected {item['expected']!r}, got {item['got']!r}"
        )
    corpus = args.corpus.resolve()
    inside = corpus.is_relative_to(REPO)
    entry: dict[str, Any] = {
        "command": f"python bench/import_accuracy.py {args.corpus} {args.labels}",
        "commit": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip(),
        "figures": figures,
    }
    if args.aggregate_only or not inside:
        # Other people's text stays out of this repository: counts only.
        by_field: dict[str, int] = defaultdict(int)
        for item in result["disagreements"]:
            by_field[item["field"]] += 1
        entry["disagreements_by_field"] = dict(sorted(by_field.items()))
        entry["failed_projects"] = len(result["failures"])
    else:
        entry["disagreements"] = result["disagreements"]
        entry["failures"] = result["failures"]
    name = corpus.relative_to(REPO).as_posix() if inside else "outside corpus (aggregate only)"
    document: dict[str, Any] = {}
    if args.json.exists():
        document = json.loads(args.json.read_text(encoding="utf-8"))
    document.setdefault("corpora", {})[name] = entry
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(document, indent=2, default=str, ensure_ascii=False, sort_keys=True) + "\n"
    )
    print(f"\nresults written to {args.json} (under {name!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
