"""The command-line front end: a thin adapter over :mod:`adrgen.pipeline`.

It parses arguments, calls the pipeline, and turns :class:`~adrgen.errors.AdrgenError` into
one line per problem and an exit code. It never shows a traceback to a user: unexpected
errors are reported in one line too (``--verbose`` or ``ADRGEN_DEBUG=1`` shows the trace).

Exit codes: 0 success; 1 invalid records, bad settings or a failed render; 2 usage errors,
or (``check``) generated files out of date; 3 an internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from adrgen import __version__
from adrgen.config import RENDERER_KINDS, Config, load_config
from adrgen.errors import AdrgenError
from adrgen.pipeline import discover_records, load_decisions, render_diagrams
from adrgen.record import record_json_schema

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

    def error(self, text: str) -> None:
        """An error line."""
        print(self._paint("31", "error: ") + text if self.colour else text, file=sys.stderr)


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, object] = {}
    if getattr(args, "renderer", None):
        overrides["renderer"] = {"kind": args.renderer}
    return load_config(Path(args.root) if args.root else None, **overrides)


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    """Check records; print every problem."""
    config = _config(args)
    paths = [Path(p) for p in args.paths] or None
    decisions = load_decisions(config, paths)
    count = len(paths) if paths else len(discover_records(config.decisions_dir))
    console.info(f"{count} record(s) valid ({len(decisions)} in the repository)")
    return EXIT_OK


def cmd_render(args: argparse.Namespace, console: Console) -> int:
    """Write diagrams/."""
    config = _config(args)
    report = render_diagrams(config, force=args.force)
    for warning in report.warnings:
        console.warn(warning)
    for name in report.rendered:
        console.detail(f"rendered {name}.svg")
    for name in report.removed:
        console.detail(f"removed orphan {name}")
    state = "updated" if report.changed else "unchanged"
    console.info(
        f"{len(report.diagrams)} diagram(s): {len(report.rendered)} rendered, {report.reused} "
        f"reused, {len(report.removed)} orphan(s) removed; diagrams/ {state}"
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """Print the JSON Schema of the record format."""
    config = _config(args)
    print(json.dumps(record_json_schema(config.statuses), indent=2, sort_keys=True))
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
