"""Capital cost in time: how a unit's purchase price is charged to the years it serves.

Two cost views (scenario ``costs.view``):

* ``cash``: the whole capital cost is paid when the unit is bought, inside the plan.
* ``amortised``: the capital cost is spread over the unit's lifetime L as a level annual charge
  that repays it with interest at the cost of capital r (the capital recovery factor)::

      CRF(r, L) = r / (1 - (1 + r)^-L)        (r > 0);    CRF(0, L) = 1 / L
      annual charge = capex * CRF(r, L)

  This is straight-line depreciation plus the cost of capital on the capital still tied up, paid
  in equal instalments: with r = 0 it is capex / L a year. Because the charge is level, an owned
  unit costs the same per year (and per hour) whatever the plan's horizon.

The two views reconcile: the present value at r of the amortised charges over the whole lifetime
is the capex, and a unit sold ``t`` years in is worth its remaining balance
:func:`book_value_usd`, so ``capex - PV(book value at t) = PV(charges over [0, t))`` (see
:func:`present_value_usd`). A multi-period plan in the cash view credits that book value as
salvage for units still in service at its end.

Every function is pure arithmetic on floats; nothing here reads a scenario or a catalog.
"""

from __future__ import annotations

import math
from typing import Literal

CostView = Literal["cash", "amortised"]
COST_VIEWS: tuple[str, ...] = ("cash", "amortised")


def capital_recovery_factor(rate: float, lifetime_years: float) -> float:
    """CRF(r, L) = r / (1 - (1 + r)^-L), and 1 / L when r = 0 (per year)."""
    _check(rate, lifetime_years)
    if rate == 0:
        return 1.0 / lifetime_years
    return rate / -math.expm1(-lifetime_years * math.log1p(rate))  # expm1/log1p: exact for tiny r


def annual_charge_usd(capex_usd: float, rate: float, lifetime_years: float) -> float:
    """Level yearly charge that repays ``capex_usd`` with interest r over L years: capex * CRF."""
    return capex_usd * capital_recovery_factor(rate, lifetime_years)


def book_value_usd(capex_usd: float, years_in_service: float, rate: float, lifetime_years: float) -> float:
    """What remains to be repaid ``t`` years after purchase (the salvage value credited at the end
    of a plan), 0 from the end of the lifetime on::

        B(t) = capex * ((1 + r)^L - (1 + r)^t) / ((1 + r)^L - 1)     (r > 0)
        B(t) = capex * (1 - t / L)                                    (r = 0)
    """
    _check(rate, lifetime_years)
    t = min(max(years_in_service, 0.0), lifetime_years)
    if rate == 0:
        return capex_usd * (1.0 - t / lifetime_years)
    log_g = math.log1p(rate)
    # ((1+r)^L - (1+r)^t) / ((1+r)^L - 1), via expm1 so that a tiny r loses no digits
    return capex_usd * (math.expm1(lifetime_years * log_g) - math.expm1(t * log_g)) / math.expm1(lifetime_years * log_g)


def capital_usd(capex_usd: float, years: float, view: CostView, rate: float, lifetime_years: float) -> float:
    """The capital cost one unit bought at the start charges to a window of ``years``.

    ``cash``: the whole capex. ``amortised``: capex * CRF(r, L) * years (undiscounted sum of the
    level charges; a window longer than the lifetime keeps paying, as for a like-for-like
    replacement).
    """
    if view == "cash":
        return capex_usd
    if view == "amortised":
        return annual_charge_usd(capex_usd, rate, lifetime_years) * years
    raise ValueError(f"unknown cost view {view!r}; expected one of {', '.join(COST_VIEWS)}")


def discount_factor(rate: float, years: float) -> float:
    """Present value of 1 USD paid ``years`` from now at rate r: (1 + r)^-t."""
    return (1.0 + rate) ** -years


def present_value_usd(annual_usd: float, years: float, rate: float) -> float:
    """Present value at rate r of ``annual_usd`` paid at the end of each of ``years`` whole years:
    sum_{k=1..years} annual / (1 + r)^k (the ordinary annuity)."""
    if years != int(years):
        raise ValueError(f"present_value_usd takes whole years, got {years}")
    return sum(annual_usd * discount_factor(rate, k) for k in range(1, int(years) + 1))


def _check(rate: float, lifetime_years: float) -> None:
    if not (math.isfinite(rate) and rate >= 0):
        raise ValueError(f"cost of capital must be a finite share >= 0, got {rate}")
    if not (math.isfinite(lifetime_years) and lifetime_years > 0):
        raise ValueError(f"lifetime must be a finite number of years > 0, got {lifetime_years}")
