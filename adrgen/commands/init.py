"""``adrgen init``: set up a docs repository, or add adrgen to the MkDocs site that is there.

It never overwrites a file the user already has: what is there is kept and reported.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from adrgen.authoring import SCHEMA_PATH, schema_header
from adrgen.config import load_config
from adrgen.output import write_file_atomic
from adrgen.records.collect import discover_records
from adrgen.records.format import record_json_schema
from adrgen.site.wiring import Wiring, wire_site
from adrgen.templating import authoring_environment

#: What `adrgen init` writes: destination → template under templates/init/.
INIT_FILES = {
    "mkdocs.yml": "init/mkdocs.yml.j2",
    ".github/workflows/adr.yml": "init/adr-workflow.yml.j2",
    ".pre-commit-config.yaml": "init/pre-commit-config.yaml.j2",
    "decisions/0001-record-architecture-decisions.yaml": "init/0001-record-architecture-decisions.yaml.j2",
}
GITIGNORE_LINES = ("site/", ".adrgen-cache/")


@dataclass
class InitReport:
    """What ``adrgen init`` did (or, with ``dry_run``, would do), file by file."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: The edit of an existing site's configuration, when there is one.
    wiring: Wiring | None = None
    dry_run: bool = False


#: The names MkDocs looks for; a repository with one of them has a site already.
SITE_FILES = ("mkdocs.yml", "mkdocs.yaml")


def init_repository(
    root: Path,
    *,
    site_name: str | None = None,
    today: dt.date | None = None,
    dry_run: bool = False,
) -> InitReport:
    """Set up a docs repository in ``root``; never overwrite what is there.

    In a repository with an MkDocs site already, its configuration is edited to add adrgen
    (see :mod:`adrgen.site.wiring`) instead of a second one being written.
    """
    root = root.resolve()
    report = InitReport(dry_run=dry_run)
    # An adrgen.toml already there says where records go (docs/decisions, say).
    decisions_dir = load_config(root).decisions_dir
    site = next((root / name for name in SITE_FILES if (root / name).is_file()), None)
    planned = _planned_files(root, decisions_dir, site_name, today, has_site=site is not None)
    writes = _new_files(root, decisions_dir, planned, report)
    _gitignore(root, writes, report)
    if site is not None:
        report.wiring = wire_site(site)
        if report.wiring.changed:
            writes[report.wiring.path] = report.wiring.after.encode("utf-8")
    if not dry_run:
        for target, content in writes.items():
            write_file_atomic(target, content)
    return report


def _records_folder(root: Path, decisions_dir: Path) -> str:
    """The records' folder as ``init`` names it: relative to the repository when inside it."""
    if decisions_dir.is_relative_to(root):
        return decisions_dir.relative_to(root).as_posix()
    return "decisions"


def _planned_files(
    root: Path,
    decisions_dir: Path,
    site_name: str | None,
    today: dt.date | None,
    *,
    has_site: bool,
) -> dict[str, bytes]:
    """Every file ``init`` would write, by its path in ``root``; a site keeps its mkdocs.yml."""
    env = authoring_environment()
    context = {
        "site_name": site_name or f"{root.name} decisions",
        "date": (today or dt.date.today()).isoformat(),
        "header": schema_header(decisions_dir, root),
    }
    records = _records_folder(root, decisions_dir)
    files = {
        d.replace("decisions/", f"{records}/", 1): t
        for d, t in INIT_FILES.items()
        if not (has_site and d == "mkdocs.yml")
    }
    planned: dict[str, bytes] = {
        dest: env.get_template(template).render(**context).encode("utf-8")
        for dest, template in files.items()
    }
    planned[SCHEMA_PATH.as_posix()] = (
        json.dumps(record_json_schema(), indent=2, sort_keys=True) + "\n"
    ).encode()
    return planned


def _new_files(
    root: Path, decisions_dir: Path, planned: dict[str, bytes], report: InitReport
) -> dict[Path, bytes]:
    """The planned files that are not there yet; the others are kept, and reported."""
    writes: dict[Path, bytes] = {}
    has_records = bool(discover_records(decisions_dir))
    for dest, content in sorted(planned.items()):
        if (root / dest).exists():
            report.kept.append(dest)
        elif has_records and (root / dest).parent == decisions_dir:
            # A folder of records needs no example record (and its 0001 is taken).
            report.kept.append(f"{_records_folder(root, decisions_dir)}/ (it has records already)")
        else:
            writes[root / dest] = content
            report.written.append(dest)
    return writes


def _gitignore(root: Path, writes: dict[Path, bytes], report: InitReport) -> None:
    """Add the lines ``.gitignore`` lacks, keeping what it has."""
    gitignore = root / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in GITIGNORE_LINES if line not in existing.splitlines()]
    if not missing:
        report.kept.append(".gitignore")
        return
    prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
    writes[gitignore] = (prefix + "\n".join(missing) + "\n").encode("utf-8")
    report.written.append(".gitignore")
