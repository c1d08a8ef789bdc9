"""Project settings: where records, diagrams and templates live, and how to run PlantUML.

Settings come from an optional ``adrgen.toml`` at the project root, then from keyword
overrides (CLI flags, MkDocs plugin options), then from ``ADRGEN_RENDERER`` in the
environment (and ``ADRGEN_PLANTUML_JAR``, the jar that ``kind = "jar"`` runs), which lets CI
or a test switch the renderer without editing files. Every
problem in the file is reported at once, like the records themselves.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from adrgen.errors import ConfigError, Problem, ValidationFailed, display_path
from adrgen.records.format import DEFAULT_STATUS_ALIASES, RecordRules
from adrgen.records.loader import DEFAULT_MAX_BYTES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

CONFIG_FILE = "adrgen.toml"
RENDERER_KINDS = ("auto", "command", "jar", "server", "none")
#: The parts of a record that ``[import.sections]`` can give more heading names (the
#: metadata parts at the end also name ``Key: value`` lines and front matter keys).
IMPORT_METADATA_PARTS = ("status", "date", "decision_makers", "consulted", "informed", "tags")
IMPORT_SECTION_PARTS = (
    "context",
    "drivers",
    "options",
    "decision",
    "pros_and_cons",
    "consequences",
    "good_consequences",
    "bad_consequences",
    "confirmation",
    "links",
    *IMPORT_METADATA_PARTS,
)
#: Phrases inside sections that ``[import.phrases]`` can give more words: "Chosen option:",
#: and the "Good, because" / "Bad, because" / "Neutral, because" of an argument.
IMPORT_PHRASE_PARTS = ("chosen_option", "good", "bad", "neutral")
#: How ``import`` reads a date such as 05/02/2018 whose day and month could be swapped.
DATE_ORDERS = ("auto", "day-first", "month-first")
#: What builds the site for ``adrgen build`` and ``adrgen serve``: MkDocs with the adrgen
#: plugin, or Zensical (Material's successor) on a docs folder adrgen writes for it.
BUILDERS = ("mkdocs", "zensical")


@dataclass(frozen=True)
class RendererConfig:
    """How SVGs are made from ``.puml`` sources."""

    #: auto: the local ``plantuml`` command if present, else none.
    kind: str = "auto"
    command: str = "plantuml"
    java: str = "java"
    jar: str = ""
    server: str = ""
    #: Seconds PlantUML may spend on one diagram before it is abandoned.
    timeout: int = 60
    #: Flags for the JVM; tiered-compilation level 1 halves start-up for short batch runs.
    jvm_options: tuple[str, ...] = ("-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")


@dataclass(frozen=True)
class Config:
    """Everything the pipeline needs to know about one docs repository."""

    root: Path
    decisions_dir: Path
    diagrams_dir: Path
    templates_dir: Path
    cache_dir: Path
    statuses: tuple[str, ...] = ()
    #: Words for statuses (``approved = "accepted"``), over :data:`DEFAULT_STATUS_ALIASES`.
    status_aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_ALIASES))
    #: Every option must state its complexity and time.
    require_estimates: bool = False
    max_record_bytes: int = DEFAULT_MAX_BYTES
    renderer: RendererConfig = field(default_factory=RendererConfig)
    #: Base URL for "view the YAML source" links, e.g. https://github.com/o/r/blob/main/
    repo_url: str = ""
    #: ``[import.sections]``: more heading names per record part, for ``adrgen import``.
    import_sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``[import.phrases]``: more words for "Chosen option" and the arguments.
    import_phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``[import] date_order``: auto (decided per folder, and reported), day-first, month-first.
    import_date_order: str = "auto"
    #: What ``adrgen build`` and ``adrgen serve`` build the site with (:data:`BUILDERS`).
    builder: str = "mkdocs"

    @property
    def rules(self) -> RecordRules:
        """What this project adds to the record format (statuses, aliases, policies)."""
        return RecordRules(self.statuses, self.status_aliases, self.require_estimates)

    def with_renderer(self, **changes: Any) -> Config:
        """A copy with some renderer settings changed."""
        return replace(self, renderer=replace(self.renderer, **changes))


_TOP_KEYS = {
    "decisions_dir",
    "diagrams_dir",
    "templates_dir",
    "cache_dir",
    "statuses",
    "status_aliases",
    "require_estimates",
    "max_record_bytes",
    "renderer",
    "repo_url",
    "import",
    "builder",
}
_RENDERER_KEYS = {f.name for f in fields(RendererConfig)}
_IMPORT_KEYS = ("date_order", "phrases", "sections")


def load_config(root: Path | None = None, **overrides: Any) -> Config:
    """Read ``adrgen.toml`` under ``root`` (default: the working directory) and apply overrides."""
    root = (root or Path.cwd()).resolve()
    settings: dict[str, Any] = {}
    path = root / CONFIG_FILE
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            settings = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"{display_path(path)}:1:1: cannot read settings: {exc}") from None
        settings = dict(settings.get("tool", {}).get("adrgen", settings))
    for key, value in overrides.items():
        if value is not None:
            if key == "renderer" and isinstance(value, Mapping):
                settings["renderer"] = {**settings.get("renderer", {}), **value}
            else:
                settings[key] = value
    # CI or a test switches PlantUML without editing files: the kind, and the jar to run.
    for variable, key in (("ADRGEN_RENDERER", "kind"), ("ADRGEN_PLANTUML_JAR", "jar")):
        if os.environ.get(variable):
            settings["renderer"] = {**settings.get("renderer", {}), key: os.environ[variable]}
    return _build(root, settings, display_path(path), text)


def _key_line(text: str, key: str) -> int:
    """The line where a (possibly dotted) key is set; tomllib keeps no positions."""
    *tables, name = key.split(".")
    section = "" if not tables else ".".join(tables)
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped.strip("[]").strip().removeprefix("tool.adrgen").strip(".")
        elif current == section and re.match(rf"{re.escape(name)}\s*=", stripped):
            return number
    return 1


def _build(root: Path, settings: Mapping[str, Any], shown: str, text: str = "") -> Config:
    problems: list[Problem] = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem(shown, _key_line(text, key), 1, key, message))

    for key in sorted(set(settings) - _TOP_KEYS):
        bad(key, f"unknown setting; known: {', '.join(sorted(_TOP_KEYS))}")
    renderer_raw = settings.get("renderer", {})
    if not isinstance(renderer_raw, Mapping):
        bad("renderer", "must be a table")
        renderer_raw = {}
    for key in sorted(set(renderer_raw) - _RENDERER_KEYS):
        bad(f"renderer.{key}", f"unknown setting; known: {', '.join(sorted(_RENDERER_KEYS))}")
    renderer_settings = {k: v for k, v in renderer_raw.items() if k in _RENDERER_KEYS}
    if "jvm_options" in renderer_settings:
        renderer_settings["jvm_options"] = tuple(renderer_settings["jvm_options"])
    renderer = RendererConfig(**renderer_settings)
    if renderer.kind not in RENDERER_KINDS:
        bad("renderer.kind", f"{renderer.kind!r} is not one of: {', '.join(RENDERER_KINDS)}")
    if renderer.kind == "jar" and not renderer.jar:
        bad("renderer.jar", "the jar renderer needs the path of plantuml.jar")
    if renderer.kind == "server" and not renderer.server.startswith(("http://", "https://")):
        bad("renderer.server", "the server renderer needs an http(s) URL")
    if not isinstance(renderer.timeout, int) or renderer.timeout <= 0:
        bad("renderer.timeout", "must be a positive number of seconds")
    statuses = settings.get("statuses", ())
    if not isinstance(statuses, (list, tuple)) or not all(isinstance(s, str) for s in statuses):
        bad("statuses", "must be a list of status names")
        statuses = ()
    aliases_raw = settings.get("status_aliases", {})
    aliases = dict(DEFAULT_STATUS_ALIASES)
    if not isinstance(aliases_raw, Mapping) or not all(
        isinstance(v, str) for v in aliases_raw.values()
    ):
        bad("status_aliases", 'must be a table of words and statuses: approved = "accepted"')
    else:
        lifecycle = RecordRules(tuple(statuses)).lifecycle
        for word, status in aliases_raw.items():
            if status not in lifecycle:
                bad(
                    f"status_aliases.{word}",
                    f"{status!r} is not a status; use one of: {', '.join(lifecycle)}",
                )
            aliases[str(word).casefold()] = status
    require_estimates = settings.get("require_estimates", False)
    if not isinstance(require_estimates, bool):
        bad("require_estimates", "must be true or false")
        require_estimates = False
    max_bytes = settings.get("max_record_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        bad("max_record_bytes", "must be a positive number of bytes")
        max_bytes = DEFAULT_MAX_BYTES
    import_settings = _import_settings(settings.get("import", {}), bad)
    builder = settings.get("builder", "mkdocs")
    if not isinstance(builder, str) or builder not in BUILDERS:
        bad("builder", f"{builder!r} is not one of: {', '.join(BUILDERS)}")
        builder = "mkdocs"
    if problems:
        raise ValidationFailed(problems)

    def folder(key: str, default: str) -> Path:
        return (root / str(settings.get(key, default))).resolve()

    return Config(
        root=root,
        decisions_dir=folder("decisions_dir", "decisions"),
        diagrams_dir=folder("diagrams_dir", "diagrams"),
        templates_dir=folder("templates_dir", "templates"),
        cache_dir=folder("cache_dir", ".adrgen-cache"),
        statuses=tuple(statuses),
        status_aliases=aliases,
        require_estimates=require_estimates,
        max_record_bytes=max_bytes,
        renderer=renderer,
        repo_url=str(settings.get("repo_url", "")),
        import_sections=import_settings.sections,
        import_phrases=import_settings.phrases,
        import_date_order=import_settings.date_order,
        builder=builder,
    )


@dataclass(frozen=True)
class _ImportSettings:
    sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    phrases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_order: str = "auto"


def _import_settings(raw: Any, bad: Callable[[str, str], None]) -> _ImportSettings:
    """The ``[import]`` table: more names per part, more phrases, the date order."""
    if not isinstance(raw, Mapping):
        bad("import", "must be a table ([import])")
        return _ImportSettings()
    for key in sorted(set(raw) - set(_IMPORT_KEYS)):
        bad(f"import.{key}", f"unknown setting; known: {', '.join(_IMPORT_KEYS)}")
    tables: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, parts, noun, example in (
        ("sections", IMPORT_SECTION_PARTS, "record part", 'context = ["Background"]'),
        ("phrases", IMPORT_PHRASE_PARTS, "phrase", 'chosen_option = ["Selected option"]'),
    ):
        table = raw.get(key, {})
        tables[key] = {}
        if not isinstance(table, Mapping):
            bad(f"import.{key}", f"must be a table ([import.{key}]) of lists: {example}")
            continue
        for part, names in table.items():
            where = f"import.{key}.{part}"
            if part not in parts:
                close = difflib.get_close_matches(str(part), parts, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                bad(where, f"unknown {noun}; known: {', '.join(parts)}{hint}")
            elif (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) and n.strip() for n in names)
            ):
                bad(where, f"must be a non-empty list of names (text): {example}")
            else:
                tables[key][part] = tuple(n.strip() for n in names)
    order = raw.get("date_order", "auto")
    if order not in DATE_ORDERS:
        bad("import.date_order", f"{order!r} is not one of: {', '.join(DATE_ORDERS)}")
        order = "auto"
    return _ImportSettings(tables["sections"], tables["phrases"], str(order))
