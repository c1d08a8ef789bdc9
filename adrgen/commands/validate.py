"""``adrgen validate``: load and check the records, reporting every problem at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adrgen.config import Config
from adrgen.records.collect import discover_records, load_decisions


@dataclass(frozen=True)
class Validated:
    """How many records were checked, and how many the repository holds."""

    checked: int
    in_repository: int


def validate(config: Config, paths: Sequence[Path] = ()) -> Validated:
    """Check ``paths`` (default: every record); raise :class:`~adrgen.errors.ValidationFailed`.

    The links are checked against the whole repository even when ``paths`` names a few
    records, since a link's other end may be in any of them.
    """
    decisions = load_decisions(config, list(paths) or None)
    checked = len(paths) if paths else len(discover_records(config.decisions_dir))
    return Validated(checked=checked, in_repository=len(decisions))
