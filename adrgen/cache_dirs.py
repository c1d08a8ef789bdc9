"""Where adrgen keeps what it can compute again: the user's cache folder.

Compiled templates and the versions of PlantUML installations seen before live here, not in
a docs repository: they belong to the machine, and deleting them only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/adrgen``, or ``~/.cache/adrgen`` when the variable is unset or empty.

    Read on every call, not once at import, so a test or a caller that sets
    ``XDG_CACHE_HOME`` is obeyed. Nothing is created here: each user makes its own subfolder.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "adrgen"
