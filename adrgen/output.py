"""Step 5 of the pipeline: replace an output folder whole, or not at all.

Generated folders (``diagrams/``, ``site/``) are built beside the target under a temporary
name and then swapped in with one ``rename``. On Linux the swap is a single
``renameat2(RENAME_EXCHANGE)``, so at every instant the target is either the complete old
folder or the complete new one; ``kill -9`` at any point leaves no truncated file behind.
Leftovers of a killed run are cleaned up (or, if the target itself vanished in the fallback
path, restored) by :func:`recover` at the start of the next run.

A per-repository lock (``flock``, released by the kernel when a process dies) keeps two runs
from building into the same folder at once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from adrgen.errors import LockedError, OutputError, display_path
from adrgen.walls.owned import claim, marker

_STAGING = ".adrgen-new-"
_RETIRED = ".adrgen-old-"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths. False when the kernel or libc cannot do it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _siblings(target: Path, marker: str) -> list[Path]:
    prefix = f".{target.name}{marker}"
    if not target.parent.is_dir():
        return []
    return sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix))


def recover(target: Path) -> None:
    """Clean up after a run that was killed while replacing ``target``."""
    retired = _siblings(target, _RETIRED)
    if not target.exists() and retired:
        # Killed between the two renames of the fallback path: put the old folder back.
        os.rename(retired[-1], target)
        retired = retired[:-1]
    for leftover in [*retired, *_siblings(target, _STAGING)]:
        shutil.rmtree(leftover, ignore_errors=True)


def replace_dir(
    target: Path, files: Mapping[str, bytes | Path], *, keep_dotfiles: bool = True
) -> None:
    """Make ``target`` hold exactly ``files`` (relative name → bytes, or a file to link/copy).

    Dot-files already in ``target`` (``.gitattributes``, ``.gitkeep``) are carried over.
    Raises :class:`OutputError` and leaves ``target`` untouched if anything fails.
    """
    staging = target.parent / f".{target.name}{_STAGING}{os.getpid()}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        if keep_dotfiles and target.is_dir():
            for hidden in target.iterdir():
                if hidden.name.startswith(".") and hidden.is_file() and hidden.name not in files:
                    shutil.copy2(hidden, staging / hidden.name)
        for name, content in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                try:
                    os.link(content, path)  # unchanged files: no copy, no new bytes
                except OSError:
                    shutil.copy2(content, path)
            else:
                path.write_bytes(content)
        _swap_in(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(
            f"could not write {display_path(target)}: {exc}; it was left as it was"
        ) from None


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        return
    if _renameat2_exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old content
        return
    retired = target.parent / f".{target.name}{_RETIRED}{os.getpid()}"
    os.rename(target, retired)
    os.rename(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def sync_dir(target: Path, files: Mapping[str, bytes | Path]) -> list[str]:
    """Make ``target`` hold exactly ``files``, rewriting only those whose bytes changed.

    Unlike :func:`replace_dir` the folder stays the same folder, and a file whose bytes
    are the same keeps its mtime: a running ``zensical serve`` watches the folder, and a
    dirty MkDocs build compares mtimes, so both rebuild only the pages whose files changed.
    Each file is replaced by a rename, so no reader sees half of one. Returns the paths
    written or removed, sorted.
    """
    changed: list[str] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        present = {
            p.relative_to(target).as_posix()
            for p in target.rglob("*")
            if p.is_file() or p.is_symlink()
        }
        for name in sorted(present - set(files)):
            (target / name).unlink()
            changed.append(name)
        for name, content in sorted(files.items()):
            data = content.read_bytes() if isinstance(content, Path) else content
            path = target / name
            if name in present and path.is_file() and path.read_bytes() == data:
                continue
            for parent in reversed(path.relative_to(target).parents[:-1]):
                folder = target / parent
                if folder.exists() and not folder.is_dir():
                    folder.unlink()  # a file where a folder must now be
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():
                shutil.rmtree(path)
            temporary = path.with_name(f".{path.name}.adrgen-tmp-{os.getpid()}")
            temporary.write_bytes(data)
            os.replace(temporary, path)
            changed.append(name)
        for folder in sorted(
            (p for p in target.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
        ):
            with suppress(OSError):
                folder.rmdir()  # only when empty
    except OSError as exc:
        raise OutputError(f"could not write {display_path(target)}: {exc}") from None
    return sorted(set(changed))


#: Temporary files of :func:`write_file_atomic`, :func:`write_new_file` and :func:`sync_dir`:
#: ``.name.adrgen-tmp-PID`` / ``.name.adrgen-new-PID``.
_TEMPORARY = re.compile(r"^\..+\.adrgen-(?:tmp|new)-(\d+)$")


def sweep(folder: Path) -> list[Path]:
    """Remove the temporary files that runs killed mid-write left in ``folder`` (those of a
    process that no longer exists); return what was removed. A process still running
    keeps its files: it may be writing them now."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = _TEMPORARY.match(path.name)
        if match is None or not path.is_file() or _alive(int(match.group(1))):
            continue
        with suppress(OSError):
            path.unlink()
            removed.append(path)
    return sorted(removed)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing it: an earlier process had the same pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or unknowable: leave it
    return True


def write_file_atomic(path: Path, content: bytes) -> None:
    """Write one file through a temporary sibling and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.adrgen-tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"could not write {display_path(path)}: {exc}") from None


def write_new_file(path: Path, content: bytes) -> None:
    """Write a file that must not exist yet, without ever replacing one that does.

    The content goes to a temporary sibling first; ``link()`` then fails if the name exists,
    so even a file created a moment ago survives (``FileExistsError``). On a filesystem
    without hard links the name is checked, then renamed (a small race remains).
    """
    tmp = path.with_name(f".{path.name}.adrgen-new-{os.getpid()}")
    try:
        with tmp.open("xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV):
                raise
            if path.exists():
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


#: Locks this process holds, with their depth: `adrgen build` holds the lock for the whole
#: build and the diagram step inside it asks again. flock() would refuse a second open file
#: of the same process, so re-entry is counted here instead.
_HELD: dict[Path, int] = {}


@contextmanager
def repository_lock(
    cache_dir: Path, *, wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the repository's output lock, or fail at once with a clear message.

    With ``wait``, a lock another run holds is waited for instead (a live preview rebuilds
    once the other run is done, rather than staying broken until the next edit); ``wait``
    is told who holds it, once. Re-entrant within one process.
    """
    key = cache_dir.resolve()
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    with _acquire(cache_dir, wait):
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)


@contextmanager
def _acquire(cache_dir: Path, wait: Callable[[str], None] | None) -> Iterator[None]:
    # The cache is the one folder adrgen writes into without replacing it: it must be
    # adrgen's (empty, tagged, or holding its lock), never a folder of the user's.
    claim(cache_dir, "cache", "cache_dir")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tag, text = marker("cache")
        if not (cache_dir / tag).is_file():
            write_file_atomic(cache_dir / tag, text)
        handle = (cache_dir / "lock").open("a+")
    except OSError as exc:
        raise OutputError(f"cannot create the lock in {display_path(cache_dir)}: {exc}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            if wait is None:
                raise LockedError(
                    f"another adrgen run ({holder}) is writing output in this repository; "
                    "wait for it to finish and run again"
                ) from None
            wait(holder)
            fcntl.flock(handle, fcntl.LOCK_EX)  # the kernel wakes this when it is free
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
