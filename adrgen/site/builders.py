"""MkDocs as the builder, for ``adrgen build`` and ``adrgen serve`` (:mod:`adrgen.commands`).

:func:`build_into` runs MkDocs in-process into a private folder under ``.adrgen-cache/``
and then swaps it into ``site/`` whole (:func:`adrgen.output.replace_dir`), so ``site/`` is
always either the previous complete site or the new one; a failed build leaves it
untouched. The plugin renders ``diagrams/`` as part of the same build, so one run does
render + site. :func:`mkdocs_serve` runs ``mkdocs serve`` with the dirty builds that
:mod:`adrgen.site.preview` keeps correct. Zensical is :mod:`adrgen.site.zensical`.

This module imports MkDocs: unlike :mod:`adrgen.site.pages`, it is a front end's.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from adrgen.config import Config
from adrgen.diagrams.renderer import Progress
from adrgen.errors import ConfigError, SiteBuildFailed, display_path
from adrgen.output import recover, replace_dir
from adrgen.site.nav import DEFAULT_TITLE, OPTIONAL_PAGES, SiteLayout
from adrgen.site.plugin import AdrgenPlugin
from adrgen.walls.owned import check_placement, claim, marker

MKDOCS_FILE = "mkdocs.yml"


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


def load_mkdocs(path: Path, **overrides: Any) -> Any:
    """The MkDocs configuration at ``path``; its errors as a :class:`ConfigError`."""
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
    mk = load_mkdocs(path)
    plugin = mk["plugins"].get("adrgen")
    options = plugin.config if plugin is not None else None
    return SiteLayout(
        section=options.section if options is not None else "decisions/",
        pages=tuple(options.pages) if options is not None else OPTIONAL_PAGES,
        use_directory_urls=bool(mk["use_directory_urls"]),
        title=options.nav_title if options is not None else DEFAULT_TITLE,
    )


def adrgen_plugin(
    mk: Any, path: Path, config: Config, *, renderer: str | None, progress: Progress | None
) -> AdrgenPlugin:
    """The loaded configuration's adrgen plugin, given the CLI's ``--root``, ``--renderer``
    and progress bar (they reach it through its own options); a clear error without one."""
    plugins = mk["plugins"]
    if "adrgen" not in plugins:
        raise ConfigError(
            f"{display_path(path)}: the adrgen plugin is not enabled; add it: "
            "plugins: [search, tags, adrgen] (or use `adrgen build --pages-only DIR`)"
        )
    plugin: AdrgenPlugin = plugins["adrgen"]
    plugin.config.root = str(config.root)
    if renderer:
        plugin.config.renderer = renderer
    plugin.progress = progress
    return plugin


def check_site_target(config: Config, target: Path, named: str, docs_dir: Path | None) -> None:
    """Refuse a site folder that adrgen does not own (:mod:`adrgen.walls.owned`): the
    project, ``.git``, the records, templates or docs folder, or a folder of someone
    else's files. ``named`` says where it was given (``--site-dir``, ``mkdocs.yml: site_dir``)."""
    folders = dataclasses.replace(config.folders, docs=docs_dir.resolve() if docs_dir else None)
    check_placement(target, "site", folders, named)
    claim(target, "site", named)


def publish_site(staging: Path, target: Path, named: str) -> None:
    """Swap the built site in ``staging`` into ``target`` whole, with adrgen's marker, once
    ``target`` is still adrgen's to replace."""
    files: dict[str, bytes | Path] = {
        p.relative_to(staging).as_posix(): p for p in sorted(staging.rglob("*")) if p.is_file()
    }
    name, text = marker("site")
    files[name] = text
    recover(target)
    claim(target, "site", named)
    replace_dir(target, files, keep_dotfiles=False)


def build_into(mk: Any, config: Config, target: Path, named: str) -> None:
    """Build with MkDocs into a private staging folder, then swap it into ``target`` whole;
    a failed build leaves ``target`` as it was. The caller holds the repository lock."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    _remove_stale_staging(config.cache_dir)
    staging = config.cache_dir / f"site-build-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    mk["site_dir"] = str(staging)
    try:
        plugins = mk["plugins"]
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
        publish_site(staging, target, named)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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


def mkdocs_serve(
    path: Path, *, dev_addr: str | None, renderer: str | None, open_in_browser: bool
) -> None:
    """Run ``mkdocs serve`` with dirty builds until interrupted."""
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
