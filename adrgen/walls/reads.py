"""What adrgen may read: one policy, used by every reader.

A path is readable only if, after resolving every symlink, it lies inside the docs
repository and outside ``.git/`` and every ignored folder: adrgen's cache, the site folder,
and whatever ``.gitignore`` ignores. Records, hand-written pages and their assets,
``!include``, ``source=`` and pictures of ```plantuml blocks, templates and imported ADRs
are all read through :meth:`ReadPolicy.why_not`, so one rule decides.

Why each part:

* *Resolving symlinks first.* Git stores symlinks, so a pull request can add
  ``decisions/x.svg -> /proc/self/environ``; what the link names is what would be read.
* *Not ``.git/``.* A CI checkout keeps its token in ``.git/config`` (``AUTHORIZATION``).
* *Not ignored folders.* A fresh clone holds no ignored file, so any ignored file was made
  on the build machine: a virtualenv, credentials an earlier CI step wrote, the site itself.
  A file that git tracks is never ignored, as git has it, so a page that a project commits
  in a folder it otherwise ignores is still read.

A symlink whose target is inside the repository is fine: the target is checked.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from adrgen.errors import Problem, ReadRefused, display_path

#: Folders never read, wherever they are: git's own data (a submodule's too).
NEVER_READ = frozenset({".git"})
GITIGNORE = ".gitignore"


@dataclass(frozen=True)
class ReadPolicy:
    """Which files adrgen may read, for one docs repository rooted at ``root``."""

    root: Path
    #: Folders refused besides ``.git`` and what ``.gitignore`` ignores (resolved): the
    #: cache, the site folder.
    ignored: tuple[Path, ...] = ()
    #: Whether ``.gitignore`` files are honoured (off only for a source folder that is not
    #: a docs repository, e.g. ADRs handed to ``import``: then only ``.git`` is refused).
    gitignore: bool = True
    _specs: dict[Path, pathspec.GitIgnoreSpec | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    _tracked: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def for_root(
        cls, root: Path, ignored: Iterable[Path] = (), *, gitignore: bool = True
    ) -> ReadPolicy:
        """The policy of the repository at ``root``, also refusing the folders ``ignored``."""
        resolved = root.resolve()
        # A folder that holds the root (a cache_dir of "..") is the settings' problem, not a
        # reason to refuse every file.
        folders = tuple(
            sorted({p.resolve() for p in ignored if not resolved.is_relative_to(p.resolve())})
        )
        return cls(resolved, folders, gitignore)

    def ignoring(self, *folders: Path) -> ReadPolicy:
        """This policy, also refusing ``folders`` (a builder's site folder, say)."""
        return ReadPolicy.for_root(self.root, [*self.ignored, *folders], gitignore=self.gitignore)

    # -------------------------------------------------------------------------------------

    def why_not(self, path: Path) -> str | None:
        """``None`` when ``path`` may be read; otherwise why not, in words for a message."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            return f"cannot be resolved: {exc}"
        where = self._where(resolved)
        if where is None:
            return None
        if _via_symlink(path, resolved):
            return f"is a symlink to {display_path(resolved)}, {where}"
        return f"is {where}"

    def _where(self, resolved: Path) -> str | None:
        """Where a resolved path lies that makes it unreadable; ``None`` if nowhere."""
        if not resolved.is_relative_to(self.root):
            return "outside the repository"
        parts = resolved.relative_to(self.root).parts
        if any(part in NEVER_READ for part in parts):
            return "inside .git/"
        for folder in self.ignored:
            if resolved == folder or resolved.is_relative_to(folder):
                return f"inside {display_path(folder)}/, which adrgen writes"
        if self.gitignore and parts:
            ignored_by = self._gitignored(parts, resolved.is_dir())
            if ignored_by:
                return f"ignored by {ignored_by}"
        return None

    def readable(self, path: Path) -> bool:
        """True when ``path`` may be read."""
        return self.why_not(path) is None

    def problem(self, path: Path, why: str, what: str = "") -> Problem:
        """The problem of a refused ``path``, at the path itself."""
        subject = f"{what} " if what else ""
        return Problem(display_path(path), 0, 0, "", f"{subject}not read: it {why}")

    def check(self, path: Path, what: str = "") -> Path:
        """``path`` resolved, or :class:`ReadRefused` at the path, saying why."""
        why = self.why_not(path)
        if why is not None:
            raise ReadRefused([self.problem(path, why, what)])
        return path.resolve()

    # -------------------------------------------------------------------------------------

    def _gitignored(self, parts: tuple[str, ...], is_dir: bool) -> str:
        """The ``.gitignore`` that ignores the path ``parts`` (or a folder above it), else ''.

        Git's rules: the deepest ``.gitignore`` with a matching pattern decides, a later
        pattern beats an earlier one (``!keep.log``), and nothing inside an ignored folder
        can be let back in. ``.git/info/exclude`` counts as the lowest level.
        """
        for depth in range(1, len(parts) + 1):
            folder = depth < len(parts) or is_dir
            decided = self._decide(parts[:depth], folder)
            if decided:
                relative = "/".join(parts[:depth])
                if self._is_tracked(relative, folder):
                    continue  # git tracks it: not ignored, as git has it
                return decided
        return ""

    def _decide(self, parts: tuple[str, ...], folder: bool) -> str:
        for level in range(len(parts) - 1, -1, -1):
            directory = self.root.joinpath(*parts[:level])
            spec = self._spec(directory / GITIGNORE)
            if spec is None:
                continue
            relative = "/".join(parts[level:]) + ("/" if folder else "")
            result = spec.check_file(relative)
            if result.include is not None:
                where = display_path(directory / GITIGNORE)
                return where if result.include else ""
        exclude = self._spec(self.root / ".git" / "info" / "exclude")
        if exclude is not None:
            result = exclude.check_file("/".join(parts) + ("/" if folder else ""))
            if result.include:
                return ".git/info/exclude"
        return ""

    def _spec(self, file: Path) -> pathspec.GitIgnoreSpec | None:
        if file not in self._specs:
            spec = None
            try:
                if file.is_file() and not file.is_symlink():
                    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
                    spec = pathspec.GitIgnoreSpec.from_lines(lines)
            except OSError:
                spec = None
            self._specs[file] = spec
        return self._specs[file]

    def _is_tracked(self, relative: str, folder: bool) -> bool:
        """Whether git tracks ``relative`` (a file, or any file below a folder); asked of
        git only for the rare path that a ``.gitignore`` pattern matches."""
        key = relative + ("/" if folder else "")
        if key not in self._tracked:
            tracked = False
            if (self.root / ".git").exists():
                try:
                    listed = subprocess.run(
                        # No fsmonitor: a repository's own git config must run nothing.
                        [
                            "git",
                            "-c",
                            "core.fsmonitor=false",
                            "-C",
                            str(self.root),
                            "ls-files",
                            "-z",
                            "--",
                            relative,
                        ],
                        capture_output=True,
                        timeout=30,
                        check=False,
                        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1"},
                    )
                    tracked = listed.returncode == 0 and bool(listed.stdout.strip(b"\0"))
                except (OSError, subprocess.SubprocessError):
                    tracked = False
            self._tracked[key] = tracked
        return self._tracked[key]


def _via_symlink(path: Path, resolved: Path) -> bool:
    """Whether reaching ``path`` goes through a symlink (so its target is worth naming)."""
    return Path(os.path.abspath(path)) != resolved
