"""A docs repository as an attacker with a pull request would write it, and the secrets a CI
job has in reach: what the walls must keep out of everything adrgen writes.

Every payload is a hand-written page (or a record) of its own, so each fails alone and the
tests can say which wall stopped which. The secrets are planted where a CI job has them:

* the environment (``ADRGEN_WALL_SECRET``);
* ``.git/config``, which holds the token of a CI checkout (``extraheader = AUTHORIZATION``);
* a file outside the repository, and an SVG there with a script;
* a file that ``.gitignore`` ignores (made on the build machine, never committed).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENV_SECRET = "env-secret-7Q2xWm"
GIT_SECRET = "git-secret-K9vPz4"
FILE_SECRET = "file-secret-R3nTb8"
IGNORED_SECRET = "ignored-secret-H5cLq1"
SVG_SECRET = "svg-secret-D8fYw6"
RECORD_SECRET = "record-secret-M2kJs7"
SECRETS = (ENV_SECRET, GIT_SECRET, FILE_SECRET, IGNORED_SECRET, SVG_SECRET, RECORD_SECRET)

MKDOCS = """\
site_name: Walls
docs_dir: decisions
theme:
  name: material
  font: false
plugins:
  - search
  - adrgen:
      section: ""
      pages: [index]
"""

GOOD_RECORD = """\
title: A good decision
status: accepted
date: 2024-01-01
context: |
  Drawn as usual:

  ```plantuml
  Alice -> Bob : fine
  ```
options:
  - id: keep
    name: Keep it
    components:
      - {id: api, kind: service, label: API}
outcome:
  chosen: keep
"""

#: A record whose Markdown field carries the page payloads' worst: a continued include, a
#: continued %getenv, and a definition that builds a link scheme.
HOSTILE_RECORD = """\
title: A hostile decision
status: proposed
date: 2024-01-02
context: |
  First block:

  ```plantuml
  !inc\\
  lude /tmp/../proc/self/environ
  ```

  Second block:

  ```plantuml
  A -> B : %get\\
  env("ADRGEN_WALL_SECRET")
  ```

  Third block:

  ```plantuml
  !$s = "javascript"
  class X [[$s:alert(1)]]
  ```
options:
  - id: keep
    name: Keep it
outcome:
  chosen: keep
"""

#: name → the body of the one ```plantuml block of a hand-written page. ``{outside}`` is the
#: folder beside the repository that holds the outside secrets, as an absolute path: PlantUML
#: reads a path relative to its own working folder, adrgen relative to the page, and an
#: absolute one is the same file for both.
BLOCKS: dict[str, str] = {
    # Line continuation: PlantUML joins a line ending in one backslash with the next.
    "continued-include": "!inc\\\nlude {outside}/secret.txt\nA -> B",
    "three-line-include": "!in\\\nclu\\\nde {outside}/secret.txt\nA -> B",
    "continued-getenv": 'A -> B : %get\\\nenv("ADRGEN_WALL_SECRET")',
    "continued-link": "class X [[java\\\nscript:alert(1)]]",
    "continued-end": "A -> B : one\n@end\\\numl\nC -> D : two",
    # .git and files outside, through every kind of include.
    "git-config": "!include ../.git/config\nA -> B",
    "git-includesub": "!includesub ../.git/config!X\nA -> B",
    "include-many": "!include_many {outside}/secret.txt\nA -> B",
    "includesub-outside": "!includesub {outside}/sub.puml!S\nA -> B",
    "ignored-include": "!include ../secrets/token.puml\nA -> B",
    "symlink-chain": "!include parts/chain1.puml\nA -> B",
    # Hidden from a line-by-line check, seen by PlantUML.
    "bom-include": "\ufeff!include {outside}/secret.txt\nA -> B",
    "comment-include": "/'x'/!include {outside}/secret.txt\nA -> B",
    # The preprocessor building a link scheme or a file read.
    "function-scheme": (
        '!function $s()\n!return "javascript:alert(1)"\n!endfunction\nclass X [[$s()]]'
    ),
    "variable-scheme": '!$s = "javascript"\nclass X [[$s:alert(1)]]',
    "define-scheme": "!define S javascript\nclass X [[S:alert(1)]]",
    "tab-scheme": "class X [[java\tscript:alert(1)]]",
    "call-user-func": 'A -> B : %call_user_func("%get" + "env", "ADRGEN_WALL_SECRET")',
    "lowered-img": 'A -> B : <%lower("IMG"):{outside}/evil.svg>',
    # Pictures and sprites read from outside (1.2020 pastes an SVG in raw, script and all).
    "sprite-outside": "sprite $s {outside}/evil.svg\nA -> B : <$s>",
    "img-outside": "A -> B : <img:{outside}/evil.svg>",
    # Reaching out: 1.2020's checkversion connects to any host and port.
    "checkversion": "checkversion(proxy=127.0.0.1,port=9)",
    "pragma-trace": "!pragma svek_trace on\nclass A\nclass B\nA --> B",
}
#: name → the fence options of a page whose block names its source file.
SOURCES: dict[str, str] = {
    "git-source": 'source="../.git/config"',
    "cr-source": 'source="parts/cr.puml"',
}


@dataclass(frozen=True)
class Hostile:
    """A hostile docs repository, and where its secrets are."""

    root: Path
    outside: Path

    @property
    def env(self) -> dict[str, str]:
        """The build's environment: the secret in it, as a CI job has its tokens."""
        return {**os.environ, "ADRGEN_WALL_SECRET": ENV_SECRET, "NO_COLOR": "1"}


def write(path: Path, text: str | bytes) -> Path:
    """Write a file, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def hostile_repository(base: Path) -> Hostile:
    """Write the hostile repository under ``base/repo``, its outside world beside it."""
    outside = base / "outside"
    root = base / "repo"
    write(outside / "secret.txt", f"A -> B : {FILE_SECRET}\n")
    write(outside / "sub.puml", f"!startsub S\nA -> B : {FILE_SECRET}\n!endsub\n")
    write(
        outside / "evil.svg",
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        f"<text y='15'>{SVG_SECRET}</text><script>alert(1)</script></svg>\n",
    )
    write(outside / "0009-linked.yaml", f"title: {RECORD_SECRET}\nstatus: {RECORD_SECRET}\n")
    (outside / "pages").mkdir(parents=True, exist_ok=True)
    write(outside / "pages" / "leak.md", f"# Leak\n\n{FILE_SECRET}\n")

    subprocess.run(["git", "init", "-q", str(root)], check=True)
    with (root / ".git" / "config").open("a", encoding="utf-8") as config:
        config.write(
            f'[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic {GIT_SECRET}\n'
        )
    write(root / ".gitignore", "site/\n.adrgen-cache/\nsecrets/\ncredentials.txt\n")
    write(root / "secrets" / "token.puml", f"A -> B : {IGNORED_SECRET}\n")
    write(root / "decisions" / "credentials.txt", f"{IGNORED_SECRET}\n")
    write(root / "mkdocs.yml", MKDOCS)
    write(root / "decisions" / "0001-good.yaml", GOOD_RECORD)
    write(root / "decisions" / "0002-hostile.yaml", HOSTILE_RECORD)
    write(root / "decisions" / "good.md", "# Good\n\n```plantuml\nAlice -> Bob : hello\n```\n")
    for name, body in BLOCKS.items():
        body = body.replace("{outside}", str(outside))
        write(root / "decisions" / f"{name}.md", f"# {name}\n\n```plantuml\n{body}\n```\n")
    for name, options in SOURCES.items():
        write(root / "decisions" / f"{name}.md", f"# {name}\n\n```plantuml {options}\n```\n")
    # A lone carriage return, which 1.2020's -pipe reader deletes: `!include` again.
    write(
        root / "decisions" / "parts" / "cr.puml",
        b"!inc\rlude " + bytes(outside / "secret.txt") + b"\n",
    )
    # Nested symlinks: a chain whose last link leaves the repository.
    os.symlink("chain2.puml", root / "decisions" / "parts" / "chain1.puml")
    os.symlink(outside / "secret.txt", root / "decisions" / "parts" / "chain2.puml")
    # Symlinks published as assets: the build's environment, a file and a folder outside.
    os.symlink("/proc/self/environ", root / "decisions" / "environ.txt")
    os.symlink("/proc/self/environ", root / "decisions" / "environ.svg")
    os.symlink(outside / "secret.txt", root / "decisions" / "secret.txt")
    os.symlink(outside / "pages", root / "decisions" / "linked")
    # A record that is a symlink out of the repository: read, its values would be quoted.
    os.symlink(outside / "0009-linked.yaml", root / "decisions" / "0009-linked.yaml")
    # A symlink inside the repository is fine.
    write(root / "shared" / "ok.puml", "Carol -> Dave : shared\n")
    os.symlink("../../shared/ok.puml", root / "decisions" / "parts" / "ok.puml")
    write(
        root / "decisions" / "inside-link.md", "# In\n\n```plantuml\n!include parts/ok.puml\n```\n"
    )
    return Hostile(root, outside)


def leaks(hostile: Hostile) -> list[str]:
    """Every file adrgen may have written (the repository but ``.git/`` and the files that
    hold a secret by design, plus the user cache) that holds a secret: ``path: secret``.

    Symlinks are not followed: the planted links hold secrets by design, and a wall that
    works leaves them out of everything written.
    """
    planted = {
        hostile.root / "secrets" / "token.puml",
        hostile.root / "decisions" / "credentials.txt",
    }
    found = []
    for folder, dirs, files in os.walk(hostile.root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d != ".git" and not (here / d).is_symlink()]
        for name in files:
            path = here / name
            if path.is_symlink() or path in planted:
                continue
            data = path.read_bytes()
            found += [
                f"{path.relative_to(hostile.root)}: {s}" for s in SECRETS if s.encode() in data
            ]
    return sorted(found)
