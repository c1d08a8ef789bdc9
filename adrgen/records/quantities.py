"""Numbers with units, as authors write them: ``30 s``, ``1000``, ``3-4 weeks``.

Records keep these human-readable in YAML; this module parses them into structured values
(and formats them back the same way), so the load model can compute with them and pages can
compare them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Units of time a requirement may carry, in seconds.
TIME_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}

#: Units a time *estimate* (effort) may use, singular → plural.
EFFORT_UNITS: dict[str, str] = {
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "sprint": "sprints",
    "month": "months",
}
_EFFORT_ALIASES = {**{u: u for u in EFFORT_UNITS}, **{p: s for s, p in EFFORT_UNITS.items()}}

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_QUANTITY = re.compile(rf"^\s*(?P<value>{_NUMBER})\s*(?P<unit>[A-Za-z/%][A-Za-z/% ]*?)?\s*$")
_ESTIMATE = re.compile(
    rf"^\s*(?P<min>{_NUMBER})\s*(?:(?:-|–|to)\s*(?P<max>{_NUMBER}))?\s*(?P<unit>[A-Za-z]+)\s*$"
)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Quantity:
    """A number, optionally with a unit (``1000``, ``30 s``, ``100 req/s``)."""

    value: float
    unit: str = ""

    @classmethod
    def parse(cls, raw: object) -> Quantity:
        """Parse a YAML value: a bare number, or a string of a number and a unit."""
        if isinstance(raw, bool):
            raise ValueError("expected a number, optionally with a unit, like 1000 or '30 s'")
        if isinstance(raw, (int, float)):
            if not math.isfinite(raw):
                raise ValueError("the number must be finite")
            return cls(float(raw))
        if isinstance(raw, str):
            match = _QUANTITY.match(raw)
            if match:
                return cls(float(match["value"]), (match["unit"] or "").strip())
        raise ValueError(f"{raw!r} is not a number with an optional unit, like 1000 or '30 s'")

    @property
    def seconds(self) -> float | None:
        """The value in seconds when the unit is a unit of time, else ``None``."""
        factor = TIME_UNITS.get(self.unit.lower())
        return None if factor is None else self.value * factor

    def compact(self) -> str:
        """The value with a unit symbol glued on (``30s``) or a word spaced (``1000 users``)."""
        number = _number_text(self.value)
        if not self.unit:
            return number
        glue = "" if len(self.unit) <= 3 and self.unit.isalpha() else " "
        return f"{number}{glue}{self.unit}"

    def __str__(self) -> str:
        number = _number_text(self.value)
        return f"{number} {self.unit}" if self.unit else number


@dataclass(frozen=True)
class TimeEstimate:
    """An effort estimate: ``1 week`` or ``3-4 weeks`` → min, max and unit."""

    min: float
    max: float
    unit: str  # singular: hour, day, week, sprint, month

    @classmethod
    def parse(cls, raw: object) -> TimeEstimate:
        """Parse ``"1 week"``, ``"3-4 weeks"``, ``"2 to 3 days"``."""
        text = raw if isinstance(raw, str) else ""
        match = _ESTIMATE.match(text)
        if not match:
            raise ValueError(
                f"{raw!r} is not a time estimate like '1 week' or '3-4 weeks' "
                f"(units: {', '.join(EFFORT_UNITS)})"
            )
        unit = _EFFORT_ALIASES.get(match["unit"].lower())
        if unit is None:
            raise ValueError(
                f"unknown unit {match['unit']!r} in time estimate; use one of: "
                + ", ".join(EFFORT_UNITS)
            )
        low = float(match["min"])
        high = float(match["max"]) if match["max"] else low
        if high < low:
            raise ValueError(f"the range {raw!r} runs backwards: the larger number goes second")
        if high <= 0:
            raise ValueError("a time estimate must be more than zero")
        return cls(low, high, unit)

    def in_weeks(self) -> tuple[float, float]:
        """Both ends converted to working weeks, for comparing options."""
        per_week = {"hour": 1 / 40, "day": 1 / 5, "week": 1.0, "sprint": 2.0, "month": 52 / 12}
        factor = per_week[self.unit]
        return self.min * factor, self.max * factor

    def __str__(self) -> str:
        unit = self.unit if self.max == 1 else EFFORT_UNITS[self.unit]
        if self.min == self.max:
            return f"{_number_text(self.min)} {unit}"
        return f"{_number_text(self.min)}-{_number_text(self.max)} {unit}"


def format_rate(value: float) -> str:
    """Round a computed figure for people: 33.3 → ``33``, 3.33 → ``3.3``, 0.0333 → ``0.033``."""
    if value >= 10:
        return f"{round(value):,}".replace(",", "")
    if value == 0:
        return "0"
    digits = max(0, 1 - math.floor(math.log10(abs(value))))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")
