"""The command-line front end: a thin adapter over :mod:`adrgen.commands`.

It parses arguments, calls the command, prints its report, and turns :class:`~adrgen.errors.AdrgenError` into
one line per problem and an exit code. It never shows a traceback to a user: unexpected
errors are reported in one line too (``--verbose`` or ``ADRGEN_DEBUG=1`` shows the trace).

Exit codes: 0 success; 1 invalid records, bad settings or a failed render or build; 2 usage
errors, or (``check``) generated files out of date; 3 an internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from adrgen import __version__
from adrgen.config import BUILDERS, RENDERER_KINDS, Config, load_config
from adrgen.errors import AdrgenError, display_path
from adrgen.progress import ProgressBar, wants_bar

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class Console:
    """Where messages go, with colour only on a terminal and never with ``NO_COLOR``."""

    def __init__(self, quiet: bool = False, verbose: bool = False) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.colour = sys.stderr.isatty() and "NO_COLOR" not in os.environ

    def _paint(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def info(self, text: str) -> None:
        """A progress or summary line (hidden by --quiet)."""
        if not self.quiet:
            print(text, file=sys.stderr)

    def detail(self, text: str) -> None:
        """A line shown only with --verbose."""
        if self.verbose:
            print(text, file=sys.stderr)

    def warn(self, text: str) -> None:
        """A warning; shown even with --quiet."""
        print(self._paint("33", "warning: ") + text, file=sys.stderr)

    @contextmanager
    def progress_bar(self) -> Iterator[ProgressBar | None]:
        """A bar for a PlantUML batch: on a terminal, unless --quiet or --verbose (whose
        lines it would tangle with); erased when the block ends, however it ends."""
        if self.quiet or self.verbose or not wants_bar(sys.stderr):
            yield None
            return
        bar = ProgressBar(sys.stderr)
        try:
            yield bar
        finally:
            bar.close()

    def error(self, text: str) -> None:
        """An error line."""
        print(self._paint("31", "error: ") + text if self.colour else text, file=sys.stderr)


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, object] = {}
    if getattr(args, "renderer", None):
        overrides["renderer"] = {"kind": args.renderer}
    return load_config(Path(args.root) if args.root else None, **overrides)


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


# Each cmd_* function calls its command (adrgen.commands) and prints the report; errors go
# up to main(), the one place that turns them into lines and an exit code. The commands that
# build import MkDocs, so they are imported where they run: `adrgen validate` never pays.


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """Check records; print every problem."""
    from adrgen.commands.validate import validate

    done = validate(_config(args), [Path(p) for p in args.paths])
    console.info(f"{done.checked} record(s) valid ({done.in_repository} in the repository)")
    return EXIT_OK


def cmd_render(args: argparse.Namespace, console: Console) -> int:
    """Write diagrams/; exit 1, naming each, when PlantUML could not draw some diagrams."""
    from adrgen.commands.render import render

    config = _config(args)
    with console.progress_bar() as bar:
        report = render(config, force=args.force, progress=bar)
    for warning in report.warnings:
        console.warn(warning)
    for name in report.rendered:
        console.detail(f"rendered {name}.svg")
    for name in report.removed:
        console.detail(f"removed orphan {name}")
    for failure in report.failed:
        console.error(str(failure.problem))
    state = "updated" if report.changed else "unchanged"
    console.info(f"{report.summary()}; {len(report.removed)} orphan(s) removed; diagrams/ {state}")
    return EXIT_INVALID if report.failed else EXIT_OK


@contextmanager
def _mkdocs_log(console: Console) -> Iterator[None]:
    """MkDocs' own log lines on stderr: warnings, and with -v its narration of every step
    (including the staging folder), which would drown the summary otherwise."""
    import logging

    from adrgen.site.builders import mkdocs_logging

    with mkdocs_logging(logging.INFO if console.verbose else logging.WARNING):
        yield


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    """Render diagrams/ and build the site (or, with --pages-only, write the pages)."""
    from adrgen.commands.build import build, build_pages_only

    config = _config(args)
    config_file = _path(args.config_file)
    with _mkdocs_log(console):
        if args.pages_only:
            target = Path(args.pages_only)
            content = build_pages_only(config, target, config_file=config_file)
            for warning in content.warnings:
                console.warn(warning)
            for problem in content.failures:
                console.warn(str(problem))
            console.info(
                f"wrote {len(content.pages)} generated page(s), {len(content.assets)} asset(s) and "
                f"{len(content.decisions)} record(s) to {target}/; build it with any builder whose "
                f"docs_dir is {target} (no adrgen plugin needed)"
            )
            return EXIT_OK
        with console.progress_bar() as bar:
            built = build(
                config,
                config_file=config_file,
                site_dir=_path(args.site_dir),
                strict=args.strict,
                renderer=args.renderer,
                builder=args.builder,
                progress=bar,
            )
    console.info(f"adrgen: {built.summary}")
    if built.failures:
        console.warn(
            f"{built.failures} problem(s) on the site: diagrams PlantUML could not draw, files "
            "adrgen refused to read or publish, links to no page (see the warnings above; "
            "--strict makes this fail)"
        )
    console.info(f"site written to {built.path}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Preview the site with live reload (wraps mkdocs serve, or zensical serve)."""
    from adrgen.commands.serve import serve
    from adrgen.site.builders import mkdocs_logging

    config = _config(args)
    with mkdocs_logging():
        serve(
            config,
            config_file=_path(args.config_file),
            dev_addr=args.dev_addr,
            renderer=args.renderer,
            open_in_browser=args.open,
            builder=args.builder,
        )
    return EXIT_OK


def cmd_check(args: argparse.Namespace, console: Console) -> int:
    """Fail (exit 2) when diagrams/ is stale or orphaned; write nothing."""
    from adrgen.commands.check import check

    count = check(_config(args), require_svg=not args.puml_only)
    console.info(f"diagrams/ is current ({count} diagram(s))")
    return EXIT_OK


def cmd_new(args: argparse.Namespace, console: Console) -> int:
    """Write the next numbered record."""
    from adrgen.commands.new import new_record

    config = _config(args)
    made = new_record(config, args.title, status=args.status, supersedes=args.supersedes)
    print(display_path(made.path))
    for path in made.updated:
        console.info(f"updated {display_path(path)}: status superseded, superseded_by linked")
    for todo in made.todo:
        console.warn(todo)
    return EXIT_OK


def cmd_init(args: argparse.Namespace, console: Console) -> int:
    """Set up a docs repository here, or add adrgen to the MkDocs site that is here."""
    from adrgen.commands.init import init_repository

    root = Path(args.root) if args.root else Path.cwd()
    report = init_repository(root, site_name=args.site_name, dry_run=args.dry_run)
    for line in report.lines():
        console.info(line)
    for todo in report.todo:
        console.warn(todo)
    if report.dry_run:
        print(report.diff(), end="")
    else:
        console.info("next: adrgen validate && adrgen build && adrgen check")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    """Turn Markdown ADRs into YAML records; report per file (and as JSON with --report)."""
    from adrgen.commands.import_ import import_records

    imported = import_records(
        _config(args),
        [Path(p) for p in args.paths],
        dry_run=args.dry_run,
        renumber=args.renumber,
        recursive=args.recursive,
        report_file=_path(args.report),
        migrate=args.migrate,
        config_file=_path(args.config_file),
    )
    report = imported.report
    for line in report.lines():
        console.info(line)
    verb = "would migrate" if args.dry_run else "migrated"
    for line in imported.migration:
        console.info(f"{verb}: {line}")
    for todo in report.todo:
        console.warn(todo)
    if args.report:
        console.info(f"report written to {args.report}")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """Print the JSON Schema of the record format."""
    from adrgen.commands.schema import schema

    print(schema(_config(args)))
    return EXIT_OK


def add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """--root, --quiet and --verbose, accepted before or after the command name.

    On a subcommand the defaults are suppressed, so an option given before the command is
    not reset by the subcommand's parser.
    """

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--root", metavar="DIR", default=default(None), help="the docs repository (default: .)"
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="only warnings and errors",
    )
    noise.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="print more detail"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (public so the docs and tests can inspect the commands)."""
    parser = argparse.ArgumentParser(
        prog="adrgen",
        description="Architecture decision records in YAML → validated records, PlantUML "
        "diagrams and an MkDocs Material site.",
        epilog="Exit codes: 0 ok, 1 invalid records or failed render, 2 usage error or "
        "stale output (check), 3 internal error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"adrgen {__version__}")
    add_common_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str, example: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_common_options(sub, defaults=False)
        return sub

    validate = command(
        "validate",
        "Check records and report every problem as path:line:col: field: message.",
        "adrgen validate                      # every record in decisions/\n"
        "  adrgen validate decisions/0002-*.yaml  # just these (links still checked)",
    )
    validate.add_argument("paths", nargs="*", help="record files (default: all)")
    validate.set_defaults(func=cmd_validate)

    render = command(
        "render",
        "Write diagrams/: a .puml per decision plus the decision graph, and their SVGs.",
        "adrgen render            # render what changed\n  adrgen render --force    # redraw every SVG",
    )
    render.add_argument("--force", action="store_true", help="redraw every SVG, ignoring the cache")
    render.add_argument(
        "--renderer", choices=RENDERER_KINDS, help="override the configured renderer"
    )
    render.set_defaults(func=cmd_render)

    build = command(
        "build",
        "Render diagrams/ and build the site into site/ (atomically), with MkDocs and the "
        "adrgen plugin, or with Zensical.",
        "adrgen build                       # diagrams/ + site/\n"
        "  adrgen build --strict              # fail on any MkDocs warning\n"
        "  adrgen build --builder zensical    # the same site, built by Zensical\n"
        "  adrgen build --pages-only build/docs  # just the pages, for a plugin-less builder",
    )
    build.add_argument(
        "--strict", action="store_true", help="fail on warnings (MkDocs' or Zensical's)"
    )
    build.add_argument(
        "--builder",
        choices=BUILDERS,
        help="what builds the site (default: builder in adrgen.toml, else mkdocs); zensical "
        "needs pip install 'adrgen[zensical]'",
    )
    build.add_argument(
        "--pages-only",
        metavar="DIR",
        help="write the generated docs folder (pages, diagrams, assets, records) to DIR "
        "instead of building a site; any builder reading mkdocs.yml can build DIR",
    )
    build.add_argument("--site-dir", metavar="DIR", help="where the site goes (default: site_dir)")
    build.add_argument(
        "--config-file", metavar="FILE", help="the MkDocs configuration (default: mkdocs.yml)"
    )
    build.add_argument(
        "--renderer", choices=RENDERER_KINDS, help="override the configured renderer"
    )
    build.set_defaults(func=cmd_build)

    serve = command(
        "serve",
        "Preview the site with live reload (mkdocs serve, or zensical serve): editing a record "
        "or a template rebuilds it.",
        "adrgen serve\n  adrgen serve --dev-addr 127.0.0.1:8001\n  adrgen serve --builder zensical",
    )
    serve.add_argument(
        "--builder",
        choices=BUILDERS,
        help="what serves the site (default: builder in adrgen.toml, else mkdocs)",
    )
    serve.add_argument(
        "--dev-addr", metavar="IP:PORT", help="address to serve on (default: 127.0.0.1:8000)"
    )
    serve.add_argument(
        "--config-file", metavar="FILE", help="the MkDocs configuration (default: mkdocs.yml)"
    )
    serve.add_argument(
        "--renderer", choices=RENDERER_KINDS, help="override the configured renderer"
    )
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    serve.set_defaults(func=cmd_serve)

    check = command(
        "check",
        "Exit 2, naming the files, when diagrams/ is stale or orphaned against the records and "
        "templates (exit 1 when a record is invalid). Writes nothing: for CI and pre-commit.",
        "adrgen check              # in CI, after adrgen validate\n"
        "  adrgen check --puml-only  # when diagrams are committed without SVGs",
    )
    check.add_argument(
        "--puml-only", action="store_true", help="do not require an .svg beside each .puml"
    )
    check.set_defaults(func=cmd_check)

    new = command(
        "new",
        "Write the next numbered record, decisions/NNNN-slug.yaml, ready to fill in.",
        'adrgen new "Notification delivery"\n'
        '  adrgen new "Use nh3" --status accepted --supersedes 2',
    )
    new.add_argument("title", help="the decision's title; the file's slug comes from it")
    new.add_argument("--status", default="proposed", help="initial status (default: proposed)")
    new.add_argument(
        "--supersedes",
        type=int,
        metavar="N",
        help="record N is superseded by the new one (both files are updated)",
    )
    new.set_defaults(func=cmd_new)

    init = command(
        "init",
        "Set up a docs repository: decisions/ with a first record, mkdocs.yml, .gitignore, "
        "the schema, a GitHub Actions workflow and a pre-commit example. Never overwrites. In "
        "a repository with an MkDocs site, adds adrgen to its mkdocs.yml instead (the plugin, "
        "and a Decisions entry in an explicit nav), keeping its comments and order.",
        "git init my-decisions && cd my-decisions && adrgen init\n"
        "  adrgen init --dry-run   # in an existing site: show the edit of mkdocs.yml",
    )
    init.add_argument("--site-name", help="the site's name (default: from the folder name)")
    init.add_argument(
        "--dry-run", action="store_true", help="write nothing; show what would change"
    )
    init.set_defaults(func=cmd_init)

    importer = command(
        "import",
        "Turn Markdown ADRs (MADR 2, 3, 4; Nygard/adr-tools; free-form) into YAML records. "
        "Nothing is dropped (text with no field is kept in context, and reported) and nothing "
        "is invented (no date or status the source does not state: unknown; no estimate).",
        "adrgen import doc/adr/\n"
        "  adrgen import --migrate docs/adr/   # ADRs that are pages of the site\n"
        "  adrgen import --renumber --recursive --report import.json docs/decisions/\n"
        "  adrgen import --dry-run docs/decisions/0005-*.md",
    )
    importer.add_argument("paths", nargs="+", help="Markdown files or folders of them")
    importer.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    importer.add_argument(
        "--renumber",
        action="store_true",
        help="give records whose number is taken the next free numbers (links follow)",
    )
    importer.add_argument(
        "--recursive",
        action="store_true",
        help="read subfolders too (ADR trees; numbers may repeat across folders: use --renumber)",
    )
    importer.add_argument(
        "--migrate",
        action="store_true",
        help="the ADRs are pages of the site: make the records their only copy (remove the "
        "pages with git rm, redirect their URLs, point the nav and links at the decisions)",
    )
    importer.add_argument(
        "-f",
        "--config-file",
        metavar="FILE",
        help="the site's mkdocs.yml, for --migrate (default: mkdocs.yml in the root)",
    )
    importer.add_argument(
        "--report",
        metavar="FILE.json",
        help="write a JSON report: per file the status and date read and from where, the "
        "text kept in context, the warnings",
    )
    importer.set_defaults(func=cmd_import)

    schema = command(
        "schema",
        "Print the JSON Schema of the record format (what editors validate against).",
        "adrgen schema > schema/adr.schema.json",
    )
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(quiet=args.quiet, verbose=args.verbose)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args, console))
    except AdrgenError as exc:
        lines = exc.lines()
        for line in lines:
            console.error(line)
        if len(exc.problems) > 1:
            files = len({p.path for p in exc.problems})
            console.error(f"{len(exc.problems)} problems in {files} file(s)")
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.verbose or os.environ.get("ADRGEN_DEBUG"):
            traceback.print_exc()
        console.error(
            f"internal error: {type(exc).__name__}: {exc} (please report; ADRGEN_DEBUG=1 shows details)"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
