"""Benchmark of plans over time (not a test): build and solve time of periodised plans on the
bundled catalog, 4 yearly, 8 half-yearly and 20 quarterly periods.

Usage::

    python bench/bench_periods.py                  # 3 repeats
    python bench/bench_periods.py --repeats 5 --json bench/results/periods.json

The scenario is the bundled defaults (70B dense model) with USD 200M a year growing 10% a year as
per-period budgets, an alpha floor rising 0.1, 0.15, 0.2, 0.3 (4 periods) or 0.1 growing 30% a year
(8 and 20 periods), and a facility ramp of 10, 20 then 30 MW, planned as of 2026-12-01 from
2027-01-01. Reports medians of solve time (every MILP and LP of the staged solve), end-to-end
plan() time, the plan's proven gap against the LP bound and the machine's state.
Targets (issue "Plans over time"): under 2 s of solve for 4 yearly periods, under 10 s for 20
quarterly periods.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_plan import machine_state, write_json  # noqa: E402
from hwcatalog import load_catalog  # noqa: E402
from planner import build_scenario, plan  # noqa: E402

CASES = ((4, 1.0), (8, 0.5), (20, 0.25))


def scenario(count: int, length_years: float):
    """The benchmark's periodised scenario (see module doc)."""
    floor = [0.1, 0.15, 0.2, 0.3] if count == 4 else {"first": 0.1, "growth_per_year": 0.3}
    ramp = [10000 if k * length_years < 1 else 20000 if k * length_years < 2 else 30000 for k in range(count)]
    return build_scenario(
        {
            "name": f"bench-{count}x{length_years:g}y",
            "budget_usd": {"first": 2.0e8 * length_years, "growth_per_year": 0.1},
            "alpha_floor": floor,
            "facility": {"power_cap_kw": ramp},
            "periods": {
                "start": "2027-01-01",
                "as_of": "2026-12-01",
                "count": count,
                "length_years": length_years,
                "budget_scope": "per-period",
            },
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default="4,8,20", help="period counts to run, of 4, 8, 20")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    catalog = load_catalog(max_price_age_days=None)
    results: dict[str, object] = {"machine": machine_state(), "repeats": args.repeats, "cases": []}
    print(f"machine: {results['machine']}")
    wanted = {int(x) for x in args.cases.split(",")}
    for count, length in CASES:
        if count not in wanted:
            continue
        s = scenario(count, length)
        solve_s, e2e_s = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            p = plan(s, catalog)
            e2e_s.append(time.perf_counter() - t)
            solve_s.append(p.timings.solve_seconds_total)
        w = p.objective.weights
        row = {
            "periods": count,
            "length_years": length,
            "solve_s": statistics.median(solve_s),
            "plan_s": statistics.median(e2e_s),
            "status": p.status.value,
            "objective": p.objective.value,
            "lp_bound": w.get("lp_bound"),
            "proven_gap": w.get("proven_gap"),
            "stages": w.get("stages"),
            "orders": len(p.orders),
        }
        results["cases"].append(row)  # type: ignore[union-attr]
        print(
            f"{count:2d} periods of {length:g} y: solve {row['solve_s']:.2f} s, plan() {row['plan_s']:.2f} s (medians), "
            f"{row['status']}, proven gap {100 * (row['proven_gap'] or 0):.2f}% against the LP bound, "
            f"{row['stages']} solves, {row['orders']} orders",
            flush=True,
        )
    write_json(args.json, results)


if __name__ == "__main__":
    main()
