"""``adrgen build`` and ``adrgen serve``: the site, built by MkDocs with the adrgen plugin,
or by Zensical (``builder = "zensical"``, see :mod:`adrgen.site.zensical`).

``build`` runs MkDocs in-process into a private folder under ``.adrgen-cache/`` and then
swaps it into ``site/`` whole (:func:`adrgen.output.replace_dir`), so ``site/`` is always
either the previous complete site or the new one; a failed build leaves it untouched. The
plugin renders ``diagrams/`` as part of the same build, so one run does render + site.

``--pages-only DIR`` skips MkDocs and writes the generated docs folder instead
(:func:`adrgen.pipeline.write_pages`), for builders that read ``mkdocs.yml`` but run no MkDocs
plugins (Zensical).

This module is a front end: unlike :mod:`adrgen.site.pages` it imports MkDocs.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adrgen.config import Config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import ConfigError, OutputError, SiteBuildFailed, display_path
from adrgen.output import recover, replace_dir, repository_lock
from adrgen.pipeline import write_pages
from adrgen.site.nav import DEFAULT_TITLE, OPTIONAL_PAGES, SiteLayout
from adrgen.site.pages import SiteContent

MKDOCS_FILE = "mkdocs.yml"


@dataclass(frozen=True)
class BuiltSite:
    """What ``adrgen build`` made: where the site is, and what the pipeline did."""

    path: Path
    #: ``7 decision(s), 8 diagram(s): 1 rendered, 7 reused (PlantUML 1.2026.8)``.
    summary: str
    #: Diagrams and Markdown blocks PlantUML could not draw (their pages say so).
    failures: int


@contextmanager
def mkdocs_logging(level: int = logging.INFO) -> Iterator[None]:
    """Show MkDocs' log lines on stderr the way ``mkdocs`` itself prints them."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    handler.setLevel(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level, logging.INFO))
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def mkdocs_file(config: Config, config_file: Path | None = None) -> Path:
    """The MkDocs configuration to use; a clear error when there is none."""
    path = config_file or config.root / MKDOCS_FILE
    if not path.is_file():
        raise ConfigError(
            f"{display_path(path)} not found: the site needs an mkdocs.yml with "
            "`docs_dir: decisions` and `plugins: [search, tags, adrgen]` (see `adrgen init`)"
        )
    return path


def _load_mkdocs(path: Path, **overrides: Any) -> Any:
    from mkdocs.config import load_config as load_mkdocs_config
    from mkdocs.exceptions import ConfigurationError

    try:
        return load_mkdocs_config(config_file=str(path), **overrides)
    except (ConfigurationError, SystemExit) as exc:
        raise ConfigError(f"{display_path(path)}:1:1: {exc}") from None


def site_layout(config: Config, config_file: Path | None = None) -> SiteLayout:
    """Where the project's mkdocs.yml puts adrgen's pages (its adrgen plugin options, and
    ``use_directory_urls``); MkDocs' defaults without one."""
    path = config_file or config.root / MKDOCS_FILE
    if not path.is_file():
        return SiteLayout()
    mk = _load_mkdocs(path)
    plugin = mk["plugins"].get("adrgen")
    options = plugin.config if plugin is not None else None
    return SiteLayout(
        section=options.section if options is not None else "decisions/",
        pages=tuple(options.pages) if options is not None else OPTIONAL_PAGES,
        use_directory_urls=bool(mk["use_directory_urls"]),
        title=options.nav_title if options is not None else DEFAULT_TITLE,
    )


def build_site(
    config: Config,
    *,
    config_file: Path | None = None,
    site_dir: Path | None = None,
    strict: bool = False,
    renderer: str | None = None,
    progress: Progress | None = None,
    builder: str | None = None,
) -> BuiltSite:
    """Render diagrams and build the site with MkDocs, then swap it into place atomically.

    ``progress`` is told ``(done, total)`` as the PlantUML batch's diagrams come back. A
    diagram PlantUML cannot draw does not stop the build (its page shows the error; MkDocs
    logs a warning, which ``strict`` turns into a failure). ``builder`` (default: the
    project's ``builder`` setting) may be ``"zensical"``: the same pages, built by Zensical.
    Raises :class:`AdrgenError` on any failure, leaving the previous site as it was.
    """
    path = mkdocs_file(config, config_file)
    if (builder or config.builder) == "zensical":
        from adrgen.site import zensical

        built = zensical.build(
            config, path, site_dir=site_dir, strict=strict, renderer=renderer, progress=progress
        )
        summary = f"{len(built.content.decisions)} decision(s), {built.content.render.summary()}"
        return BuiltSite(built.path, summary, len(built.content.failures))
    mk = _load_mkdocs(path, strict=strict)
    plugins = mk["plugins"]
    if "adrgen" not in plugins:
        raise ConfigError(
            f"{display_path(path)}: the adrgen plugin is not enabled; add it: "
            "plugins: [search, tags, adrgen] (or use `adrgen build --pages-only DIR`)"
        )
    # The CLI's --root and --renderer reach the plugin through its own options.
    plugin = plugins["adrgen"]
    plugin.config.root = str(config.root)
    if renderer:
        plugin.config.renderer = renderer
    plugin.progress = progress
    target = (site_dir or Path(mk["site_dir"])).resolve()
    check_site_target(config, target)
    # One build at a time per repository: a second one fails at once with a clear message
    # instead of racing this one for diagrams/ and site/.
    with repository_lock(config.cache_dir):
        path = _build_locked(mk, plugins, config, target)
    content = plugin.content
    if content is None:  # pragma: no cover - the plugin ran, or the build raised
        return BuiltSite(path, "", 0)
    summary = f"{len(content.decisions)} decision(s), {content.render.summary()}"
    return BuiltSite(path, summary, len(content.failures))


def check_site_target(config: Config, target: Path) -> None:
    """Refuse to build a site over the project or any of its sources."""
    for protected in (config.root, config.decisions_dir, config.diagrams_dir, config.templates_dir):
        if target == protected.resolve() or protected.resolve().is_relative_to(target):
            raise OutputError(f"refusing to build the site into {display_path(target)}")


def _build_locked(mk: Any, plugins: Any, config: Config, target: Path) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    _remove_stale_staging(config.cache_dir)
    staging = config.cache_dir / f"site-build-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    mk["site_dir"] = str(staging)
    try:
        plugins.on_startup(command="build", dirty=False)
        try:
            build(mk)
        except MkDocsException as exc:
            # MkDocs has already logged the cause (e.g. the plugin's problems, one per line).
            raise SiteBuildFailed(
                f"the site was not built ({exc.format_message()}); "
                f"{display_path(target)} was left as it was"
            ) from None
        finally:
            plugins.on_shutdown()
        files: dict[str, bytes | Path] = {
            p.relative_to(staging).as_posix(): p for p in sorted(staging.rglob("*")) if p.is_file()
        }
        recover(target)
        replace_dir(target, files, keep_dotfiles=False)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _remove_stale_staging(cache_dir: Path) -> None:
    """Delete build folders left by runs that were killed (their process is gone)."""
    for leftover in cache_dir.glob("site-build-*"):
        try:
            pid = int(leftover.name.rsplit("-", 1)[1])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue  # not ours to judge, or still running


def build_pages(config: Config, target: Path, *, config_file: Path | None = None) -> SiteContent:
    """``--pages-only``: write the generated docs folder for a plugin-less builder."""
    return write_pages(config, target, layout=site_layout(config, config_file))


def serve_site(
    config: Config,
    *,
    config_file: Path | None = None,
    dev_addr: str | None = None,
    renderer: str | None = None,
    open_in_browser: bool = False,
    builder: str | None = None,
) -> None:
    """Run ``mkdocs serve`` on the project, or ``zensical serve`` on the docs folder adrgen
    keeps up to date for it (``builder``; default: the project's setting). Blocks until
    interrupted."""
    path = mkdocs_file(config, config_file)
    if (builder or config.builder) == "zensical":
        from adrgen.site import zensical

        zensical.serve(
            config, path, dev_addr=dev_addr, renderer=renderer, open_in_browser=open_in_browser
        )
        return

    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    if renderer:
        # serve() reloads mkdocs.yml on every rebuild; the environment reaches each reload.
        os.environ["ADRGEN_RENDERER"] = renderer
    # Dirty builds render only the pages an edit changed; adrgen's preview keeps the
    # navigation, the tags listings and the search index whole (adrgen.site.preview), so
    # MkDocs' warning that dirty builds may be inaccurate does not apply and is not shown.
    build_log = logging.getLogger("mkdocs.commands.build")
    build_log.addFilter(_not_the_dirty_warning)
    try:
        serve(
            config_file=str(path),
            dev_addr=dev_addr,
            open_in_browser=open_in_browser,
            build_type="dirty",
        )
    except MkDocsException as exc:
        raise SiteBuildFailed(f"mkdocs serve stopped: {exc.format_message()}") from None
    finally:
        build_log.removeFilter(_not_the_dirty_warning)


def _not_the_dirty_warning(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("A 'dirty' build is being performed")
