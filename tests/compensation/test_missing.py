"""The quotas and compensation report on data without quotas, roles, hire dates, account
owners or opportunity history (the public Maven CRM export): each section gives its normal
output or one sentence saying what it needs."""

from pathlib import Path

import pandas as pd
import pytest

from salesops_lib import compensation as comp
from salesops_lib import load_dataset, viz
from salesops_lib.data import Dataset

MAVEN = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
         / "crm_sales_opportunities_maven")
PERIOD = "2017-Q4"


@pytest.fixture(scope="module")
def maven():
    if not MAVEN.exists():
        pytest.skip("the Maven CRM export is not on this machine")
    return load_dataset(str(MAVEN), mapping="maven")


def _html(obj) -> str:
    return obj.data if hasattr(obj, "data") else str(obj)


def test_quotas_set_from_trailing_bookings_without_quotas(maven):
    total, basis = comp.company_basis(maven, PERIOD)
    assert basis == "trailing_12m" and total > 0
    q = comp.allocate(maven, PERIOD, "blend")
    assert q["quota"].sum() == pytest.approx(total)
    assert q["quota"].nunique() > 1            # blend follows trailing bookings, not even
    text = _html(comp.reading_basis(maven, PERIOD, "blend"))
    assert "set by the blend method, not from the data" in text
    methods = comp.compare_methods(maven, PERIOD)
    assert methods.attrs["fell_back_to_even"] == ["prior_year", "potential"]
    assert comp.reading_methods(methods, "blend").endswith(
        "This data has nothing to weight prior year and potential by (no bookings a year "
        "earlier or no account owners), so they split as even does.")


def test_company_number_scales_by_the_months_the_data_cover(maven):
    # the Maven export closes deals from March 2017 (though deals are created from October
    # 2016): before 2017-Q3 it shows 4 months of bookings (Mar-Jun), not 12 (nor 9 from the
    # first created deal); scaling by 3/12 or 3/9 would set the company number too low
    o = maven.opportunities
    won = o[(o["status"] == "won") & o["close_date"].between("2016-07-01", "2017-06-30")]
    assert comp.trailing_months(maven, "2017-Q3") == 4
    total, basis = comp.company_basis(maven, "2017-Q3")
    assert basis == "trailing_12m"
    assert total == pytest.approx(won["amount"].sum() * 3 / 4 * 1.1)
    assert "bookings of the 4 months the data cover before the period" in _html(
        comp.reading_basis(maven, "2017-Q3", "blend"))
    assert comp.trailing_months(maven, "2016-Q4") == 0            # the data begin inside it
    assert comp.trailing_months(maven, "2018-Q1") == 10           # Mar-Dec 2017
    # capacity likewise: a rep's 4 months of bookings are 4 months of selling, not 12
    cap = comp.bottom_up(maven, "2017-Q3")
    assert cap["productivity"].to_numpy() * 3 / 4 * 0.9875 == pytest.approx(
        (cap["capacity"] / cap["ramp"]).to_numpy())


def test_pay_needs_quotas(maven):
    pay = comp.run(maven, "", PERIOD)
    assert comp.NO_QUOTAS["pay"] in _html(comp.payouts_table(pay.payouts))
    assert comp.NO_QUOTAS["pay"] in _html(comp.statement_summary(pay, ""))
    assert comp.statement_lines(pay, "x") is None and comp.next_tier(pay, "x") is None


def test_plan_cost_needs_quotas(maven):
    sim = comp.plan_cost(maven, "", PERIOD)
    assert sim is None
    assert comp.reading_cost(sim) == comp.NO_QUOTAS["cost"]
    assert comp.plot_cost(sim) is None
    assert comp.NO_QUOTAS["sensitivity"] in _html(comp.sensitivity_table(comp.sensitivity(sim)))
    cards = comp.key_numbers(comp.proposed_quotas(maven, PERIOD), comp.bottom_up(maven, PERIOD),
                             None, sim)
    assert cards[-1] == ("Plan cost", "–", "needs a quotas table")
    # the band's backtest said "no complete past period" on an export with five past
    # quarters: what it lacks is quotas
    bt = comp.cost_backtest(maven, "", PERIOD)
    assert comp.reading_cost_backtest(bt) == comp.NO_QUOTAS["cost_backtest"]


def test_fairness_needs_quotas(maven):
    fair = comp.fairness(maven, PERIOD)
    assert comp.reading_fairness(fair) == comp.NO_QUOTAS["fairness"]
    assert comp.fairness_table(fair) is None
    assert comp.plot_fairness(comp.attainment_table(maven, PERIOD)) is None


def test_backtest_needs_a_year_before(maven):
    bt = comp.backtest_methods(maven)
    assert bt.empty
    assert comp.reading_backtest(bt) == (
        "The quota-method backtest needs won deals in 2017 and in the 12 months before it "
        "(to set its quotas from); this data has none before 2017.")
    assert comp.backtest_table(bt) is None


def _tiny(won: bool):
    accounts = pd.DataFrame({"account_id": ["A1"], "account_name": ["Acme"]})
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann", "Bob"]})
    opps = pd.DataFrame({"opportunity_id": ["O1"], "account_id": ["A1"], "rep_id": ["R1"],
                         "stage": ["Won" if won else "Open"],
                         "status": ["won" if won else "open"], "amount": [1000.0],
                         "created_date": [pd.Timestamp("2025-01-05")],
                         "close_date": [pd.Timestamp("2025-02-01") if won else
                                        pd.Timestamp("2025-12-01")]})
    return Dataset.from_frames(accounts=accounts, reps=reps, opportunities=opps,
                               as_of=pd.Timestamp("2025-11-30"))


def test_no_basis_says_what_quota_setting_needs():
    ds = _tiny(won=False)
    assert comp.company_basis(ds, "2025-Q4") == (0.0, "none")
    assert comp.proposed_quotas(ds, "2025-Q4").empty
    methods = comp.compare_methods(ds, "2025-Q4")
    assert methods.empty
    assert comp.reading_methods(methods, "blend") == (
        "Quota setting needs a quotas table or won deals before the period to set a company "
        "number from; this data has neither.")
    assert comp.quota_table(methods) is None and comp.plot_quota_by_team(methods) is None
    assert comp.no_basis_sentence(ds, "2025-Q4") in _html(comp.reading_basis(ds, "2025-Q4"))


def test_reps_without_team_are_unassigned():
    ds = _tiny(won=True)
    methods = comp.compare_methods(ds, "2025-Q4")
    assert methods["team"].tolist() == ["(unassigned)"]
    # no rep has a team: no one-row table or chart, the reading says what the split needs
    assert methods.attrs["no_group"]
    assert comp.quota_table(methods) is None and comp.plot_quota_by_team(methods) is None
    total = methods["blend"].sum()
    assert comp.reading_methods(methods, "blend") == (
        f"The company number is {viz.money(total)}; splitting it by team needs each rep's team "
        "(reps.team), which the data do not have.")
