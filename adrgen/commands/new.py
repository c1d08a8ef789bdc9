"""``adrgen new``: write the next numbered record.

Everything is gathered first and written last: the new record (and, with ``--supersedes``,
the updated old one) is built in memory, the folder is validated as it would be, and only
then are both files written atomically, so a refused command changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from adrgen.authoring import problems_if_written, record_file_name, round_trip_yaml, schema_header
from adrgen.config import Config
from adrgen.errors import AuthoringError, ValidationFailed, display_path
from adrgen.output import sweep, write_file_atomic
from adrgen.records.collect import discover_records
from adrgen.records.format import STATUSES_WITH_OUTCOME, read_status
from adrgen.records.model import RECORD_FILENAME
from adrgen.templating import authoring_environment


@dataclass
class NewRecord:
    """What ``adrgen new`` wrote."""

    path: Path
    updated: list[Path] = field(default_factory=list)
    #: What the author still has to do before ``adrgen validate`` passes.
    todo: list[str] = field(default_factory=list)


def new_record(
    config: Config,
    title: str,
    *,
    status: str = "proposed",
    supersedes: int | None = None,
    today: dt.date | None = None,
) -> NewRecord:
    """Write the next numbered record; with ``supersedes``, update the old one too."""
    title = _one_line(title)
    status = _known_status(status, config)
    decisions_dir = config.decisions_dir
    number = max(_used_numbers(decisions_dir), default=0) + 1
    path = decisions_dir / record_file_name(number, title)
    writes: dict[Path, str] = {}
    old_path = None
    if supersedes is not None:
        old_path = _record_numbered(decisions_dir, supersedes)
        writes[old_path] = _mark_superseded(old_path, number)
    writes[path] = (
        authoring_environment()
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
    problems = problems_if_written(decisions_dir, writes, config.rules, reads=config.reads)
    if problems:
        raise ValidationFailed(problems)
    decisions_dir.mkdir(parents=True, exist_ok=True)
    sweep(decisions_dir)  # what a killed `new` or `import` left behind
    for target, text in writes.items():
        write_file_atomic(target, text.encode("utf-8"))
    return NewRecord(path=path, updated=[old_path] if old_path else [], todo=_todo(config))


def _one_line(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise AuthoringError('a record needs a title: adrgen new "Use PostgreSQL"')
    return title


def _known_status(status: str, config: Config) -> str:
    """The status as the project spells it; a status with a note is not one to start with."""
    read = read_status(status, config.rules)
    if read is None or read[1]:
        allowed = ", ".join(config.rules.lifecycle)
        raise AuthoringError(f"{status!r} is not a status; use one of: {allowed}")
    return read[0]


def _used_numbers(decisions_dir: Path) -> list[int]:
    """Numbers taken by files in the decisions folder, valid or not."""
    return [
        int(match["number"])
        for path in discover_records(decisions_dir)
        if (match := RECORD_FILENAME.match(path.name))
    ]


def _record_numbered(decisions_dir: Path, number: int) -> Path:
    for path in discover_records(decisions_dir):
        match = RECORD_FILENAME.match(path.name)
        if match and int(match["number"]) == number:
            return path
    raise AuthoringError(f"no record {number:04d} in {display_path(decisions_dir)} to supersede")


def _mark_superseded(path: Path, by: int) -> str:
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
    return out.getvalue()


def _todo(config: Config) -> list[str]:
    # The new record states no estimate (nobody has made one yet): a project that requires
    # them gets this reminder instead of a record refused for what only its author knows.
    if not config.require_estimates:
        return []
    return [
        "this project requires estimates: give each option its complexity and time "
        "before `adrgen validate`"
    ]
