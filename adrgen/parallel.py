"""Using the second core: how many there are, and CPU-bound work split with a forked child.

The build is CPU-bound Python on a typically 2-core machine (CI runners, laptops). Parsing
records and generating pages fork once and split the work in halves (:func:`two_cores`);
the PlantUML batch is split between two JVMs (:func:`adrgen.diagrams.renderer.processes_for`).
Both ask :func:`usable_cores` first.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset``
    narrow), not merely the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fork_pays(items: int, minimum: int) -> bool:
    """Enough work to split (``items`` ≥ ``minimum``), a second core, and no other thread
    (forking a threaded process can deadlock the child: `mkdocs serve`, or a build whose
    PlantUML batch is running, stays in one process)."""
    if items < minimum or not hasattr(os, "fork"):
        return False
    cores = usable_cores()
    return cores >= 2 and threading.active_count() == 1 and _spare_core(cores)


def _spare_core(cores: int) -> bool:
    """Whether a core is free right now: on a core that others keep busy, the split is slower
    than one process (seen on this project's shared 2-core CI machine).

    Linux counts the runnable tasks, this one included, in ``/proc/loadavg``; elsewhere the
    one-minute load average stands in.
    """
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0] < cores - 0.5
    return running < cores


_A = TypeVar("_A")
_B = TypeVar("_B")


def two_cores(here: Callable[[], _A], there: Callable[[], _B]) -> tuple[_A, _B | None]:
    """Run ``there`` in a forked child while ``here`` runs in this process; both results.

    For CPU-bound work on data this process already holds (the records, the pages' inputs):
    the child sees it without copying and sends its result back pickled. ``there``'s result
    is ``None`` when the fork or the child failed; the caller then does that part itself, so
    nothing ever depends on the child. Call only when :func:`fork_pays`.
    """
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return here(), None
    if pid == 0:  # pragma: no cover - the child; coverage cannot see it
        code = 1
        try:
            os.close(read_fd)
            blob = pickle.dumps(there(), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(blob)
            code = 0
        finally:
            os._exit(code)  # no atexit handlers, no flushing the parent's buffers twice
    os.close(write_fd)
    status = 1
    with os.fdopen(read_fd, "rb") as pipe:
        try:
            mine = here()
            blob = pipe.read()
            status = os.waitpid(pid, 0)[1]
            pid = 0
        finally:
            if pid:  # interrupted: do not leave the child behind
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    if status != 0:
        return mine, None
    try:
        return mine, pickle.loads(blob)
    except Exception:  # a truncated or damaged transfer: the caller redoes that half
        return mine, None
