"""Quantities, time estimates and the computed load model."""

from __future__ import annotations

import pytest

from adrgen.records.format import LoadModel
from adrgen.records.load_model import LoadModelError, compute_load
from adrgen.records.quantities import Quantity, TimeEstimate, format_rate


@pytest.mark.parametrize(
    ("raw", "value", "unit"),
    [
        (1000, 1000, ""),
        ("30 s", 30, "s"),
        ("30s", 30, "s"),
        ("2.5 min", 2.5, "min"),
        ("100 req/s", 100, "req/s"),
    ],
)
def test_quantity_parse(raw: object, value: float, unit: str) -> None:
    assert Quantity.parse(raw) == Quantity(value, unit)


@pytest.mark.parametrize("raw", ["soon", True, float("nan"), [1], "30 s s!"])
def test_quantity_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        Quantity.parse(raw)


@pytest.mark.parametrize(
    ("raw", "shown", "weeks"),
    [
        ("1 week", "1 week", (1, 1)),
        ("3-4 weeks", "3-4 weeks", (3, 4)),
        ("2 to 3 days", "2-3 days", (0.4, 0.6)),
        ("1 sprint", "1 sprint", (2, 2)),
    ],
)
def test_time_estimate(raw: str, shown: str, weeks: tuple[float, float]) -> None:
    estimate = TimeEstimate.parse(raw)
    assert str(estimate) == shown
    assert estimate.in_weeks() == pytest.approx(weeks)


def test_time_estimate_backwards_range() -> None:
    with pytest.raises(ValueError, match="runs backwards"):
        TimeEstimate.parse("4-3 weeks")


def test_polling_load_is_users_over_interval() -> None:
    load = LoadModel(
        model="polling", clients="users", interval="latency", capacity=Quantity(1000, "req/s")
    )
    figure = compute_load(load, {"users": Quantity(1000), "latency": Quantity(30, "s")})
    assert figure.value == pytest.approx(33.333, rel=1e-3)
    assert figure.summary == "33 req/s (trivial)"
    assert figure.derivation == "1000 users / 30 s = 33 req/s"


def test_polling_interval_in_minutes_and_literal() -> None:
    load = LoadModel(model="polling", clients=600, interval="1 min")
    assert compute_load(load, {}).summary == "10 req/s"


def test_persistent_connections() -> None:
    load = LoadModel(model="persistent", clients="users")
    assert compute_load(load, {"users": Quantity(1000)}).summary == "1000 open connections"


@pytest.mark.parametrize(
    ("capacity", "word"),
    [(1000, "trivial"), (100, "comfortable"), (40, "tight"), (10, "over capacity")],
)
def test_assessment(capacity: float, word: str) -> None:
    load = LoadModel(
        model="polling", clients=1000, interval="30 s", capacity=Quantity(capacity, "req/s")
    )
    assert compute_load(load, {}).assessment == word


def test_polling_needs_a_time() -> None:
    with pytest.raises(LoadModelError) as caught:
        compute_load(
            LoadModel(model="polling", clients=10, interval="users"), {"users": Quantity(5)}
        )
    assert caught.value.field == "interval"


@pytest.mark.parametrize(
    ("value", "shown"), [(33.33, "33"), (3.333, "3.3"), (0.0333, "0.033"), (1500, "1500"), (0, "0")]
)
def test_format_rate(value: float, shown: str) -> None:
    assert format_rate(value) == shown
