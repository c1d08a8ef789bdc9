"""Turning ``.puml`` text into SVG: one PlantUML process for a whole batch (two on two cores).

A JVM start costs about 0.6 s and a diagram in a warm process about 25 ms, so every stale
diagram of a run goes through one ``plantuml -pipe`` process, or, from :data:`SPLIT_BATCH`
to :data:`SPLIT_LIMIT` diagrams on a machine with two cores, two that share the batch:

* ``-pipedelimitor`` with a random token per process, because a label could contain any
  fixed one;
* ``-nometadata``, because otherwise each SVG embeds its whole source and Java/OS details;
* ``-timeout`` per diagram, plus an overall deadline on our side;
* PlantUML reports syntax errors only on stderr and in its exit code (the SVG is an error
  picture), so both are read, and each error is tied back to its diagram.

Renderers: the local ``plantuml`` command, ``java -jar plantuml.jar``, or a PlantUML server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import selectors
import shutil
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from adrgen.config import RendererConfig
from adrgen.parallel import usable_cores


class RendererUnavailable(Exception):
    """No renderer could be started; diagrams are written as ``.puml`` only."""


@dataclass(frozen=True)
class RenderResult:
    """The outcome for one diagram of a batch: SVG text, or an error with a 1-based line."""

    svg: str = ""
    error: str = ""
    line: int = 0

    @property
    def ok(self) -> bool:
        """True when the diagram rendered."""
        return not self.error


#: Told ``(done, total)`` as the diagrams of a batch come back, from the rendering thread.
Progress = Callable[[int, int], None]


class Renderer(Protocol):
    """Something that turns PlantUML sources into SVG, a batch at a time."""

    def identity(self) -> str:
        """A string that changes whenever the output could change (name and version)."""
        ...

    def render(
        self, sources: Sequence[str], progress: Progress | None = None
    ) -> list[RenderResult]:
        """Render every source; one result per source, in order; ``progress`` as they come."""
        ...


# Options that shape the output; part of every cache key.
OUTPUT_OPTIONS = ("-tsvg", "-nometadata", "-charset", "UTF-8")

_ERROR_SVG = re.compile(r"\[From string \(line (\d+)\)")


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "adrgen"


def _read_memo() -> dict[str, str]:
    """Versions of the PlantUML binaries seen before (see :meth:`PipeRenderer.identity`)."""
    try:
        memo = json.loads((_user_cache_dir() / "renderer-versions.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


class PipeRenderer:
    """A local PlantUML (command or jar), driven through ``-pipe``."""

    def __init__(self, argv: Sequence[str], config: RendererConfig, *, jar: str = "") -> None:
        self.argv = list(argv)
        self.config = config
        self.jar = jar
        self._identity: str | None = None
        #: Processes started by :meth:`prestart`, waiting for their batch, with delimiters.
        self._waiting: list[tuple[subprocess.Popen[bytes], str]] = []
        #: ``-version`` asked by :meth:`prestart`, answered to :meth:`identity`.
        self._asking: subprocess.Popen[bytes] | None = None

    def _stamp(self) -> str:
        """Size and mtime of the executable (and jar): a cheap "has it changed" check."""
        parts = []
        for candidate in (self.argv[0], self.jar or _jar_of_script(self.argv[0])):
            if not candidate:
                continue
            try:
                st = Path(candidate).resolve().stat()
                parts.append(f"{Path(candidate).resolve()}:{st.st_size}:{st.st_mtime_ns}")
            except OSError:
                parts.append(candidate)
        return "|".join(parts)

    def identity(self) -> str:
        """``plantuml -version``'s first line, memoised per installed binary.

        Asking costs a JVM start, so the answer is kept in the user cache keyed by the
        binary's size and mtime: a no-op build then starts no PlantUML process at all.
        """
        if self._identity is not None:
            return self._identity
        stamp = self._stamp()
        memo_file = _user_cache_dir() / "renderer-versions.json"
        memo = _read_memo()
        if stamp in memo:
            self._identity = str(memo[stamp])
            self._stop_asking()
            return self._identity
        asking, self._asking = self._asking, None
        try:
            if asking is None:  # not asked by prestart(): ask now
                asking = self._ask_version()
            stdout, _ = asking.communicate(timeout=self.config.timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            if asking is not None:
                asking.kill()
                asking.communicate()
            raise RendererUnavailable(f"cannot run {self.argv[0]}: {exc}") from None
        proc = asking
        first = stdout.decode("utf-8", "replace").strip().splitlines()
        if proc.returncode != 0 or not first or "PlantUML" not in first[0]:
            raise RendererUnavailable(f"{self.argv[0]} -version did not answer like PlantUML")
        self._identity = first[0].strip()
        memo[stamp] = self._identity
        try:
            memo_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = memo_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(memo, sort_keys=True, indent=1), encoding="utf-8")
            os.replace(tmp, memo_file)
        except OSError:
            pass  # a read-only home only costs a JVM start next time
        return self._identity

    def prestart(self, batch_size: int) -> None:
        """Start the PlantUML process(es) now; the next :meth:`render` feeds them its batch.

        A JVM needs about 0.6 s before it reads its first diagram. Started while the records
        are still being loaded and validated, it is ready when the batch is. For runs that
        will almost surely render (a cold build): :meth:`close` stops it if it went unused.
        ``batch_size`` is the expected number of diagrams (it chooses how many processes,
        and their JVM options).
        """
        if not self._waiting:
            try:
                processes = processes_for(batch_size)
                for _ in range(processes):
                    self._waiting.append(self._spawn(batch_size, processes))
                # Without a memoised version (first run with this PlantUML, or a fresh user
                # cache), ask for it in parallel too: identity() collects the answer.
                if self._identity is None and self._stamp() not in _read_memo():
                    self._asking = self._ask_version()
            except OSError:
                pass  # render() and identity() try again and report the problem

    def close(self) -> None:
        """Stop processes started by :meth:`prestart` that :meth:`render` did not use."""
        waiting, self._waiting = self._waiting, []
        for proc, _ in waiting:
            proc.kill()
            proc.communicate()
        self._stop_asking()

    def _ask_version(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [*self.argv, "-version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def _stop_asking(self) -> None:
        asking, self._asking = self._asking, None
        if asking is not None:
            asking.kill()
            asking.communicate()

    def _spawn(self, batch_size: int, processes: int) -> tuple[subprocess.Popen[bytes], str]:
        delimiter = "adrgen-" + secrets.token_hex(16)
        env = dict(os.environ)
        options = batch_jvm_options(self.config, env, batch_size, processes)
        command = self.argv
        if self.jar and command == [command[0], *self.config.jvm_options, "-jar", self.jar]:
            # `java … -jar`: options on the command line win over JAVA_TOOL_OPTIONS.
            command = [command[0], *options, "-jar", self.jar]
        argv = [
            *command,
            *OUTPUT_OPTIONS,
            "-pipe",
            "-pipedelimitor",
            delimiter,
            "-timeout",
            str(self.config.timeout),
        ]
        env["JAVA_TOOL_OPTIONS"] = " ".join([env.get("JAVA_TOOL_OPTIONS", ""), *options]).strip()
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        return proc, delimiter

    def render(
        self, sources: Sequence[str], progress: Progress | None = None
    ) -> list[RenderResult]:
        """Render all sources in one process, or two on two cores (see :data:`SPLIT_BATCH`).

        ``progress`` is told ``(done, total)`` as each diagram comes back.
        """
        if not sources:
            return []
        for source in sources:
            # A diagram without @enduml makes a -pipe process wait forever for the rest.
            body = source.strip()
            if not (
                body.startswith("@start") and body.endswith(("@enduml", "@endmindmap", "@endgantt"))
            ):
                raise ValueError("every diagram must start with @start… and end with @end…")
        waiting, self._waiting = self._waiting, []
        if not waiting:
            processes = processes_for(len(sources))
            try:
                for _ in range(processes):
                    waiting.append(self._spawn(len(sources), processes))
            except OSError as exc:
                _stop(waiting)
                raise RendererUnavailable(f"cannot run {self.argv[0]}: {exc}") from None
        # Contiguous parts, one per process; a process with nothing to do is stopped.
        size = -(-len(sources) // len(waiting))
        parts = [list(sources[i : i + size]) for i in range(0, len(sources), size)]
        _stop(waiting[len(parts) :])
        waiting = waiting[: len(parts)]
        if len(parts) == 1:
            return self._run(*waiting[0], parts[0], progress)
        # Each part's progress, summed: the bar counts the whole batch.
        counts = [0] * len(parts)
        lock = threading.Lock()

        def part_progress(index: int) -> Progress | None:
            if progress is None:
                return None

            def report(done: int, _total: int) -> None:
                with lock:
                    counts[index] = done
                    progress(sum(counts), len(sources))

            return report

        outcomes: list[list[RenderResult] | BaseException] = [[] for _ in parts]

        def run(index: int) -> None:
            proc, delimiter = waiting[index]
            try:
                outcomes[index] = self._run(proc, delimiter, parts[index], part_progress(index))
            except BaseException as exc:  # re-raised below, in the caller's thread
                outcomes[index] = exc

        threads = [
            threading.Thread(target=run, args=(i,), name="adrgen-plantuml-part", daemon=True)
            for i in range(1, len(parts))
        ]
        for thread in threads:
            thread.start()
        try:
            run(0)
            if isinstance(outcomes[0], BaseException):
                raise outcomes[0]
            for thread in threads:
                thread.join()
        except BaseException:
            # A failed part, or an interrupt: stop the other processes rather than let them
            # draw for nothing (or outlive us); their threads then see the pipes close.
            for proc, _ in waiting:
                if proc.poll() is None:
                    proc.kill()
            for thread in threads:
                thread.join()
            raise
        results: list[RenderResult] = []
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            results.extend(outcome)
        return results

    def _run(
        self,
        proc: subprocess.Popen[bytes],
        delimiter: str,
        sources: Sequence[str],
        progress: Progress | None,
    ) -> list[RenderResult]:
        """Feed one process its part of the batch; one result per source."""
        # No blank line between diagrams: PlantUML counts error lines from the previous @enduml.
        payload = "".join(s.rstrip("\n") + "\n" for s in sources).encode("utf-8")
        deadline = 30 + self.config.timeout * len(sources)
        try:
            stdout, stderr = _exchange(proc, payload, deadline, delimiter, len(sources), progress)
        except subprocess.TimeoutExpired:
            # _exchange has stopped the process and closed its pipes.
            raise RendererUnavailable(f"PlantUML did not finish within {deadline} s") from None
        out = stdout.decode("utf-8", "replace")
        chunks = [c.strip() for c in out.split(delimiter)]
        if chunks and not chunks[-1]:
            chunks.pop()
        if len(chunks) != len(sources):
            detail = stderr.decode("utf-8", "replace").strip()[-500:]
            raise RendererUnavailable(
                f"PlantUML returned {len(chunks)} diagrams for {len(sources)} "
                f"(exit {proc.returncode}): {detail}"
            )
        results = _attribute_errors(chunks, proc.returncode, stderr.decode("utf-8", "replace"))
        return [replace(r, svg=position_independent(r.svg)) if r.ok else r for r in results]


#: PlantUML 1.2020 names some elements (notes: ``GMN<n>``) from a counter that runs for the
#: whole process, and writes an ``<!--MD5=[…]`` comment of each element's name. So the same
#: diagram came out with different bytes depending on what its process had drawn before it:
#: a cold build, an edit's one-diagram batch, and a batch split between two processes
#: disagreed. Within ``id`` attributes (the only place the counter shows, besides those
#: comments), the numbers are renumbered in order of appearance; the comments are dropped.
_PROCESS_COUNTER = re.compile(r"\bGMN\d+\b")
_ID_ATTRIBUTE = re.compile(r'\bid="[^"]*"')
_NAME_COMMENT = re.compile(r"<!--MD5=\[[0-9a-f]+\].*?-->", re.DOTALL)
#: Part of every cache key: bump it when :func:`position_independent` changes its output.
SVG_NORMAL_FORM = "position-independent-1"


def position_independent(svg: str) -> str:
    """The SVG as if its diagram had been the first its PlantUML process drew."""
    seen: dict[str, str] = {}

    def renumber(counter: re.Match[str]) -> str:
        return seen.setdefault(counter.group(0), f"GMN{len(seen) + 1}")

    def in_id(attribute: re.Match[str]) -> str:
        return _PROCESS_COUNTER.sub(renumber, attribute.group(0))

    return _ID_ATTRIBUTE.sub(in_id, _NAME_COMMENT.sub("", svg))


def _stop(processes: Sequence[tuple[subprocess.Popen[bytes], str]]) -> None:
    for proc, _ in processes:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


#: From this many diagrams on, a batch is split between two PlantUML processes when the
#: machine has two cores or more. The batch alone on 2 cores (`python3 bench/run.py --quick`,
#: its JVM table): 51 diagrams 4.1 s in one C1 process, 3.2 s in two; 201 diagrams 11.5 s in
#: one C2 process, 10.0 s in two C1 processes, and 13.1 s in two C2 processes, whose compiler
#: threads fight for the cores. Below it, a second JVM start (~0.3 s of CPU) costs more than
#: it saves.
SPLIT_BATCH = 16
#: ... and below this many. With 1001 diagrams the split lost: a cold build took 64.1 s with
#: two C1 processes against 58.6 s with one C2 process (`python3 bench/run.py`, N = 1000,
#: before and after this bound). Between 201 (the split wins) and 1001 (it loses) the bound
#: is a guess.
SPLIT_LIMIT = 500


def processes_for(batch_size: int) -> int:
    """How many PlantUML processes share a batch of ``batch_size`` diagrams: one or two."""
    return 2 if SPLIT_BATCH <= batch_size < SPLIT_LIMIT and usable_cores() >= 2 else 1


def _exchange(
    proc: subprocess.Popen[bytes],
    payload: bytes,
    deadline: float,
    delimiter: str,
    total: int,
    progress: Progress | None,
) -> tuple[bytes, bytes]:
    """``proc.communicate(payload, timeout=deadline)``, but reading stdout as it arrives.

    ``communicate`` returns only at the end; a batch of hundreds of diagrams takes seconds,
    and the CLI's progress bar needs to know how many have come back. Each diagram's SVG is
    followed by the delimiter, so counting delimiters in the stream counts finished diagrams.
    stdin and stderr get a thread each, as in ``communicate``, so no pipe can fill up and
    stall PlantUML.
    """
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stderr_pipe = proc.stdin, proc.stderr
    errors: list[bytes] = []

    def feed() -> None:
        try:
            stdin.write(payload)
            stdin.close()
        except OSError:  # PlantUML exited early; its exit code and stderr will say why
            pass

    def drain() -> None:
        errors.append(stderr_pipe.read())

    helpers = [
        threading.Thread(target=t, name="adrgen-plantuml-io", daemon=True) for t in (feed, drain)
    ]
    for helper in helpers:
        helper.start()
    out = bytearray()
    marker = delimiter.encode("ascii")
    done = scanned = 0
    end = time.monotonic() + deadline
    fd = proc.stdout.fileno()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise subprocess.TimeoutExpired(proc.args, deadline)
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                out += chunk
                if progress is None:
                    continue
                # Only the new bytes, plus a delimiter's length back for one split by a read.
                before = done
                at = out.find(marker, max(0, scanned - len(marker) + 1))
                while at != -1:
                    done += 1
                    at = out.find(marker, at + len(marker))
                scanned = len(out)
                if done != before:
                    progress(min(done, total), total)
        proc.wait(timeout=max(1.0, end - time.monotonic()))
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()
        for helper in helpers:
            helper.join()
        proc.stdout.close()
        stderr_pipe.close()
    return bytes(out), b"".join(errors)


#: From this many diagrams on, a batch runs with the JVM's full tiered compiler (C2).
#: The default options stop the JIT at C1, which starts fast; C2 compiles on another core and
#: then draws each diagram faster. Measured on 2 cores (wall time of the batch alone, C1 vs
#: C2): 51 diagrams 4.2 s vs 4.3 s, 101 diagrams 6.7 s vs 5.8 s, 151: 9.8 s vs 7.9 s,
#: 201: 14.3 s vs 10.6 s.
LONG_BATCH = 100
_DEFAULT_JVM_OPTIONS = RendererConfig().jvm_options
_C1_ONLY = "-XX:TieredStopAtLevel=1"
_JIT_OPTION = re.compile(r"-XX:[+-]?Tiered|-Xint|-Xcomp")
#: A garbage collector is chosen unless the user's JVM options choose one (two conflict).
_GC_OPTION = re.compile(r"-XX:\+Use\w*GC\b")


def batch_jvm_options(
    config: RendererConfig, env: Mapping[str, str], batch_size: int, processes: int = 1
) -> list[str]:
    """The JVM options of a batch: the configured ones, tuned for speed (never for output).

    * The serial collector, unless the user's options choose one: PlantUML's heap is small,
      and G1's threads compete with the build for two cores (51 diagrams: 5.2 s instead of
      6.0 s; 201: 14.3 s instead of 15.0 s).
    * With the default options, a batch of :data:`LONG_BATCH` diagrams or more, drawn by a
      single process, lifts their C1-only cap (see :data:`LONG_BATCH`); split between
      ``processes`` > 1, it keeps it (see :data:`SPLIT_BATCH`). Options set in
      ``adrgen.toml`` or in the JVM's environment variables are left as they are.
    """
    options = list(config.jvm_options)
    environment = " ".join(
        env.get(k, "") for k in ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS")
    )
    if (
        batch_size >= LONG_BATCH
        and processes == 1
        and tuple(options) == _DEFAULT_JVM_OPTIONS
        and not _JIT_OPTION.search(environment)
    ):
        options.remove(_C1_ONLY)
    if not _GC_OPTION.search(" ".join([*options, environment])):
        options.append("-XX:+UseSerialGC")
    return options


def _attribute_errors(chunks: list[str], returncode: int, stderr: str) -> list[RenderResult]:
    """Tie PlantUML's stderr report back to the diagrams it concerns.

    stderr lists, per failed diagram and in batch order, ``ERROR``, the 0-based line and a
    message; each failed diagram's SVG is an error picture naming the line. Anything else
    on stderr (a Java exception: PlantUML still exits 0 then) fails the diagrams whose SVG
    shows an error, or the whole batch if none does.
    """
    reports = re.findall(r"^ERROR\n(\d+)\n(.*)$", stderr, flags=re.MULTILINE)
    marked = [
        i
        for i, chunk in enumerate(chunks)
        if _ERROR_SVG.search(chunk) or "An error has occured" in chunk
    ]
    results = [RenderResult(svg=chunk) for chunk in chunks]
    failed = returncode != 0 or bool(reports) or "Exception" in stderr
    if not failed and not marked:
        return results
    if not marked:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {returncode}"
        return [RenderResult(error=f"PlantUML failed on this batch: {reason}") for _ in chunks]
    for position, index in enumerate(marked):
        line_match = _ERROR_SVG.search(chunks[index])
        line = int(line_match.group(1)) if line_match else 0
        message = "PlantUML could not draw this diagram"
        if position < len(reports):
            line = int(reports[position][0]) + 1
            message = reports[position][1].strip() or message
        results[index] = RenderResult(error=message, line=line)
    return results


def _jar_of_script(command: str) -> str:
    """The jar a wrapper script such as Debian's ``/usr/bin/plantuml`` runs, if visible."""
    path = shutil.which(command)
    if not path:
        return ""
    try:
        head = Path(path).read_bytes()[:8192].decode("utf-8", "replace")
    except OSError:
        return ""
    match = re.search(r"-jar\s+(\S+\.jar)", head)
    return match.group(1) if match else ""


_PLANTUML_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
_STD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def encode_for_server(source: str) -> str:
    """PlantUML's URL encoding: raw deflate, then its own base64 alphabet."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = compressor.compress(source.encode("utf-8")) + compressor.flush()
    std = base64.b64encode(data).decode("ascii").rstrip("=")
    return std.translate(str.maketrans(_STD_ALPHABET, _PLANTUML_ALPHABET))


class ServerRenderer:
    """A PlantUML server (``plantuml/plantuml-server`` or compatible) over HTTP."""

    def __init__(self, url: str, config: RendererConfig) -> None:
        self.url = url.rstrip("/")
        self.config = config

    def identity(self) -> str:
        """The server URL: its version is not exposed, so the URL stands for it."""
        return f"server:{self.url}"

    def render(
        self, sources: Sequence[str], progress: Progress | None = None
    ) -> list[RenderResult]:
        """Render each source with one GET; ``progress`` after each."""
        # Imported here: only this renderer needs urllib's HTTP client (7 ms of imports).
        import urllib.error
        import urllib.request

        results = []
        for source in sources:
            request = urllib.request.Request(f"{self.url}/svg/{encode_for_server(source)}")
            try:
                with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                    svg = response.read().decode("utf-8", "replace")
                    error = response.headers.get("X-PlantUML-Diagram-Error", "")
                    line = int(response.headers.get("X-PlantUML-Diagram-Error-Line", "0") or 0)
            except urllib.error.HTTPError as exc:
                # A diagram error comes as an HTTP error whose body is the error picture.
                svg = exc.read().decode("utf-8", "replace")
                error = exc.headers.get("X-PlantUML-Diagram-Error", f"HTTP {exc.code}")
                line = int(exc.headers.get("X-PlantUML-Diagram-Error-Line", "0") or 0)
            except (urllib.error.URLError, OSError) as exc:
                raise RendererUnavailable(
                    f"PlantUML server {self.url} unreachable: {exc}"
                ) from None
            results.append(
                RenderResult(
                    svg=position_independent(svg) if not error else svg, error=error, line=line
                )
            )
            if progress is not None:
                progress(len(results), len(sources))
        return results


def make_renderer(config: RendererConfig) -> Renderer | None:
    """The configured renderer, or ``None`` when there is none (``kind = "none"`` or not found)."""
    kind = config.kind
    if kind == "none":
        return None
    if kind == "server":
        return ServerRenderer(config.server, config)
    if kind == "jar":
        if not Path(config.jar).is_file():
            raise RendererUnavailable(f"plantuml.jar not found at {config.jar}")
        java = shutil.which(config.java)
        if java is None:
            raise RendererUnavailable(f"{config.java!r} not found; the jar renderer needs Java")
        return PipeRenderer([java, *config.jvm_options, "-jar", config.jar], config, jar=config.jar)
    command = shutil.which(config.command)
    if command is None:
        if kind == "auto":
            return None
        raise RendererUnavailable(f"PlantUML command {config.command!r} not found on PATH")
    return PipeRenderer([command], config)


def cache_key(source: str, identity: str) -> str:
    """The content-hash key of one diagram: its source, the renderer, and the options."""
    digest = hashlib.sha256()
    for part in (identity, " ".join(OUTPUT_OPTIONS), SVG_NORMAL_FORM, source):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()
