"""Raw PlantUML that authors write (```plantuml fences): guarded, then drawn in one batch.

Record text never becomes PlantUML syntax (see :mod:`adrgen.diagrams.escape`), but a fenced
```plantuml block in a Markdown field or a hand-written page *is* PlantUML, written on
purpose. PlantUML 1.2020 has no security profile, so adrgen is the sandbox. Before a block
reaches PlantUML, :func:`guard` checks every line of it:

* ``!include``, ``!include_once``, ``!include_many`` and ``!includesub`` may name only files
  inside the docs repository (no ``..`` escape, no symlink out, no URL, no ``$variable``
  path). The file is read here and its text inlined (and guarded in turn), so PlantUML never
  opens a file itself and the content-hash cache sees the included text. PlantUML's bundled
  standard library (``!include <C4/C4_Container>``) stays as it is.
* ``!includeurl``, ``!import``, ``!theme … from`` and any other ``!include…`` are refused.
* ``%getenv`` and the other preprocessor functions that read the environment, files or URLs,
  or call functions by name, are refused.
* ``<img:…>`` may name only a picture inside the repository, which is inlined as a
  ``data:`` URI (so PlantUML opens no file, and the cache key changes with the picture);
  URLs are refused.
* ``[[link]]`` targets must be http(s) or relative: an SVG opened on its own runs a
  ``javascript:`` link in the site's origin.
* one diagram per block: ``@start…``/``@end…`` only around the whole block (a stray
  ``@enduml`` would desynchronise PlantUML's ``-pipe`` batch).

Every guarded block of a build is rendered in the same PlantUML process as the records'
diagrams when any of those is stale (:class:`Piggyback`), else in one process of its own, and
only when the content-hash cache (``.adrgen-cache/svg``) does not have it already.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adrgen.diagrams.cache import LocalCache
from adrgen.diagrams.renderer import (
    Listener,
    Progress,
    Renderer,
    RendererUnavailable,
    RenderResult,
    cache_key,
)
from adrgen.errors import Problem, ValidationFailed, display_path

#: Largest file an ``!include`` may inline, and how deep includes may nest.
MAX_INCLUDE_BYTES = 1024 * 1024
MAX_INCLUDE_DEPTH = 8
#: Diagram kinds adrgen's ``-pipe`` renderer accepts (it checks the closing line).
_KINDS = ("uml", "mindmap", "gantt")

_DIRECTIVE = re.compile(r"^\s*!\s*(?P<name>[A-Za-z_]\w*)(?P<rest>.*)$")
_INCLUDES = {"include", "include_once", "include_many", "includesub"}
_FUNCTIONS = re.compile(
    r"%\s*(?P<name>getenv|get_all_\w*|load_\w+|file_exists|dirpath|filename\w*|"
    r"invoke_procedure|call_user_func)\b",
    re.IGNORECASE,
)
_IMG = re.compile(r"<\s*img\s*(?::|\s+src\s*=)\s*[\"']?(?P<target>[^>{}\"'\s]*)", re.IGNORECASE)
_LINK = re.compile(r"\[\[\s*(?P<target>[^\]\s|{}]*)")
_START_END = re.compile(r"^\s*@(?P<what>start|end)(?P<kind>\w*)", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
#: Pictures a block may show, by file suffix, with the type their data: URI declares.
_IMAGE_TYPES = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Origin:
    """Where a block is written, for messages: the file, and the line of its first text line."""

    path: Path
    line: int
    field: str = ""

    def problem(self, offset: int, message: str) -> Problem:
        """A problem ``offset`` lines into the block."""
        return Problem(display_path(self.path), self.line + offset, 1, self.field, message)


class _Guard:
    def __init__(self, root: Path, origin: Origin) -> None:
        self.root = root.resolve()
        self.origin = origin
        self.problems: list[Problem] = []

    def fail(self, offset: int, message: str) -> None:
        self.problems.append(self.origin.problem(offset, message))

    def inside(self, base: Path, name: str, offset: int, what: str) -> Path | None:
        """Resolve ``name`` against ``base``; None (and a problem) unless it is in the repo."""
        if _SCHEME.match(name) or name.startswith("//"):
            self.fail(offset, f"{what} {name!r} is a URL; only files inside the repository")
            return None
        if "$" in name or "%" in name:
            self.fail(offset, f"{what} {name!r} is computed; write the file name literally")
            return None
        if name.startswith(("/", "~")):
            self.fail(offset, f"{what} {name!r} is absolute; use a path relative to this file")
            return None
        path = (base / name).resolve()
        if not path.is_relative_to(self.root):
            self.fail(offset, f"{what} {name!r} is outside the repository")
            return None
        if not path.is_file():
            self.fail(offset, f"{what} {name!r}: no such file")
            return None
        return path

    def lines(
        self, text: str, base: Path, anchor: int, depth: int, seen: tuple[Path, ...]
    ) -> list[str]:
        """Check ``text``; return it with includes inlined.

        ``anchor`` is the block line of ``text``'s first line; inside an included file
        (``depth`` > 0) every problem points at the ``!include`` line instead.
        """
        out: list[str] = []
        for index, line in enumerate(text.split("\n")):
            where = anchor + index if depth == 0 else anchor
            directive = _DIRECTIVE.match(line)
            if directive:
                name = directive["name"].lower()
                rest = directive["rest"].strip()
                if name in _INCLUDES:
                    out.extend(self.include(name, rest, base, where, depth, seen))
                    continue
                if name.startswith("include") or name == "import":
                    self.fail(
                        where,
                        f"!{name} is not allowed: it reads URLs or files outside adrgen's control",
                    )
                    continue
                if name == "theme" and re.search(r"\bfrom\b", rest, re.IGNORECASE):
                    self.fail(where, "!theme … from is not allowed: it reads files or URLs")
                    continue
            function = _FUNCTIONS.search(line)
            if function:
                self.fail(where, f"%{function['name']} is not allowed in a diagram")
                continue
            line = self.images(line, base, where)
            for link in _LINK.finditer(line):
                target = link["target"]
                if _SCHEME.match(target) and not target.lower().startswith(("http:", "https:")):
                    self.fail(
                        where,
                        f"link target {target!r} is not allowed; use http(s) or a relative link",
                    )
            out.append(line)
        return out

    def images(self, line: str, base: Path, where: int) -> str:
        result = line
        for image in _IMG.finditer(line):
            target = image["target"]
            if not target:
                continue
            path = self.inside(base, target, where, "image")
            if path is None:
                continue
            kind = _IMAGE_TYPES.get(path.suffix.lower())
            if kind is None:
                known = ", ".join(sorted(_IMAGE_TYPES))
                self.fail(where, f"image {target!r}: not a picture PlantUML draws ({known})")
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                self.fail(where, f"image {target!r}: cannot read: {exc}")
                continue
            if len(data) > MAX_INCLUDE_BYTES:
                self.fail(where, f"image {target!r} is larger than {MAX_INCLUDE_BYTES} bytes")
                continue
            # Inlined as a data: URI, which both versions draw: PlantUML then opens no file
            # (so its SANDBOX profile can stay on), and the cache key holds the picture.
            encoded = base64.b64encode(data).decode("ascii")
            result = result.replace(target, f"data:{kind};base64,{encoded}", 1)
        return result

    def include(
        self, name: str, rest: str, base: Path, where: int, depth: int, seen: tuple[Path, ...]
    ) -> list[str]:
        argument = rest.strip().strip("\"'")
        if argument.startswith("<") and argument.endswith(">") and "://" not in argument:
            if re.fullmatch(r"<[A-Za-z0-9_./-]+>", argument) and ".." not in argument:
                return [f"!{name} {argument}"]  # PlantUML's bundled standard library
            self.fail(where, f"!{name} {argument}: not a standard-library name")
            return []
        file_part, _, selector = argument.partition("!")
        if selector and name != "includesub":
            self.fail(
                where, f"!{name} of part of a file ({argument!r}) is not supported; use !includesub"
            )
            return []
        if name == "includesub" and not selector:
            self.fail(where, "!includesub needs file!NAME")
            return []
        path = self.inside(base, file_part, where, f"!{name}")
        if path is None:
            return []
        if path in seen:
            self.fail(where, f"!{name} {file_part!r} includes itself")
            return []
        if depth >= MAX_INCLUDE_DEPTH:
            self.fail(where, f"includes nest deeper than {MAX_INCLUDE_DEPTH}")
            return []
        try:
            if path.stat().st_size > MAX_INCLUDE_BYTES:
                self.fail(where, f"!{name} {file_part!r} is larger than {MAX_INCLUDE_BYTES} bytes")
                return []
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(where, f"!{name} {file_part!r}: cannot read: {exc}")
            return []
        text = text.replace("\r\n", "\n")
        if selector:
            match = re.search(
                rf"^\s*!startsub\s+{re.escape(selector)}\s*$(?P<body>.*?)^\s*!endsub\s*$",
                text,
                re.MULTILINE | re.DOTALL,
            )
            if not match:
                self.fail(where, f"!includesub: no !startsub {selector} in {file_part!r}")
                return []
            text = match["body"].strip("\n")
        body = [line for line in text.split("\n") if not _START_END.match(line)]
        return self.lines("\n".join(body), path.parent, where, depth + 1, (*seen, path))


def guard(source: str, *, base_dir: Path, root: Path, origin: Origin) -> str:
    """A block made safe to hand to PlantUML, framed by ``@startuml``…``@enduml``.

    Raises :class:`ValidationFailed` with one problem per offending line.
    """
    text = source.replace("\r\n", "\n").strip("\n")
    lines = text.split("\n")
    checker = _Guard(root, origin)
    markers = [(i, m) for i, line in enumerate(lines) if (m := _START_END.match(line))]
    kind = "uml"
    if markers:
        first_index, first = markers[0]
        last_index, last = markers[-1]
        framed = (
            len(markers) == 2
            and first_index == 0
            and last_index == len(lines) - 1
            and first["what"].lower() == "start"
            and last["what"].lower() == "end"
            and first["kind"].lower() == last["kind"].lower()
        )
        if not framed:
            checker.fail(
                markers[0][0],
                "a block holds one diagram: @start…/@end… only on its first and last lines",
            )
        elif first["kind"].lower() not in _KINDS:
            checker.fail(
                0,
                f"@start{first['kind']} is not supported; use @startuml, @startmindmap or @startgantt",
            )
        else:
            kind = first["kind"].lower()
            lines = lines[1:-1]
    body = checker.lines("\n".join(lines), base_dir, 0 if not markers else 1, 0, ())
    if checker.problems:
        raise ValidationFailed(checker.problems)
    return "\n".join([f"@start{kind}", *body, f"@end{kind}"]) + "\n"


@dataclass(frozen=True)
class BlockDiagram:
    """A guarded block and, when a renderer drew it, its SVG; or why it could not be drawn."""

    source: str
    key: str = ""
    svg: Path | None = None
    #: PlantUML's error, and the place in the page's source that it concerns.
    error: str = ""
    problem: Problem | None = None

    @property
    def asset(self) -> str:
        """Where the SVG is published in the site, named by its content hash."""
        digest = self.key or hashlib.sha256(self.source.encode("utf-8")).hexdigest()
        return f"assets/adrgen/blocks/{digest[:24]}.svg"


class PlantumlBlocks:
    """Every raw PlantUML block of one build: collected first, drawn once, then looked up."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache = LocalCache(cache_dir)
        self._origins: dict[str, Origin] = {}
        self._done: dict[str, BlockDiagram] = {}
        self.warnings: list[str] = []

    def add(self, source: str, *, base_dir: Path, origin: Origin) -> str:
        """Guard a block and remember it for rendering; returns the guarded source."""
        safe = guard(source, base_dir=base_dir, root=self.root, origin=origin)
        self._origins.setdefault(safe, origin)
        return safe

    def __len__(self) -> int:
        return len(self._origins)

    def sources(self) -> list[str]:
        """Every guarded source collected so far, sorted."""
        return sorted(self._origins)

    def pending(self, identity: str) -> list[str]:
        """Guarded sources the cache does not hold for this renderer."""
        return [s for s in self._origins if self.cache.get(cache_key(s, identity)) is None]

    def resolve(
        self, renderer: Renderer | None, identity: str, drawn: dict[str, RenderResult]
    ) -> None:
        """Look every block up (rendering what ``drawn`` lacks, in one batch) and store results.

        ``drawn`` holds results already produced in a shared batch (see :class:`Piggyback`).
        A block PlantUML cannot draw fails alone: it keeps its error (see :attr:`failures`),
        and its page shows the error and the source.
        """
        if renderer is None:
            self._done = {s: BlockDiagram(source=s) for s in self._origins}
            return
        missing = [s for s in self.pending(identity) if s not in drawn]
        if missing:
            try:
                results = renderer.render(missing)
            except RendererUnavailable as exc:
                results = [RenderResult(error=f"PlantUML could not run: {exc}") for _ in missing]
            drawn = {**drawn, **dict(zip(missing, results, strict=True))}
        for source, origin in self._origins.items():
            key = cache_key(source, identity)
            result = drawn.get(source)
            if result is not None and not result.ok:
                # The guarded block has its own @start line, so PlantUML's line 2 is the
                # block's first line of text.
                problem = origin.problem(
                    max(result.line - 2, 0), f"PlantUML could not draw this block: {result.error}"
                )
                self._done[source] = BlockDiagram(
                    source=source, key=key, error=result.error, problem=problem
                )
                continue
            if result is not None:
                self.cache.put(key, result.svg)
            self._done[source] = BlockDiagram(source=source, key=key, svg=self.cache.get(key))

    @property
    def failures(self) -> list[Problem]:
        """Where each block that PlantUML could not draw is written, and why."""
        return sorted(d.problem for d in self._done.values() if d.problem is not None)

    def get(self, source: str) -> BlockDiagram:
        """The result for a guarded source (after :meth:`resolve`)."""
        return self._done.get(source) or BlockDiagram(source=source)


class Piggyback:
    """A renderer that adds the Markdown blocks to the records' batch: one JVM for both.

    :func:`adrgen.pipeline.render_diagrams` calls ``render`` at most once, with the stale
    record diagrams; the blocks ride along and their results are kept in :attr:`drawn`.
    """

    def __init__(self, inner: Renderer, extra: Sequence[str]) -> None:
        self.inner = inner
        self.extra = list(extra)
        self.drawn: dict[str, RenderResult] = {}

    def identity(self) -> str:
        """The wrapped renderer's identity (the cache keys do not change)."""
        return self.inner.identity()

    def prestart(self, batch_size: int) -> None:
        """Get the wrapped renderer ready for the batch plus the blocks."""
        self.inner.prestart(batch_size + len(self.extra))

    def close(self) -> None:
        """Release what the wrapped renderer started early."""
        self.inner.close()

    def render(
        self,
        sources: Sequence[str],
        progress: Progress | None = None,
        listener: Listener | None = None,
    ) -> list[RenderResult]:
        """Render ``sources`` plus the blocks; return the results for ``sources``."""
        count = len(sources)

        def own(index: int, result: RenderResult) -> None:
            if listener is not None and index < count:
                listener(index, result)

        results = self.inner.render([*sources, *self.extra], progress, own)
        self.drawn.update(zip(self.extra, results[count:], strict=True))
        self.extra = []
        return results[:count]
