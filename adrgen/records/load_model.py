"""The load model: what an option costs at the required scale, computed, never typed.

Polling at interval T by N clients gives N / T requests per second (1000 users every 30 s is
33 req/s); persistent connections give N open connections. With a known ``capacity`` the figure
is also assessed ("trivial" below a tenth of it), so a bottom note can say what the seed said
without anyone typing the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adrgen.records.format import LoadModel
from adrgen.records.quantities import Quantity, format_rate


class LoadModelError(ValueError):
    """A load model that cannot be computed; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


#: Share of capacity → word. Ordered; the first bound the utilisation stays under wins.
ASSESSMENTS: tuple[tuple[float, str], ...] = (
    (0.10, "trivial"),
    (0.50, "comfortable"),
    (1.00, "tight"),
)


@dataclass(frozen=True)
class LoadFigure:
    """A computed load: the number, its unit, and how it was derived."""

    model: str
    value: float
    unit: str
    clients: Quantity
    clients_name: str
    interval: Quantity | None
    interval_name: str
    capacity: Quantity | None

    @property
    def utilisation(self) -> float | None:
        """Load as a share of capacity, when a capacity is known."""
        if self.capacity is None or self.capacity.value <= 0:
            return None
        return self.value / self.capacity.value

    @property
    def assessment(self) -> str:
        """A word for the utilisation: trivial, comfortable, tight, or over capacity."""
        share = self.utilisation
        if share is None:
            return ""
        for bound, word in ASSESSMENTS:
            if share <= bound:
                return word
        return "over capacity"

    @property
    def figure(self) -> str:
        """The number with its unit: ``33 req/s``."""
        return f"{format_rate(self.value)} {self.unit}"

    @property
    def summary(self) -> str:
        """The figure with its assessment: ``33 req/s (trivial)``."""
        return f"{self.figure} ({self.assessment})" if self.assessment else self.figure

    @property
    def derivation(self) -> str:
        """How the figure follows from the requirements: ``1000 users / 30 s = 33 req/s``."""
        clients = f"{format_rate(self.clients.value)} {self.clients_name}".strip()
        if self.model == "polling" and self.interval is not None:
            return f"{clients} / {self.interval} = {self.figure}"
        return f"{clients} → {self.figure}"


def _resolve(
    raw: str | int | None, requirements: Mapping[str, Quantity], field: str
) -> tuple[Quantity, str]:
    if raw is None:
        raise LoadModelError(field, "is required for this load model")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Quantity(float(raw)), ""
    if isinstance(raw, str) and raw in requirements:
        return requirements[raw], raw
    try:
        return Quantity.parse(raw), ""
    except ValueError:
        known = ", ".join(sorted(requirements)) or "none are defined"
        raise LoadModelError(
            field, f"{raw!r} is neither a requirement (known: {known}) nor a quantity like '30 s'"
        ) from None


def compute_load(load: LoadModel, requirements: Mapping[str, Quantity]) -> LoadFigure:
    """Compute an option's load from the record's requirements."""
    clients, clients_name = _resolve(load.clients, requirements, "clients")
    if clients.value <= 0:
        raise LoadModelError("clients", "the number of clients must be more than zero")
    clients_label = clients_name or clients.unit or "clients"
    capacity = load.capacity
    if load.model == "persistent":
        return LoadFigure(
            model=load.model,
            value=clients.value,
            unit="open connections",
            clients=clients,
            clients_name=clients_label,
            interval=None,
            interval_name="",
            capacity=capacity,
        )
    interval, interval_name = _resolve(load.interval, requirements, "interval")
    seconds = interval.seconds
    if seconds is None:
        raise LoadModelError(
            "interval", f"{interval} is not a time; give a unit such as s, min or ms"
        )
    if seconds <= 0:
        raise LoadModelError("interval", "the polling interval must be more than zero")
    return LoadFigure(
        model=load.model,
        value=clients.value / seconds,
        unit="req/s",
        clients=clients,
        clients_name=clients_label,
        interval=interval,
        interval_name=interval_name,
        capacity=capacity,
    )
