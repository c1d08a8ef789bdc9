"""Wiring adrgen into a team's existing MkDocs site: a round-trip edit of their ``mkdocs.yml``.

``adrgen init`` in a repository that has a site already adds what adrgen needs and nothing
else: the ``adrgen`` plugin (with ``search`` kept, and Material's ``tags`` when the theme is
Material), and, when the site has an explicit nav, a placeholder entry for the decisions
section at its end. Comments, order, quoting, ``!!python/name:`` and ``!ENV`` tags all
survive (ruamel.yaml's round trip); the indentation style of the file is kept. Nothing else
of the site changes, and a second site configuration is never written.
"""

from __future__ import annotations

import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.tokens import CommentToken

from adrgen.errors import ConfigError, display_path
from adrgen.site.nav import DEFAULT_TITLE, SiteLayout

#: What MkDocs loads when ``plugins`` is absent: listing plugins replaces it, so it is kept.
IMPLICIT_PLUGINS = ("search",)


@dataclass
class Wiring:
    """The edit of one ``mkdocs.yml``: the new text, and what changed, in words."""

    path: Path
    before: str
    after: str
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the file needs writing."""
        return self.after != self.before

    def diff(self) -> str:
        """A unified diff of the edit, for ``--dry-run``."""
        name = display_path(self.path)
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def _round_trip(text: str) -> YAML:
    """A round-trip YAML that writes lists the way ``text`` writes them."""
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


def wire_site(path: Path, layout: SiteLayout | None = None) -> Wiring:
    """The edit that adds adrgen to the site configured by ``path`` (not yet written).

    Raises :class:`~adrgen.errors.ConfigError` when the file cannot be read as YAML or is
    not a mapping.
    """
    layout = layout or SiteLayout()
    before = path.read_text(encoding="utf-8")
    yaml = _round_trip(before)
    try:
        data = yaml.load(before)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "1:1"
        raise ConfigError(
            f"{display_path(path)}:{where}: cannot read the site configuration: {exc}"
        ) from None
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"{display_path(path)}:1:1: the site configuration is not a mapping")
    changes: list[str] = []
    theme = data.get("theme")
    material = (theme == "material") or (
        isinstance(theme, dict) and theme.get("name") == "material"
    )
    plugins = data.get("plugins")
    if plugins is None:
        wanted = [*IMPLICIT_PLUGINS, *(["tags"] if material else []), "adrgen"]
        _append(data, "plugins", CommentedSeq(wanted))
        changes.append(f"plugins: added {', '.join(wanted)} (search was MkDocs' default)")
    elif isinstance(plugins, list):
        names = {_plugin_name(p) for p in plugins}
        for name in (["tags"] if material else []) + ["adrgen"]:
            if name not in names:
                _append(plugins, len(plugins), name)
                changes.append(f"plugins: added {name}")
    else:
        raise ConfigError(f"{display_path(path)}:1:1: plugins: expected a list")
    nav = data.get("nav")
    if isinstance(nav, list) and not _has_placeholder(nav, layout):
        entry = CommentedMap([(DEFAULT_TITLE, layout.index_uri)])
        _append(nav, len(nav), entry)
        changes.append(f"nav: added '{DEFAULT_TITLE}: {layout.index_uri}' at the end")
    out = io.StringIO()
    yaml.dump(data, out)
    return Wiring(path, before, out.getvalue() if changes else before, changes)


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
