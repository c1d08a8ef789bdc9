"""``adrgen schema``: the JSON Schema of the record format, with the project's statuses."""

from __future__ import annotations

import json

from adrgen.config import Config
from adrgen.records.format import record_json_schema


def schema(config: Config) -> str:
    """The schema as JSON text (keys sorted, so the committed file only changes with it)."""
    return json.dumps(record_json_schema(config.rules), indent=2, sort_keys=True)
