"""pyproject.toml declares exactly the third-party packages adrgen imports.

The core's dependencies are what ``adrgen/`` imports outside the appendix; the ``appendix``
extra is what ``adrgen/appendix/`` imports on top of those. A package that is needed but
never imported is named below with the reason, so the lists cannot drift either way.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "adrgen"
APPENDIX = PACKAGE / "appendix"

#: Import names whose distribution is named otherwise.
DISTRIBUTIONS = {
    "yaml": "pyyaml",
    "ruamel": "ruamel.yaml",
    "markdown_it": "markdown-it-py",
    "flask_limiter": "flask-limiter",
    "psycopg_pool": "psycopg-pool",
}
#: Needed at run time, never imported.
NOT_IMPORTED = {
    # MkDocs loads the `material` theme and its `tags` plugin by name from mkdocs.yml.
    "dependencies": {"mkdocs-material"},
    # The WSGI server the appendix's documentation runs it under (a command).
    "appendix": {"gunicorn"},
}


def normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Flask_Limiter`` → ``flask-limiter``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported(files: list[Path]) -> set[str]:
    """The distributions of the third-party top-level modules the files import."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    third_party = names - set(sys.stdlib_module_names) - {"__future__", "adrgen"}
    return {normalise(DISTRIBUTIONS.get(name, name)) for name in third_party}


def declared(requirements: list[str]) -> set[str]:
    """The distribution names of requirement strings (extras, versions and markers dropped)."""
    found = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, requirement
        found.add(normalise(match[1]))
    return found


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {"dependencies": data["dependencies"], **data["optional-dependencies"]}


def test_core_declares_what_it_imports() -> None:
    core = [p for p in PACKAGE.rglob("*.py") if APPENDIX not in p.parents]
    expected = imported(core) | NOT_IMPORTED["dependencies"]
    assert declared(project()["dependencies"]) == expected


def test_appendix_extra_declares_what_only_the_appendix_imports() -> None:
    requirements = project()
    core = declared(requirements["dependencies"])
    expected = (imported(list(APPENDIX.rglob("*.py"))) - core) | NOT_IMPORTED["appendix"]
    assert declared(requirements["appendix"]) == expected


def test_the_import_parser_sees_imports_of_every_kind(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import os, yaml\nimport ruamel.yaml\nfrom markdown_it import MarkdownIt\n"
        "from . import sibling\nfrom adrgen import cli\n"
        "def f():\n    import jinja2\n",
        encoding="utf-8",
    )
    assert imported([source]) == {"pyyaml", "ruamel-yaml", "markdown-it-py", "jinja2"}
