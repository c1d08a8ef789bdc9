"""Project settings: where records, diagrams and templates live, and how to run PlantUML.

Settings come from an optional ``adrgen.toml`` at the project root (or ``[tool.adrgen]`` in
it), then from keyword overrides (CLI flags, MkDocs plugin options), then from
``ADRGEN_RENDERER`` and ``ADRGEN_PLANTUML_JAR`` in the environment, which let CI or a test
switch the renderer without editing files.

The settings are declared once, as the pydantic model :class:`Settings`: its fields, their
defaults, and the validators that say what is wrong. Every problem in the file is reported
at once, as ``adrgen.toml:line:col: key: message``, like the records themselves.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from adrgen.errors import ConfigError, Problem, display_path
from adrgen.records.format import DEFAULT_STATUS_ALIASES, RecordRules
from adrgen.records.loader import DEFAULT_MAX_BYTES
from adrgen.walls.owned import Folders, Kind, placement
from adrgen.walls.reads import ReadPolicy

CONFIG_FILE = "adrgen.toml"

RendererKind = Literal["auto", "command", "jar", "server", "none"]
RENDERER_KINDS: tuple[str, ...] = get_args(RendererKind)
#: What builds the site for ``adrgen build`` and ``adrgen serve``: MkDocs with the adrgen
#: plugin, or Zensical (Material's successor) on a docs folder adrgen writes for it.
Builder = Literal["mkdocs", "zensical"]
BUILDERS: tuple[str, ...] = get_args(Builder)
#: How ``import`` reads a date such as 05/02/2018 whose day and month could be swapped.
DateOrder = Literal["auto", "day-first", "month-first"]
DATE_ORDERS: tuple[str, ...] = get_args(DateOrder)
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


def _one_of(choices: tuple[str, ...]) -> Any:
    """A validator: the value must be one of ``choices`` (said in the project's words)."""

    def check(value: object) -> object:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of: {', '.join(choices)}")
        return value

    return BeforeValidator(check)


def _kind_of(kind: type, message: str) -> Any:
    """A validator: the value must be a ``kind`` (bool is no int here), else ``message``."""

    def check(value: object) -> object:
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def _positive(message: str) -> Any:
    def check(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(message)
        return value

    return BeforeValidator(check)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RendererConfig(_Settings):
    """How SVGs are made from ``.puml`` sources (``[renderer]``)."""

    #: auto: the local ``plantuml`` command if present, else none.
    kind: Annotated[RendererKind, _one_of(RENDERER_KINDS)] = "auto"
    command: Annotated[str, _kind_of(str, "must be text")] = "plantuml"
    java: Annotated[str, _kind_of(str, "must be text")] = "java"
    # Checked even when absent: the kind they serve may need them.
    jar: Annotated[str, _kind_of(str, "must be text")] = Field(default="", validate_default=True)
    server: Annotated[str, _kind_of(str, "must be text")] = Field(default="", validate_default=True)
    #: Seconds PlantUML may spend on one diagram before it is abandoned.
    timeout: Annotated[int, _positive("must be a positive number of seconds")] = 60
    #: Flags for the JVM; tiered-compilation level 1 halves start-up for short batch runs.
    jvm_options: tuple[str, ...] = ("-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")

    @field_validator("jar")
    @classmethod
    def _jar_for_the_jar_kind(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "jar" and not value:
            raise ValueError("the jar renderer needs the path of plantuml.jar")
        return value

    @field_validator("server")
    @classmethod
    def _url_for_the_server_kind(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("kind") == "server" and not value.startswith(("http://", "https://")):
            raise ValueError("the server renderer needs an http(s) URL")
        return value


Names = tuple[str, ...]


class ImportSettings(_Settings):
    """How ``adrgen import`` reads other teams' Markdown (``[import]``)."""

    #: More heading names per record part, beyond the built-in English and French ones.
    sections: dict[str, Names] = Field(default_factory=dict)
    #: More words for "Chosen option" and the arguments.
    phrases: dict[str, Names] = Field(default_factory=dict)
    #: auto (decided per folder, and reported), day-first, month-first.
    date_order: Annotated[DateOrder, _one_of(DATE_ORDERS)] = "auto"

    @field_validator("sections", "phrases", mode="before")
    @classmethod
    def _known_parts(cls, value: object, info: ValidationInfo) -> dict[str, Names]:
        parts, noun, example = (
            (IMPORT_SECTION_PARTS, "record part", 'context = ["Background"]')
            if info.field_name == "sections"
            else (IMPORT_PHRASE_PARTS, "phrase", 'chosen_option = ["Selected option"]')
        )
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a table ([import.{info.field_name}]) of lists: {example}")
        problems: list[tuple[str, str]] = []
        names: dict[str, Names] = {}
        for part, given in value.items():
            if part not in parts:
                close = difflib.get_close_matches(str(part), parts, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append((str(part), f"unknown {noun}; known: {', '.join(parts)}{hint}"))
            elif (
                not isinstance(given, list)
                or not given
                or not all(isinstance(n, str) and n.strip() for n in given)
            ):
                problems.append((str(part), f"must be a non-empty list of names (text): {example}"))
            else:
                names[part] = tuple(n.strip() for n in given)
        if problems:
            raise _Nested(problems)
        return names


class _Nested(ValueError):
    """Several problems below one setting, each under its own key."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _key, message in problems))
        self.problems = problems


class Settings(_Settings):
    """Everything ``adrgen.toml`` may say, with its defaults."""

    decisions_dir: Annotated[str, _kind_of(str, "must be a folder (text)")] = "decisions"
    diagrams_dir: Annotated[str, _kind_of(str, "must be a folder (text)")] = "diagrams"
    templates_dir: Annotated[str, _kind_of(str, "must be a folder (text)")] = "templates"
    cache_dir: Annotated[str, _kind_of(str, "must be a folder (text)")] = ".adrgen-cache"
    #: Statuses the project adds to the built-in lifecycle.
    statuses: tuple[str, ...] = ()
    #: Words for statuses (``approved = "accepted"``), over :data:`DEFAULT_STATUS_ALIASES`.
    status_aliases: dict[str, str] = Field(default_factory=dict)
    #: Every option must state its complexity and time.
    require_estimates: Annotated[bool, _kind_of(bool, "must be true or false")] = False
    max_record_bytes: Annotated[int, _positive("must be a positive number of bytes")] = (
        DEFAULT_MAX_BYTES
    )
    renderer: RendererConfig = Field(default_factory=RendererConfig)
    #: Base URL for "view the YAML source" links, e.g. https://github.com/o/r/blob/main/
    repo_url: Annotated[str, _kind_of(str, "must be a URL (text)")] = ""
    import_: ImportSettings = Field(default_factory=ImportSettings, alias="import")
    #: What ``adrgen build`` and ``adrgen serve`` build the site with.
    builder: Annotated[Builder, _one_of(BUILDERS)] = "mkdocs"

    @field_validator("statuses", mode="before")
    @classmethod
    def _status_names(cls, value: object) -> object:
        if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
            raise ValueError("must be a list of status names")
        return value

    @field_validator("status_aliases", mode="before")
    @classmethod
    def _aliases_name_statuses(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError('must be a table of words and statuses: approved = "accepted"')
        lifecycle = RecordRules(tuple(info.data.get("statuses", ()))).lifecycle
        wrong = [
            (str(word), f"{status!r} is not a status; use one of: {', '.join(lifecycle)}")
            for word, status in value.items()
            if status not in lifecycle
        ]
        if wrong:
            raise _Nested(wrong)
        return {str(word).casefold(): status for word, status in value.items()}

    @field_validator("renderer", "import_", mode="before")
    @classmethod
    def _a_table(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, Mapping):
            name = "import" if info.field_name == "import_" else str(info.field_name)
            raise ValueError(f"must be a table ([{name}])")
        return value


@dataclass(frozen=True)
class Config:
    """Everything the pipeline needs to know about one docs repository: the settings, with
    its folders resolved against the project root."""

    root: Path
    decisions_dir: Path
    diagrams_dir: Path
    templates_dir: Path
    cache_dir: Path
    settings: Settings = field(default_factory=Settings)
    #: Where each folder setting was given: (settings file, line); line 0 for a value from
    #: elsewhere (the MkDocs plugin's options) or a default.
    places: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def setting_problem(self, key: str, message: str) -> Problem:
        """A problem with the setting ``key``, at the line that sets it."""
        file, line = self.places.get(key, (CONFIG_FILE, 0))
        if not line:
            given = "given to the MkDocs plugin" if key in self.places else "the default"
            return Problem(file, 0, 0, key, f"{message} ({given})")
        return Problem(file, line, 1, key, message)

    def place(self, key: str) -> str:
        """Where the setting ``key`` was given, as a message names it:
        ``adrgen.toml:3:1: diagrams_dir`` or ``diagrams_dir (the default)``."""
        file, line = self.places.get(key, (CONFIG_FILE, 0))
        if line:
            return f"{file}:{line}:1: {key}"
        return f"{key} ({'given to the MkDocs plugin' if key in self.places else 'the default'})"

    @property
    def statuses(self) -> tuple[str, ...]:
        """Statuses the project adds to the built-in lifecycle."""
        return self.settings.statuses

    @property
    def require_estimates(self) -> bool:
        """Whether every option must state its complexity and time."""
        return self.settings.require_estimates

    @property
    def max_record_bytes(self) -> int:
        """The largest record file adrgen reads."""
        return self.settings.max_record_bytes

    @property
    def renderer(self) -> RendererConfig:
        """How SVGs are made."""
        return self.settings.renderer

    @property
    def repo_url(self) -> str:
        """Base URL for "view the YAML source" links."""
        return self.settings.repo_url

    @property
    def imports(self) -> ImportSettings:
        """How ``adrgen import`` reads Markdown."""
        return self.settings.import_

    @property
    def builder(self) -> str:
        """What builds the site."""
        return self.settings.builder

    @cached_property
    def rules(self) -> RecordRules:
        """What this project adds to the record format (statuses, aliases, policies); one
        object per settings, so what it derives (its status words) is derived once."""
        aliases = {**DEFAULT_STATUS_ALIASES, **self.settings.status_aliases}
        return RecordRules(self.statuses, aliases, self.require_estimates)

    @cached_property
    def reads(self) -> ReadPolicy:
        """What adrgen may read in this repository (see :mod:`adrgen.walls.reads`): nothing
        outside it, in ``.git/``, in its cache or ``diagrams/`` output, or ignored by git."""
        return ReadPolicy.for_root(self.root, [self.cache_dir])

    @property
    def folders(self) -> Folders:
        """The repository's folders, as the ownership checks see them."""
        return Folders(
            root=self.root,
            decisions=self.decisions_dir,
            templates=self.templates_dir,
            owned={"diagrams": self.diagrams_dir, "cache": self.cache_dir},
        )

    def with_builder(self, builder: str) -> Config:
        """A copy that builds the site with ``builder``."""
        return replace(self, settings=self.settings.model_copy(update={"builder": builder}))


def load_config(root: Path | None = None, **overrides: Any) -> Config:
    """Read ``adrgen.toml`` under ``root`` (default: the working directory) and apply overrides.

    Raises :class:`~adrgen.errors.ConfigError` with every problem of the file at once.
    """
    root = (root or Path.cwd()).resolve()
    raw: dict[str, Any] = {}
    path = root / CONFIG_FILE
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            raw = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"{display_path(path)}:1:1: cannot read settings: {exc}") from None
        raw = dict(raw.get("tool", {}).get("adrgen", raw))
    in_file = set(raw)
    for key, value in overrides.items():
        if value is not None:
            if key == "renderer" and isinstance(value, Mapping):
                raw["renderer"] = {**_table(raw.get("renderer")), **value}
            else:
                raw[key] = value
    # CI or a test switches PlantUML without editing files: the kind, and the jar to run.
    for variable, key in (("ADRGEN_RENDERER", "kind"), ("ADRGEN_PLANTUML_JAR", "jar")):
        if os.environ.get(variable):
            raw["renderer"] = {**_table(raw.get("renderer")), key: os.environ[variable]}
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, display_path(path), text)) from None

    def folder(name: str) -> Path:
        return (root / str(getattr(settings, name))).resolve()

    shown = display_path(path)
    places: dict[str, tuple[str, int]] = {}
    for key in ("decisions_dir", "diagrams_dir", "templates_dir", "cache_dir"):
        if overrides.get(key) is not None:
            places[key] = (shown, 0)
        elif key in in_file:
            places[key] = (shown, _key_line(text, key))
    config = Config(
        root=root,
        decisions_dir=folder("decisions_dir"),
        diagrams_dir=folder("diagrams_dir"),
        templates_dir=folder("templates_dir"),
        cache_dir=folder("cache_dir"),
        settings=settings,
        places=places,
    )
    problems = _folder_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def _folder_problems(config: Config) -> list[Problem]:
    """The folder settings that would make adrgen read outside the repository or replace
    what it does not own (see :mod:`adrgen.walls.owned`), each where it was given.

    Checked when the settings are read, for every command, so that ``diagrams_dir = "."``
    is refused before anything runs, not when ``render`` is about to replace the folder.
    """
    problems: list[Problem] = []

    def report(key: str, message: str) -> None:
        problems.append(config.setting_problem(key, message))

    owned: tuple[tuple[str, Kind], ...] = (("diagrams_dir", "diagrams"), ("cache_dir", "cache"))
    for key, kind in owned:
        # As written (not resolved), so that a symlink out of the repository is seen.
        given = config.root / str(getattr(config.settings, key))
        why = placement(given, kind, config.folders)
        if why is not None:
            shown_folder = display_path(given)
            report(key, f"refusing to use {shown_folder} as adrgen's {kind} folder: {why}")
    for key in ("decisions_dir", "templates_dir"):
        folder = getattr(config, key)
        why = config.reads.why_not(folder) if folder.exists() else None
        if why is None and not folder.is_relative_to(config.root):
            why = "is outside the repository"
        if why is not None:
            report(key, f"{display_path(folder)} cannot be read: it {why}")
    return problems


def _table(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _problems(exc: ValidationError, shown: str, text: str) -> list[Problem]:
    """The model's errors in the project's words, each at its key's line."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        loc = ["import" if part == "import_" else part for part in loc]
        nested = (error.get("ctx") or {}).get("error")
        if isinstance(nested, _Nested):
            pairs = [([*loc, key], message) for key, message in nested.problems]
        else:
            pairs = [(loc, _message(error, loc))]
        for where, message in pairs:
            key = ".".join(where)
            problems.append(Problem(shown, _key_line(text, key), 1, key, message))
    return problems


def _message(error: Mapping[str, Any], loc: list[str]) -> str:
    if error["type"] == "extra_forbidden":
        tables: dict[str, type[BaseModel]] = {"renderer": RendererConfig, "import": ImportSettings}
        model: type[BaseModel] = Settings
        for part in loc[:-1]:
            model = tables.get(part, model)
        known = sorted(f.alias or name for name, f in model.model_fields.items())
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown setting; known: {', '.join(known)}{hint}"
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and "error" in context:
        return str(context["error"])
    return str(error["msg"])


def _key_line(text: str, key: str) -> int:
    """The line where a (possibly dotted) key is set; tomllib keeps no positions.

    A key the file does not set (a required companion, say) is placed at the header of the
    deepest table of its path that the file has, else at the top.
    """
    *tables, name = key.split(".")
    current = ""
    headers: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped.strip("[]").strip().removeprefix("tool.adrgen").strip(".")
            headers.setdefault(current, number)
        elif current == ".".join(tables) and re.match(
            rf"""["']?{re.escape(name)}["']?\s*=""", stripped
        ):
            return number
    parts = [*tables, name]
    for depth in range(len(parts), 0, -1):
        header = headers.get(".".join(parts[:depth]))
        if header is not None:
            return header
    return 1
