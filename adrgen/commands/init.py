"""``adrgen init``: set up a docs repository, or add adrgen to the MkDocs site that is there.

It never overwrites a file the user already has: what is there is kept and reported. In a
repository that has a site and a docs CI already (:mod:`adrgen.site.adoption` looks), it
also fits in with them:

* where Markdown ADRs exist, it writes no sample record (its 0001 would take their ADR 1's
  number) and suggests ``adrgen import --migrate FOLDER`` (``adrgen import FOLDER`` for ADRs
  that are not pages of the site);
* adrgen joins the docs' requirements file, or the workflow step that pip-installs MkDocs
  (the site's ``mkdocs.yml`` now names the plugin, so their build needs it);
* the workflow it writes installs what the site builds with (the requirements file, or the
  packages of its theme and plugins), builds as strictly as their CI does, and publishes
  the site only when nothing else does: next to ``mkdocs gh-deploy`` or a Pages deploy
  action, it checks and builds only (see :data:`CHECK_ONLY`).

Every edit inserts text and keeps every other byte; ``--dry-run`` shows them all as a diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adrgen.authoring import SCHEMA_PATH, schema_header
from adrgen.config import load_config
from adrgen.errors import display_path
from adrgen.output import write_file_atomic
from adrgen.records.collect import discover_records
from adrgen.records.format import record_json_schema
from adrgen.site.adoption import (
    Survey,
    add_requirement,
    add_to_pip_step,
    requirement_names,
    survey,
)
from adrgen.site.wiring import Wiring, load_site_config, read_text, split_lines, wire_site
from adrgen.templating import authoring_environment

WORKFLOW = ".github/workflows/adr.yml"
SAMPLE_RECORD = "decisions/0001-record-architecture-decisions.yaml"
#: What `adrgen init` writes: destination → template under templates/init/.
INIT_FILES = {
    "mkdocs.yml": "init/mkdocs.yml.j2",
    WORKFLOW: "init/adr-workflow.yml.j2",
    ".pre-commit-config.yaml": "init/pre-commit-config.yaml.j2",
    SAMPLE_RECORD: "init/0001-record-architecture-decisions.yaml.j2",
}
GITIGNORE_LINES = ("site/", ".adrgen-cache/")
#: Next to a workflow that publishes the site already, the workflow init writes only checks
#: and builds, rather than adrgen's steps joining theirs: their deploy workflow stays as they
#: wrote it (one word more, to install adrgen); it usually runs on the default branch only,
#: while records need checking in pull requests; a failing ``adrgen check`` does not hold up
#: their deploys; and a file of its own is easy to read and to remove. Their deploy
#: publishes the decisions, since the plugin is in their mkdocs.yml.
CHECK_ONLY = (
    "{who} publishes the site already, with the decisions in it (the plugin is in "
    "mkdocs.yml), so {workflow} only validates, checks and builds, in pushes and pull requests"
)
#: Without a site, a Pages publisher publishes something else: a second would replace it.
CHECK_ONLY_NO_SITE = (
    "{who} publishes to GitHub Pages already, so {workflow} only validates, checks and builds "
    "(a second publisher would replace that site): publish site/ from there, if you want to"
)


@dataclass
class InitReport:
    """What ``adrgen init`` did (or, with ``dry_run``, would do), file by file."""

    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: The edit of an existing site's configuration, when there is one.
    wiring: Wiring | None = None
    #: Other files of theirs that init edits: a requirements file, a docs workflow.
    edits: list[Wiring] = field(default_factory=list)
    #: What to do next, and why the workflow is as it is (printed as information).
    notes: list[str] = field(default_factory=list)
    #: What init could not do safely, for the user to do by hand (printed as warnings).
    todo: list[str] = field(default_factory=list)
    #: The text of each new file, by its path in the repository (for the dry-run diff).
    new_files: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    #: The repository: files are named relative to it.
    root: Path | None = None

    def name(self, path: Path) -> str:
        """A file as the report names it: its path in the repository."""
        if self.root is not None and path.is_relative_to(self.root):
            return path.relative_to(self.root).as_posix()
        return display_path(path)

    def lines(self) -> list[str]:
        """The report, a line per file and change, as ``adrgen init`` prints it."""
        verb = "would write" if self.dry_run else "wrote"
        edit = "would edit" if self.dry_run else "edited"
        out = [f"{verb} {name}" for name in self.written]
        out.extend(
            f"kept  {name}" + ("" if name.endswith(")") else " (already there)")
            for name in self.kept
        )
        if self.wiring is not None and not self.wiring.changed:
            out.append(f"kept  {self.name(self.wiring.path)} (adrgen is wired in already)")
        for changed in [*([self.wiring] if self.wiring is not None else []), *self.edits]:
            out.extend(f"{edit} {self.name(changed.path)}: {c}" for c in changed.changes)
        out.extend(self.notes)
        return out

    def diff(self) -> str:
        """Every change as a unified diff: the edits, then the new files (but the generated
        JSON schema, which ``lines`` names)."""
        parts: list[str] = []
        for edited in [self.wiring, *self.edits]:
            if edited is not None and edited.changed:
                parts.append(_diff(self.name(edited.path), edited.before, edited.after))
        for name, text in sorted(self.new_files.items()):
            if name != SCHEMA_PATH.as_posix():
                parts.append(_diff(name, None, text))
        return "".join(parts)


def _diff(name: str, before: str | None, after: str) -> str:
    """A unified diff of one file; ``before`` None: a new file."""
    return "".join(
        difflib.unified_diff(
            split_lines(before or ""),
            split_lines(after),
            fromfile="/dev/null" if before is None else f"a/{name}",
            tofile=f"b/{name}",
        )
    )


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
    (see :mod:`adrgen.site.wiring`) instead of a second one being written, and the docs' CI
    is fitted (see the module's docstring).
    """
    root = root.resolve()
    report = InitReport(dry_run=dry_run, root=root)
    # An adrgen.toml already there says where records go (docs/decisions, say).
    decisions_dir = load_config(root).decisions_dir
    site = next((root / name for name in SITE_FILES if (root / name).is_file()), None)
    site_config = load_site_config(site, read_text(site)) if site else None
    docs_dir = root / "docs"
    if site_config is not None and isinstance(site_config.get("docs_dir"), str):
        docs_dir = (root / site_config["docs_dir"]).resolve()
    found = survey(root, site_config, docs_dir=docs_dir, skip_workflows=[root / WORKFLOW])
    install = _install_edit(found) if site is not None else None
    planned = _planned_files(
        root,
        decisions_dir,
        site_name,
        today,
        has_site=site is not None,
        workflow=_workflow_context(root, found, install, has_site=site is not None),
    )
    writes = _new_files(root, decisions_dir, planned, report, found, has_site=site is not None)
    _gitignore(root, writes, report)
    if site is not None:
        report.wiring = wire_site(site)
        report.todo.extend(report.wiring.notes)
        if report.wiring.changed:
            writes[report.wiring.path] = report.wiring.after.encode("utf-8")
        _fit_ci(found, install, report, writes)
    if found.publishers and WORKFLOW in report.written:
        note = CHECK_ONLY if site is not None else CHECK_ONLY_NO_SITE
        report.notes.append(note.format(who=", ".join(found.publishers), workflow=WORKFLOW))
    if not dry_run:
        for target, content in writes.items():
            write_file_atomic(target, content)
    return report


def _install_edit(found: Survey) -> Wiring | None:
    """adrgen joins what installs the docs: their requirements file, else the step of their
    docs workflow that pip-installs MkDocs (None when there is neither)."""
    if found.requirements is not None:
        return add_requirement(found.requirements)
    if found.pip_step is not None:
        return add_to_pip_step(*found.pip_step)
    return None


def _fit_ci(
    found: Survey, install: Wiring | None, report: InitReport, writes: dict[Path, bytes]
) -> None:
    """Make the edit that installs adrgen with the docs; a note when there is none."""
    if install is None:
        if found.docs_workflows:
            names = ", ".join(report.name(w.path) for w in found.docs_workflows)
            report.todo.append(
                f"{names}: install adrgen where this workflow installs MkDocs (the site's "
                "mkdocs.yml names the adrgen plugin now)"
            )
    else:
        report.todo.extend(install.notes)
        if install.changed:
            report.edits.append(install)
            writes[install.path] = install.after.encode("utf-8")
    if found.unknown and found.requirements is None and WORKFLOW in report.written:
        report.todo.append(
            f"{WORKFLOW}: add the packages of {', '.join(found.unknown)} to its install step "
            "(adrgen does not know them)"
        )


def _workflow_context(
    root: Path, found: Survey, install: Wiring | None, *, has_site: bool
) -> dict[str, Any]:
    """What the workflow template needs: how to install, whether to publish, how strictly
    to build. An empty repository gets the plain workflow (adrgen alone, published)."""
    context: dict[str, Any] = {
        "publish": not found.publishers,
        "site": has_site,
        "publishers": " ".join(", ".join(found.publishers).split()),  # one comment line
        "install_name": "Install PlantUML and adrgen",
        "install": ["python -m pip install adrgen"],
        "history": found.history,
        "strict": found.strict,
        "python_version": found.python_version or "3.12",
    }
    if not has_site:
        return context
    context["install_name"] = "Install PlantUML, adrgen and what the site is built with"
    if found.requirements is not None:
        requirements = found.requirements.relative_to(root).as_posix()
        context["install"] = [f"python -m pip install -r {shlex.quote(requirements)}"]
        listed = "adrgen" in requirement_names(read_text(found.requirements))
        joins = install is not None and install.changed and install.path == found.requirements
        if not (listed or joins):
            # It could not take adrgen (hashes; compiled from a .in): installed on its own.
            context["install"].append("python -m pip install adrgen")
    else:
        packages = ["adrgen", *found.packages]
        context["install"] = [f"python -m pip install {' '.join(map(shlex.quote, packages))}"]
    return context


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
    workflow: dict[str, Any],
) -> dict[str, bytes]:
    """Every file ``init`` would write, by its path in ``root``; a site keeps its mkdocs.yml."""
    env = authoring_environment()
    context = {
        "site_name": site_name or f"{root.name} decisions",
        "date": (today or dt.date.today()).isoformat(),
        "header": schema_header(decisions_dir, root),
        "workflow": workflow,
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
    root: Path,
    decisions_dir: Path,
    planned: dict[str, bytes],
    report: InitReport,
    found: Survey,
    *,
    has_site: bool,
) -> dict[Path, bytes]:
    """The planned files that are not there yet; the others are kept, and reported."""
    writes: dict[Path, bytes] = {}
    has_records = bool(discover_records(decisions_dir))
    records = _records_folder(root, decisions_dir)
    sample = SAMPLE_RECORD.replace("decisions/", f"{records}/", 1)
    for dest, content in sorted(planned.items()):
        if (root / dest).exists():
            report.kept.append(dest)
        elif has_records and (root / dest).parent == decisions_dir:
            # A folder of records needs no example record (and its 0001 is taken).
            report.kept.append(f"{records}/ (it has records already)")
        elif dest == sample and found.adrs:
            # Their ADRs come first: a sample 0001 would take the number of their ADR 1.
            if not has_site:
                # The new site's docs_dir is the records folder: it must exist to build.
                writes[decisions_dir / ".gitkeep"] = b""
                report.written.append(f"{records}/.gitkeep")
                report.new_files[f"{records}/.gitkeep"] = ""
        else:
            writes[root / dest] = content
            report.written.append(dest)
            report.new_files[dest] = content.decode("utf-8")
    for adrs in found.adrs:
        # ADRs that are pages of the site are migrated (pages removed, URLs redirected);
        # others are imported.
        pages = (
            has_site
            and found.docs_dir is not None
            and (root / adrs.folder).resolve().is_relative_to(found.docs_dir.resolve())
        )
        command = (
            f"adrgen import --migrate {adrs.folder}" if pages else f"adrgen import {adrs.folder}"
        )
        report.notes.append(
            f"{adrs.folder}/ has {len(adrs.files)} Markdown ADR(s), so no sample record was "
            f"written (its 0001 would take a number of theirs); to bring them in: {command}"
        )
    return writes


def _gitignore(root: Path, writes: dict[Path, bytes], report: InitReport) -> None:
    """Add the lines ``.gitignore`` lacks, keeping what it has."""
    gitignore = root / ".gitignore"
    existing = read_text(gitignore) if gitignore.exists() else ""
    missing = [line for line in GITIGNORE_LINES if line not in existing.splitlines()]
    if not missing:
        report.kept.append(".gitignore")
        return
    newline = "\r\n" if "\r\n" in existing else "\n"
    prefix = existing if not existing or existing.endswith("\n") else existing + newline
    text = prefix + "".join(line + newline for line in missing)
    writes[gitignore] = text.encode("utf-8")
    if existing:
        report.edits.append(Wiring(gitignore, existing, text, [f"added {', '.join(missing)}"]))
    else:
        report.written.append(".gitignore")
        report.new_files[".gitignore"] = text
