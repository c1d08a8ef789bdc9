"""``adrgen import``: Markdown ADRs become YAML records, with a report per file.

The module is ``import_`` because ``import`` is a Python keyword; the stages of the import
itself are :func:`adrgen.importer.import_adrs`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from adrgen.config import Config
from adrgen.importer import ImportReport, ImportSettings, import_adrs
from adrgen.output import write_file_atomic


def import_records(
    config: Config,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    renumber: bool = False,
    recursive: bool = False,
    report_file: Path | None = None,
) -> ImportReport:
    """Import ``paths`` (files or folders) into the decisions folder; write the JSON report
    to ``report_file`` when given (with ``dry_run`` too: it is how a migration is reviewed).

    Raises :class:`~adrgen.errors.ImportFailed`, with nothing written, when a source cannot
    be read or the records would not validate with the folder they join.
    """
    report = import_adrs(
        paths,
        config.decisions_dir,
        dry_run=dry_run,
        renumber=renumber,
        recursive=recursive,
        settings=ImportSettings.from_config(config),
    )
    if report_file is not None:
        write_file_atomic(report_file, report.to_json().encode("utf-8"))
    return report
