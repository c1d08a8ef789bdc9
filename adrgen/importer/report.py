"""What ``adrgen import`` did, per file: for the terminal, and as JSON (``--report FILE``).

The JSON report is for CI and for reviewing a migration: per file the record it became (or
why it was skipped), the status read and where, the date and where it came from, the text
that matched no part of the record (kept in context) with its lines, and every warning.
Same input, same report: paths are as given, nothing depends on the clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adrgen.errors import Problem, display_path

__all__ = ["FileReport", "ImportReport"]

Action = Literal["written", "would write", "skipped"]


@dataclass(frozen=True)
class Unmapped:
    """Text that matched no part of the record; kept in context under ``heading``."""

    heading: str
    start: int
    end: int
    why: str


@dataclass(frozen=True)
class Reading:
    """A value read from the source: what it became, the words it was read from, where."""

    value: str = ""
    written: str = ""
    source: str = ""
    line: int = 0
    note: str = ""

    def to_json(self, *, note: bool = False) -> dict[str, Any]:
        """``{value, as_written, from, line}`` (and ``note``), absent values as null."""
        entry: dict[str, Any] = {"value": self.value or None}
        if note:
            entry["note"] = self.note or None
        entry.update(
            {
                "as_written": self.written or None,
                "from": self.source or None,
                "line": self.line or None,
            }
        )
        return entry


@dataclass(frozen=True)
class FileReport:
    """What happened to one Markdown file."""

    source: Path
    output: Path | None
    action: Action
    format: str = ""
    number: int | None = None
    #: The number the source gave the record, when it was imported under another one.
    renumbered_from: int | None = None
    title: str = ""
    skip_kind: str = ""
    reason: str = ""
    status: Reading = field(default_factory=lambda: Reading())
    date: Reading = field(default_factory=lambda: Reading())
    links: dict[str, list[int]] = field(default_factory=dict)
    unmapped: tuple[Unmapped, ...] = ()
    notes: tuple[Problem, ...] = ()

    def lines(self) -> list[str]:
        """The file's report as the CLI prints it: a summary line, then the notes."""
        source = display_path(self.source)
        if self.action == "skipped":
            return [f"{source}: skipped: {self.reason}"]
        target = display_path(self.output) if self.output else "?"
        head = f"{source} → {target} ({self.format}): {self.action}"
        return [head, *(f"  {note}" for note in self.notes)]

    def to_json(self) -> dict[str, Any]:
        """The file's entry in the JSON report."""
        entry: dict[str, Any] = {
            "source": display_path(self.source),
            "action": self.action,
            "output": display_path(self.output) if self.output else None,
        }
        if self.action == "skipped":
            entry["skip"] = {"kind": self.skip_kind, "reason": self.reason}
            if self.format:
                entry["title"] = self.title
            return entry
        entry.update(
            {
                "format": self.format,
                "number": self.number,
                "renumbered_from": self.renumbered_from,
                "title": self.title,
                "status": self.status.to_json(note=True),
                "date": self.date.to_json(),
                "links": self.links,
                "unmapped": [
                    {"heading": u.heading, "lines": [u.start, u.end], "why": u.why}
                    for u in self.unmapped
                ],
                "warnings": [str(n) for n in self.notes],
            }
        )
        return entry


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import, one entry per Markdown file found."""

    files: tuple[FileReport, ...]
    dry_run: bool = False
    #: Things left to do that are about the project, not one file.
    todo: tuple[str, ...] = ()

    @property
    def written(self) -> tuple[FileReport, ...]:
        """Files that became records (or would, in a dry run)."""
        return tuple(f for f in self.files if f.action != "skipped")

    @property
    def skipped(self) -> tuple[FileReport, ...]:
        """Files that were not imported, each with its reason."""
        return tuple(f for f in self.files if f.action == "skipped")

    def summary(self) -> str:
        """One line: how many records, skips and notes."""
        verb = "would write" if self.dry_run else "wrote"
        notes = sum(len(f.notes) for f in self.written)
        unmapped = sum(len(f.unmapped) for f in self.written)
        return (
            f"{verb} {len(self.written)} record(s), skipped {len(self.skipped)} file(s); "
            f"{unmapped} piece(s) of text kept in context, {notes} note(s) to review"
        )

    def lines(self) -> list[str]:
        """Every file's report, then the summary."""
        return [*(line for f in self.files for line in f.lines()), self.summary()]

    def to_json(self) -> str:
        """The whole report as JSON text (``adrgen import --report FILE.json``)."""
        document = {
            "adrgen_import_report": 1,
            "dry_run": self.dry_run,
            "summary": {
                "files": len(self.files),
                "records": len(self.written),
                "skipped": len(self.skipped),
            },
            "todo": list(self.todo),
            "files": [f.to_json() for f in self.files],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
