"""Turning ``.puml`` text into SVG: PlantUML in batches, where one bad diagram fails only itself.

A JVM start costs about 0.6 s and a diagram in a warm process 30-60 ms, so every stale
diagram of a run goes through one ``plantuml -pipe`` process, or, from :data:`SPLIT_BATCH`
to :data:`SPLIT_LIMIT` diagrams on a machine with two cores, two that share the batch:

* ``-pipedelimitor`` with a random token per process, because a label could contain any
  fixed one;
* ``-nometadata``, because otherwise each SVG embeds its whole source and Java/OS details;
* ``-timeout`` per diagram, plus a deadline per diagram on our side;
* ``PLANTUML_SECURITY_PROFILE=SANDBOX``: PlantUML 1.2021 and later then read no file and no
  URL, a second wall behind adrgen's escaping and its guard of raw blocks (which inline
  every include and image themselves). 1.2020 has no profiles and ignores it.

**One diagram at a time.** Each process is fed the next diagram only when it has handed
back the previous one. PlantUML reports a diagram's trouble only on stderr (an ``ERROR``
block, a Java stack trace) and in an error picture, and a crash (a ``StackOverflowError``)
ends the process with the rest of the batch unread. Fed in lockstep, everything a process
prints belongs to the one diagram it holds, so:

* a syntax error or an exception fails exactly its diagram, on both versions;
* a crash fails the diagram being drawn, and the rest goes on in a new process. A diagram
  that crashes a process that had drawn others first gets a fresh process of its own before
  it is blamed (the crash could have come from the process's history): a deterministic
  crasher costs two extra JVM starts, whatever the size of the batch;
* a diagram that hangs is abandoned after its deadline, and the rest goes on likewise.

Feeding in lockstep costs nothing measurable: PlantUML draws one diagram at a time anyway,
and a pipe round trip is microseconds against tens of milliseconds a diagram.

Renderers: the local ``plantuml`` command, ``java -jar plantuml.jar``, or a PlantUML server.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from adrgen.cache_dirs import user_cache_dir
from adrgen.config import RendererConfig
from adrgen.errors import RendererUnavailable
from adrgen.parallel import usable_cores
from adrgen.walls.published import svg_problems


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


#: Told ``(done, total)`` as the diagrams of a batch come back, from a rendering thread.
Progress = Callable[[int, int], None]
#: Told ``(index, result)`` as soon as a diagram's result is known, from a rendering thread.
Listener = Callable[[int, RenderResult], None]


class Renderer(Protocol):
    """Something that turns PlantUML sources into SVG, a batch at a time."""

    def identity(self) -> str:
        """A string that changes whenever the output could change (name and version)."""
        ...

    def render(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        listener: Listener | None = None,
    ) -> list[RenderResult]:
        """Render every source; one result per source, in order.

        ``progress`` and ``listener`` are told as each diagram comes back. A diagram that
        PlantUML cannot draw gets an error result; only a renderer that cannot run at all
        raises :class:`RendererUnavailable`.
        """
        ...

    def prestart(self, batch_size: int) -> None:
        """Get ready for a batch of about ``batch_size`` diagrams (start what is slow to start)."""
        ...

    def close(self) -> None:
        """Release what :meth:`prestart` or :meth:`identity` started and no batch used."""
        ...


# Options that shape the output; part of every cache key.
OUTPUT_OPTIONS = ("-tsvg", "-nometadata", "-charset", "UTF-8")
#: PlantUML's strictest security profile. adrgen hands PlantUML no file name and no URL (raw
#: blocks have their includes inlined and their images turned into data: URIs by
#: :mod:`adrgen.diagrams.fenced`), and the bundled standard library still works under it.
SECURITY_PROFILE = "SANDBOX"
#: A diagram that draws PlantUML's own version, which identifies the renderer without a
#: second JVM (``plantuml -version`` would be one).
VERSION_PROBE = "@startuml\nversion\n@enduml\n"
_VERSION = re.compile(r"PlantUML(?:\s+version)?\s+(\d+\.\d{4}\.\d+)")

#: A JVM start on a busy two-core machine takes up to a few seconds; the first diagram of a
#: process gets this much longer before it is deemed stalled.
START_ALLOWANCE = 60.0
#: Beyond PlantUML's own ``-timeout``, so that PlantUML's error, not our kill, reports it.
DEADLINE_MARGIN = 15.0


def plantuml_version(text: str) -> str:
    """``PlantUML 1.2026.8`` from what ``-version`` prints or the version diagram shows."""
    match = _VERSION.search(text)
    return f"PlantUML {match.group(1)}" if match else ""


def _read_memo() -> dict[str, str]:
    """Versions of the PlantUML installations seen before (see :meth:`PipeRenderer.identity`)."""
    try:
        memo = json.loads((user_cache_dir() / "renderer-versions.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}


def _write_memo(stamp: str, identity: str) -> None:
    memo = _read_memo()
    memo[stamp] = identity
    memo_file = user_cache_dir() / "renderer-versions.json"
    try:
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(memo, sort_keys=True, indent=1), encoding="utf-8")
        os.replace(tmp, memo_file)
    except OSError:
        pass  # a read-only home only costs a version probe next time


class _Crashed(Exception):
    """The process ended while it held a diagram."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Stalled(Exception):
    """The process held a diagram past its deadline, and was stopped."""


class _Process:
    """One ``plantuml -pipe`` process, fed one diagram at a time (see the module docstring)."""

    def __init__(self, command: Sequence[str], timeout: int, env: Mapping[str, str]) -> None:
        self.delimiter = "adrgen-" + secrets.token_hex(16)
        argv = [
            *command,
            *OUTPUT_OPTIONS,
            "-pipe",
            "-pipedelimitor",
            self.delimiter,
            "-timeout",
            str(timeout),
        ]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
        )
        #: How many diagrams it has been given.
        self.fed = 0
        self._out = bytearray()
        self._err = bytearray()
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            assert pipe is not None
            os.set_blocking(pipe.fileno(), False)

    def draw(self, source: str, deadline: float) -> tuple[str, str]:
        """Hand over one diagram; its SVG, and what the process printed on stderr meanwhile.

        Raises :class:`_Crashed` when the process ends first, :class:`_Stalled` (having
        stopped it) when ``deadline`` seconds pass first.
        """
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        # No blank line after a diagram: PlantUML counts error lines from the previous @enduml.
        payload = (source.rstrip("\n") + "\n").encode("utf-8")
        marker = self.delimiter.encode("ascii")
        stdin, stdout, stderr = (
            self.proc.stdin.fileno(),
            self.proc.stdout.fileno(),
            self.proc.stderr.fileno(),
        )
        self.fed += 1
        sent = 0
        end = time.monotonic() + deadline
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE, "in")
            selector.register(stdout, selectors.EVENT_READ, "out")
            selector.register(stderr, selectors.EVENT_READ, "err")
            while marker not in self._out:
                left = end - time.monotonic()
                if left <= 0:
                    self.stop()
                    raise _Stalled
                for key, _events in selector.select(left):
                    if key.data == "in":
                        try:
                            sent += os.write(stdin, payload[sent : sent + 65536])
                        except BrokenPipeError:
                            selector.unregister(stdin)
                            continue  # it has ended: stdout's end tells the rest
                        if sent == len(payload):
                            selector.unregister(stdin)
                    elif key.data == "out":
                        chunk = _read(stdout)
                        if chunk == b"":
                            raise _Crashed(self._ended())
                        self._out += chunk or b""
                    else:
                        chunk = _read(stderr)
                        if chunk == b"":
                            selector.unregister(stderr)
                        self._err += chunk or b""
        at = self._out.index(marker)
        svg = bytes(self._out[:at]).decode("utf-8", "replace").strip()
        del self._out[: at + len(marker)]
        # PlantUML prints a diagram's report before its SVG and delimiter, so it is all in
        # the pipe by now.
        while chunk := _read(stderr):
            self._err += chunk
        printed = bytes(self._err).decode("utf-8", "replace")
        self._err.clear()
        return svg, printed

    def _ended(self) -> str:
        """Why the process ended: its Java exception, or its exit code."""
        assert self.proc.stderr is not None
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.set_blocking(self.proc.stderr.fileno(), True)
        self._err += self.proc.stderr.read()
        self._close_pipes()
        printed = bytes(self._err).decode("utf-8", "replace")
        return _exception(printed) or f"PlantUML exited with code {self.proc.returncode}"

    def finish(self) -> None:
        """No more diagrams: let the process end (stop it if it does not)."""
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._close_pipes()

    def stop(self) -> None:
        """Stop the process now."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _read(fd: int) -> bytes | None:
    """What is in a non-blocking pipe: bytes, ``b""`` at its end, ``None`` for nothing yet."""
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None


#: A Java exception in what PlantUML printed: ``java.lang.StackOverflowError``, ``…Exception: …``.
_JAVA_EXCEPTION = re.compile(
    r"^(?:Exception in thread \S+ )?((?:[a-z_]\w*\.)+[A-Z]\w*(?:Exception|Error)\b.*)$",
    re.MULTILINE,
)
#: PlantUML's report of a diagram it could not draw: ERROR, the 0-based line, the message.
_ERROR_REPORT = re.compile(r"^ERROR\n(\d+)\n(.*)$", re.MULTILINE)
#: The error picture: "[From string (line 3) ]" on both versions, and 1.2020's misspelling.
_ERROR_SVG_LINE = re.compile(r"\[From string \(line (\d+)\)")
_ERROR_SVG_CRASH = re.compile(r"An error has occurr?ed\s*:?\s*([^<]*)")


def _exception(printed: str) -> str:
    match = _JAVA_EXCEPTION.search(printed)
    return match.group(1).strip()[:300] if match else ""


def _classify(svg: str, printed: str) -> RenderResult:
    """One diagram's result, from its SVG and what PlantUML printed while drawing it."""
    report = _ERROR_REPORT.search(printed)
    if report:
        return RenderResult(
            error=report.group(2).strip() or "Syntax Error?", line=int(report[1]) + 1
        )
    crash = _ERROR_SVG_CRASH.search(svg)
    line = _ERROR_SVG_LINE.search(svg)
    if crash or line:
        detail = html.unescape(crash.group(1)).replace("\xa0", " ").strip() if crash else ""
        message = f"PlantUML failed: {detail}" if detail else "PlantUML could not draw this diagram"
        return RenderResult(error=message[:300], line=int(line.group(1)) if line else 0)
    exception = _exception(printed)
    if exception:
        # PlantUML printed a stack trace, yet drew a picture (1.2026 without the optional
        # libraries for <math>): the picture lacks what failed, so it is not kept.
        return RenderResult(error=f"PlantUML raised {exception}")
    if not svg.lstrip().startswith(("<?xml", "<svg")):
        return RenderResult(error="PlantUML returned no SVG for this diagram")
    return drawn(svg)


def drawn(svg: str) -> RenderResult:
    """The result of a diagram PlantUML drew: its SVG, unless the SVG holds script, which
    is never published (:mod:`adrgen.walls.published`): then the diagram fails alone."""
    unsafe = svg_problems(svg)
    if unsafe:
        return RenderResult(error=f"the SVG was not published: it holds {'; '.join(unsafe)}")
    return RenderResult(svg=position_independent(svg))


_KINDS = ("uml", "mindmap", "gantt")


def _framing_error(source: str) -> str:
    """Why ``source`` is not one diagram framed by ``@start…`` and ``@end…`` lines, or ``""``."""
    lines = [line.strip().lower() for line in source.strip().split("\n")]
    kinds = {f"@start{kind}" for kind in _KINDS}
    if len(lines) < 2 or lines[0] not in kinds or lines[-1] != "@end" + lines[0][len("@start") :]:
        return "not a diagram: it must start with an @startuml line and end with an @enduml line"
    if any(line.startswith(("@start", "@end")) for line in lines[1:-1]):
        return "not one diagram: only its first and last lines may be @start…/@end… lines"
    return ""


class PipeRenderer:
    """A local PlantUML (command or jar), driven through ``-pipe``."""

    def __init__(self, argv: Sequence[str], config: RendererConfig, *, jar: str = "") -> None:
        self.argv = list(argv)
        self.config = config
        self.jar = jar
        self._identity: str | None = None
        #: Processes started early (:meth:`prestart`, :meth:`identity`), waiting for a batch.
        self._waiting: list[_Process] = []
        self._expected = 1
        #: True once a process of this renderer has drawn a diagram: PlantUML itself runs.
        self._proven = False
        self._lock = threading.Lock()
        #: Keep each process alive after its batch, for the next one (a preview session).
        self.keep_warm = False

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
        """``PlantUML 1.2026.8``: the version, remembered per installed binary.

        Asked once per installation (its size and mtime, in the user cache), so a build that
        renders nothing starts no PlantUML process. When it must be asked, the answer comes
        from :data:`VERSION_PROBE` drawn by a process that then goes on to draw the batch: no
        JVM is started just to learn the version.
        """
        if self._identity is not None:
            return self._identity
        stamp = self._stamp()
        known = _read_memo().get(stamp)
        if known and plantuml_version(known) == known:
            self._identity = known
            return known
        if not self._waiting:
            self.prestart(self._expected)
        if not self._waiting:
            raise RendererUnavailable(f"cannot run {self.argv[0]}")
        process = self._waiting[0]
        try:
            svg, printed = process.draw(VERSION_PROBE, START_ALLOWANCE + self.config.timeout)
        except (_Crashed, _Stalled) as exc:
            self.close()
            reason = exc.reason if isinstance(exc, _Crashed) else "no answer"
            raise RendererUnavailable(f"cannot run {self.argv[0]}: {reason}") from None
        version = plantuml_version(" ".join(_svg_texts(svg)))
        if not version:
            self.close()
            detail = _exception(printed) or "it did not draw like PlantUML"
            raise RendererUnavailable(f"{self.argv[0]} is not a working PlantUML: {detail}")
        self._proven = True
        self._identity = version
        _write_memo(stamp, version)
        return version

    def prestart(self, batch_size: int) -> None:
        """Start the PlantUML process(es) now; the next :meth:`render` feeds them its batch.

        A JVM needs about 0.6 s before it reads its first diagram. Started while the records
        are still being loaded and validated, it is ready when the batch is. For runs that
        will almost surely render (a cold build): :meth:`close` stops it if it went unused.
        ``batch_size`` is the expected number of diagrams (it chooses how many processes,
        and their JVM options).
        """
        self._expected = max(1, batch_size)
        if self._waiting:
            return
        processes = processes_for(batch_size)
        try:
            for _ in range(processes):
                self._waiting.append(self._spawn(batch_size, processes))
        except OSError:
            pass  # render() and identity() try again and report the problem

    def close(self) -> None:
        """Stop processes started early that no batch used."""
        waiting, self._waiting = self._waiting, []
        for process in waiting:
            process.stop()

    def _spawn(self, batch_size: int, processes: int) -> _Process:
        env = dict(os.environ)
        options = batch_jvm_options(self.config, env, batch_size, processes)
        command = self.argv
        if self.jar and command == [command[0], *self.config.jvm_options, "-jar", self.jar]:
            # `java … -jar`: options on the command line win over JAVA_TOOL_OPTIONS.
            command = [command[0], *options, "-jar", self.jar]
        env["JAVA_TOOL_OPTIONS"] = " ".join([env.get("JAVA_TOOL_OPTIONS", ""), *options]).strip()
        env["PLANTUML_SECURITY_PROFILE"] = SECURITY_PROFILE
        return _Process(command, self.config.timeout, env)

    def render(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        listener: Listener | None = None,
    ) -> list[RenderResult]:
        """Render all sources in one process, or two on two cores (see :data:`SPLIT_BATCH`).

        ``progress`` is told ``(done, total)`` and ``listener`` each ``(index, result)`` as
        each diagram comes back.
        """
        if not sources:
            return []
        # A diagram that is not framed by one @start…/@end… pair is never sent: without its
        # end line a -pipe process waits for ever; with an extra one, 1.2020 hands back two
        # pictures for it, and every later diagram would get its neighbour's.
        framing = [_framing_error(source) for source in sources]
        if any(framing):
            sendable = [i for i, error in enumerate(framing) if not error]
            by_index = {
                i: RenderResult(error=framing[i]) for i in range(len(sources)) if framing[i]
            }

            def forward(index: int, result: RenderResult) -> None:
                if listener is not None:
                    listener(sendable[index], result)

            drawn = self.render([sources[i] for i in sendable], None, forward)
            by_index.update(zip(sendable, drawn, strict=True))
            for count, index in enumerate(sorted(by_index), start=1):
                if framing[index] and listener is not None:
                    listener(index, by_index[index])
                if progress is not None:
                    progress(count, len(sources))
            return [by_index[i] for i in range(len(sources))]
        waiting, self._waiting = self._waiting, []
        if not waiting:
            processes = processes_for(len(sources))
            try:
                for _ in range(processes):
                    waiting.append(self._spawn(len(sources), processes))
            except OSError as exc:
                for process in waiting:
                    process.stop()
                raise RendererUnavailable(f"cannot run {self.argv[0]}: {exc}") from None
        # Contiguous parts, one per process; a process with nothing to do is stopped.
        size = -(-len(sources) // len(waiting))
        starts = list(range(0, len(sources), size))
        for process in waiting[len(starts) :]:
            process.stop()
        waiting = waiting[: len(starts)]
        done = [0]
        lock = threading.Lock()

        def report(index: int, result: RenderResult) -> None:
            with lock:
                done[0] += 1
                count = done[0]
            if listener is not None:
                listener(index, result)
            if progress is not None:
                progress(count, len(sources))

        outcomes: list[list[RenderResult] | BaseException] = [[] for _ in starts]
        current: list[_Process | None] = list(waiting)

        def run(part: int) -> None:
            first = starts[part]
            try:
                outcomes[part] = self._render_part(
                    sources[first : first + size], first, part, current, report
                )
            except BaseException as exc:  # re-raised below, in the caller's thread
                outcomes[part] = exc

        threads = [
            threading.Thread(target=run, args=(i,), name="adrgen-plantuml-part", daemon=True)
            for i in range(1, len(starts))
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
            # A renderer that cannot run, or an interrupt: stop the other processes rather
            # than let them draw for nothing (or outlive us); their threads then see it.
            for live in list(current):
                if live is not None:
                    live.stop()
            for thread in threads:
                thread.join()
            raise
        results: list[RenderResult] = []
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            results.extend(outcome)
        return results

    def _render_part(
        self,
        sources: Sequence[str],
        offset: int,
        slot: int,
        current: list[_Process | None],
        report: Listener,
    ) -> list[RenderResult]:
        """Draw one part of a batch through one process (a new one after a crash or a hang).

        ``current[slot]`` is the part's live process, for :meth:`render` to stop on failure.
        """
        results: list[RenderResult] = []
        index = 0
        while index < len(sources):
            process = current[slot]
            if process is None:
                try:
                    process = current[slot] = self._spawn(len(sources) - index, 1)
                except OSError as exc:
                    raise RendererUnavailable(f"cannot run {self.argv[0]}: {exc}") from None
            fresh = process.fed == 0
            deadline = self.config.timeout + DEADLINE_MARGIN + (START_ALLOWANCE if fresh else 0)
            try:
                svg, printed = process.draw(sources[index], deadline)
                result = _classify(svg, printed)
                self._proven = True
            except _Stalled:
                current[slot] = None
                result = RenderResult(
                    error=f"PlantUML did not finish this diagram within {deadline:.0f} s"
                )
            except _Crashed as crash:
                current[slot] = None
                if not fresh:
                    continue  # give it a process of its own before blaming it
                if not self._proven and not self._runs():
                    raise RendererUnavailable(
                        f"cannot run {self.argv[0]}: {crash.reason}"
                    ) from None
                result = RenderResult(error=f"PlantUML crashed on this diagram: {crash.reason}")
            results.append(result)
            report(offset + index, result)
            index += 1
        process = current[slot]
        if process is not None:
            current[slot] = None
            if self.keep_warm:
                # Warm and JIT-compiled: the next batch's diagrams take tens of milliseconds
                # where a new JVM would take seconds.
                with self._lock:
                    self._waiting.append(process)
            else:
                process.finish()
        return results

    def _runs(self) -> bool:
        """Whether PlantUML draws at all: asked when a fresh process crashes, to tell a bad
        diagram from a PlantUML that cannot start."""
        with self._lock:
            if self._proven:
                return True
            try:
                process = self._spawn(1, 1)
            except OSError:
                return False
            try:
                svg, _ = process.draw(VERSION_PROBE, START_ALLOWANCE + self.config.timeout)
            except (_Crashed, _Stalled):
                return False
            process.finish()
            self._proven = bool(plantuml_version(" ".join(_svg_texts(svg))))
            return self._proven


_SVG_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")


def _svg_texts(svg: str) -> list[str]:
    return [html.unescape(t).replace("\xa0", " ") for t in _SVG_TEXT.findall(svg)]


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

    def prestart(self, batch_size: int) -> None:
        """Nothing to start: the server is running."""

    def close(self) -> None:
        """Nothing to stop."""

    def render(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        listener: Listener | None = None,
    ) -> list[RenderResult]:
        """Render each source with one GET; ``progress`` and ``listener`` after each."""
        # Imported here: only this renderer needs urllib's HTTP client (7 ms of imports).
        import urllib.error
        import urllib.request

        results = []
        for index, source in enumerate(sources):
            request = urllib.request.Request(f"{self.url}/svg/{encode_for_server(source)}")
            try:
                with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                    svg = response.read().decode("utf-8", "replace")
                    error = response.headers.get("X-PlantUML-Diagram-Error", "")
                    line = int(response.headers.get("X-PlantUML-Diagram-Error-Line", "0") or 0)
            except urllib.error.HTTPError as exc:
                # A diagram error comes as an HTTP error whose body is the error picture;
                # a server that crashed on one diagram answers 500 for it alone.
                svg = exc.read().decode("utf-8", "replace")
                error = exc.headers.get("X-PlantUML-Diagram-Error", f"HTTP {exc.code}")
                line = int(exc.headers.get("X-PlantUML-Diagram-Error-Line", "0") or 0)
            except (urllib.error.URLError, OSError) as exc:
                raise RendererUnavailable(
                    f"PlantUML server {self.url} unreachable: {exc}"
                ) from None
            result = RenderResult(error=error, line=line) if error else drawn(svg)
            results.append(result)
            if listener is not None:
                listener(index, result)
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


def open_renderer(config: RendererConfig) -> tuple[Renderer | None, str, str]:
    """The configured renderer and its identity (``PlantUML 1.2026.8``); without one,
    ``None`` and why, as a warning that says what was written instead."""
    try:
        renderer = make_renderer(config)
        if renderer is None:
            return (
                None,
                "",
                (
                    "PlantUML not found: wrote .puml files only (install Debian's `plantuml` "
                    "package, or set [renderer] in adrgen.toml)"
                ),
            )
        return renderer, renderer.identity(), ""
    except RendererUnavailable as exc:
        return None, "", unavailable_warning(exc)


def unavailable_warning(exc: RendererUnavailable) -> str:
    """Why a run draws nothing, as the warning that says what it wrote instead."""
    return f"{exc}: wrote .puml files only"


class SessionRenderer:
    """One renderer for a whole preview session (``adrgen serve``): its PlantUML processes
    stay alive and warm between builds, so an edit's diagram is drawn in tens of
    milliseconds instead of a JVM start. :meth:`close`, which every build calls, keeps them;
    :meth:`shutdown` stops them."""

    def __init__(self, inner: Renderer, settings: RendererConfig) -> None:
        self.inner = inner
        #: The settings it was made from: a session whose settings change makes a new one.
        self.settings = settings
        if isinstance(inner, PipeRenderer):
            inner.keep_warm = True

    def identity(self) -> str:
        """The inner renderer's identity."""
        return self.inner.identity()

    def render(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        listener: Listener | None = None,
    ) -> list[RenderResult]:
        """Draw with the inner renderer's warm processes."""
        return self.inner.render(sources, progress, listener)

    def prestart(self, batch_size: int) -> None:
        """Start a process now if none is warm."""
        self.inner.prestart(batch_size)

    def close(self) -> None:
        """Keep the warm processes: the session goes on (see :meth:`shutdown`)."""

    def shutdown(self) -> None:
        """Stop the session's processes."""
        self.inner.close()


def cache_key(source: str, identity: str) -> str:
    """The content-hash key of one diagram: its source, the renderer, and the options."""
    digest = hashlib.sha256()
    for part in (identity, " ".join(OUTPUT_OPTIONS), SVG_NORMAL_FORM, source):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()
