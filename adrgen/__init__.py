"""adrgen: architecture decision records in YAML, rendered to PlantUML and MkDocs."""

from __future__ import annotations

__version__ = "0.1.0"
