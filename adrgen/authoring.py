"""Writing records and repositories for authors: ``adrgen new`` and ``adrgen init``.

Both gather everything first and write last. ``new`` builds the new record (and, with
``--supersedes``, the updated old one) in memory, validates the whole corpus as it would
be, and only then writes both files atomically, so a refused command changes nothing.
``init`` never overwrites a file the user already has.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from adrgen.config import Config, load_config
from adrgen.errors import AuthoringError, ValidationFailed, display_path
from adrgen.output import write_file_atomic
from adrgen.records.collect import discover_records
from adrgen.records.format import STATUSES_WITH_OUTCOME, read_status, record_json_schema
from adrgen.records.loader import load_bytes, load_text
from adrgen.records.model import RECORD_FILENAME
from adrgen.records.validate import build_decision_set
from adrgen.site.wiring import Wiring, wire_site
from adrgen.templating import default_templates_dir

SCHEMA_PATH = Path("schema") / "adr.schema.json"


def slugify(title: str, *, limit: int = 60) -> str:
    """``"Use PostgreSQL (not MySQL)!"`` → ``use-postgresql-not-mysql``."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "decision"


def _yaml_scalar(value: object) -> str:
    """A YAML scalar for a template: JSON strings are valid YAML and need no thought."""
    return json.dumps(value, ensure_ascii=False)


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(default_templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["yaml"] = _yaml_scalar
    return env


def schema_header(decisions_dir: Path, root: Path) -> str:
    """The ``# yaml-language-server: $schema=…`` line for a record in ``decisions_dir``."""
    relative = Path("..") / SCHEMA_PATH
    try:
        depth = len(decisions_dir.resolve().relative_to(root.resolve()).parts)
        relative = Path(*([".."] * depth)) / SCHEMA_PATH
    except ValueError:
        pass
    return f"# yaml-language-server: $schema={relative.as_posix()}\n"


def used_numbers(decisions_dir: Path) -> list[int]:
    """Numbers taken by files in the decisions folder, valid or not."""
    numbers = []
    for path in discover_records(decisions_dir):
        match = RECORD_FILENAME.match(path.name)
        if match:
            numbers.append(int(match["number"]))
    return sorted(numbers)


@dataclass
class NewRecord:
    """What ``adrgen new`` wrote."""

    path: Path
    updated: list[Path] = field(default_factory=list)
    #: What the author still has to do before ``adrgen validate`` passes.
    todo: list[str] = field(default_factory=list)


def round_trip_yaml() -> YAML:
    """ruamel.yaml in round-trip mode, laid out like adrgen's own records."""
    yaml = YAML()  # round-trip mode: comments, order and quoting survive an edit
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _mark_superseded(path: Path, by: int) -> bytes:
    """The old record's text with status superseded and a back-link to ``by``."""
    yaml = round_trip_yaml()
    data = yaml.load(path.read_text(encoding="utf-8"))
    if not isinstance(data, CommentedMap):
        raise AuthoringError(f"{display_path(path)}:1:1: not a record; cannot mark it superseded")
    data["status"] = "superseded"
    links = data.get("links")
    if not isinstance(links, CommentedMap):
        links = CommentedMap()
        data["links"] = links
    successors = links.get("superseded_by")
    if not isinstance(successors, list):
        successors = CommentedSeq()
        successors.fa.set_flow_style()
        links["superseded_by"] = successors
    if by not in successors:
        successors.append(by)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue().encode("utf-8")


def new_record(
    config: Config,
    title: str,
    *,
    status: str = "proposed",
    supersedes: int | None = None,
    today: dt.date | None = None,
) -> NewRecord:
    """Write the next numbered record; with ``supersedes``, update the old one too."""
    title = " ".join(title.split())
    if not title:
        raise AuthoringError('a record needs a title: adrgen new "Use PostgreSQL"')
    read = read_status(status, config.rules)
    if read is None or read[1]:
        allowed = ", ".join(config.rules.lifecycle)
        raise AuthoringError(f"{status!r} is not a status; use one of: {allowed}")
    status = read[0]
    decisions_dir = config.decisions_dir
    numbers = used_numbers(decisions_dir)
    number = (max(numbers) + 1) if numbers else 1
    path = decisions_dir / f"{number:04d}-{slugify(title)}.yaml"
    writes: dict[Path, bytes] = {}
    old_path: Path | None = None
    if supersedes is not None:
        old_path = next(
            (
                p
                for p in discover_records(decisions_dir)
                if (m := RECORD_FILENAME.match(p.name)) and int(m["number"]) == supersedes
            ),
            None,
        )
        if old_path is None:
            raise AuthoringError(
                f"no record {supersedes:04d} in {display_path(decisions_dir)} to supersede"
            )
        writes[old_path] = _mark_superseded(old_path, number)
    text = (
        _environment()
        .get_template("records/new.yaml.j2")
        .render(
            header=schema_header(decisions_dir, config.root),
            title=title,
            status=status,
            date=(today or dt.date.today()).isoformat(),
            supersedes=supersedes,
            needs_outcome=status in STATUSES_WITH_OUTCOME,
        )
    )
    writes[path] = text.encode("utf-8")
    # Validate the corpus as it will be, before touching any file.
    documents = []
    for existing in discover_records(decisions_dir):
        if existing in writes:
            continue
        try:
            documents.append(load_bytes(existing.read_bytes(), existing))
        except ValidationFailed:
            continue  # an unrelated broken record is `validate`'s business, not `new`'s
    documents.extend(
        load_text(content.decode("utf-8"), target) for target, content in writes.items()
    )
    # The new record states no estimate (nobody has made one yet): a project that requires
    # them gets the reminder below instead of a record refused for what only its author knows.
    rules = dataclasses.replace(config.rules, require_estimates=False)
    _, problems = build_decision_set(documents, rules)
    ours = {display_path(p) for p in writes}
    problems = [p for p in problems if p.path in ours]
    if problems:
        raise ValidationFailed(problems)
    decisions_dir.mkdir(parents=True, exist_ok=True)
    for target, content in writes.items():
        write_file_atomic(target, content)
    todo = []
    if config.require_estimates:
        todo.append(
            "this project requires estimates: give each option its complexity and time "
            "before `adrgen validate`"
        )
    return NewRecord(path=path, updated=[old_path] if old_path else [], todo=todo)


# ---------------------------------------------------------------------------------------------
# init

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
    env = _environment()
    # An adrgen.toml already there says where records go (docs/decisions, say).
    decisions_dir = load_config(root).decisions_dir
    context = {
        "site_name": site_name or f"{root.name} decisions",
        "date": (today or dt.date.today()).isoformat(),
        "header": schema_header(decisions_dir, root),
    }
    site = next((root / name for name in SITE_FILES if (root / name).is_file()), None)
    records = (
        decisions_dir.relative_to(root).as_posix()
        if decisions_dir.is_relative_to(root)
        else "decisions"
    )
    files = {
        d.replace("decisions/", f"{records}/", 1): t
        for d, t in INIT_FILES.items()
        if not (site and d == "mkdocs.yml")
    }
    planned: dict[str, bytes] = {
        dest: env.get_template(template).render(**context).encode("utf-8")
        for dest, template in files.items()
    }
    planned[SCHEMA_PATH.as_posix()] = (
        json.dumps(record_json_schema(), indent=2, sort_keys=True) + "\n"
    ).encode()
    if site is not None:
        report.wiring = wire_site(site)
    gitignore = root / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    missing = [line for line in GITIGNORE_LINES if line not in existing.splitlines()]
    writes: dict[Path, bytes] = {}
    has_records = bool(discover_records(decisions_dir))
    for dest, content in sorted(planned.items()):
        if (root / dest).exists():
            report.kept.append(dest)
        elif has_records and (root / dest).parent == decisions_dir:
            # A folder of records needs no example record (and its 0001 is taken).
            report.kept.append(f"{records}/ (it has records already)")
        else:
            writes[root / dest] = content
            report.written.append(dest)
    if missing:
        prefix = existing if not existing or existing.endswith("\n") else existing + "\n"
        writes[gitignore] = (prefix + "\n".join(missing) + "\n").encode("utf-8")
        report.written.append(".gitignore")
    else:
        report.kept.append(".gitignore")
    if report.wiring is not None and report.wiring.changed:
        writes[report.wiring.path] = report.wiring.after.encode("utf-8")
    if not dry_run:
        for target, content in writes.items():
            write_file_atomic(target, content)
    return report
