"""Capital cost in time (planner/costs.py): hand-checked values and the cash/amortised reconciliation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.costs import annual_charge_usd, book_value_usd, capital_recovery_factor, capital_usd, discount_factor, present_value_usd


def test_crf_by_hand() -> None:
    # r = 10 %, L = 2: 0.1 / (1 - 1.1^-2) = 0.1 / (1 - 0.826446) = 0.576190
    assert capital_recovery_factor(0.10, 2) == pytest.approx(0.576190476, rel=1e-9)
    assert capital_recovery_factor(0.0, 4) == 0.25


def test_book_value_by_hand() -> None:
    # 1000 at 10 % over 2 years: pay 576.19 a year; after 1 year 1100 - 576.19 = 523.81 remains
    assert book_value_usd(1000.0, 1, 0.10, 2) == pytest.approx(523.8095238, rel=1e-9)
    assert book_value_usd(1000.0, 1, 0.0, 4) == 750.0
    assert book_value_usd(1000.0, 9, 0.1, 4) == 0.0
    assert book_value_usd(1000.0, 0, 0.1, 4) == pytest.approx(1000.0)


def test_views() -> None:
    assert capital_usd(1000.0, 1, "cash", 0.08, 5) == 1000.0
    assert capital_usd(1000.0, 1, "amortised", 0.0, 5) == 200.0
    # level: the charge per year does not depend on the window
    assert capital_usd(1000.0, 4, "amortised", 0.08, 5) == pytest.approx(4 * capital_usd(1000.0, 1, "amortised", 0.08, 5))
    with pytest.raises(ValueError, match="unknown cost view"):
        capital_usd(1000.0, 1, "lease", 0.08, 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lifetime"):
        capital_recovery_factor(0.08, 0)


@given(
    capex=st.floats(1.0, 1e7),
    rate=st.floats(0.0, 0.5),
    lifetime=st.integers(1, 12),
    t=st.integers(0, 12),
)
def test_cash_and_amortised_reconcile(capex: float, rate: float, lifetime: int, t: int) -> None:
    """Cash paid now minus the discounted salvage at t = the discounted amortised charges over [0, t)."""
    t = min(t, lifetime)
    charges = present_value_usd(annual_charge_usd(capex, rate, lifetime), t, rate)
    salvage = book_value_usd(capex, t, rate, lifetime) * discount_factor(rate, t)
    assert math.isclose(capex - salvage, charges, rel_tol=1e-9, abs_tol=1e-6 * capex)
