"""Jinja environments for adrgen's templates, and where templates are found.

Templates are looked up by name in the project's own ``templates/`` folder first, then in the
defaults that ship with adrgen, so a docs repository overrides any template by writing a file
of the same name. Every environment is sandboxed: a project's templates are trusted to lay
out pages, not to reach into Python.

Record text is only ever *data* passed to a template, never template source, so Jinja syntax
inside a record (``{{ 7*7 }}``) is printed as written and never evaluated.

Templates get data, not objects that do I/O (:class:`DataSandbox`): no attribute that is a
path, and no method but the pure ones of plain values and of adrgen's own data classes;
and a template is loaded only from inside its folder, after resolving symlinks
(:class:`FolderLoader`), so ``{% include %}`` cannot follow a link out of ``templates/``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from markupsafe import Markup

from adrgen import __version__
from adrgen.cache_dirs import user_cache_dir
from adrgen.diagrams import escape as plantuml_escape
from adrgen.errors import TemplateError, display_path


def default_templates_dir() -> Path:
    """The templates that ship with adrgen.

    In a wheel they sit inside the package; in a source checkout (an editable install) they
    are the repository's top-level ``templates/``, which is what the wheel is built from.
    """
    package = Path(__file__).resolve().parent
    inside = package / "templates"
    return inside if inside.is_dir() else package.parent / "templates"


def template_search_path(project_templates: Path | None = None) -> tuple[str, ...]:
    """The folders templates are looked up in, the project's own first.

    Public so other template environments (the site's pages) and watchers (``mkdocs serve``)
    use the same lookup as the diagrams.
    """
    dirs = []
    if project_templates is not None and project_templates.is_dir():
        dirs.append(str(project_templates))
    default = str(default_templates_dir())
    if default not in dirs:
        dirs.append(default)
    return tuple(dirs)


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates, kept between runs; trouble with the folder only costs a compile."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Load, or leave the bucket empty (Jinja then compiles the template)."""
        try:
            super().load_bytecode(bucket)
        except Exception:  # a damaged file: Jinja checks its header and source checksum too
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Store atomically (Jinja writes beside, then renames), or not at all."""
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache(kind: str) -> jinja2.BytecodeCache | None:
    """Where an environment keeps its compiled templates: the user cache, one folder per
    environment kind and adrgen version (compiled code depends on the environment's settings).

    Compiling adrgen's templates costs every process about 60 ms (a no-op ``adrgen build``
    of 50 records takes 2.5 s); Jinja reuses the compiled code while the template's source,
    which it checksums, is unchanged.
    """
    folder = user_cache_dir() / "templates" / f"{kind}-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


#: Values whose (non-mutating) methods a template may call: ``name.upper()``,
#: ``requirements.items()``. Mutating ones (``list.append``) are refused by the immutable
#: sandbox.
_PLAIN: tuple[type, ...] = (str, int, float, bool, type(None), list, tuple, dict, set)
_PLAIN += (frozenset, Markup, datetime.date, datetime.datetime, datetime.timedelta)


class DataSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to data.

    The plain sandbox lets a template call any public method of any object it is handed:
    a ``pathlib.Path`` (``decision.source.joinpath("x").write_text(…)``) would read and
    write files. Here a template may read attributes, call the methods of plain values and
    the methods adrgen's own data classes define (``decision.option("x")``), and nothing
    else; a path never reaches it as a path.
    """

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Whether a template may read ``obj.attr`` (whose value is ``value``)."""
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, os.PathLike) or isinstance(value, os.PathLike):
            return False
        if callable(value) and not isinstance(obj, _PLAIN):
            return _adrgen_method(obj, attr)
        return True


#: Packages whose classes' own methods a template may call: adrgen's data classes (pure
#: look-ups such as ``Decision.option``), and Jinja's runtime objects (``loop.cycle``).
_METHOD_OWNERS = frozenset({"adrgen", "jinja2"})


def _adrgen_method(obj: Any, attr: str) -> bool:
    """Whether ``obj.attr`` is a method that a class of :data:`_METHOD_OWNERS` defines, not
    one inherited from a library (pydantic's ``model_copy``, ``model_validate``…)."""
    for klass in type(obj).__mro__:
        if attr in vars(klass):
            return klass.__module__.split(".", 1)[0] in _METHOD_OWNERS
    return False


class FolderLoader(jinja2.FileSystemLoader):
    """Templates by name from the first folder that has them, never from outside it.

    A name cannot climb (``../x``: Jinja refuses it), and a file that is a symlink, or
    lies below one, must resolve inside the folder it was found in: a link from
    ``templates/`` to ``/etc/passwd`` or to ``.git/config`` is refused.
    """

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, its file, and whether it is still current."""
        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = os.path.join(folder, *pieces)
            if not os.path.isfile(candidate):
                continue
            real, inside = os.path.realpath(candidate), os.path.realpath(folder)
            if not real.startswith(inside.rstrip(os.sep) + os.sep):
                raise TemplateError(
                    f"{display_path(candidate)}: template not read: it is a symlink to "
                    f"{display_path(real)}, outside {display_path(folder)}/"
                )
            return super().get_source(environment, template)
        raise jinja2.TemplateNotFound(template)


def sandboxed_environment(
    search_path: Sequence[str],
    *,
    cache_kind: str | None = None,
    finalize: Callable[[Any], Any] | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> SandboxedEnvironment:
    """A sandboxed environment over the folders of ``search_path``, first match winning.

    Every adrgen environment lays text out the same way: undefined names are errors, block
    tags leave no blank lines, and a template's final newline is kept. ``finalize`` is how
    the output format escapes what a template prints (PlantUML, Markdown); autoescape stays
    off because none of the formats is HTML. ``cache_kind`` names the folder of compiled
    templates (see :func:`bytecode_cache`); ``None`` compiles in memory only.
    """
    env = DataSandbox(
        loader=FolderLoader(list(search_path)),
        bytecode_cache=bytecode_cache(cache_kind) if cache_kind else None,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters or {})
    return env


@lru_cache(maxsize=8)
def _diagram_environment(search_path: tuple[str, ...]) -> SandboxedEnvironment:
    # Escaping is the default for every {{ }} in a diagram template; fixed syntax is marked
    # with the `raw` filter. See adrgen.diagrams.escape.
    return sandboxed_environment(
        search_path,
        cache_kind="diagrams",
        finalize=plantuml_escape.finalize,
        filters={"raw": plantuml_escape.raw, "block": plantuml_escape.escape_block},
    )


def diagram_environment(project_templates: Path | None = None) -> SandboxedEnvironment:
    """The (cached, compiled-once) environment for ``.puml`` templates."""
    return _diagram_environment(template_search_path(project_templates))


def _yaml_scalar(value: object) -> str:
    """A YAML scalar for a template: JSON strings are valid YAML and need no thought."""
    return json.dumps(value, ensure_ascii=False)


def authoring_environment() -> SandboxedEnvironment:
    """The environment for the files ``new`` and ``init`` write, with a ``yaml`` filter.

    Only adrgen's own templates: what these commands write is part of adrgen's contract (a
    record that validates, a workflow that runs), not a project's layout.
    """
    return sandboxed_environment((str(default_templates_dir()),), filters={"yaml": _yaml_scalar})


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render a template by name, turning Jinja failures into :class:`TemplateError`."""
    try:
        template = env.get_template(name)
        return template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or name
        raise TemplateError(
            f"{where}:{exc.lineno}:1: template syntax error: {exc.message}"
        ) from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template {name!r} not found in {env.loader.searchpath}") from None  # type: ignore[union-attr]
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{name}: template error: {exc}") from None


def templates_stamp(search_path: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Every template file of ``search_path`` with its mtime: what a memo of rendered text
    keys on, so that an edited template makes everything drawn from it again."""
    stamp: list[tuple[str, int]] = []
    for folder in search_path:
        for path in sorted(Path(folder).rglob("*")):
            try:
                if path.is_file():
                    stamp.append((str(path), path.stat().st_mtime_ns))
            except OSError:
                continue
    return tuple(stamp)
