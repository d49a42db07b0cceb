"""What the quotas and compensation report says when the data lacks what a section needs.

Each section of the report needs something a CRM export may not have (the public Maven export
has no quotas, roles, hire dates, account owners or opportunity history). The calls here return
the section's normal output or one plain sentence (``viz.callout``) saying what it would need,
so the notebook stays free of branches.

Choice made for data without quotas: quota *setting* still works whenever a company number
can be derived from past bookings (:func:`quotas.company_basis`: prior-year, else trailing
12 months); attainment-based pay, fairness and plan cost read attainment against the quotas
the reps actually had, so they say in one sentence that they need a quotas table rather than
show pay against quotas nobody was given.
"""

from __future__ import annotations

import pandas as pd

from .. import viz
from ..periods import Period
from .cost import planning_date, simulate
from .narrative import _label
from .pay import pay_period
from .quotas import allocate, company_basis, known_before, trailing_months


def has_quotas(ds) -> bool:
    """Whether the data set has any quota rows."""
    return len(ds.quotas) > 0


def no_basis_sentence(ds, period) -> str:
    """The one sentence quota setting says when no company number can be derived."""
    P = Period.parse(period, ds.fiscal_start_month)
    return (f"Quota setting needs a quotas table or won deals in the 12 months before {P.label} "
            f"(known by {known_before(ds, P):%Y-%m-%d}) to set a company number from; this data "
            "has neither.")


def proposed_quotas(ds, period, method: str = "blend") -> pd.DataFrame:
    """:func:`quotas.allocate` for ``period``, or an empty quotas frame when no company number
    can be derived (no quota set and no won bookings before the period)."""
    if company_basis(ds, period)[0] <= 0:
        return pd.DataFrame({"rep_id": pd.Series(dtype=str), "period": pd.Series(dtype=str),
                             "quota": pd.Series(dtype=float)})
    return allocate(ds, period, method)


def reading_basis(ds, period, method: str = "blend"):
    """Nothing when the period's quotas are in the data; else one sentence saying what the
    proposed quotas were set from (or what quota setting would need)."""
    total, basis = company_basis(ds, period)
    P = Period.parse(period, ds.fiscal_start_month)
    if basis == "quotas":
        return None
    if basis == "none":
        return viz.callout(no_basis_sentence(ds, P), "warn")
    covered = trailing_months(ds, P)
    span = ("the 12 months" if covered in (0, 12)
            else f"the {viz.count(covered, 'month')} the data cover")
    what = {"prior_year": f"bookings in {P.last_year().label} plus 10%",
            "trailing_12m": f"bookings of {span} before the period, scaled to its length, "
                            "plus 10%"}[basis]
    return viz.callout(f"This data has no quotas for {P.label}: the quotas shown are set by the "
                       f"{_label(method).lower()} method, not from the data, from a company "
                       f"number of {viz.money(total)} ({what}).")


def plan_cost(ds, plan, period, *, seed: int = 0, forecast=None, quotas=None,
              quota_method: str | None = None):
    """:func:`cost.simulate` for the period the plan pays (:func:`pay.pay_period`), or ``None``
    when the data has no quotas (nothing to read past attainment from).

    When ``period`` is not of the plan's kind (a month on a quarterly plan), ``forecast`` and
    ``quotas`` are of ``period`` and do not apply: the pay period is costed as its own page
    costs it, with its proposed quotas under ``quota_method`` (``None``: the quotas in the
    data) and, when a ``forecast`` was given, the pipeline forecast of the pay period made on
    its planning date (:func:`cost.planning_date`). So the month, quarter and year pages show
    one plan cost for one quarter (2026-Q4's P50 read $636.6k on its page, $707.0k on the
    2026-10 and 2026 pages)."""
    if not has_quotas(ds):
        return None
    pay = pay_period(ds, plan, period)
    if pay.label != Period.parse(period, ds.fiscal_start_month).label:
        quotas = proposed_quotas(ds, pay, quota_method) if quota_method else None
        if forecast is not None:
            from ..forecast.pipeline_model import pipeline_forecast

            forecast = pipeline_forecast(ds, pay, as_of=planning_date(ds, pay))
    return simulate(ds, plan, pay, seed=seed, forecast=forecast, quotas=quotas)
