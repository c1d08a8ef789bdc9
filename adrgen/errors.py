"""The one error hierarchy of adrgen.

Every failure a user can cause is an :class:`AdrgenError`. Front ends translate it once:
the CLI into an exit code and one line per problem, the MkDocs plugin into a ``PluginError``.
Nothing else in the package prints or exits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Characters that must not reach a terminal or a CI log raw: C0 and C1 controls, DEL, the
#: line and paragraph separators, and the bidi controls, which can reorder what a reader
#: sees. Escaped as ``\xNN`` / ``\uNNNN``, so a file name with a newline cannot start a
#: line of its own (GitHub Actions reads a line ``::error ...`` as a workflow command).
_UNSAFE = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in [
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        0x2028,
        0x2029,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]
}


def printable(text: str) -> str:
    """``text`` with every control and bidi character escaped (see :data:`_UNSAFE`)."""
    return text.translate(_UNSAFE)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one place in one file.

    Rendered as ``path:line:col: field.path: message``. ``line`` and ``col`` are 1-based;
    0 means "the file as a whole". ``field`` is the dotted path inside the record, empty when
    the problem is not about a field (a YAML syntax error, an unreadable file).
    """

    path: str
    line: int
    col: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        if self.field:
            return printable(f"{where}: {self.field}: {self.message}")
        return printable(f"{where}: {self.message}")


def display_path(path: Path | str) -> str:
    """Return ``path`` relative to the working directory when it lies below it.

    Messages name files the way the user typed them in a shell, so an editor or terminal can
    jump to them; absolute paths are kept for files elsewhere. (String work, not
    ``Path.resolve()``: this runs for every record, and resolving costs system calls.)
    """
    absolute = os.path.abspath(path)
    cwd = os.getcwd()
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        shown = Path(absolute[len(cwd.rstrip(os.sep)) + 1 :]).as_posix()
    else:
        shown = Path(path).as_posix() if not os.path.isabs(path) else Path(absolute).as_posix()
    # Control and bidi characters escaped; and a name that starts with "::" (a GitHub Actions
    # workflow command when it opens a line) is written as ./::name.
    shown = printable(shown)
    return f"./{shown}" if shown.startswith("::") else shown


class AdrgenError(Exception):
    """Base of every error adrgen reports to a user."""

    exit_code = 1

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems behind this error; empty for errors that are not about a place."""
        return ()

    def lines(self) -> list[str]:
        """One line per problem, the way the CLI prints them."""
        if self.problems:
            return [str(p) for p in self.problems]
        return [str(self)]


class ProblemsError(AdrgenError):
    """An error that is a list of problems, each at its place; carries every one."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self._problems = tuple(sorted(set(problems)))
        super().__init__(self.summary(len(self._problems)))

    @staticmethod
    def summary(count: int) -> str:
        """The one-line message for ``count`` problems."""
        return f"{count} problem{'s' if count != 1 else ''} found"

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem, sorted by file and position."""
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self._problems) or super().__str__()


class ValidationFailed(ProblemsError):
    """One or more records are invalid. Carries every problem found, not just the first."""


class ImportFailed(ProblemsError):
    """``adrgen import`` cannot go ahead: input that cannot be read, or records that would not
    validate. Nothing was written."""

    @staticmethod
    def summary(count: int) -> str:
        """The one-line message for ``count`` problems."""
        return f"{count} problem{'s' if count != 1 else ''}; nothing was imported"


class ConfigError(ProblemsError):
    """The project configuration (``adrgen.toml``, ``mkdocs.yml`` or plugin options) is wrong.

    Raised with every problem of a settings file at once, or with one message.
    """

    def __init__(self, problems: str | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            super().__init__(())
            self.args = (problems,)
        else:
            super().__init__(problems)


class StaleOutput(ProblemsError):
    """``adrgen check`` found generated files that do not match their sources."""

    exit_code = 2

    @staticmethod
    def summary(count: int) -> str:
        """The one-line message for ``count`` stale files."""
        return f"{count} generated file(s) out of date"


class TemplateError(AdrgenError):
    """A Jinja template could not be loaded or rendered."""


class RendererUnavailable(AdrgenError):
    """No PlantUML could be started; diagrams are written as ``.puml`` only."""


class ReadRefused(ProblemsError):
    """A file that adrgen will not read (see :mod:`adrgen.walls.reads`): outside the docs
    repository after resolving symlinks, inside ``.git/``, or in an ignored folder."""


class OwnershipError(AdrgenError):
    """A setting or flag names a folder that adrgen does not own (see :mod:`adrgen.walls.owned`);
    nothing was touched."""


class UnsafeOutput(ProblemsError):
    """A generated SVG or page holds script (see :mod:`adrgen.walls.published`); it was not
    published."""


class OutputError(AdrgenError):
    """Writing generated files failed; the previous output was left as it was."""


class LockedError(AdrgenError):
    """Another adrgen run holds the output lock of this repository."""


class AuthoringError(AdrgenError):
    """``new`` or ``init`` was asked for something it cannot do."""


class SiteBuildFailed(AdrgenError):
    """The site builder could not build the site; ``site/`` was left as it was."""


class ZensicalFailed(SiteBuildFailed):
    """Zensical could not build the site (``site/`` was left as it was), or stopped serving."""
