"""Raw PlantUML that authors write (```plantuml fences): guarded, then drawn in one batch.

Record text never becomes PlantUML syntax (see :mod:`adrgen.diagrams.escape`), but a fenced
```plantuml block in a Markdown field or a hand-written page *is* PlantUML, written on
purpose by anyone who can open a pull request, and drawn by CI with secrets in reach.
PlantUML 1.2020 has no security profile, so adrgen is the sandbox, and :func:`guard` checks a
block **as PlantUML reads it** (every rule below was found by rendering probes on 1.2020 and
1.2026; ``SECURITY.md`` has the list):

* characters first: a carriage return (1.2020's ``-pipe`` deletes it: ``!inc\rlude`` is an
  include), other controls and byte-order marks are refused;
* then lines ending in one backslash are joined with the next, as PlantUML joins them, and
  handed to PlantUML joined, so what it reads is what was checked;
* directives are an allow-list. ``!include``, ``!include_once``, ``!include_many`` and
  ``!includesub`` may name only files the read policy allows
  (:class:`~adrgen.walls.reads.ReadPolicy`: inside the repository after symlinks, not in
  ``.git/`` or an ignored folder); adrgen inlines them itself (guarded in turn), so PlantUML
  never opens a file. PlantUML's bundled standard library (``!include <C4/C4_Container>``)
  stays as it is. Preprocessor definitions are refused in a record's text, and allowed in a
  page only as constants: a macro or function could build what the checks look for;
* builtin functions are an allow-list of those that compute numbers, truth values and
  colours; pictures must be repository files, inlined as ``data:`` URIs; sprites only
  inline; ``checkversion`` and the machine-details commands are refused;
* ``[[link]]`` targets must be literal http(s) or relative: an SVG opened on its own runs a
  ``javascript:`` link in the site's origin;
* one diagram per block: no line may start with ``@`` but the frame (a stray ``@enduml``
  would desynchronise PlantUML's ``-pipe`` batch, ``@@@format`` switch its format).

A refused block fails alone (:meth:`PlantumlBlocks.add`): never drawn, its page shows why.

A fence takes plantuml-markdown's options on its opening line (:func:`parse_options`):
```` ```plantuml format="svg" classes="a b" alt="…" title="…" width="50%" height="9em"
source="parts/x.puml" ````. Their values are untrusted text, escaped wherever they are
written; ``width``/``height`` must be CSS lengths; ``source=`` names a file that is read
like an ``!include`` (inside the repository only, size-limited, guarded in turn).

Every guarded block of a build is rendered in the same PlantUML process as the records'
diagrams when any of those is stale (:class:`Piggyback`), else in one process of its own, and
only when the content-hash cache (``.adrgen-cache/svg``) does not have it already.
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
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
    RenderResult,
    cache_key,
)
from adrgen.errors import Problem, RendererUnavailable, ValidationFailed, display_path
from adrgen.walls.reads import ReadPolicy

#: Largest file an ``!include`` may inline, and how deep includes may nest.
MAX_INCLUDE_BYTES = 1024 * 1024
MAX_INCLUDE_DEPTH = 8
#: Diagram kinds adrgen's ``-pipe`` renderer accepts (it checks the closing line).
_KINDS = ("uml", "mindmap", "gantt")

#: Characters a block may not hold: every control but the tab (a carriage return is deleted
#: by 1.2020's ``-pipe`` reader, so ``!inc\rlude`` reaches it as ``!include``; 1.2026 breaks
#: the line there), and the byte-order mark, which at a line's start hides a directive or an
#: ``@end`` line from any check but PlantUML's.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ufeff]")
#: A directive, once a line's leading blanks and block comments are set aside.
_DIRECTIVE = re.compile(r"!\s*(?P<name>\$?[A-Za-z_]\w*)(?P<rest>.*)$", re.DOTALL)
#: A block comment that a directive may follow on its line (``/'x'/!include …`` works).
_LEADING_COMMENT = re.compile(r"/'.*?'/|'/")
_INCLUDES = {"include", "include_once", "include_many", "includesub"}
#: Directives that read nothing and build no text: kept as written.
_CONDITIONALS = {"if", "ifdef", "ifndef", "elseif", "else", "endif", "startsub", "endsub"}
#: ``!pragma`` options that change only the layout. Others are refused: ``svek_trace``
#: writes files into PlantUML's working folder (on every version and profile), and
#: 1.2026's ``svginteractive`` puts PlantUML's own script into the SVG.
_PRAGMAS = {
    "teoz",
    "layout",
    "useverticalif",
    "useintermediatepackages",
    "horizontallinebetweendifferentpackageallowed",
    "usenewpackagestyle",
}
#: Preprocessor definitions. A record's blocks may hold none; a page's may hold constants.
_DEFINITIONS = {
    "define",
    "definelong",
    "enddefinelong",
    "undef",
    "function",
    "endfunction",
    "procedure",
    "endprocedure",
    "unquoted",
    "final",
    "global",
    "local",
    "return",
    "foreach",
    "endfor",
    "while",
    "endwhile",
}
#: A constant definition a page may hold: ``!define NAME value`` or ``!$name = value``.
_CONSTANT = re.compile(
    r"(?:define\s+(?P<macro>[A-Za-z_]\w*)(?![\w(])|(?P<variable>\$[A-Za-z_]\w*)\s*\??=)\s*(?P<value>.*)$",
    re.DOTALL,
)
#: What a constant's value may hold: words, numbers, colours and plain punctuation; quoted
#: or not. Nothing that starts markup (``<``, ``[``, ``{``), a call (``%``, ``(``), a
#: variable (``$``), a scheme (``:``) or a token paste (``##``).
_CONSTANT_VALUE = re.compile(r'"[\w .,#+\-/*]*"|[\w .,#+\-/*]*')
#: Builtin functions a block may call: the ones that compute numbers, truth values and
#: colours. Every function that reads the environment, a file or the clock is refused, and
#: so is every one that turns text into other text (``%lower("IMG")``, ``%substr``,
#: ``%chr``, ``%string``): PlantUML reads what they make as diagram text, so ``<%lower(
#: "IMG"):/etc/x.png>`` would be a picture of a file that no check saw written.
_PURE_FUNCTIONS = {
    "strlen",
    "strpos",
    "intval",
    "boolval",
    "true",
    "false",
    "not",
    "and",
    "or",
    "xor",
    "nand",
    "nor",
    "nxor",
    "size",
    "mod",
    "eval",
    "dec2hex",
    "hex2dec",
    "is_dark",
    "is_light",
    "lighten",
    "darken",
    "reverse_color",
    "reverse_hsluv_color",
    "hsl_color",
    "newline",
    "breakline",
    "n",
    "function_exists",
    "variable_exists",
}
_FUNCTION_CALL = re.compile(r"%(?P<name>[A-Za-z_]\w*)\(")
#: A picture: Creole's ``<img:x>`` and ``<img src=x>``, and the ``img:x`` that the standard
#: library's ``$sprite`` arguments turn into ``<img:x>`` (C4's ``$sprite="img:…"``).
_IMG = re.compile(
    r"(?:<\s*img\s*(?::|\s+src\s*=)|\bimg\s*:)\s*[\"']?(?P<target>[^>{}\"'\s)]*)",
    re.IGNORECASE,
)
#: ``sprite $name …``: only an inline sprite (``[16x16/16] {`` or encoded data after its
#: size) is drawn from the block itself; a file or URL after the name would be read.
_SPRITE = re.compile(r"\bsprite\s+\$?[\w-]+\s*(?P<rest>\S?)", re.IGNORECASE)
#: Commands that reach the network (``checkversion(proxy=…)`` from 1.2020 connects to any
#: host and port), anywhere in a line.
_NETWORK_COMMANDS = re.compile(r"\bcheckversion\b", re.IGNORECASE)
#: Commands that draw the build machine's details (Java, OS, paths) as the diagram.
_INFO_COMMANDS = re.compile(
    r"(?:version|testdot|license|listfonts|listsprites|listopeniconic|listemoji|stdlib|help|author)\s*$",
    re.IGNORECASE,
)
#: A picture written inline already, which PlantUML draws without opening anything.
_INLINE_PICTURE = re.compile(r"data:image/(?:png|gif|jpeg);base64,[A-Za-z0-9+/=]*$")
_LINK = re.compile(r"\[\[(?P<body>.*?)(?:\]\]|$)")
_TOOLTIP = re.compile(r"\{[^}]*\}")
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
    """Where a block is written, for messages: the file, the line of its first text line,
    the column of its fence (and text), and the column where the fence's options start."""

    path: Path
    line: int
    field: str = ""
    column: int = 1
    #: Column of the first character after the fence's backticks; 0 when unknown.
    info_column: int = 0
    #: Whether the block is in a record's text (which may hold no preprocessor definition)
    #: rather than a hand-written page (which may hold constants).
    record: bool = False

    def problem(self, offset: int, message: str, column: int | None = None) -> Problem:
        """A problem ``offset`` lines into the block (-1: the fence line)."""
        where = self.column if column is None else column
        return Problem(display_path(self.path), self.line + offset, where, self.field, message)

    def option_problem(self, index: int, message: str) -> Problem:
        """A problem on the fence line, ``index`` characters into its options."""
        start = self.info_column or self.column + 3
        return self.problem(-1, message, start + index)


# ---------------------------------------------------------------------------------------------
# The fence's options, in plantuml-markdown's syntax

#: Fence languages that mean a diagram: plantuml-markdown's three, and adrgen's ``puml``.
_LANGUAGE = re.compile(
    r"[ \t]*\{?[ \t]*\.?(?P<lang>c4plantuml|plantuml|puml|uml)(?=[ \t}]|$)", re.IGNORECASE
)
#: plantuml-markdown's options, in the order its own pattern expects them (adrgen takes any).
OPTION_NAMES = ("id", "format", "classes", "alt", "title", "width", "height", "source")
#: Longest option text read: the parser tries every closing quote, as plantuml-markdown's
#: lazy pattern does, and an unbounded line must not cost unbounded time.
MAX_OPTIONS_CHARS = 2000
_OPTION_NAME = re.compile(r"[A-Za-z_][\w-]*")
#: What messages quote: the text that could not be read, an unquoted value.
_WORD = re.compile(r"[^\s}]{1,40}")
_VALUE = re.compile(r"[^\s\"'}]{1,40}")
#: A CSS length or percentage, nothing else: the value is written into a style attribute.
_LENGTH = re.compile(
    r"(?:\d{1,6}(?:\.\d{1,4})?|\.\d{1,4})(?:px|%|em|rem|ex|ch|vw|vh|vmin|vmax|cm|mm|in|pt|pc)|0",
    re.IGNORECASE,
)
_NAME_TOKEN = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class BlockOptions:
    """A fence's options, validated. ``alt`` and ``title`` are text, escaped where written."""

    #: As asked: ``png``, ``svg``, ``svg_object``, ``svg_inline``, ``txt`` or anything else.
    #: adrgen draws every block as an SVG picture (see the README), so it changes nothing.
    format: str = "svg"
    classes: tuple[str, ...] = ()
    alt: str = ""
    title: str = ""
    width: str = ""
    height: str = ""
    id: str = ""
    source: str = ""
    #: Where ``source=`` stands in the options, for messages.
    source_index: int = 0

    @property
    def style(self) -> str:
        """The inline style plantuml-markdown gives a sized picture (``max-width:50%``)."""
        parts = [f"max-width:{self.width}"] if self.width else []
        parts += [f"max-height:{self.height}"] if self.height else []
        return ";".join(parts)


def plantuml_options(info: str) -> str | None:
    """The options part of a fence's info string when it opens a PlantUML diagram, else None.

    ``info`` is what follows the fence characters: ``plantuml``, ``uml``, ``c4plantuml`` and
    ``puml``, any case, optionally as ``{.plantuml …}``; then the options.
    """
    match = _LANGUAGE.match(info)
    return info[match.end() :] if match else None


def _skip(text: str, position: int) -> int:
    """The position of the first character from ``position`` on that is not a space or tab."""
    while position < len(text) and text[position] in " \t":
        position += 1
    return position


def _scan(text: str) -> list[tuple[str, int, int, int]] | None:
    """``name="value"`` pairs as (name, name index, value start, value end); None if the
    text is not a list of them, optionally closed by ``}``.

    A value ends at the first closing quote after which the rest still reads as options,
    like plantuml-markdown's lazy ``.*?``: ``alt="a "b" c"`` is the value ``a "b" c``.
    Solved from the right, once per position, so no line costs more than quadratic time.
    """
    solved: dict[int, bool] = {}
    steps: dict[int, tuple[tuple[str, int, int, int], int]] = {}

    def solve(position: int) -> bool:
        # True when the options from `position` on parse; their first pair goes in `steps`.
        if position in solved:
            return solved[position]
        solved[position] = False
        at = _skip(text, position)
        if at == len(text) or (text[at] == "}" and not text[at + 1 :].strip(" \t")):
            solved[position] = True
            return True
        name = _OPTION_NAME.match(text, at)
        if not name:
            return False
        cursor = _skip(text, name.end())
        if cursor >= len(text) or text[cursor] != "=":
            return False
        cursor = _skip(text, cursor + 1)
        if cursor >= len(text) or text[cursor] not in "\"'":
            return False
        quote = text[cursor]
        close = text.find(quote, cursor + 1)
        while close != -1:
            if solve(close + 1):
                steps[position] = ((name[0], at, cursor + 1, close), close + 1)
                solved[position] = True
                return True
            close = text.find(quote, close + 1)
        return False

    # Every position a value can end after, from the right: each `solve` then finds the
    # positions it asks about solved already, and the recursion stays one level deep.
    for index in range(len(text) - 1, -1, -1):
        if text[index] in "\"'":
            solve(index + 1)
    if not solve(0):
        return None
    pairs = []
    position = 0
    while position in steps:
        pair, position = steps[position]
        pairs.append(pair)
    return pairs


def _syntax_error(text: str) -> tuple[int, str]:
    """Where and why ``text`` is not a list of ``name="value"`` options (for messages)."""
    position = 0
    while True:
        at = _skip(text, position)
        if at >= len(text):
            break
        if text[at] == "}":
            if not text[at + 1 :].strip():
                break
            return _skip(text, at + 1), f"unexpected {text[at + 1 :].strip()!r} after '}}'"
        name = _OPTION_NAME.match(text, at)
        if not name:
            token = _WORD.match(text, at)
            shown = token[0] if token else text[at]
            return at, f'unexpected {shown!r} in the fence\'s options; write name="value"'
        cursor = _skip(text, name.end())
        if cursor >= len(text) or text[cursor] != "=":
            return at, f'option {name[0]!r} needs a value: {name[0]}="…"'
        cursor = _skip(text, cursor + 1)
        if cursor >= len(text) or text[cursor] not in "\"'":
            token = _VALUE.match(text, cursor)
            value = token[0] if token else "…"
            return at, f'option {name[0]!r}: put its value in quotes: {name[0]}="{value}"'
        quote = text[cursor]
        close = text.find(quote, cursor + 1)
        if close == -1:
            return cursor, f"option {name[0]!r}: its value has no closing {quote}"
        # The closing quote that ends a value most often: the one before a space, a '}' or
        # the end of the line.
        while close + 1 < len(text) and text[close + 1] not in " \t}":
            following = text.find(quote, close + 1)
            if following == -1:
                break
            close = following
        position = close + 1
    return 0, "cannot read the fence's options"


def parse_options(text: str) -> tuple[BlockOptions, list[tuple[int, str]]]:
    """A fence's options (the info string after ``plantuml``), and what is wrong with them.

    plantuml-markdown's syntax: ``name="value"`` or ``name='value'``, separated by spaces,
    optionally followed by ``}``. Unlike plantuml-markdown (whose pattern then silently stops
    seeing a diagram at all), adrgen takes the options in any order, and reports unknown,
    repeated, unquoted or invalid ones. Each problem is (index into ``text``, message).
    """
    if len(text) > MAX_OPTIONS_CHARS:
        return BlockOptions(), [
            (0, f"the fence's options are longer than {MAX_OPTIONS_CHARS} characters")
        ]
    pairs = _scan(text)
    if pairs is None:
        return BlockOptions(), [_syntax_error(text)]
    problems: list[tuple[int, str]] = []
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    for name, index, start, end in pairs:
        if name not in OPTION_NAMES:
            close = difflib.get_close_matches(name.lower(), OPTION_NAMES, n=1, cutoff=0.6)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; known options: {', '.join(OPTION_NAMES)}"
            )
            problems.append((index, f"unknown option {name!r}{hint}"))
            continue
        if name in values:
            problems.append((index, f"option {name!r} is given twice"))
            continue
        values[name] = text[start:end]
        where[name] = index
    text_of = {name: " ".join(value.split()) for name, value in values.items()}
    # Never an error: plantuml-markdown draws a format it does not know as its default.
    image_format = text_of.get("format", "").lower() or "svg"
    sizes: dict[str, str] = {}
    for name in ("width", "height"):
        if name in values:
            if _LENGTH.fullmatch(text_of[name]):
                sizes[name] = text_of[name].lower()
            else:
                message = f"{name} {values[name]!r} is not a CSS length or percentage (e.g. 300px, 20em, 50%)"
                problems.append((where[name], message))
    classes = tuple(dict.fromkeys(text_of.get("classes", "").split()))
    if any(not _NAME_TOKEN.fullmatch(c) for c in classes):
        message = (
            f"classes {values['classes']!r}: a class name holds only letters, digits, '-' and '_'"
        )
        problems.append((where["classes"], message))
        classes = ()
    identifier = values.get("id", "")
    if "id" in values and not _NAME_TOKEN.fullmatch(identifier):
        message = f"id {identifier!r}: an id holds only letters, digits, '-' and '_'"
        problems.append((where["id"], message))
        identifier = ""
    source = values.get("source", "").strip()
    if "source" in values and not source:
        problems.append((where["source"], 'source is empty; name a file: source="parts/x.puml"'))
    options = BlockOptions(
        format=image_format,
        classes=classes,
        alt=text_of.get("alt", ""),
        title=text_of.get("title", ""),
        width=sizes.get("width", ""),
        height=sizes.get("height", ""),
        id=identifier,
        source=source,
        source_index=where.get("source", 0),
    )
    return options, problems


class _Guard:
    def __init__(self, reads: ReadPolicy, origin: Origin) -> None:
        self.reads = reads
        self.root = reads.root
        self.origin = origin
        self.problems: list[Problem] = []
        #: Column for problems on the fence line (``source=``'s, when a block has one).
        self.fence_column: int | None = None

    def fail(self, offset: int, message: str) -> None:
        column = self.fence_column if offset < 0 else None
        self.problems.append(self.origin.problem(offset, message, column))

    def inside(self, base: Path | Sequence[Path], name: str, offset: int, what: str) -> Path | None:
        """Resolve ``name`` against ``base`` (the first folder of several that has it);
        None (and a problem) unless it is a file in the repo."""
        bases = [base] if isinstance(base, Path) else list(base)
        if _SCHEME.match(name) or name.startswith("//"):
            self.fail(offset, f"{what} {name!r} is a URL; only files inside the repository")
            return None
        if "$" in name or "%" in name:
            self.fail(offset, f"{what} {name!r} is computed; write the file name literally")
            return None
        if name.startswith(("/", "~")):
            self.fail(offset, f"{what} {name!r} is absolute; use a path relative to this file")
            return None
        refused = ""
        for folder in bases:
            candidate = folder / name
            why = self.reads.why_not(candidate)
            if why is None and candidate.is_file():
                return candidate.resolve()
            if why is not None and not refused:
                refused = why
        if refused:
            self.fail(offset, f"{what} {name!r}: not read: it {refused}")
        elif len(bases) > 1:
            self.fail(offset, f"{what} {name!r}: no such file here or at the repository root")
        else:
            self.fail(offset, f"{what} {name!r}: no such file")
        return None

    def lines(
        self, text: str, base: Path, anchor: int, depth: int, seen: tuple[Path, ...]
    ) -> list[str]:
        """Check ``text`` as PlantUML reads it; return its lines with includes inlined.

        ``anchor`` is the block line of ``text``'s first line; inside an included file
        (``depth`` > 0) every problem points at the ``!include`` line instead. The lines
        returned are the *logical* lines PlantUML would read (continuations joined), so
        what reaches PlantUML is exactly what was checked.
        """
        raw = text.split("\n")
        out: list[str] = []
        for index, line in enumerate(raw):
            bad = _FORBIDDEN_CHARACTERS.search(line)
            if bad:
                where = anchor + index if depth == 0 else anchor
                self.fail(where, f"{_name_of(bad.group())} is not allowed in a diagram")
                return out
        logical = _logical_lines(raw)
        if logical and _continues(logical[-1][1]):
            where = anchor + logical[-1][0] if depth == 0 else anchor
            self.fail(where, "the last line ends with \\, which would continue it into the next")
            return out
        for index, line in logical:
            where = anchor + index if depth == 0 else anchor
            kept = self.line(line, base, where, depth, seen)
            out.extend(kept)
        return out

    def line(
        self, line: str, base: Path, where: int, depth: int, seen: tuple[Path, ...]
    ) -> list[str]:
        """One logical line checked; what it becomes (an include: the included lines)."""
        start = _statement(line)
        if start.startswith("@"):
            self.fail(
                where,
                "a line that starts with @ is not allowed inside a block: "
                "@start…/@end… frame the whole block, and 1.2020 acts on any @end or "
                "@@@format line",
            )
            return []
        for call in _FUNCTION_CALL.finditer(line):
            if call["name"].lower() not in _PURE_FUNCTIONS:
                self.fail(
                    where,
                    f"%{call['name']}() is not allowed in a diagram: only functions that "
                    "compute numbers, truth values or colours (it could read the "
                    "environment, a file or the clock, or build text no check has seen)",
                )
                return []
        directive = _DIRECTIVE.match(start)
        if directive and not self.directive(directive, base, where):
            return []
        if directive and directive["name"].lower() in _INCLUDES:
            name = directive["name"].lower()
            return self.include(name, directive["rest"].strip(), base, where, depth, seen)
        if _NETWORK_COMMANDS.search(line):
            self.fail(where, "checkversion is not allowed: it connects to the network")
            return []
        if _INFO_COMMANDS.fullmatch(start):
            self.fail(
                where, f"{start.strip()!r} is not allowed: it draws the build machine's details"
            )
            return []
        sprite = _SPRITE.search(line)
        if sprite and sprite["rest"] not in ("[", "{"):
            self.fail(
                where,
                "a sprite may only be defined inline (sprite $name [16x16/16] {…}); one read "
                "from a file or URL is not allowed: show a repository picture with <img:file>",
            )
            return []
        line = self.images(line, base, where)
        if not self.links(line, where):
            return []
        return [line]

    def directive(self, directive: re.Match[str], base: Path, where: int) -> bool:
        """Whether a directive line may stay (includes are inlined by the caller)."""
        name = directive["name"].lower()
        rest = directive["rest"]
        if name in _INCLUDES or name in _CONDITIONALS:
            return True
        if name == "theme":
            if re.search(r"\bfrom\b", rest, re.IGNORECASE):
                self.fail(where, "!theme … from is not allowed: it reads files or URLs")
                return False
            return True
        if name == "pragma":
            option = rest.split()[0].lower() if rest.split() else ""
            if option not in _PRAGMAS:
                allowed = ", ".join(sorted(_PRAGMAS))
                self.fail(
                    where, f"!pragma {option} is not allowed; the layout pragmas are: {allowed}"
                )
                return False
            return True
        if name in _DEFINITIONS or name.startswith("$"):
            return self.definition(directive, where)
        if name.startswith("include") or name == "import":
            self.fail(
                where, f"!{name} is not allowed: it reads URLs or files outside adrgen's control"
            )
            return False
        self.fail(where, f"!{name} is not allowed in a diagram adrgen draws")
        return False

    def definition(self, directive: re.Match[str], where: int) -> bool:
        """A preprocessor definition: none in a record's text; constants in a page's."""
        text = directive.group(0)[1:].strip()
        if self.origin.record:
            self.fail(
                where,
                f"!{directive['name']} is not allowed in a record's diagram: a preprocessor "
                "definition can build, out of pieces, the directive, file or link that the "
                "check looks for",
            )
            return False
        constant = _CONSTANT.match(text)
        name = directive["name"]
        if constant is None or name.lower() in ("undef",):
            if name.lower() == "undef":
                return True
            self.fail(
                where,
                f"!{name} is not allowed: PlantUML 1.2020 has no sandbox, and a macro, function "
                "or loop builds text no check has seen (a picture of any file, a script link); "
                'only constants are: !define NAME value, !$name = "value"',
            )
            return False
        value = constant["value"].strip()
        if (
            not _CONSTANT_VALUE.fullmatch(value)
            or "##" in value
            or re.search(r"img|sprite|checkversion", value, re.IGNORECASE)
        ):
            self.fail(
                where,
                f"the value of {(constant['macro'] or constant['variable'])!r} is not allowed: a "
                "constant holds words, numbers and colours, without markup, calls, variables "
                "or a scheme",
            )
            return False
        return True

    def links(self, line: str, where: int) -> bool:
        """Whether every ``[[link]]`` of a line is to http(s) or relative."""
        for link in _LINK.finditer(line):
            body = link["body"]
            if "\t" in body:
                self.fail(
                    where, "a tab inside a [[link]] is not allowed (browsers drop it from a URL)"
                )
                return False
            words = _TOOLTIP.sub("", body).split()
            target = words[0] if words else ""
            if "$" in target or "%" in target:
                self.fail(
                    where,
                    f"link target {target!r} is computed; write it literally (http(s) or relative)",
                )
                return False
            if _SCHEME.match(target) and not target.lower().startswith(("http:", "https:")):
                self.fail(
                    where,
                    f"link target {target!r} is not allowed; use http(s) or a relative link",
                )
                return False
        return True

    def images(self, line: str, base: Path, where: int) -> str:
        """The line with every picture inlined as a ``data:`` URI (so PlantUML opens no file,
        its SANDBOX profile can stay on, and the cache key holds the picture); a picture
        that is not a repository file is refused."""
        pieces: list[str] = []
        done = 0
        for image in _IMG.finditer(line):
            target = image["target"]
            if not target:
                continue
            pieces.append(line[done : image.start("target")])
            done = image.end("target")
            if _INLINE_PICTURE.match(target):
                pieces.append(target)  # already inline: PlantUML opens nothing
                continue
            pieces.append(self.picture(target, base, where) or target)
        pieces.append(line[done:])
        return "".join(pieces)

    def picture(self, target: str, base: Path, where: int) -> str | None:
        """A repository picture as a ``data:`` URI; ``None`` (and a problem) otherwise."""
        path = self.inside(base, target, where, "image")
        if path is None:
            return None
        kind = _IMAGE_TYPES.get(path.suffix.lower())
        if kind is None:
            known = ", ".join(sorted(_IMAGE_TYPES))
            self.fail(where, f"image {target!r}: not a picture PlantUML draws ({known})")
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.fail(where, f"image {target!r}: cannot read: {exc}")
            return None
        if len(data) > MAX_INCLUDE_BYTES:
            self.fail(where, f"image {target!r} is larger than {MAX_INCLUDE_BYTES} bytes")
            return None
        return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"

    def include(
        self, name: str, rest: str, base: Path, where: int, depth: int, seen: tuple[Path, ...]
    ) -> list[str]:
        argument = rest.strip().strip("\"'")
        if argument.startswith("<") and argument.endswith(">") and "://" not in argument:
            if re.fullmatch(r"<[A-Za-z][A-Za-z0-9_./-]*>", argument) and ".." not in argument:
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


def _name_of(character: str) -> str:
    """How a message names a forbidden character."""
    if character == "\r":
        return "a carriage return (only as part of a CRLF line end)"
    if character == "\ufeff":
        return "a byte-order mark (U+FEFF)"
    return f"the control character U+{ord(character):04X}"


def _continues(line: str) -> bool:
    """Whether PlantUML joins ``line`` with the next: it ends in one backslash (two do not
    join), with nothing after it, not even a blank (found by rendering, both versions)."""
    return line.endswith("\\") and not line.endswith("\\\\")


def _logical_lines(lines: list[str]) -> list[tuple[int, str]]:
    """The lines PlantUML reads, each with the index of its first physical line.

    PlantUML joins a line that :func:`_continues` with the next raw line, whatever either
    holds (comments, quoted strings, definition bodies), dropping the backslash, before it
    reads a directive or a function: ``!inc\\`` + ``lude x`` is ``!include x``.
    """
    logical: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        start, parts = index, [lines[index]]
        while _continues(parts[-1]) and index + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            index += 1
            parts.append(lines[index])
        logical.append((start, "".join(parts)))
        index += 1
    return logical


def _statement(line: str) -> str:
    """A line as PlantUML looks for a directive in it: leading blanks (Java's ``trim``, every
    character up to U+0020) and block comments before it set aside (``/'x'/!include`` is an
    include on both versions)."""
    text = line.lstrip("".join(chr(c) for c in range(0x21)))
    while True:
        comment = _LEADING_COMMENT.match(text)
        if comment is None:
            return text
        text = text[comment.end() :].lstrip("".join(chr(c) for c in range(0x21)))


def _lines_of(text: str) -> tuple[list[str], int]:
    """The lines of ``text`` without empty lines around them, and how many were left off
    before (so a problem still names its line)."""
    text = text.replace("\r\n", "\n")
    stripped = text.lstrip("\n")
    return stripped.rstrip("\n").split("\n"), len(text) - len(stripped)


def _frame(lines: list[str]) -> tuple[str, list[str], bool, list[tuple[int, str]]]:
    """``@start…``/``@end…`` split off: the kind, the lines inside, whether they framed the
    lines, and what is wrong (index of the line, message)."""
    markers = [(i, m) for i, line in enumerate(lines) if (m := _START_END.match(line))]
    if not markers:
        return "uml", lines, False, []
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
    # Unframed, the markers are reported here once, and blanked for the line checks.
    blanked = ["" if _START_END.match(line) else line for line in lines]
    if not framed:
        message = "a block holds one diagram: @start…/@end… only on its first and last lines"
        return "uml", blanked, False, [(first_index, message)]
    if first["kind"].lower() not in _KINDS:
        message = (
            f"@start{first['kind']} is not supported; use @startuml, @startmindmap or @startgantt"
        )
        return "uml", blanked, False, [(0, message)]
    return first["kind"].lower(), lines[1:-1], True, []


def _guard_text(checker: _Guard, source: str, base_dir: Path) -> tuple[str, list[str]]:
    """A block's own text checked (problems kept by ``checker``): its kind and its lines."""
    lines, skipped = _lines_of(source)
    kind, inner, framed, problems = _frame(lines)
    for index, message in problems:
        checker.fail(skipped + index, message)
    body = checker.lines("\n".join(inner), base_dir, skipped + int(framed), 0, ())
    return kind, body


def _guard_source(checker: _Guard, name: str, body: str, base_dir: Path) -> tuple[str, list[str]]:
    """The diagram of a fence with ``source=``: the file, read like an ``!include``.

    plantuml-markdown hands PlantUML the file's text followed by the block's own: after a
    file framed by ``@startuml``…``@enduml`` PlantUML ignores that text, so adrgen drops it;
    a file without the frame (shared skinparams, say) is followed by the block's text.
    Every problem in the file points at the fence line, as an include's do.
    """
    path = checker.inside([base_dir, checker.root], name, -1, "source")
    if path is None:
        return "uml", []
    try:
        if path.stat().st_size > MAX_INCLUDE_BYTES:
            checker.fail(-1, f"source {name!r} is larger than {MAX_INCLUDE_BYTES} bytes")
            return "uml", []
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        checker.fail(-1, f"source {name!r}: cannot read: {exc}")
        return "uml", []
    lines, _skipped = _lines_of(text)
    kind, inner, framed, problems = _frame(lines)
    for _index, message in problems:
        checker.fail(-1, f"source {name!r}: {message}")
    head = checker.lines("\n".join(inner), path.parent, -1, 1, (path,))
    if framed or not body.strip():
        return kind, head
    kind, tail = _guard_text(checker, body, base_dir)
    return kind, head + tail


def _framed_text(kind: str, lines: list[str]) -> str:
    return "\n".join([f"@start{kind}", *lines, f"@end{kind}"]) + "\n"


def guard(source: str, *, base_dir: Path, reads: ReadPolicy, origin: Origin) -> str:
    """A block made safe to hand to PlantUML, framed by ``@startuml``…``@enduml``.

    Raises :class:`ValidationFailed` with one problem per offending line.
    """
    checker = _Guard(reads, origin)
    kind, body = _guard_text(checker, source, base_dir)
    if checker.problems:
        raise ValidationFailed(checker.problems)
    return _framed_text(kind, body)


@dataclass(frozen=True)
class FencedBlock:
    """A fence as collected: its guarded source (the key of its drawing) and its options;
    or, for a block the guard refused, no source and why."""

    source: str
    options: BlockOptions
    #: The guard's problems, for a refused block (which is never drawn).
    refused: tuple[Problem, ...] = ()
    #: The block as written, shown on its page when it was refused.
    written: str = ""


def guard_fence(
    body: str, info: str, *, base_dir: Path, reads: ReadPolicy, origin: Origin
) -> FencedBlock:
    """A fence's options read and its diagram guarded (from ``source=`` when it names one).

    ``info`` is the fence's text after its backticks (``plantuml alt="…"``). Raises
    :class:`ValidationFailed` with every problem: the options' on the fence line, each at
    its option (``origin.info_column``); the diagram's like :func:`guard`'s.
    """
    text = plantuml_options(info)
    skipped = len(info) - len(text) if text is not None else 0
    options, wrong = parse_options(text or "")
    checker = _Guard(reads, origin)
    checker.problems.extend(origin.option_problem(skipped + i, message) for i, message in wrong)
    if options.source:
        checker.fence_column = (origin.info_column or origin.column + 3) + skipped
        checker.fence_column += options.source_index
        kind, lines = _guard_source(checker, options.source, body, base_dir)
    else:
        kind, lines = _guard_text(checker, body, base_dir)
    if checker.problems:
        raise ValidationFailed(checker.problems)
    return FencedBlock(_framed_text(kind, lines), options)


@dataclass(frozen=True)
class BlockDiagram:
    """A guarded block and, when a renderer drew it, its SVG; or why it could not be drawn."""

    source: str
    key: str = ""
    svg: Path | None = None
    #: PlantUML's error, and the place in the page's source that it concerns.
    error: str = ""
    problem: Problem | None = None
    #: How the fence that shows it asked for it to be shown (alt, classes, size…).
    options: BlockOptions = BlockOptions()
    #: Why the guard refused the block (it was never handed to PlantUML).
    refused: tuple[Problem, ...] = ()

    @property
    def asset(self) -> str:
        """Where the SVG is published in the site, named by its content hash."""
        digest = self.key or hashlib.sha256(self.source.encode("utf-8")).hexdigest()
        return f"assets/adrgen/blocks/{digest[:24]}.svg"


class PlantumlBlocks:
    """Every raw PlantUML block of one build: collected first, drawn once, then looked up."""

    def __init__(self, reads: ReadPolicy, cache_dir: Path) -> None:
        self.reads = reads
        self.cache = LocalCache(cache_dir)
        self._origins: dict[str, Origin] = {}
        self._done: dict[str, BlockDiagram] = {}
        #: Blocks the guard refused, with why: by their text, options and file (not their
        #: line: a page's generator guards a record's block again, counting lines from its
        #: field, and must find the refusal reported at the record's line).
        self._refused: dict[tuple[str, str, Path, Path, bool], FencedBlock] = {}
        self.warnings: list[str] = []

    def add(self, source: str, *, base_dir: Path, origin: Origin, info: str = "") -> FencedBlock:
        """Guard a block with its fence's options (``info``: the fence's text after its
        backticks, see :func:`guard_fence`) and remember it for rendering. Blocks that draw
        the same diagram are drawn once, whatever their options.

        A block the guard refuses fails alone: it is never drawn, its page shows why and
        what was written, and its problems are among :attr:`failures`.
        """
        fence = (source, info, base_dir, origin.path, origin.record)
        if fence in self._refused:
            return self._refused[fence]
        try:
            block = guard_fence(source, info, base_dir=base_dir, reads=self.reads, origin=origin)
        except ValidationFailed as exc:
            refused = FencedBlock("", BlockOptions(), exc.problems, source)
            self._refused[fence] = refused
            return refused
        self._origins.setdefault(block.source, origin)
        return block

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
        """Where each block that PlantUML could not draw, or the guard refused, is written,
        and why."""
        drawn = [d.problem for d in self._done.values() if d.problem is not None]
        refused = [p for block in self._refused.values() for p in block.refused]
        return sorted({*drawn, *refused})

    def get(self, source: str, options: BlockOptions | None = None) -> BlockDiagram:
        """The result for a guarded source (after :meth:`resolve`), shown with ``options``."""
        diagram = self._done.get(source) or BlockDiagram(source=source)
        return dataclasses.replace(diagram, options=options) if options else diagram

    def shown(self, block: FencedBlock) -> BlockDiagram:
        """What a page shows for a fence: its drawing, or, when refused, why."""
        if block.refused:
            return BlockDiagram(source=block.written, refused=block.refused)
        return self.get(block.source, block.options)


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
