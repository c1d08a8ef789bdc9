"""Zensical as the builder of ``adrgen build`` and ``adrgen serve`` (``--builder zensical``).

Zensical, Material for MkDocs' successor, reads ``mkdocs.yml`` but runs no MkDocs plugins, so
the adrgen plugin cannot add its pages there. Instead, adrgen does the plugin's work up front,
in a workspace of its own inside the project (``.adrgen-cache/zensical/``):

* ``docs/``: the docs folder Zensical builds. The user's ``docs_dir`` (hand-written pages with
  their ```plantuml fences drawn, every other file as it is), plus what the plugin would add:
  one page per record, the index, the graph, tags, the SVGs and adrgen's CSS and JS, and the
  records that live outside ``docs_dir``. It is made by :func:`adrgen.pipeline.docs_folder`,
  the plugin's own pipeline, with the plugin's options from ``mkdocs.yml``, so both builders
  publish the same pages at the same URLs.
* ``mkdocs.yml``: the user's configuration as Zensical should read it: every setting kept
  (theme, features, Markdown extensions, ``!ENV`` and ``!!python/name`` tags included, as
  YAML nodes, never re-typed), ``docs_dir`` and ``site_dir`` pointed into the workspace,
  adrgen's section placed in an explicit ``nav`` exactly as the plugin places it, adrgen's
  assets in ``extra_css``/``extra_javascript``, ``INHERIT`` and ``!relative`` resolved the
  MkDocs way, and the MkDocs plugins Zensical cannot run (adrgen's own, hooks) left out, each
  with a warning. Zensical insists on ``docs_dir`` and ``site_dir`` inside the folder of its
  configuration file, hence the derived file lives in the workspace, not beside the user's.

Zensical is run as its command line, ``python -m zensical``, in a child process. Its
Python API (``zensical.build(path, options)``) exists, but it is an untyped, undocumented
0.0.x surface over a Rust runtime: it prints its report straight to the process's stderr
(adrgen could not turn it into its own messages), keeps the configuration in module state
between calls, cannot be given a timeout, and its ``serve`` blocks the calling process with
signal handling of its own. The command line is the interface Zensical documents, and a
child process can be timed out, interrupted, and its report read.

``build`` works like the MkDocs build: the repository lock held throughout, the PlantUML
batch drawing in the background while the site is built (here: while Zensical runs, in its
own process, on the other core), the site built into a staging folder and swapped into
``site/`` with :func:`adrgen.output.replace_dir`, so a failed build leaves ``site/`` as it
was. ``serve`` runs ``zensical serve`` on a second workspace and regenerates its docs folder
when a record, a template, a page, ``adrgen.toml`` or ``mkdocs.yml`` changes. It polls (a
few hundred ``stat`` calls a tick, nothing to install, and no event an editor's save-by-rename
could hide), and rewrites only the files whose bytes changed, so Zensical rebuilds just those.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from adrgen.config import Config, load_config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import (
    AdrgenError,
    ConfigError,
    LockedError,
    OutputError,
    ZensicalFailed,
    display_path,
)
from adrgen.output import repository_lock, sync_dir
from adrgen.pipeline import DocsFolder, docs_folder
from adrgen.site.builders import check_site_target, publish_site
from adrgen.site.nav import SiteLayout, place_section
from adrgen.site.pages import EXTRA_CSS, EXTRA_JS, SiteContent, template_dirs

# The plugin's option types validate its options here too, so both builders accept and
# refuse the same mkdocs.yml; and the extensions it adds are added here.
from adrgen.site.plugin import REQUIRED_EXTENSIONS, AdrgenPluginConfig

#: What to install when Zensical is missing.
INSTALL_HINT = "pip install 'adrgen[zensical]'"
#: The oldest Zensical adrgen is tested with.
MIN_VERSION = "0.1.2"
#: Seconds a ``zensical build`` may take before it is stopped: far above any real build
#: (400 records take about 10 s on two cores), only there so a hung build cannot hang CI.
BUILD_TIMEOUT = 900
#: Workspaces under the cache folder: one for ``build``, one for ``serve``, so a build run
#: while a preview is open never rewrites the files the preview's Zensical is watching.
BUILD_WORKSPACE = "zensical"
SERVE_WORKSPACE = "zensical-serve"
#: Inside a workspace: the docs folder, the derived configuration, the (staging) site.
DOCS = "docs"
CONFIG_NAME = "mkdocs.yml"
BUILD_SITE = "site-build"
SERVE_SITE = "site"
#: Seconds between two looks at the sources while serving.
POLL_SECONDS = 0.3

#: MkDocs plugins Zensical 0.1.2 runs itself, natively or through a shim (the keys of
#: ``_PLUGIN_UNSUPPORTED_OPTIONS`` in zensical/config.py; tests/site/test_zensical.py
#: compares them with the installed Zensical). Any other plugin is left out with a warning.
ZENSICAL_PLUGINS = frozenset(
    {
        "api-autonav",
        "autorefs",
        "awesome-nav",
        "blog",
        "callouts",
        "exclude",
        "gh-admonitions",
        "glightbox",
        "include-markdown",
        "literate-nav",
        "llmstxt",
        "macros",
        "markdown-exec",
        "markdownextradata",
        "meta",
        "meta-descriptions",
        "mike",
        "minify",
        "mkdocs-audio",
        "mkdocs-autoapi",
        "mkdocs-nav-weight",
        "mkdocs-video",
        "mkdocstrings",
        "offline",
        "optimize",
        "privacy",
        "redirects",
        "rss",
        "search",
        "social",
        "table-reader",
        "tags",
    }
)

# Under "mkdocs" so `adrgen build` prints these through the same handler, in the same form,
# as MkDocs' own lines on the MkDocs path (see adrgen.site.builders.mkdocs_logging).
log = logging.getLogger("mkdocs.adrgen.zensical")


def require_zensical() -> None:
    """Fail with the command that installs Zensical when it is not installed."""
    if importlib.util.find_spec("zensical") is None:
        raise ConfigError(
            f"the zensical builder needs Zensical (>= {MIN_VERSION}), which is not installed: "
            f"{INSTALL_HINT}"
        )


# ---------------------------------------------------------------------------------------------
# The user's mkdocs.yml, read as YAML nodes


class _ValueLoader(yaml.SafeLoader):
    """Turns the few nodes adrgen reads (docs_dir, nav, adrgen's options…) into values,
    resolving MkDocs' ``!ENV`` tag the way MkDocs does."""


def _construct_env(loader: yaml.SafeLoader, node: Node) -> Any:
    """``!ENV NAME`` or ``!ENV [NAME, OTHER, default]``: the first variable that is set."""
    default: Any = None
    if isinstance(node, ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, SequenceNode):
        items = list(node.value)
        if len(items) > 1:
            default = loader.construct_object(items[-1])
            items = items[:-1]
        names = [loader.construct_scalar(item) for item in items]
    else:
        raise yaml.constructor.ConstructorError(
            None, None, "!ENV expects a name or a list of names", node.start_mark
        )
    for name in names:
        if str(name) in os.environ:
            value = os.environ[str(name)]
            # Typed as YAML would type it where it is written (`!ENV [PORT]` → 8000).
            tag = loader.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
            return loader.construct_object(ScalarNode(tag, value))
    return default


_ValueLoader.add_constructor("!ENV", _construct_env)


def _where(node: Node) -> tuple[str, int, int]:
    mark = node.start_mark
    return display_path(mark.name), mark.line + 1, mark.column + 1


def _problem(node: Node, key: str, message: str) -> str:
    """``mkdocs.yml:line:col: key: message`` for a node of the configuration."""
    path, line, col = _where(node)
    return f"{path}:{line}:{col}: {key}: {message}"


def _value(node: Node, key: str) -> Any:
    loader = _ValueLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(_problem(node, key, f"cannot read it: {exc}")) from None
    finally:
        loader.dispose()


def _node(value: Any) -> Node:
    """A plain value (nav, lists of paths) as a YAML node."""
    dumper = yaml.SafeDumper(io.StringIO())
    try:
        return dumper.represent_data(value)
    finally:
        dumper.dispose()


def _key(pair: tuple[Node, Node]) -> str | None:
    key = pair[0]
    return str(key.value) if isinstance(key, ScalarNode) else None


def _get(mapping: MappingNode, key: str) -> Node | None:
    for pair in mapping.value:
        if _key(pair) == key:
            value: Node = pair[1]
            return value
    return None


def _set(mapping: MappingNode, key: str, value: Node) -> None:
    for index, pair in enumerate(mapping.value):
        if _key(pair) == key:
            mapping.value[index] = (pair[0], value)
            return
    mapping.value.append((ScalarNode("tag:yaml.org,2002:str", key), value))


def _drop(mapping: MappingNode, key: str) -> None:
    mapping.value[:] = [pair for pair in mapping.value if _key(pair) != key]


def _is_null(node: Node | None) -> bool:
    return node is None or node.tag == "tag:yaml.org,2002:null"


def _compose(path: Path, seen: tuple[Path, ...] = ()) -> MappingNode:
    """The configuration as one mapping node, with ``INHERIT`` merged the way MkDocs merges
    it (mappings key by key, everything else replaced by the child's value)."""
    try:
        with path.open(encoding="utf-8") as stream:
            node = yaml.compose(stream, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = (
            f"{display_path(path)}:{mark.line + 1}:{mark.column + 1}"
            if mark
            else display_path(path)
        )
        raise ConfigError(f"{where}: {exc.problem or exc}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{display_path(path)}:1:1: cannot read it: {exc}") from None
    if node is None:
        node = MappingNode("tag:yaml.org,2002:map", [])
    if not isinstance(node, MappingNode):
        raise ConfigError(f"{display_path(path)}:1:1: the configuration must be a mapping")
    inherit = _get(node, "INHERIT")
    if inherit is None:
        return node
    relative = _value(inherit, "INHERIT")
    parent_path = (path.parent / str(relative)).resolve()
    if not parent_path.is_file():
        raise ConfigError(_problem(inherit, "INHERIT", f"{display_path(parent_path)} not found"))
    if parent_path in seen:
        raise ConfigError(_problem(inherit, "INHERIT", "the configurations inherit in a circle"))
    _drop(node, "INHERIT")
    return _merge(_compose(parent_path, (*seen, path.resolve())), node)


def _merge(parent: MappingNode, child: MappingNode) -> MappingNode:
    merged = MappingNode(parent.tag, list(parent.value), parent.start_mark, parent.end_mark)
    for pair in child.value:
        key = _key(pair)
        ours = _get(merged, key) if key is not None else None
        if isinstance(ours, MappingNode) and isinstance(pair[1], MappingNode):
            _set(merged, str(key), _merge(ours, pair[1]))
        elif key is not None and ours is not None:
            _set(merged, key, pair[1])
        else:
            merged.value.append(pair)
    return merged


def _resolve_relative(node: Node, config_dir: Path, docs_dir: Path) -> None:
    """MkDocs' ``!relative $config_dir/…`` and ``!relative $docs_dir/…`` as absolute paths
    (the derived configuration lives elsewhere, and Zensical does not know the tag)."""
    children: list[Node]
    if isinstance(node, MappingNode):
        children = [value for _key_node, value in node.value]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    else:
        return
    for child in children:
        if isinstance(child, ScalarNode) and child.tag == "!relative":
            text = str(child.value)
            for name, folder in (("$config_dir", config_dir), ("$docs_dir", docs_dir)):
                if text == name or text.startswith(f"{name}/"):
                    child.tag = "tag:yaml.org,2002:str"
                    child.value = str(folder / text[len(name) :].lstrip("/"))
                    break
            else:
                raise ConfigError(
                    _problem(
                        child,
                        "!relative",
                        "Zensical cannot resolve a path relative to the current page; "
                        "use `!relative $config_dir/…` or `!relative $docs_dir/…`",
                    )
                )
        else:
            _resolve_relative(child, config_dir, docs_dir)


def _plugin_name(item: Node) -> tuple[str, Node | None] | None:
    """``(name, options)`` of an entry of a ``plugins`` list."""
    if isinstance(item, ScalarNode):
        return str(item.value), None
    if isinstance(item, MappingNode) and len(item.value) == 1:
        key, options = item.value[0]
        if isinstance(key, ScalarNode):
            return str(key.value), options
    return None


def _canonical_plugin(name: str) -> str:
    """Zensical's name of a plugin: ``material/tags`` → ``tags``, ``social/x`` → ``social``."""
    name = name.removeprefix("material/")
    if name.startswith(("social/", "privacy/")):
        return name.split("/", 1)[0]
    return name


@dataclass
class SiteSource:
    """The user's ``mkdocs.yml``, read for Zensical: what adrgen needs from it, and its
    YAML nodes to derive Zensical's configuration from."""

    path: Path
    node: MappingNode
    docs_dir: Path
    site_dir: Path
    use_directory_urls: bool
    #: The explicit ``nav``; ``None`` when Zensical makes the nav from the files.
    nav: list[Any] | None
    layout: SiteLayout
    #: The adrgen plugin's ``records`` and ``renderer`` options.
    records: str | None
    renderer: str | None
    #: What the Zensical build leaves out, one ``mkdocs.yml:line:col: key: …`` line each.
    notices: list[str]
    #: The configuration files read (``mkdocs.yml`` and what it inherits), for ``serve``.
    files: list[Path]


def _setting(mapping: MappingNode, key: str, default: Any) -> tuple[Any, Node]:
    """A setting's value (``default`` when absent or null), and the node to name in a
    message about it (the value, or the whole mapping when there is none)."""
    node = _get(mapping, key)
    if node is None or _is_null(node):
        return default, node or mapping
    return _value(node, key), node


def _plugins(node: MappingNode) -> list[tuple[str, Node | None, Node]]:
    """``(name, options, where)`` of every plugin, from a list or a mapping."""
    plugins = _get(node, "plugins")
    if isinstance(plugins, MappingNode):
        return [(str(k.value), v, k) for k, v in plugins.value if isinstance(k, ScalarNode)]
    if not isinstance(plugins, SequenceNode):
        return []
    entries: list[tuple[str, Node | None, Node]] = []
    for item in plugins.value:
        named = _plugin_name(item)
        if named is None:
            raise ConfigError(
                _problem(item, "plugins", "an entry must be a name or one `name: {options}`")
            )
        entries.append((named[0], named[1], item))
    return entries


def read_site_source(path: Path) -> SiteSource:
    """Read ``mkdocs.yml`` (and what it inherits) the way MkDocs reads it, for Zensical.

    Raises :class:`ConfigError` with ``path:line:col: key: message`` on a bad setting.
    """
    node = _compose(path)
    root = path.parent.resolve()
    files = sorted({path.resolve(), *(Path(n.start_mark.name).resolve() for _k, n in node.value)})

    def folder(key: str, default: str) -> Path:
        value, where = _setting(node, key, default)
        if not isinstance(value, str) or not value:
            raise ConfigError(_problem(where, key, "must be a folder name"))
        return (root / value).resolve()

    docs_dir = folder("docs_dir", "docs")
    site_dir = folder("site_dir", "site")
    if not docs_dir.is_dir():
        _unused, where = _setting(node, "docs_dir", None)
        raise ConfigError(_problem(where, "docs_dir", f"{display_path(docs_dir)} is not a folder"))
    _resolve_relative(node, root, docs_dir)
    use_directory_urls, where = _setting(node, "use_directory_urls", True)
    if not isinstance(use_directory_urls, bool):
        raise ConfigError(_problem(where, "use_directory_urls", "must be true or false"))
    nav, where = _setting(node, "nav", None)
    if nav is not None and not isinstance(nav, list):
        raise ConfigError(_problem(where, "nav", "must be a list of pages"))

    notices: list[str] = []
    options: dict[str, Any] | None = None
    options_node: Node = node
    for name, value, entry in _plugins(node):
        if name == "adrgen":
            options_node = value if value is not None else entry
            options = {} if value is None or _is_null(value) else _value(value, "plugins.adrgen")
            if not isinstance(options, dict):
                raise ConfigError(
                    _problem(options_node, "plugins.adrgen", "options must be a mapping")
                )
        elif _canonical_plugin(name) not in ZENSICAL_PLUGINS:
            notices.append(
                _problem(
                    entry,
                    f"plugins.{name}",
                    "an MkDocs plugin Zensical cannot run; the Zensical build leaves it out",
                )
            )
    hooks = _get(node, "hooks")
    if hooks is not None and not _is_null(hooks):
        notices.append(
            _problem(
                hooks,
                "hooks",
                "MkDocs hooks are plugins Zensical cannot run; the Zensical build leaves them out",
            )
        )

    checked = AdrgenPluginConfig()
    checked.load_dict(options or {})
    failed, _warnings = checked.validate()
    if failed:
        key, exc = failed[0]
        raise ConfigError(_problem(options_node, f"plugins.adrgen.{key}", str(exc)))
    layout = SiteLayout(
        section=checked.section,
        pages=tuple(checked.pages),
        use_directory_urls=use_directory_urls,
        title=checked.nav_title,
    )
    return SiteSource(
        path=path,
        node=node,
        docs_dir=docs_dir,
        site_dir=site_dir,
        use_directory_urls=use_directory_urls,
        nav=nav,
        layout=layout,
        records=checked.records,
        renderer=checked.renderer,
        notices=notices,
        files=files,
    )


def project_config(config: Config, source: SiteSource, renderer: str | None) -> Config:
    """The project's settings as the plugin would load them: its ``records`` and
    ``renderer`` options over ``adrgen.toml``; ``--renderer`` over both; the environment
    (``ADRGEN_RENDERER``) over everything."""
    overrides: dict[str, Any] = {}
    kind = renderer or source.renderer
    if kind:
        overrides["renderer"] = {"kind": kind}
    if source.records:
        overrides["decisions_dir"] = source.records
    if not overrides:
        return config
    return load_config(config.root, **overrides).with_builder(config.builder)


def _pattern(uri: str) -> str:
    """A gitignore-style pattern (MkDocs' ``not_in_nav``) matching exactly one file."""
    return "/" + re.sub(r"([*?\[\]!#\\])", r"\\\1", uri)


def _add_extensions(node: MappingNode) -> list[str]:
    """Add the Markdown extensions the generated pages need, as the plugin adds them (an
    absent list means Zensical's defaults, which have them all); returns those added."""
    extensions = _get(node, "markdown_extensions")
    added: list[str] = []
    if isinstance(extensions, SequenceNode):
        names = {named[0] for item in extensions.value if (named := _plugin_name(item))}
        added = [name for name in REQUIRED_EXTENSIONS if name not in names]
        extensions.value.extend(_node(name) for name in added)
    elif isinstance(extensions, MappingNode):
        names = {key for pair in extensions.value if (key := _key(pair)) is not None}
        added = [name for name in REQUIRED_EXTENSIONS if name not in names]
        extensions.value.extend((_node(name), _node({})) for name in added)
    return added


def derive_config(
    source: SiteSource,
    nav: list[Any] | None,
    *,
    site: str,
    not_in_nav: Sequence[str] = (),
    added: list[str] | None = None,
) -> str:
    """Zensical's ``mkdocs.yml``: the user's, pointed at the workspace (see the module doc).

    ``nav`` is the explicit nav with adrgen's section placed; ``None`` leaves the nav to
    Zensical, which then leaves out the pages in ``not_in_nav`` (the decision pages, when
    the section lists them by number range), as MkDocs does for the plugin. The Markdown
    extensions added for the generated pages are appended to ``added``.
    """
    node = copy.deepcopy(source.node)
    _set(node, "docs_dir", _node(DOCS))
    _set(node, "site_dir", _node(site))
    # `adrgen build --strict` decides, as on the MkDocs path (which overrides it too).
    _drop(node, "strict")
    _drop(node, "hooks")
    if nav is not None:
        _set(node, "nav", _node(nav))
    if not_in_nav:
        theirs, _where_nav = _setting(node, "not_in_nav", "")
        lines = [str(theirs).rstrip("\n")] if theirs else []
        lines += [_pattern(uri) for uri in sorted(not_in_nav)]
        _set(node, "not_in_nav", _node("\n".join(lines) + "\n"))
    extensions = _add_extensions(node)
    if added is not None:
        added.extend(extensions)
    plugins = _get(node, "plugins")
    if isinstance(plugins, SequenceNode):
        kept = []
        for item in plugins.value:
            named = _plugin_name(item)
            if named is not None and _canonical_plugin(named[0]) in ZENSICAL_PLUGINS:
                kept.append(item)
        plugins.value[:] = kept
    elif isinstance(plugins, MappingNode):
        plugins.value[:] = [
            pair
            for pair in plugins.value
            if _canonical_plugin(_key(pair) or "") in ZENSICAL_PLUGINS
        ]
    # What the plugin's on_config adds.
    css, _where_css = _setting(node, "extra_css", [])
    css = list(css or [])
    css += [path for path in EXTRA_CSS if path not in css]
    _set(node, "extra_css", _node(css))
    scripts, _where_js = _setting(node, "extra_javascript", [])
    scripts = list(scripts or [])
    have = {
        s if isinstance(s, str) else str(s.get("path", ""))
        for s in scripts
        if isinstance(s, (str, dict))
    }
    scripts += [path for path in EXTRA_JS if path not in have]
    _set(node, "extra_javascript", _node(scripts))
    # Paths Zensical resolves against its configuration's folder, which moved.
    root = source.path.parent.resolve()
    theme = _get(node, "theme")
    if isinstance(theme, MappingNode):
        custom, _where_dir = _setting(theme, "custom_dir", None)
        if custom is not None:
            _set(theme, "custom_dir", _node(str(root / str(custom))))
    watch, _where_watch = _setting(node, "watch", None)
    if isinstance(watch, list):
        _set(node, "watch", _node([str(root / str(p)) for p in watch]))
    # (A GitHub repo_url without edit_uri: Zensical's default, edit/master/<docs_dir>, is
    # MkDocs' edit/master/docs/ here, because the workspace's docs folder is named docs.)
    text = yaml.serialize(node, Dumper=yaml.SafeDumper, allow_unicode=True, width=10_000)
    header = (
        f"# Derived by adrgen from {source.path.name} for Zensical; rewritten on every build.\n"
        "# Edit the original, not this file.\n"
    )
    return header + str(text)


# ---------------------------------------------------------------------------------------------
# The docs folder


#: Stands in, in the docs folder, for an SVG that the PlantUML batch is still drawing while
#: Zensical builds; the drawn SVG replaces it in the site before the site is published.
PENDING_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n'


class Workspace:
    """A folder where adrgen prepares a Zensical build: ``docs/`` and ``mkdocs.yml``."""

    def __init__(self, root: Path, site: str) -> None:
        self.root = root
        self.docs = root / DOCS
        self.config_file = root / CONFIG_NAME
        self.site = site
        self._added: list[str] = []

    @property
    def site_dir(self) -> Path:
        """Where Zensical writes the site (a staging folder for ``build``)."""
        return self.root / self.site

    def refresh(
        self,
        config: Config,
        source: SiteSource,
        *,
        progress: Progress | None = None,
        defer: bool = False,
    ) -> tuple[DocsFolder, list[str]]:
        """Run the pipeline, bring ``docs/`` up to date and (re)write the configuration;
        also the paths written or removed (SVGs still being drawn are placeholders)."""
        generated = docs_folder(
            config,
            source.docs_dir,
            source.layout,
            skip=[source.site_dir],
            defer=defer,
            progress=progress,
        )
        content = generated.content
        files = {**generated.files, **dict.fromkeys(generated.pending, PENDING_SVG)}
        try:
            changed = sync_dir(self.docs, files)
            if self._write_config(source, content):
                changed.append(CONFIG_NAME)
        except BaseException:
            content.abandon()
            raise
        return generated, changed

    def _write_config(self, source: SiteSource, content: SiteContent) -> bool:
        """Write the derived configuration; True when it changed."""
        nav = (
            place_section(source.nav, content.section_nav(), source.layout)
            if source.nav is not None
            else None
        )
        added: list[str] = []
        text = derive_config(
            source, nav, site=self.site, not_in_nav=sorted(content.not_in_nav), added=added
        ).encode("utf-8")
        if added != self._added:  # said once, not on every regeneration under serve
            for name in added:
                log.info(f"adrgen: added the Markdown extension {name} for this build")
            self._added = added
        try:
            current = self.config_file.read_bytes() if self.config_file.is_file() else None
            if current != text:
                # Zensical reloads the whole configuration when this file changes: only then.
                temporary = self.config_file.with_name(f".{CONFIG_NAME}.adrgen-tmp-{os.getpid()}")
                temporary.write_bytes(text)
                os.replace(temporary, self.config_file)
                return True
        except OSError as exc:
            raise OutputError(f"could not write {display_path(self.config_file)}: {exc}") from None
        return False


# ---------------------------------------------------------------------------------------------
# Running Zensical


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_HEAD = re.compile(r"^(?P<level>Warning|Error|Info):\s*(?P<message>.*\S)\s*$")
_WHERE = re.compile(r"\[\s*(?P<path>[^\[\]]+?):(?P<line>\d+):(?P<col>\d+)\s*\]")
_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?(?P<kind>\w*(?:Error|Exception)): (?P<message>.+)$")


@dataclass(frozen=True)
class Diagnostic:
    """One thing Zensical reported: a warning or error, where it is when it says so."""

    level: str
    message: str
    uri: str | None = None
    line: int = 0
    col: int = 0

    def describe(self, docs: Path, origins: Mapping[str, tuple[Path, bool]]) -> str:
        """The diagnostic as ``path:line:col: message``, naming the user's file if it can.

        Zensical names files inside the workspace's docs folder: a page copied unchanged is
        named as the user's own file; a generated page or a page whose lines moved is named
        as the workspace copy (which exists, at those lines) with what it was made from.
        """
        if self.uri is None:
            return self.message
        origin = origins.get(self.uri)
        if origin is not None and origin[1]:
            return f"{display_path(origin[0])}:{self.line}:{self.col}: {self.message}"
        where = f"{display_path(docs / self.uri)}:{self.line}:{self.col}: {self.message}"
        return f"{where} (made from {display_path(origin[0])})" if origin is not None else where


def parse_output(text: str) -> list[Diagnostic]:
    """Zensical's report (coloured, boxed source excerpts) as diagnostics.

    ``Warning: message`` / ``Error: message`` open a diagnostic; the excerpt's
    ``[ path:line:col ]`` says where. A Python exception ending its output (``--strict``
    ends a build with one) is an error of its own.
    """
    found: list[Diagnostic] = []
    current: Diagnostic | None = None
    lines = [_ANSI.sub("", raw).rstrip() for raw in text.splitlines()]
    for line in lines:
        head = _HEAD.match(line.strip())
        if head:
            if current is not None:
                found.append(current)
            current = Diagnostic(head["level"].lower(), head["message"])
            continue
        where = _WHERE.search(line)
        if where and current is not None and current.uri is None:
            current = replace(
                current, uri=where["path"], line=int(where["line"]), col=int(where["col"])
            )
    if current is not None:
        found.append(current)
    if any(line.startswith("Traceback") for line in lines):
        for line in reversed(lines):
            exception = _EXCEPTION.match(line.strip())
            if exception:
                found.append(Diagnostic("error", exception["message"]))
                break
    return found


#: How the child starts: ``python -m zensical`` (the Zensical installed beside adrgen, by the
#: extra, whatever is first on PATH), after asking Linux to end it when adrgen ends. Killed
#: (SIGKILL, a crash), adrgen stops nothing itself: without this, an orphaned
#: ``zensical serve`` would hold the port, and an orphaned build would write into the
#: staging folder of the next one. Done in the child, before Zensical is imported, rather
#: than in ``preexec_fn``, which is unsafe while PlantUML's thread runs.
_CHILD = """\
import ctypes, os, runpy, signal, sys
parent = int(sys.argv.pop(1))
try:
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except (AttributeError, OSError):
    pass  # not Linux: the parent stops it when it can
if os.getppid() != parent:
    sys.exit(1)  # adrgen ended before this line
sys.argv[0] = "zensical"
runpy.run_module("zensical", run_name="__main__", alter_sys=True)
"""


def _zensical_command(*args: str) -> list[str]:
    return [sys.executable, "-c", _CHILD, str(os.getpid()), *args]


def _child_env() -> dict[str, str]:
    # Zensical 0.0.73 colours its report regardless; NO_COLOR is for the versions that heed it.
    return {**os.environ, "NO_COLOR": "1"}


def run_build(
    workspace: Workspace, cwd: Path, *, strict: bool, timeout: float = BUILD_TIMEOUT
) -> tuple[int, list[Diagnostic], str]:
    """``zensical build`` on the workspace: exit status, diagnostics, and its raw output."""
    argv = _zensical_command("build", "-f", str(workspace.config_file))
    if strict:
        argv.append("--strict")
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=_child_env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ZensicalFailed(
            f"Zensical did not finish building within {timeout:g} s and was stopped"
        ) from None
    except OSError as exc:
        raise ZensicalFailed(
            f"could not run Zensical ({sys.executable} -m zensical): {exc}"
        ) from None
    output = f"{done.stdout}\n{done.stderr}"
    return done.returncode, parse_output(done.stderr), output


def log_diagnostics(
    diagnostics: Sequence[Diagnostic],
    workspace: Workspace,
    origins: Mapping[str, tuple[Path, bool]],
) -> None:
    """Zensical's warnings and errors as adrgen's one-line messages."""
    for diagnostic in diagnostics:
        text = diagnostic.describe(workspace.docs, origins)
        if diagnostic.level == "error":
            log.error(text)
        elif diagnostic.level == "warning":
            log.warning(text)
        else:
            log.info(text)


# ---------------------------------------------------------------------------------------------
# adrgen build --builder zensical


@dataclass(frozen=True)
class ZensicalBuild:
    """What :func:`build` made."""

    path: Path
    content: SiteContent


def build(
    config: Config,
    mkdocs_yml: Path,
    *,
    site_dir: Path | None = None,
    strict: bool = False,
    renderer: str | None = None,
    progress: Progress | None = None,
) -> ZensicalBuild:
    """Render the diagrams, write the docs folder, build it with Zensical, swap it into place.

    As on the MkDocs path, the PlantUML batch draws in the background while the site is
    built (the pages only link to the SVGs): Zensical, in its own process, builds on one
    core while PlantUML draws on the other. The drawn SVGs then replace their placeholders
    in the staging site; a page whose diagram failed is made again, showing the error, and
    Zensical builds once more. Holds the repository lock throughout; anything that fails
    leaves the previous site as it was. Raises :class:`AdrgenError` (never anything else).
    """
    require_zensical()
    source = read_site_source(mkdocs_yml)
    config = project_config(config, source, renderer)
    given = site_dir or source.site_dir
    named = "--site-dir" if site_dir else f"{display_path(mkdocs_yml)}: site_dir"
    check_site_target(config, given, named, source.docs_dir)
    target = given.resolve()
    for notice in source.notices:
        log.warning(notice)
    workspace = Workspace(config.cache_dir / BUILD_WORKSPACE, BUILD_SITE)
    kept = f"{display_path(target)} was left as it was"
    with repository_lock(config.cache_dir):
        generated, _changed = workspace.refresh(config, source, progress=progress, defer=True)
        content = generated.content
        staging = workspace.site_dir
        try:
            _zensical_build(workspace, generated, mkdocs_yml.parent, strict=strict, kept=kept)
            # Made again before finish(): page_after_render waits for each page's diagrams.
            remade = {
                page.src_uri: text
                for page in content.pages
                if (text := content.page_after_render(page.src_uri)) is not None
            }
            content.finish()  # writes diagrams/
            content.log(log)
            if strict and content.failures:
                raise ZensicalFailed(
                    f"the site was not built ({len(content.failures)} diagram(s) or file(s) "
                    f"failed, in strict mode); {kept}"
                )
            for uri, drawn in generated.pending.items():
                if drawn.is_file():  # else it failed: its page shows the error instead
                    generated.files[uri] = drawn
            for uri, text in remade.items():
                generated.files[uri] = content.publishable(uri, text).encode("utf-8")
            sync_dir(workspace.docs, generated.files)
            if remade:
                _zensical_build(workspace, generated, mkdocs_yml.parent, strict=strict, kept=kept)
            else:
                for uri in generated.pending:
                    (staging / uri).unlink(missing_ok=True)
                    if uri in generated.files:
                        shutil.copyfile(workspace.docs / uri, staging / uri)
            publish_site(staging, target, named)
        except BaseException:
            content.abandon()  # a batch still drawing writes nothing
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return ZensicalBuild(target, content)


def _zensical_build(
    workspace: Workspace, generated: DocsFolder, cwd: Path, *, strict: bool, kept: str
) -> None:
    """``zensical build`` into the workspace's (fresh) staging folder; its report logged."""
    shutil.rmtree(workspace.site_dir, ignore_errors=True)
    status, diagnostics, output = run_build(workspace, cwd, strict=strict)
    # An error that names no place is why the build stopped: it ends the message below
    # rather than being printed twice.
    reasons = [d.message for d in diagnostics if d.level == "error" and d.uri is None]
    log_diagnostics(
        [d for d in diagnostics if d.level != "error" or d.uri is not None],
        workspace,
        generated.origins,
    )
    for line in output.splitlines():
        if line.startswith(("Build started", "Build finished")):
            log.info(f"zensical: {line.strip()}")
    if status != 0:
        reason = reasons[-1] if reasons else _last_line(output) or f"exit status {status}"
        raise ZensicalFailed(f"the site was not built (Zensical: {reason}); {kept}")
    if not workspace.site_dir.is_dir():
        raise ZensicalFailed(f"Zensical reported success but wrote no site; {kept}")


def _last_line(output: str) -> str:
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    return next((line for line in reversed(lines) if line), "")


# ---------------------------------------------------------------------------------------------
# adrgen serve --builder zensical


def _fingerprint(paths: Sequence[Path], skip: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of every file below ``paths`` (hidden ones and the
    folders builds write into excepted): what changes when an author saves a file."""
    skipped = {p.resolve() for p in skip}
    seen: list[tuple[str, int, int]] = []
    for start in paths:
        if start.is_file():
            with contextlib.suppress(OSError):
                stat = start.stat()
                seen.append((str(start), stat.st_size, stat.st_mtime_ns))
            continue
        for current, dirs, names in os.walk(start):
            here = Path(current)
            dirs[:] = sorted(
                d for d in dirs if not d.startswith(".") and (here / d).resolve() not in skipped
            )
            for name in sorted(names):
                if name.startswith("."):
                    continue
                with contextlib.suppress(OSError):
                    stat = (here / name).stat()
                    seen.append((str(here / name), stat.st_size, stat.st_mtime_ns))
    return tuple(seen)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops ``serve`` like Ctrl-C: the Zensical child is stopped, not orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Stop Zensical: Ctrl-C first (it exits at once), then harder if it does not."""
    if child.poll() is not None:
        return
    for stop, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(stop)
        try:
            child.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def serve(
    config: Config,
    mkdocs_yml: Path,
    *,
    dev_addr: str | None = None,
    renderer: str | None = None,
    open_in_browser: bool = False,
    poll: float = POLL_SECONDS,
) -> None:
    """Run ``zensical serve`` on a workspace kept up to date with the sources; blocks until
    interrupted (Ctrl-C or SIGTERM stop both), or until Zensical stops by itself.

    A change that makes the pipeline fail (an invalid record) is reported, and the preview
    keeps showing the last good pages until the next change.
    """
    require_zensical()
    base = config
    source = read_site_source(mkdocs_yml)
    config = project_config(base, source, renderer)
    workspace = Workspace(config.cache_dir / SERVE_WORKSPACE, SERVE_SITE)
    for notice in source.notices:
        log.warning(notice)
    generated, _changed = workspace.refresh(config, source)
    generated.content.log(log)

    def watched() -> tuple[list[Path], list[Path]]:
        paths = [
            *source.files,
            config.root / "adrgen.toml",
            config.decisions_dir,
            source.docs_dir,
            *(p for p in template_dirs(config) if p.exists()),
        ]
        skip = [config.cache_dir, config.diagrams_dir, source.site_dir]
        return paths, skip

    paths, skip = watched()
    seen = _fingerprint(paths, skip)
    argv = _zensical_command("serve", "-f", str(workspace.config_file))
    if dev_addr:
        argv += ["--dev-addr", dev_addr]
    if open_in_browser:
        argv.append("--open")
    with _terminate_as_interrupt():
        try:
            child = subprocess.Popen(
                argv,
                cwd=mkdocs_yml.parent,
                env=_child_env(),
            )
        except OSError as exc:
            raise ZensicalFailed(
                f"could not run Zensical ({sys.executable} -m zensical): {exc}"
            ) from None
        try:
            retry = False
            while True:
                time.sleep(poll)
                status = child.poll()
                if status == 0:  # it was interrupted too (Ctrl-C reaches both processes)
                    break
                if status is not None:
                    raise ZensicalFailed(f"zensical serve stopped (exit status {status})")
                paths, skip = watched()
                now = _fingerprint(paths, skip)
                if now == seen and not retry:
                    continue
                seen, retry = now, False
                try:
                    source = read_site_source(mkdocs_yml)
                    config = project_config(load_config(base.root), source, renderer)
                    generated, changed = workspace.refresh(config, source)
                except LockedError as exc:
                    log.info(f"adrgen: {exc}; trying again")
                    retry = True  # another adrgen run holds the diagrams: next tick
                    continue
                except AdrgenError as exc:
                    for line in exc.lines():
                        log.error(line)
                    log.error("adrgen: the preview shows the last pages that built")
                    continue
                generated.content.log(log)
                if changed:
                    log.info(f"adrgen: {len(changed)} file(s) changed for Zensical")
        except KeyboardInterrupt:
            log.info("adrgen: stopping the preview")
        finally:
            _stop(child)
