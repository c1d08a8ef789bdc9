"""Wiring adrgen into a team's existing MkDocs site: a minimal edit of their ``mkdocs.yml``.

``adrgen init`` in a repository that has a site already adds what adrgen needs and nothing
else: the ``adrgen`` plugin (with ``search`` kept, and Material's ``tags`` when the theme is
Material), and, when the site has an explicit nav, a placeholder entry for the decisions
section at its end. A second site configuration is never written.

The edit adds lines and changes no other byte. ruamel.yaml reads the file (to know what is
there, and where: each entry's line and column), but the new text is the old text with the
new lines inserted, indented like their neighbours, so the rest of the file (indentation
that differs from block to block, ``...`` entries, quoting, comments, ``!ENV`` and
``!!python/name:`` tags) stays byte for byte. The result is read back and must equal the
old configuration plus the additions. Only when a layout defeats that (a flow-style
``plugins: [...]`` list) is the file written by ruamel's round trip, and only if that
reproduces the file unchanged; otherwise the file is left alone and the report says what
to add by hand.

The plugin goes before the plugins that must come after every other (``print-site``, whose
documentation requires it to be last and whose build warns otherwise; post-processors of
the built HTML such as ``minify`` or Material's ``offline`` and ``privacy``), right after the
plugins that shape the pages and nav (``search``, ``tags``, ``awesome-pages``…).
"""

from __future__ import annotations

import difflib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken

from adrgen.errors import ConfigError, display_path
from adrgen.site.nav import DEFAULT_TITLE, SiteLayout

#: What MkDocs loads when ``plugins`` is absent: listing plugins replaces it, so it is kept.
IMPLICIT_PLUGINS = ("search",)
#: Plugins that must run after every other, or that work on what the others made (the
#: built HTML, the whole nav): adrgen's pages must exist before them. print-site's
#: documentation says it must be the last plugin, and its build warns when it is not.
LAST_PLUGINS = frozenset(
    {
        "print-site",
        "pdf-export",
        "with-pdf",
        "htmlproofer",
        "minify",
        "minify_html",
        "offline",
        "material/offline",
        "privacy",
        "material/privacy",
        "optimize",
        "material/optimize",
    }
)
#: Plugins that make pages or shape the nav, after which adrgen goes (awesome-pages warns
#: about a plugin with an ``on_nav`` handler listed before it; adrgen has one).
EARLY_PLUGINS = frozenset(
    {
        "search",
        "material/search",
        "tags",
        "material/tags",
        "meta",
        "material/meta",
        "blog",
        "material/blog",
        "awesome-pages",
        "awesome-nav",
        "literate-nav",
        "section-index",
        "gen-files",
        "monorepo",
    }
)
#: A nav title or path written as a plain YAML scalar; anything else is written as JSON.
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9 _./-]*")


@dataclass
class Wiring:
    """The edit of one file ``init`` changes (``mkdocs.yml``, a requirements file, a
    workflow): the new text, and what changed, in words."""

    path: Path
    before: str
    after: str
    changes: list[str] = field(default_factory=list)
    #: What the user should know or do by hand (an edit that could not be made safely).
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the file needs writing."""
        return self.after != self.before

    def diff(self) -> str:
        """A unified diff of the edit, for ``--dry-run``."""
        name = display_path(self.path)
        return "".join(
            difflib.unified_diff(
                split_lines(self.before),
                split_lines(self.after),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


#: The edit of any file: the same record (``Wiring`` is its first use, mkdocs.yml).
FileEdit = Wiring


def read_text(path: Path) -> str:
    """A file's text as it is: UTF-8, its line ends kept (``read_text`` would make CRLF LF)."""
    return path.read_bytes().decode("utf-8")


def split_lines(text: str) -> list[str]:
    """``text`` as lines with their ends, split at ``\\n`` only (YAML's line breaks; unlike
    ``str.splitlines``, which also splits at form feeds and other separators)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return [*out, lines[-1]] if lines[-1] else out


def _round_trip(text: str) -> YAML:
    """A round-trip YAML that writes lists the way ``text`` writes them (the fallback)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    # "key:\n  - item" (items indented under their key) or "key:\n- item" (flush).
    indented = re.search(r"^(?P<key> *)[^\s#-][^:\n]*:\s*\n(?P<dash> *)- ", text, re.MULTILINE)
    if indented and len(indented["dash"]) > len(indented["key"]):
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load_site_config(path: Path, text: str) -> CommentedMap:
    """``mkdocs.yml`` as ruamel's round-trip data, with positions.

    Raises :class:`~adrgen.errors.ConfigError` when the file cannot be read as YAML or is
    not a mapping.
    """
    try:
        data = _round_trip(text).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "1:1"
        raise ConfigError(
            f"{display_path(path)}:{where}: cannot read the site configuration: {exc}"
        ) from None
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"{display_path(path)}:1:1: the site configuration is not a mapping")
    return data


def plugin_names(data: CommentedMap) -> list[str]:
    """The names of the plugins a site configuration lists (``[]`` when it lists none)."""
    plugins = data.get("plugins")
    if isinstance(plugins, dict):
        return [str(name) for name in plugins]
    if isinstance(plugins, list):
        return [_plugin_name(p) for p in plugins]
    return []


@dataclass
class _Plan:
    """What the edit adds: plugins at an index (or a new ``plugins:`` block), a nav entry."""

    new_plugins_block: list[str] = field(default_factory=list)
    plugins_at: int = 0
    plugins: list[str] = field(default_factory=list)
    nav_entry: tuple[str, str] | None = None


def wire_site(path: Path, layout: SiteLayout | None = None) -> Wiring:
    """The edit that adds adrgen to the site configured by ``path`` (not yet written).

    Raises :class:`~adrgen.errors.ConfigError` when the file cannot be read as YAML or is
    not a mapping.
    """
    layout = layout or SiteLayout()
    before = read_text(path)
    data = load_site_config(path, before)
    changes: list[str] = []
    notes: list[str] = []
    plan = _Plan()
    theme = data.get("theme")
    material = (theme == "material") or (
        isinstance(theme, dict) and theme.get("name") == "material"
    )
    plugins = data.get("plugins")
    if plugins is None:
        plan.new_plugins_block = [*IMPLICIT_PLUGINS, *(["tags"] if material else []), "adrgen"]
        changes.append(
            f"plugins: added {', '.join(plan.new_plugins_block)} (search was MkDocs' default)"
        )
    elif isinstance(plugins, list):
        names = [_plugin_name(p) for p in plugins]
        plan.plugins = [
            name
            for name in (["tags"] if material else []) + ["adrgen"]
            if name not in names and f"material/{name}" not in names
        ]
        plan.plugins_at = plugin_position(names)
        if plan.plugins:
            changes.append(_placement(plan.plugins, names, plan.plugins_at))
        elif "adrgen" in names:
            late = [n for n in names[: names.index("adrgen")] if n in LAST_PLUGINS]
            if late:
                notes.append(
                    f"{display_path(path)}: adrgen is listed after {', '.join(late)}, which "
                    "should come after it (print-site must be the last plugin); move it up"
                )
    else:
        raise ConfigError(f"{display_path(path)}:1:1: plugins: expected a list")
    nav = data.get("nav")
    if isinstance(nav, list) and not _has_placeholder(nav, layout):
        plan.nav_entry = (layout.title or DEFAULT_TITLE, layout.index_uri)
        changes.append(f"nav: added '{plan.nav_entry[0]}: {layout.index_uri}' at the end")
    if not changes:
        return Wiring(path, before, before, [], notes)
    after = _insert_lines(before, data, plan)
    if after is None or not _reads_as(path, after, _expected(data, plan)):
        after = _dumped(before, plan)
    if after is None:
        notes.append(
            f"{display_path(path)}: left as it is: its layout cannot take "
            f"{'; '.join(changes)} without re-writing other lines; add them by hand"
        )
        return Wiring(path, before, before, [], notes)
    return Wiring(path, before, after, changes, notes)


def _reads_as(path: Path, text: str, expected: Any) -> bool:
    """Whether ``text`` reads as the configuration ``expected``."""
    try:
        return bool(_plain(load_site_config(path, text)) == expected)
    except ConfigError:
        return False


def plugin_position(names: list[str]) -> int:
    """Where adrgen joins a plugin list: after the page- and nav-making plugins, before the
    first that must come last; at the end when there is none of those."""
    last = next((i for i, name in enumerate(names) if name in LAST_PLUGINS), len(names))
    early = [i + 1 for i, name in enumerate(names[:last]) if name in EARLY_PLUGINS]
    return max(early) if early else last


def _placement(added: list[str], names: list[str], at: int) -> str:
    where = (
        f"after {names[at - 1]}, before {names[at]}"
        if 0 < at < len(names)
        else (f"before {names[at]}" if at < len(names) else "at the end")
    )
    return f"plugins: added {', '.join(added)} ({where})"


def _plugin_name(entry: Any) -> str:
    if isinstance(entry, dict) and len(entry) == 1:
        return str(next(iter(entry)))
    return str(entry)


def _has_placeholder(nav: list[Any], layout: SiteLayout) -> bool:
    targets = {layout.index_uri, layout.section, layout.section.rstrip("/")} - {""}
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) and len(item) == 1 else item
        if isinstance(value, str) and value in targets:
            return True
        if isinstance(value, list) and _has_placeholder(value, layout):
            return True
    return False


# ---------------------------------------------------------------------------------------
# The edit as inserted lines


def _scalar(text: str) -> str:
    return text if _PLAIN.fullmatch(text) and not text.endswith(" ") else json.dumps(text)


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _content_end(lines: list[str], start: int, stop: int) -> int:
    """The last line in ``[start, stop)`` that is not blank or only a comment."""
    for index in range(min(stop, len(lines)) - 1, start - 1, -1):
        if _is_content(lines[index]):
            return index
    return start


def _next_key_line(data: CommentedMap, key: str, total: int) -> int:
    keys = list(data.keys())
    later = keys[keys.index(key) + 1 :]
    return int(data.lc.key(later[0])[0]) if later else total


def _dash(lines: list[str], seq: CommentedSeq) -> str | None:
    """The text before a block sequence's first item (``"  - "``), or None if it is not a
    plain ``- item`` line."""
    if not seq or seq.fa.flow_style():
        return None
    line, col = (int(n) for n in seq.lc.item(0))
    text: str = lines[line]
    dash = text.rfind("-", 0, col)
    if dash < 0 or text[:dash].strip() or text[dash + 1 : col].strip():
        return None
    return text[:col]


def _insert_lines(before: str, data: CommentedMap, plan: _Plan) -> str | None:
    """``before`` with the plan's lines inserted, or None when its layout does not allow it."""
    newline = "\r\n" if "\r\n" in before else "\n"
    lines = split_lines(before)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    inserts: list[tuple[int, list[str]]] = []  # (insert after this line, new lines)
    if plan.new_plugins_block:
        block_prefix = _sequence_prefix(lines, data)
        block = ["plugins:" + newline] + [
            f"{block_prefix}{name}{newline}" for name in plan.new_plugins_block
        ]
        inserts.append((_content_end(lines, 0, len(lines)), block))
    if plan.plugins:
        plugins = data["plugins"]
        item_prefix = _dash(lines, plugins)
        if item_prefix is None:
            return None
        if plan.plugins_at < len(plugins):
            stop = int(plugins.lc.item(plan.plugins_at)[0])
        else:
            stop = _next_key_line(data, "plugins", len(lines))
        after = _content_end(lines, int(data.lc.key("plugins")[0]), stop)
        inserts.append((after, [f"{item_prefix}{name}{newline}" for name in plan.plugins]))
    if plan.nav_entry is not None:
        nav_prefix = _dash(lines, data["nav"])
        if nav_prefix is None:
            return None
        title, uri = plan.nav_entry
        after = _content_end(
            lines, int(data.lc.key("nav")[0]), _next_key_line(data, "nav", len(lines))
        )
        inserts.append((after, [f"{nav_prefix}{_scalar(title)}: {_scalar(uri)}{newline}"]))
    # From the bottom up, so each index still names the line it was computed for. Of two
    # inserts after one line, the later in the list lands above: when nav closes the file,
    # its new entry, then the new plugins block after it.
    for after, new in sorted(inserts, key=lambda item: item[0], reverse=True):
        lines[after + 1 : after + 1] = new
    return "".join(lines)


def _sequence_prefix(lines: list[str], data: CommentedMap) -> str:
    """How this file writes a top-level key's list items: ``"- "`` or ``"  - "``."""
    for key in data:
        value = data[key]
        if isinstance(value, CommentedSeq) and int(data.lc.key(key)[1]) == 0:
            prefix = _dash(lines, value)
            if prefix is not None:
                return prefix
    return "- "


def _plain(node: Any) -> Any:
    """Round-trip data as plain values, to compare two readings of a configuration."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, TaggedScalar):
        return (str(getattr(node.tag, "value", node.tag)), node.value)
    return node


def _expected(data: CommentedMap, plan: _Plan) -> Any:
    """The configuration as it must read after the edit."""
    expected = _plain(data)
    if plan.new_plugins_block:
        expected["plugins"] = list(plan.new_plugins_block)
    if plan.plugins:
        at = plan.plugins_at
        expected["plugins"][at:at] = list(plan.plugins)
    if plan.nav_entry is not None:
        expected["nav"].append({plan.nav_entry[0]: plan.nav_entry[1]})
    return expected


# ---------------------------------------------------------------------------------------
# The fallback: ruamel's round trip, when it keeps this file as it is


def _dumped(before: str, plan: _Plan) -> str | None:
    """The edit written by ruamel, or None when its round trip would change other lines."""
    yaml = _round_trip(before)
    data = yaml.load(before)
    out = io.StringIO()
    yaml.dump(data, out)
    if out.getvalue() != before:
        return None
    if plan.new_plugins_block:
        _append(data, "plugins", CommentedSeq(plan.new_plugins_block))
    if plan.plugins:
        plugins = data["plugins"]
        for offset, name in enumerate(plan.plugins):
            if plan.plugins_at + offset >= len(plugins):
                _append(plugins, len(plugins), name)
            else:
                plugins.insert(plan.plugins_at + offset, name)
    if plan.nav_entry is not None:
        nav = data["nav"]
        _append(nav, len(nav), CommentedMap([plan.nav_entry]))
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _append(container: Any, key: Any, value: Any) -> None:
    """Add ``value`` at the end of a mapping or a list, moving the comment lines that closed
    the container (or the file) after it, so they stay where the author put them."""
    comment = _trailing_comment(container)
    if isinstance(container, dict):
        container[key] = value
    else:
        container.append(value)
    if comment is not None:
        _set_trailing_comment(container, comment)


def _last_holder(container: Any) -> tuple[Any, Any] | None:
    """The node and key whose comment slot holds what follows the container's last entry."""
    if isinstance(container, dict) and container:
        last_key = list(container.keys())[-1]
        last = container[last_key]
        if isinstance(last, (dict, list)) and last:
            inner = _last_holder(last)
            if inner is not None:
                return inner
        return container, last_key
    if isinstance(container, list) and container:
        last = container[-1]
        if isinstance(last, (dict, list)) and last:
            inner = _last_holder(last)
            if inner is not None:
                return inner
        return container, len(container) - 1
    return None


def _trailing_comment(container: Any) -> CommentToken | None:
    """Take the full comment lines after the container's last entry (its own line stays)."""
    holder = _last_holder(container)
    if holder is None:
        return None
    node, key = holder
    slots = node.ca.items.get(key)
    if not slots:
        return None
    for index, token in enumerate(slots):
        if not isinstance(token, CommentToken):
            continue
        own, newline, rest = token.value.partition("\n")
        if newline and rest:  # comment lines or blank lines after the entry's own line
            slots[index] = CommentToken(own + "\n", token.start_mark, None) if own.strip() else None
            return CommentToken("\n" + rest, token.start_mark, None)
    return None


def _set_trailing_comment(container: Any, comment: CommentToken) -> None:
    holder = _last_holder(container)
    if holder is None:
        return
    node, key = holder
    slots = node.ca.items.setdefault(key, [None, None, None, None])
    index = 2 if isinstance(node, dict) else 0
    while len(slots) <= index:
        slots.append(None)
    current = slots[index]
    if isinstance(current, CommentToken):
        comment = CommentToken(current.value.rstrip("\n") + comment.value, current.start_mark, None)
    slots[index] = comment
