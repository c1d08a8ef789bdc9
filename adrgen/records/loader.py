"""Step 1 of the pipeline: read a YAML file into plain data that remembers where it came from.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate keys.
Here the document is *composed* into nodes (with libyaml's C parser where present) and the
nodes are turned into Python data by hand, so that:

* every value and every key keeps its line and column, for ``path:line:col`` messages;
* a duplicate key is an error, not a silent overwrite;
* aliases are expanded under a budget, so a "billion laughs" file fails fast and small;
* nesting depth is bounded, so hostile input cannot exhaust the stack;
* only the plain YAML types exist: no Python objects, no custom tags.

Oversized files and bytes that are not UTF-8 are refused before YAML ever sees them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from adrgen.errors import Problem, ValidationFailed, display_path

# libyaml's parser is several times faster than the pure-Python one; both compose the same
# nodes, so positions and behaviour do not depend on which one is installed.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, with tag resolution of plain scalars memoised.

    Even with libyaml, resolution runs in Python, through a list of regular expressions, for
    every scalar; records repeat the same keys and values constantly (``id``, ``low``,
    ``1 week``), so a memo removes about a quarter of the parse time. The safe schema has no
    path-dependent resolvers, so the tag depends on the value alone.
    """

    _memo: ClassVar[dict[tuple[str, tuple[bool, bool]], str]] = {}

    # Path resolvers do not exist in the safe schema (the memo relies on it too); libyaml
    # calls these two for every node, so they do nothing here at the lowest cost.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and isinstance(value, str):
            key = (value, tuple(implicit))
            tag = self._memo.get(key)
            if tag is None:
                if len(self._memo) > 50_000:
                    self._memo.clear()
                tag = self._memo[key] = str(super().resolve(kind, value, implicit))
            return tag
        return str(super().resolve(kind, value, implicit))


#: A record is a page of prose and a few lists; 1 MiB is generous by two orders of magnitude.
DEFAULT_MAX_BYTES = 1024 * 1024
#: Expanded node budget. A real record has a few hundred nodes; aliases may multiply that, but
#: never past this without being an attack.
MAX_NODES = 100_000
#: Deeper than any sensible record; keeps recursion far from Python's limit.
MAX_DEPTH = 50

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp")
)

#: Text that may hold a ```plantuml (or ```puml) fence, whose position the pages look up.
MAY_HOLD_DIAGRAMS = re.compile(r"p(?:lant)?uml", re.IGNORECASE)

#: A path inside a document: mapping keys and sequence indices, outermost first.
DataPath = tuple[Any, ...]


@dataclass(frozen=True)
class LoadedDocument:
    """A parsed YAML file: its data, and the node tree that knows where each piece stands.

    Positions are looked up only when a message needs one: most documents are valid, and
    recording a position for each of their values would cost more than parsing them.
    """

    path: Path
    data: Any
    text: str = field(default="", repr=False, compare=False)
    #: The composed node tree, when the loader kept it (see :func:`load_text`); otherwise it
    #: is composed again from ``text`` the first time a position is asked for.
    node: yaml.Node | None = field(default=None, repr=False, compare=False)

    @property
    def display(self) -> str:
        """The file name as messages show it."""
        return display_path(self.path)

    @functools.cached_property
    def _root(self) -> yaml.Node | None:
        if self.node is not None:
            return self.node
        # Parsed again, once, only for a document that has something to report: keeping
        # every document's node tree alive would make Python's GC scan it on every pass.
        loader = _Loader(self.text)
        try:
            node: yaml.Node | None = loader.get_single_node()
            return node
        finally:
            loader.dispose()

    def position(self, loc: DataPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``loc``, or of its key with ``key=True``.

        A location that does not exist (a missing field) falls back to its nearest existing
        parent, so "field is required" points at the mapping that lacks it.
        """
        node = self._root
        if node is None:
            return (1, 1)
        mark = node.start_mark
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            key_node, node = found
            mark = key_node.start_mark if key and part == loc[-1] and key_node else node.start_mark
        return (mark.line + 1, mark.column + 1)

    def problem(self, loc: DataPath, message: str, *, key: bool = False) -> Problem:
        """A :class:`Problem` about ``loc`` in this document."""
        line, col = self.position(loc, key=key)
        return Problem(self.display, line, col, format_path(loc), message)


def _child(node: yaml.Node, part: Any) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key node, value node) of ``part`` inside ``node``, searching merged mappings too."""
    if isinstance(node, yaml.SequenceNode):
        if isinstance(part, int) and 0 <= part < len(node.value):
            return None, node.value[part]
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    merged: list[yaml.Node] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            merged.extend(
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
        elif isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
            return key_node, value_node
    for source in merged:
        found = _child(source, part)
        if found is not None:
            return found
    return None


def format_path(loc: DataPath) -> str:
    """Render a data path the way users read it: ``options[0].flows[1].to``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


def load_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Read and parse one YAML file. Raises :class:`ValidationFailed` with one problem."""
    return load_bytes(read_bounded(path, max_bytes=max_bytes), path)


def read_bounded(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, what: str = "records") -> bytes:
    """A file's bytes, refused past ``max_bytes`` or when unreadable (:class:`ValidationFailed`
    with one problem)."""
    shown = display_path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _fail(shown, 0, 0, f"file is {size:,} bytes; {what} are limited to {max_bytes:,}")
        with path.open("rb") as handle:
            # Read one byte past the limit: the file may have grown since stat().
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _fail(shown, 0, 0, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise _fail(shown, 0, 0, f"file is larger than the {max_bytes:,}-byte limit for {what}")
    return raw


def load_bytes(raw: bytes, path: Path) -> LoadedDocument:
    """Parse YAML from bytes that claim to be UTF-8, naming ``path`` in any error."""
    return load_text(decode_utf8(raw, path), path)


def decode_utf8(raw: bytes, path: Path) -> str:
    """Bytes that claim to be UTF-8 as text (a byte order mark dropped); a byte that is not
    UTF-8 raises :class:`ValidationFailed` naming its line and column."""
    shown = display_path(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise _fail(
            shown, line, col, f"file is not valid UTF-8 (byte 0x{byte} at offset {exc.start})"
        ) from None
    return text


def load_text(text: str, path: Path) -> LoadedDocument:
    """Parse YAML text, keeping positions and rejecting duplicate keys and alias bombs."""
    shown = display_path(path)
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            raise _from_yaml_error(shown, exc) from None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
            char = exc.character if isinstance(exc.character, int) else ord(exc.character)
            reason = f"character U+{char:04X} is not allowed in YAML"
            raise _fail(shown, line, col, reason) from None
        except yaml.YAMLError as exc:
            raise _fail(shown, 1, 1, f"YAML error: {exc}") from None
        except RecursionError:
            raise _fail(shown, 1, 1, f"YAML nesting is deeper than {MAX_DEPTH} levels") from None
        data = None if node is None else _Builder(loader, shown).build(node, 0, _Budget(), set())
    finally:
        loader.dispose()
    # The pages place a Markdown field's ```plantuml blocks by position: keep this (rare)
    # document's node tree rather than parse the file again for it.
    kept = node if MAY_HOLD_DIAGRAMS.search(text) else None
    return LoadedDocument(path=path, data=data, text=text, node=kept)


def _fail(shown: str, line: int, col: int, message: str) -> ValidationFailed:
    return ValidationFailed([Problem(shown, line, col, "", message)])


_CLEAN_REASON = re.compile(r"\s+")


def _from_yaml_error(shown: str, exc: yaml.MarkedYAMLError) -> ValidationFailed:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    parts = [p for p in (exc.context, exc.problem) if p]
    reason = _CLEAN_REASON.sub(" ", "; ".join(parts)).strip() or "invalid YAML"
    return _fail(shown, line, col, f"YAML syntax error: {reason}")


class _Builder:
    """Turns composed nodes into plain data while recording positions."""

    def __init__(self, loader: yaml.SafeLoader, shown: str) -> None:
        self.loader = loader
        self.shown = shown

    def error(self, node: yaml.Node, message: str) -> ValidationFailed:
        mark = node.start_mark
        return _fail(self.shown, mark.line + 1, mark.column + 1, message)

    def build(self, node: yaml.Node, depth: int, budget: _Budget, active: set[int]) -> Any:
        budget.nodes += 1
        if budget.nodes > MAX_NODES:
            raise self.error(
                node,
                f"document expands to more than {MAX_NODES:,} values through aliases "
                "(an alias bomb?)",
            )
        if depth > MAX_DEPTH:
            raise self.error(node, f"YAML nesting is deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in active:
            raise self.error(node, "an alias refers to a node that contains it (recursive alias)")
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ:
                    raise self.error(node, f"unsupported YAML tag {node.tag!r}")
                return [self.child(item, depth + 1, budget, active) for item in node.value]
            if isinstance(node, yaml.MappingNode):
                if node.tag != _MAP:
                    raise self.error(node, f"unsupported YAML tag {node.tag!r}")
                return self.mapping(node, depth, budget, active)
        finally:
            active.discard(id(node))
        raise self.error(node, "unsupported YAML node")  # pragma: no cover - composer invariant

    def child(self, node: yaml.Node, depth: int, budget: _Budget, active: set[int]) -> Any:
        """:meth:`build` for a member of a list or mapping, with text (most of a record)
        taken on the spot: the same checks, a third of the parse time fewer calls."""
        if (
            node.__class__ is yaml.ScalarNode
            and node.tag == _STR
            and depth <= MAX_DEPTH
            and budget.nodes < MAX_NODES
        ):
            budget.nodes += 1
            return node.value
        return self.build(node, depth, budget, active)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value  # most scalars are text: skip the generic constructor
        if node.tag not in _SCALAR_TAGS:
            raise self.error(
                node, f"unsupported YAML tag {node.tag!r}; only plain values are allowed"
            )
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            if node.tag == "tag:yaml.org,2002:timestamp":
                # `2024-02-30` looks like a date but is none. Keep the text, so validation
                # reports it against its field along with every other problem.
                return node.value
            raise self.error(node, f"invalid value {node.value!r}: {exc}") from None

    def mapping(
        self, node: yaml.MappingNode, depth: int, budget: _Budget, active: set[int]
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(
                    key_node, "mapping keys must be plain values, not lists or mappings"
                )
            key = self.scalar(key_node)
            try:
                hash(key)
            except TypeError:  # pragma: no cover - scalars are hashable
                raise self.error(key_node, "unhashable mapping key") from None
            if key in seen:
                first = seen[key].start_mark
                raise self.error(
                    key_node,
                    f"duplicate key {key!r} (first defined at line {first.line + 1})",
                )
            seen[key] = key_node
            result[key] = self.child(value_node, depth + 1, budget, active)
        # `<<: *defaults`: explicit keys win over merged ones, as YAML 1.1 says. They are
        # built after the explicit keys so positions point at what the author wrote here.
        for merge in merges:
            for key, value in self.merge_sources(merge, depth, budget, active):
                result.setdefault(key, value)
        return result

    def merge_sources(
        self, node: yaml.Node, depth: int, budget: _Budget, active: set[int]
    ) -> Iterator[tuple[Any, Any]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise self.error(source, "'<<' merges only mappings")
            built = self.build(source, depth + 1, budget, active)
            yield from built.items()
