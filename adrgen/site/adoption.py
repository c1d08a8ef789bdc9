"""What a repository adopting adrgen has already: Markdown ADRs, a docs CI, a publisher.

``adrgen init`` looks before it writes (:func:`survey`):

* **Markdown ADRs** (:func:`find_markdown_adrs`), in the usual ADR folders (``doc/adr``,
  ``docs/decisions``…) or anywhere in the docs folder, told from index, README and template
  pages by :func:`adrgen.importer.recognise.collect`. Where there are some, init writes no
  sample record (its 0001 would take the number of their first ADR) and suggests
  ``adrgen import --migrate FOLDER`` instead.
* **How the docs are installed**: the requirements file the docs use, or else the step of
  their docs workflow that pip-installs MkDocs. The adrgen plugin joins it
  (:func:`add_requirement`, :func:`add_to_pip_step`): their ``mkdocs.yml`` now names the
  plugin, so their own docs build fails without it.
* **What the site builds with**: the packages of the theme, plugins and Markdown extensions
  that ``mkdocs.yml`` names (:func:`site_packages`), for the workflow init writes when no
  requirements file says it.
* **Who publishes the site**: a workflow step running ``mkdocs gh-deploy`` (or ``mike
  deploy --push``), or using a Pages deploy action, or a Read the Docs configuration. Then
  the workflow init writes only checks and builds: a second publisher would fight the first.

Nothing here writes: edits come back as :class:`~adrgen.site.wiring.Wiring` records (old
and new text), made by inserting text, never by re-writing the file. Every file read is
read under the repository's read policy (:mod:`adrgen.walls.reads`).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from adrgen.errors import AdrgenError, display_path
from adrgen.importer.recognise import collect
from adrgen.site.wiring import Wiring, plugin_names, read_text, split_lines
from adrgen.walls.reads import ReadPolicy

__all__ = [
    "AdrFolder",
    "Survey",
    "add_requirement",
    "add_to_pip_step",
    "find_markdown_adrs",
    "site_packages",
    "survey",
]

#: Where ADR tools and templates put ADRs (adr-tools, MADR, log4brains, the ADR GitHub
#: organisation's advice), relative to the repository; the docs folder's own are added.
ADR_FOLDERS = (
    "doc/adr",
    "doc/adrs",
    "doc/decisions",
    "doc/architecture/decisions",
    "docs/adr",
    "docs/adrs",
    "docs/decisions",
    "docs/architecture/decisions",
    "docs/architecture/adr",
    "architecture/decisions",
    "adr",
    "adrs",
    "decisions",
)
#: Folders of a docs tree never searched for ADRs (installed packages, caches, a build).
_NEVER_ADRS = frozenset({"node_modules", "__pycache__", "venv"})
#: An ADR's file name: a number of three digits or more, or ``adr-`` and a number.
_ADR_NAME = re.compile(r"^(?:adr[-_]?\d+|\d{3,})[-_ .]\w", re.IGNORECASE)
#: A folder whose name says it holds decisions.
_ADR_FOLDER_WORD = re.compile(r"(?:^|[-_ ])(?:adrs?|decisions?|architecture)(?:$|[-_ ])", re.I)
#: Headings (or front matter keys) of an ADR: MADR's and Nygard's sections.
_ADR_HEADING = re.compile(
    r"^(?:\s{0,3}#{1,6}\s*(?P<heading>status|context(?: and problem statement)?|decision"
    r"(?: outcome| drivers)?|consequences|considered options)\b|status:)",
    re.IGNORECASE | re.MULTILINE,
)

#: The names a docs requirements file goes by, relative to the repository.
REQUIREMENTS_NAMES = (
    "docs/requirements.txt",
    "doc/requirements.txt",
    "requirements-docs.txt",
    "requirements_docs.txt",
    "docs-requirements.txt",
    "docs_requirements.txt",
    "requirements/docs.txt",
    "requirements/documentation.txt",
)
#: Actions that publish a site (to GitHub Pages or a branch of it).
PUBLISH_ACTIONS = (
    "actions/deploy-pages",
    "peaceiris/actions-gh-pages",
    "JamesIves/github-pages-deploy-action",
    "mhausenblas/mkdocs-deploy-gh-pages",
)
READTHEDOCS_FILES = (".readthedocs.yaml", ".readthedocs.yml")

#: MkDocs plugins' packages, for those not installed beside adrgen (installed ones are
#: found by their ``mkdocs.plugins`` entry point). ``None``: comes with MkDocs.
PLUGIN_PACKAGES: dict[str, str | None] = {
    "search": None,
    "tags": "mkdocs-material",
    "blog": "mkdocs-material",
    "offline": "mkdocs-material",
    "privacy": "mkdocs-material",
    "meta": "mkdocs-material",
    "info": "mkdocs-material",
    "group": "mkdocs-material",
    "typeset": "mkdocs-material",
    "projects": "mkdocs-material",
    "social": "mkdocs-material[imaging]",
    "optimize": "mkdocs-material[imaging]",
    "awesome-pages": "mkdocs-awesome-pages-plugin",
    "awesome-nav": "mkdocs-awesome-nav",
    "exclude": "mkdocs-exclude",
    "exclude-search": "mkdocs-exclude-search",
    "glightbox": "mkdocs-glightbox",
    "git-revision-date-localized": "mkdocs-git-revision-date-localized-plugin",
    "git-committers": "mkdocs-git-committers-plugin-2",
    "git-authors": "mkdocs-git-authors-plugin",
    "print-site": "mkdocs-print-site-plugin",
    "mermaid2": "mkdocs-mermaid2-plugin",
    "redirects": "mkdocs-redirects",
    "macros": "mkdocs-macros-plugin",
    "minify": "mkdocs-minify-plugin",
    "minify_html": "mkdocs-minify-html-plugin",
    "literate-nav": "mkdocs-literate-nav",
    "section-index": "mkdocs-section-index",
    "gen-files": "mkdocs-gen-files",
    "mkdocstrings": "mkdocstrings",
    "autorefs": "mkdocs-autorefs",
    "include-markdown": "mkdocs-include-markdown-plugin",
    "htmlproofer": "mkdocs-htmlproofer-plugin",
    "i18n": "mkdocs-static-i18n",
    "rss": "mkdocs-rss-plugin",
    "with-pdf": "mkdocs-with-pdf",
    "pdf-export": "mkdocs-pdf-export-plugin",
    "table-reader": "mkdocs-table-reader-plugin",
    "monorepo": "mkdocs-monorepo-plugin",
    "enumerate-headings": "mkdocs-enumerate-headings-plugin",
    "drawio": "mkdocs-drawio",
    "kroki": "mkdocs-kroki-plugin",
    "swagger-ui-tag": "mkdocs-swagger-ui-tag",
    "open-in-new-tab": "mkdocs-open-in-new-tab",
    "mkdocs-video": "mkdocs-video",
    "techdocs-core": "mkdocs-techdocs-core",
}
#: Themes' packages (installed ones are found by their ``mkdocs.themes`` entry point).
THEME_PACKAGES: dict[str, str | None] = {
    "mkdocs": None,
    "readthedocs": None,
    "material": "mkdocs-material",
}
#: Markdown extensions' packages by top-level module (installed ones are found by module).
EXTENSION_PACKAGES: dict[str, str | None] = {
    "markdown": None,
    "pymdownx": "pymdown-extensions",
    "material": "mkdocs-material",
    "mdx_truly_sane_lists": "mdx-truly-sane-lists",
    "markdown_include": "markdown-include",
    "plantuml_markdown": "plantuml-markdown",
}
#: Python-Markdown's own extensions, by their short names.
BUILTIN_EXTENSIONS = frozenset(
    [
        "abbr",
        "admonition",
        "attr_list",
        "codehilite",
        "def_list",
        "extra",
        "fenced_code",
        "footnotes",
        "legacy_attrs",
        "legacy_em",
        "md_in_html",
        "meta",
        "nl2br",
        "sane_lists",
        "smarty",
        "tables",
        "toc",
        "wikilinks",
    ]
)
#: Plugins that read the git history: the workflow's checkout must fetch all of it (a
#: shallow clone makes git-revision-date-localized warn, which fails a strict build).
HISTORY_PLUGINS = frozenset({"git-revision-date-localized", "git-committers", "git-authors"})

_PIP_INSTALL = re.compile(
    r"(?:^|(?<=[\s;&|(]))(?:(?:python3?(?:\.\d+)?|py)\s+-m\s+)?(?:uv\s+)?pip3?\s+install\b"
)
_MKDOCS_RUN = re.compile(r"(?:^|(?<=[\s;&|(]))(?:python3?\s+-m\s+)?mkdocs\s+(build|gh-deploy)\b")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
#: pip options that take a value (the token after them is not a package).
_PIP_VALUE_OPTIONS = frozenset(
    [
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--target",
        "-t",
        "--prefix",
        "--root",
        "--python-version",
        "--platform",
        "--only-binary",
        "--no-binary",
        "--progress-bar",
        "--src",
        "--upgrade-strategy",
        "--cache-dir",
        "--log",
    ]
)
_PYTHON_VERSION = re.compile(r"^(?:\d+(?:\.\d+){0,2}(?:\.x)?|pypy\d(?:\.\d+)?)$")


def canonical(name: str) -> str:
    """A package name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _canonical_name(requirement: str) -> str:
    """The canonical name of a requirement (``mkdocs-material[imaging]>=9`` → its name)."""
    match = _NAME.match(requirement)
    return canonical(match.group(0)) if match else requirement


# ---------------------------------------------------------------------------------------
# Markdown ADRs


@dataclass(frozen=True)
class AdrFolder:
    """A folder of Markdown ADRs: its path in the repository and the ADRs' file names."""

    folder: str
    files: tuple[str, ...]


def find_markdown_adrs(root: Path, docs_dir: Path | None) -> list[AdrFolder]:
    """The folders of ``root`` that hold Markdown ADRs, by path.

    In a usual ADR folder every Markdown file that :func:`collect` takes for a record is an
    ADR; elsewhere in the docs folder, a file is one when it is named like one
    (``0007-use-postgresql.md``) and its folder's name or its headings say so (numbered
    tutorial chapters are not decisions).
    """
    root = root.resolve()
    policy = ReadPolicy.for_root(root)
    folders: dict[Path, bool] = {}  # folder → a usual ADR folder
    for relative in ADR_FOLDERS:
        folder = root / relative
        if folder.is_dir() and policy.readable(folder):
            folders[folder.resolve()] = True
    if docs_dir is not None and docs_dir.is_dir() and docs_dir.resolve().is_relative_to(root):
        for where, subfolders, names in os.walk(docs_dir):
            here = Path(where)
            subfolders[:] = sorted(
                name
                for name in subfolders
                if not name.startswith(".")
                and name not in _NEVER_ADRS
                and policy.readable(here / name)
            )
            if any(
                Path(name).suffix.lower() in (".md", ".markdown") and _ADR_NAME.match(name)
                for name in names
            ):
                folders.setdefault(here.resolve(), False)
    found: list[AdrFolder] = []
    for folder, usual in sorted(folders.items()):
        try:
            files = collect([folder])
        except AdrgenError:
            continue
        adrs = tuple(
            item.path.name
            for item in files
            if not item.skip_kind
            and (usual or (_ADR_NAME.match(item.path.name) and _says_adr(folder, item.path)))
        )
        if adrs:
            found.append(AdrFolder(folder.relative_to(root).as_posix(), adrs))
    return found


def _says_adr(folder: Path, path: Path) -> bool:
    if any(_ADR_FOLDER_WORD.search(part) for part in folder.parts[-2:]):
        return True
    try:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            head = handle.read(65536)
    except OSError:
        return False
    return len({m.group(0).strip("# \t").lower() for m in _ADR_HEADING.finditer(head)}) >= 2


# ---------------------------------------------------------------------------------------
# Workflows


@dataclass
class Step:
    """One step of a workflow job: its command or action, and its node (with positions)."""

    job: str
    node: CommentedMap
    run: str
    uses: str
    #: Where its commands run, relative to the repository (``""``: the root).
    working_directory: str


@dataclass
class Workflow:
    """A GitHub Actions workflow of the repository, read round trip."""

    path: Path
    text: str
    data: CommentedMap
    steps: list[Step]

    @property
    def builds_docs(self) -> bool:
        """Whether it builds or installs MkDocs."""
        return any(
            _MKDOCS_RUN.search(step.run) or "mkdocs" in step.uses.lower() or _pip_mkdocs(step)
            for step in self.steps
        )


def read_workflows(root: Path, *, skip: Iterable[Path] = ()) -> list[Workflow]:
    """The repository's workflows (``.github/workflows/*.yml``) but those in ``skip``; one
    that cannot be read as YAML is left out."""
    policy = ReadPolicy.for_root(root)
    skipped = {path.resolve() for path in skip}
    folder = root / ".github" / "workflows"
    workflows: list[Workflow] = []
    if not folder.is_dir():
        return workflows
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        if path.resolve() in skipped or not path.is_file() or not policy.readable(path):
            continue
        try:
            text = read_text(path)
            data = YAML().load(text)
        except (OSError, UnicodeDecodeError, YAMLError):
            continue
        if isinstance(data, CommentedMap):
            workflows.append(Workflow(path, text, data, _steps(data)))
    return workflows


def _steps(data: CommentedMap) -> list[Step]:
    steps: list[Step] = []
    jobs = data.get("jobs")
    top = _working_directory(data)
    if not isinstance(jobs, dict):
        return steps
    for job_id, job in jobs.items():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        in_job = _working_directory(job) or top
        for node in job["steps"]:
            if not isinstance(node, CommentedMap):
                continue
            run = node.get("run")
            uses = node.get("uses")
            where = node.get("working-directory")
            steps.append(
                Step(
                    str(job_id),
                    node,
                    run if isinstance(run, str) else "",
                    uses if isinstance(uses, str) else "",
                    where if isinstance(where, str) else in_job,
                )
            )
    return steps


def _working_directory(node: Any) -> str:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    where = run.get("working-directory") if isinstance(run, dict) else None
    return where if isinstance(where, str) else ""


def _publishes(workflow: Workflow) -> str | None:
    """How the workflow publishes a site, in words, or None."""
    for step in workflow.steps:
        if re.search(r"\bmkdocs\s+gh-deploy\b", step.run):
            return "mkdocs gh-deploy"
        if re.search(r"\bmike\s+deploy\b[^\n]*--push", step.run):
            return "mike deploy --push"
        action = step.uses.split("@", 1)[0]
        if any(action.lower() == known.lower() for known in PUBLISH_ACTIONS):
            return action
    return None


@dataclass
class PipCommand:
    """A ``pip install`` in a step's ``run``: where it ends, and what it installs."""

    #: The line of ``run`` where the command's arguments end, and the column there.
    line: int
    column: int
    requirements: list[str]
    packages: list[str]


def pip_commands(run: str) -> list[PipCommand]:
    """Every ``pip install`` command of a shell script (a ``\\`` at the end of a line
    continues a command on the next)."""
    lines = run.split("\n")
    commands: list[PipCommand] = []
    index, offset = 0, 0
    while index < len(lines):
        match = _PIP_INSTALL.search(lines[index], offset)
        if match is None:
            index, offset = index + 1, 0
            continue
        start = match.end()
        arguments: list[str] = []
        line = index
        while True:
            end, continued = _command_end(lines[line], start)
            segment = lines[line][start:end]
            arguments.append(segment)
            column = start + len(segment.rstrip())
            if not continued or line + 1 >= len(lines):
                break
            line += 1
            start = 0
        try:
            tokens = shlex.split(" ".join(arguments))
        except ValueError:
            tokens = []
        requirements, packages = _pip_arguments(tokens)
        commands.append(PipCommand(line, column, requirements, packages))
        index, offset = line, max(end, column)
    return commands


def _command_end(text: str, start: int) -> tuple[int, bool]:
    """Where the command that goes on at ``text[start:]`` ends on this line (at a shell
    operator or comment outside quotes, or the line's end, before a ``\\`` that continues
    it), and whether it goes on on the next line."""
    quote = ""
    index = start
    while index < len(text):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                index += 1
        elif char in "'\"":
            quote = char
        elif char == "\\":
            if not text[index + 1 :].strip():
                return index, True
            index += 1
        elif char in ";|&<>)" or (char == "#" and index > 0 and text[index - 1].isspace()):
            return index, False
        index += 1
    return len(text), False


def _pip_arguments(tokens: list[str]) -> tuple[list[str], list[str]]:
    requirements: list[str] = []
    packages: list[str] = []
    value_of = ""
    for token in tokens:
        if value_of:
            if value_of in ("-r", "--requirement"):
                requirements.append(token)
            value_of = ""
            continue
        if token in _PIP_VALUE_OPTIONS:
            value_of = token
        elif token.startswith("--requirement="):
            requirements.append(token.partition("=")[2])
        elif token.startswith("-r") and len(token) > 2:
            requirements.append(token[2:])
        elif not token.startswith("-") and "$" not in token and _NAME.match(token):
            packages.append(token)
    return requirements, packages


def _is_mkdocs_package(token: str) -> bool:
    name = _NAME.match(token)
    return (
        name is not None and re.fullmatch(r"mkdocs(?:-.+)?", canonical(name.group(0))) is not None
    )


def _pip_mkdocs(step: Step) -> PipCommand | None:
    """The step's ``pip install`` that names an MkDocs package, if any."""
    for command in pip_commands(step.run):
        if any(_is_mkdocs_package(p) for p in command.packages):
            return command
    return None


# ---------------------------------------------------------------------------------------
# Requirements files


def requirement_names(text: str) -> list[str]:
    """The canonical names of the packages a requirements file lists."""
    names: list[str] = []
    for line in text.splitlines():
        stripped = line.split(" #", 1)[0].strip()
        if not stripped or stripped.startswith(("#", "-")):
            continue
        match = _NAME.match(stripped)
        if match:
            names.append(canonical(match.group(0)))
    return names


def _lists_mkdocs(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(_is_mkdocs_package(name) for name in requirement_names(text))


def find_requirements(
    root: Path, docs_dir: Path | None, workflows: list[Workflow], *, pip_step: bool
) -> Path | None:
    """The requirements file the docs are installed from, or None.

    In order: one that a docs workflow installs (``pip install -r``) and that lists MkDocs;
    one with a docs requirements name (``docs/requirements.txt``…); another that lists
    MkDocs (``requirements*.txt``); and, when no step pip-installs MkDocs by name, any that a
    docs workflow installs.
    """
    policy = ReadPolicy.for_root(root)

    def usable(path: Path) -> bool:
        return (
            path.is_file()
            and path.resolve().is_relative_to(root.resolve())
            and policy.readable(path)
        )

    referenced: list[Path] = []
    for workflow in workflows:
        for step in workflow.steps:
            for command in pip_commands(step.run):
                for name in command.requirements:
                    path = root / step.working_directory / name
                    if usable(path) and path not in referenced:
                        referenced.append(path)
    for name in _readthedocs_requirements(root):
        path = root / name
        if usable(path) and path not in referenced:
            referenced.append(path)
    for path in referenced:
        if _lists_mkdocs(path):
            return path
    names = list(REQUIREMENTS_NAMES)
    if docs_dir is not None and docs_dir.resolve().is_relative_to(root.resolve()):
        names.append(
            docs_dir.resolve().relative_to(root.resolve()).joinpath("requirements.txt").as_posix()
        )
    for name in names:
        if usable(root / name):
            return root / name
    others = [*root.glob("*requirements*.txt"), *(root / "requirements").glob("*.txt")]
    if docs_dir is not None:
        others.extend(docs_dir.glob("*requirements*.txt"))
    for path in sorted(others):
        if usable(path) and _lists_mkdocs(path):
            return path
    if not pip_step and referenced:
        return referenced[0]
    return None


def _readthedocs_requirements(root: Path) -> list[str]:
    """The requirements files a Read the Docs configuration installs."""
    for name in READTHEDOCS_FILES:
        path = root / name
        if not path.is_file() or not ReadPolicy.for_root(root).readable(path):
            continue
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError):
            return []
        python = data.get("python") if isinstance(data, dict) else None
        install = python.get("install") if isinstance(python, dict) else None
        return [
            item["requirements"]
            for item in install or []
            if isinstance(item, dict) and isinstance(item.get("requirements"), str)
        ]
    return []


def add_requirement(path: Path) -> Wiring:
    """The edit that adds an ``adrgen`` line to a requirements file, the rest kept byte for
    byte; no edit (and a note) where a line cannot be added safely: a file with hashes, or
    one compiled from a ``.in`` file (whose ``.in`` gets the line instead)."""
    before = read_text(path)
    shown = display_path(path)
    if "adrgen" in requirement_names(before):
        return Wiring(path, before, before)
    if re.search(r"autogenerated by (?:pip-compile|uv)", before, re.IGNORECASE):
        source = path.with_suffix(".in")
        if source.is_file() and ReadPolicy.for_root(path.parent).readable(source):
            edit = add_requirement(source)
            if edit.changed:
                edit.notes.append(
                    f"{shown} is compiled from {display_path(source)}: compile it again "
                    "so that it lists adrgen"
                )
            return edit
        return Wiring(
            path,
            before,
            before,
            notes=[f"{shown} is generated (pip-compile): add adrgen to its source yourself"],
        )
    if "--hash" in before:
        return Wiring(
            path,
            before,
            before,
            notes=[f"{shown} pins hashes: add adrgen with its hashes yourself"],
        )
    newline = "\r\n" if "\r\n" in before else "\n"
    prefix = before if not before or before.endswith("\n") else before + newline
    after = f"{prefix}adrgen{newline}"
    return Wiring(path, before, after, ["added adrgen (the docs build now needs its plugin)"])


# ---------------------------------------------------------------------------------------
# A workflow's pip install step


def add_to_pip_step(workflow: Workflow, step: Step) -> Wiring:
    """The edit that adds ``adrgen`` to the step's ``pip install`` of MkDocs: the text
    `` adrgen`` inserted after the command's last argument, every other byte of the workflow
    kept. No edit (and a note) when the command cannot be found as written (a folded or
    escaped scalar), as re-writing the file with a YAML library would change it elsewhere."""
    before = workflow.text
    shown = display_path(workflow.path)
    give_up = Wiring(
        workflow.path,
        before,
        before,
        notes=[f"{shown}: add adrgen to the step of job {step.job} that installs MkDocs"],
    )
    command = _pip_mkdocs(step)
    run = step.node.get("run")
    if command is None or not isinstance(run, str) or isinstance(run, FoldedScalarString):
        return give_up
    if any(canonical(p) == "adrgen" for p in command.packages):
        return Wiring(workflow.path, before, before)
    run_lines = run.split("\n")
    target = run_lines[command.line][: command.column]
    lines = split_lines(before)
    value_line, value_col = (int(n) for n in step.node.lc.value("run"))
    if isinstance(run, LiteralScalarString):
        # The value's position is the ``|`` indicator; the script starts on the next line,
        # each of its lines at the end of a line of the file (after the block's indent).
        number = value_line + 1 + command.line
        if number >= len(lines):
            return give_up
        text = lines[number]
        where = len(text.rstrip("\r\n")) - len(run_lines[command.line])
    elif "\n" not in run:
        number = value_line
        text = lines[number]
        where = text.find(target, value_col)
        if where not in (value_col, value_col + 1):  # plain, or inside a quote
            return give_up
    else:
        return give_up
    if where < 0 or not text[where:].startswith(target):
        return give_up
    cut = where + len(target)
    lines[number] = f"{text[:cut]} adrgen{text[cut:]}"
    after = "".join(lines)
    new_line = f"{target} adrgen{run_lines[command.line][command.column :]}"
    expected_run = "\n".join([*run_lines[: command.line], new_line, *run_lines[command.line + 1 :]])
    try:
        reread = YAML().load(after)
    except YAMLError:
        return give_up
    if _plain(reread) != _plain(workflow.data, replace=(step.node, expected_run)):
        return give_up
    return Wiring(
        workflow.path,
        before,
        after,
        [f"job {step.job}: added adrgen to `{target.strip()}` (the docs build needs its plugin)"],
    )


def _plain(node: Any, replace: tuple[Any, str] | None = None) -> Any:
    if isinstance(node, dict):
        out = {str(k): _plain(v, replace) for k, v in node.items()}
        if replace is not None and node is replace[0]:
            out["run"] = replace[1]
        return out
    if isinstance(node, list):
        return [_plain(v, replace) for v in node]
    return node if not isinstance(node, str) else str(node)


# ---------------------------------------------------------------------------------------
# What the site builds with


def _entry_point_packages(group: str) -> dict[str, str]:
    packages: dict[str, str] = {}
    try:
        for entry in importlib.metadata.entry_points(group=group):
            dist = getattr(entry, "dist", None)
            if dist is not None and dist.name:
                packages.setdefault(entry.name, dist.name)
    except Exception:
        return packages
    return packages


def _theme_name(config: CommentedMap) -> str | None:
    theme = config.get("theme")
    if isinstance(theme, dict):
        theme = theme.get("name")
    return theme if isinstance(theme, str) else None


def _extension_names(config: CommentedMap) -> list[str]:
    extensions = config.get("markdown_extensions")
    names: list[str] = []
    if isinstance(extensions, dict):
        return [str(name) for name in extensions]
    if isinstance(extensions, list):
        for entry in extensions:
            if isinstance(entry, dict) and len(entry) == 1:
                names.append(str(next(iter(entry))))
            elif isinstance(entry, str):
                names.append(entry)
    return names


def site_packages(config: CommentedMap) -> tuple[list[str], list[str]]:
    """The packages a site's theme, plugins and Markdown extensions come from (without
    MkDocs and adrgen), and the names whose package is not known (left for the user to add).

    Installed packages answer first (their ``mkdocs.plugins`` and ``mkdocs.themes`` entry
    points, their modules); a table of common ones covers the rest. A name no one knows is
    never guessed into a package name.
    """
    packages: list[str] = []
    unknown: list[str] = []

    def add(package: str | None) -> None:
        if package and canonical(package) not in {"mkdocs", "adrgen"} and package not in packages:
            packages.append(package)

    theme = _theme_name(config)
    if theme is not None:
        themes = _entry_point_packages("mkdocs.themes")
        if theme in THEME_PACKAGES:
            add(THEME_PACKAGES[theme])
        elif theme in themes:
            add(themes[theme])
        else:
            unknown.append(f"theme {theme}")
    installed = _entry_point_packages("mkdocs.plugins")
    for name in plugin_names(config):
        short = name.removeprefix("material/")
        if name == "adrgen":
            continue
        if short in PLUGIN_PACKAGES:
            add(PLUGIN_PACKAGES[short] if name == short else "mkdocs-material")
        elif name in installed:
            add(installed[name])
        else:
            unknown.append(f"plugin {name}")
    try:
        modules = importlib.metadata.packages_distributions()
    except Exception:
        modules = {}
    for name in _extension_names(config):
        top = name.split(".", 1)[0]
        if name in BUILTIN_EXTENSIONS or top == "markdown":
            continue
        if top in EXTENSION_PACKAGES:
            add(EXTENSION_PACKAGES[top])
        elif modules.get(top):
            add(modules[top][0])
        else:
            unknown.append(f"Markdown extension {name}")
    if "mkdocs-material" in packages:
        packages = [p for p in packages if p != "pymdown-extensions"]  # Material requires it
    return packages, unknown


# ---------------------------------------------------------------------------------------
# The survey


@dataclass
class Survey:
    """What init found in the repository, and what follows for the workflow it writes."""

    adrs: list[AdrFolder] = field(default_factory=list)
    #: The site's docs folder (``docs/`` when there is no site).
    docs_dir: Path | None = None
    #: The workflows that build or install the docs (never the one init writes).
    docs_workflows: list[Workflow] = field(default_factory=list)
    #: Who publishes the site already, in words (``.github/workflows/docs.yml (mkdocs
    #: gh-deploy)``).
    publishers: list[str] = field(default_factory=list)
    requirements: Path | None = None
    #: The docs workflow step that pip-installs MkDocs by name, when there is no
    #: requirements file.
    pip_step: tuple[Workflow, Step] | None = None
    strict: bool = False
    python_version: str | None = None
    plugins: list[str] = field(default_factory=list)
    #: The packages the site needs besides adrgen (when no requirements file lists them).
    packages: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def history(self) -> bool:
        """Whether a plugin reads the git history (the checkout must fetch it all)."""
        return any(name in HISTORY_PLUGINS for name in self.plugins)


def survey(
    root: Path,
    site_config: CommentedMap | None,
    *,
    docs_dir: Path | None,
    skip_workflows: Iterable[Path] = (),
) -> Survey:
    """Look at ``root`` the way :mod:`adrgen.commands.init` needs: its Markdown ADRs, the
    docs' CI and requirements, who publishes the site, and what the site builds with."""
    found = Survey(adrs=find_markdown_adrs(root, docs_dir), docs_dir=docs_dir)
    workflows = read_workflows(root, skip=skip_workflows)
    for workflow in workflows:
        how = _publishes(workflow)
        if how is not None:
            found.publishers.append(f"{workflow.path.relative_to(root).as_posix()} ({how})")
    if site_config is None:
        return found
    found.docs_workflows = [w for w in workflows if w.builds_docs]
    for name in READTHEDOCS_FILES:
        if (root / name).is_file():
            found.publishers.append(f"Read the Docs ({name})")
    for workflow in found.docs_workflows:
        for step in workflow.steps:
            if found.pip_step is None and _pip_mkdocs(step) is not None:
                found.pip_step = (workflow, step)
            if re.search(r"\bmkdocs\s+(?:build|gh-deploy)\b[^\n]*\s(?:--strict|-s)\b", step.run):
                found.strict = True
            version = (
                step.node.get("with", {}).get("python-version")
                if "setup-python" in step.uses
                else None
            )
            if (
                found.python_version is None
                and version is not None
                and _PYTHON_VERSION.match(str(version))
            ):
                found.python_version = str(version)
    if site_config.get("strict") is True:
        found.strict = True
    found.requirements = find_requirements(
        root, docs_dir, found.docs_workflows, pip_step=found.pip_step is not None
    )
    found.plugins = plugin_names(site_config)
    mapped, found.unknown = site_packages(site_config)
    # What their own step installs first (their pins build their site), then the packages
    # of the plugins it does not name.
    command = _pip_mkdocs(found.pip_step[1]) if found.pip_step is not None else None
    theirs = [p for p in (command.packages if command else []) if _canonical_name(p) != "adrgen"]
    named = {_canonical_name(p) for p in theirs}
    found.packages = [*theirs, *(p for p in mapped if _canonical_name(p) not in named)]
    return found
