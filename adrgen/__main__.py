"""``python -m adrgen``: the same as the ``adrgen`` command."""

from __future__ import annotations

import sys

from adrgen.cli import main

sys.exit(main())
