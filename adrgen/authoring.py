"""What ``new``, ``init`` and ``import`` share when they write records.

A record's file name (:func:`record_file_name`), its schema header, ruamel.yaml set up to
edit a record without losing its comments, and :func:`problems_if_written`: the folder
validated as it would be, before any file is written, so a refused command changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from ruamel.yaml import YAML

from adrgen.errors import Problem, display_path
from adrgen.records.collect import discover_records, load_documents
from adrgen.records.format import RecordRules
from adrgen.records.loader import DEFAULT_MAX_BYTES, load_text
from adrgen.records.validate import build_decision_set
from adrgen.walls.reads import ReadPolicy

SCHEMA_PATH = Path("schema") / "adr.schema.json"
#: The longest slug in a record's file name. 60 characters keep ``NNNN-slug.yaml`` whole in
#: a directory listing and a pull request's file list; a longer title is cut at a word.
SLUG_LIMIT = 60


def slugify(title: str, *, limit: int = SLUG_LIMIT) -> str:
    """``"Use PostgreSQL (not MySQL)!"`` → ``use-postgresql-not-mysql``."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "decision"


def record_file_name(number: int, title: str) -> str:
    """``NNNN-slug.yaml``: the one naming rule, so ``new`` and ``import`` agree on a title."""
    return f"{number:04d}-{slugify(title)}.yaml"


def schema_header(decisions_dir: Path, root: Path) -> str:
    """The ``# yaml-language-server: $schema=…`` line for a record in ``decisions_dir``."""
    relative = Path("..") / SCHEMA_PATH
    try:
        depth = len(decisions_dir.resolve().relative_to(root.resolve()).parts)
        relative = Path(*([".."] * depth)) / SCHEMA_PATH
    except ValueError:
        pass
    return f"# yaml-language-server: $schema={relative.as_posix()}\n"


def round_trip_yaml() -> YAML:
    """ruamel.yaml in round-trip mode, laid out like adrgen's own records."""
    yaml = YAML()  # round-trip mode: comments, order and quoting survive an edit
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def problems_if_written(
    decisions_dir: Path,
    writes: Mapping[Path, str],
    rules: RecordRules,
    *,
    reads: ReadPolicy,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[Problem]:
    """The problems writing ``writes`` (path → YAML text) would leave in the folder.

    Those are every problem in a file that would be written, and any problem elsewhere that
    the folder does not have now: an unrelated broken record is ``validate``'s business, not
    the writer's. Raises :class:`~adrgen.errors.ValidationFailed` when a text is not YAML.

    Estimates are not required here, whatever the project says: a new or imported record
    states none yet, and its writer tells the author what is left to do instead.
    """
    existing, _ = load_documents(discover_records(decisions_dir), max_bytes, reads=reads)
    planned = [load_text(text, path) for path, text in writes.items()]
    rules = dataclasses.replace(rules, require_estimates=False)
    _, before = build_decision_set(existing, rules)
    kept = [document for document in existing if document.path not in writes]
    _, after = build_decision_set([*kept, *planned], rules)
    ours = {display_path(path) for path in writes}
    known = set(before)
    return sorted({p for p in after if p.path in ours or p not in known})
