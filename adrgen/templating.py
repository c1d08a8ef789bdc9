"""Jinja environments for adrgen's templates, and where templates are found.

Templates are looked up by name in the project's own ``templates/`` folder first, then in the
defaults that ship with adrgen, so a docs repository overrides any template by writing a file
of the same name. Every environment is sandboxed: a project's templates are trusted to lay
out pages, not to reach into Python.

Record text is only ever *data* passed to a template, never template source, so Jinja syntax
inside a record (``{{ 7*7 }}``) is printed as written and never evaluated.
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from adrgen import __version__
from adrgen.diagrams import escape as plantuml_escape
from adrgen.errors import TemplateError


def default_templates_dir() -> Path:
    """The templates that ship with adrgen.

    In a wheel they sit inside the package; in a source checkout (an editable install) they
    are the repository's top-level ``templates/``, which is what the wheel is built from.
    """
    package = Path(__file__).resolve().parent
    inside = package / "templates"
    return inside if inside.is_dir() else package.parent / "templates"


def _search_path(project_templates: Path | None) -> tuple[str, ...]:
    dirs = []
    if project_templates is not None and project_templates.is_dir():
        dirs.append(str(project_templates))
    default = str(default_templates_dir())
    if default not in dirs:
        dirs.append(default)
    return tuple(dirs)


def template_search_path(project_templates: Path | None = None) -> tuple[str, ...]:
    """The folders templates are looked up in, the project's own first.

    Public so other template environments (the site's pages) and watchers (``mkdocs serve``)
    use the same lookup as the diagrams.
    """
    return _search_path(project_templates)


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
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    folder = Path(base) / "adrgen" / "templates" / f"{kind}-{__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


@lru_cache(maxsize=8)
def _diagram_environment(search_path: tuple[str, ...]) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(list(search_path)),
        bytecode_cache=bytecode_cache("diagrams"),
        undefined=jinja2.StrictUndefined,
        # Escaping is the default for every {{ }} in a diagram template; fixed syntax is
        # marked with the `raw` filter. See adrgen.diagrams.escape.
        finalize=plantuml_escape.finalize,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["raw"] = plantuml_escape.raw
    env.filters["block"] = plantuml_escape.escape_block
    return env


def diagram_environment(project_templates: Path | None = None) -> SandboxedEnvironment:
    """The (cached, compiled-once) environment for ``.puml`` templates."""
    return _diagram_environment(_search_path(project_templates))


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


def template_files(env: jinja2.Environment, names: list[str]) -> list[Path]:
    """The files that back the named templates (for staleness checks and live reload)."""
    files = []
    for name in names:
        try:
            source = env.get_template(name).filename
        except jinja2.TemplateError:
            continue
        if source:
            files.append(Path(source))
    return files
