"""``adrgen import``: Markdown ADRs become YAML records, with a report per file.

The module is ``import_`` because ``import`` is a Python keyword; the stages of the import
itself are :func:`adrgen.importer.import_adrs`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from adrgen.config import Config
from adrgen.errors import ImportFailed, Problem, display_path
from adrgen.importer import ImportReport, ImportSettings, import_adrs
from adrgen.output import write_file_atomic
from adrgen.site.nav import SiteLayout


@dataclass(frozen=True)
class Imported:
    """What ``adrgen import`` did: the import's report, and, with ``--migrate``, the
    migration of the site's pages (what it changed, in words)."""

    report: ImportReport
    migration: list[str]


def import_records(
    config: Config,
    paths: Sequence[Path],
    *,
    dry_run: bool = False,
    renumber: bool = False,
    recursive: bool = False,
    report_file: Path | None = None,
    migrate: bool = False,
    config_file: Path | None = None,
) -> Imported:
    """Import ``paths`` (files or folders) into the decisions folder; write the JSON report
    to ``report_file`` when given (with ``dry_run`` too: it is how a migration is reviewed).

    With ``migrate``, the sources are pages of the site (``mkdocs.yml``'s ``docs_dir``):
    they become its records once, as :mod:`adrgen.site.migration` says. Without it, a
    source that is a page of the site is imported, and the report says to migrate instead.

    Raises :class:`~adrgen.errors.ImportFailed`, with nothing written, when a source cannot
    be read or the records would not validate with the folder they join.
    """
    settings = ImportSettings.from_config(config)
    site = _site(config, config_file)
    if migrate:
        if site is None:
            raise ImportFailed(
                [
                    Problem(
                        "mkdocs.yml", 0, 0, "", "--migrate needs the site's mkdocs.yml; none found"
                    )
                ]
            )
        return _migrate(config, paths, site, settings, dry_run, recursive, report_file)
    report = import_adrs(
        paths,
        config.decisions_dir,
        dry_run=dry_run,
        renumber=renumber,
        recursive=recursive,
        settings=settings,
    )
    if site is not None:
        from adrgen.site.migration import pages_of_the_site

        pages = pages_of_the_site(paths, site[1])
        if pages and report.written:
            shown = " ".join(display_path(p) for p in pages)
            report = replace(
                report,
                todo=(
                    *report.todo,
                    f"{shown}: these ADRs are pages of the site, so each decision now "
                    f"appears twice; `adrgen import --migrate {shown}` makes the records the "
                    "only copy (it removes the pages, redirects their URLs and fixes the nav "
                    "and links)",
                ),
            )
    if report_file is not None:
        write_file_atomic(report_file, report.to_json().encode("utf-8"))
    return Imported(report, [])


def _site(config: Config, config_file: Path | None) -> tuple[Path, Path, SiteLayout] | None:
    """The site's ``mkdocs.yml``, its docs folder and its layout, when there is a site."""
    from adrgen.site.builders import MKDOCS_FILE, load_mkdocs, site_layout

    path = config_file or config.root / MKDOCS_FILE
    if not path.is_file():
        return None
    mk = load_mkdocs(path)
    return path, Path(mk["docs_dir"]), site_layout(config, path)


def _migrate(
    config: Config,
    paths: Sequence[Path],
    site: tuple[Path, Path, SiteLayout],
    settings: ImportSettings,
    dry_run: bool,
    recursive: bool,
    report_file: Path | None,
) -> Imported:
    from adrgen.site.migration import plan

    mkdocs_yml, docs_dir, layout = site
    outside = [p for p in paths if not p.resolve().is_relative_to(docs_dir.resolve())]
    if outside:
        raise ImportFailed(
            Problem(
                display_path(p), 0, 0, "", "not a page of the site: import it without --migrate"
            )
            for p in outside
        )
    # Planned from a dry run, so that a migration that cannot go ahead writes nothing.
    planned = import_adrs(
        paths, config.decisions_dir, dry_run=True, recursive=recursive, settings=settings
    )
    migration = plan(planned, docs_dir=docs_dir, mkdocs_yml=mkdocs_yml, layout=layout)
    report = planned
    if not dry_run:
        report = import_adrs(
            paths, config.decisions_dir, dry_run=False, recursive=recursive, settings=settings
        )
        migration.apply(config.root)
    if report_file is not None:
        write_file_atomic(report_file, report.to_json().encode("utf-8"))
    return Imported(report, migration.lines())
