import pandas as pd
import pytest

from salesops_lib.periods import (
    Period,
    PeriodError,
    fiscal_labels,
    period_containing,
    window_bounds,
)


def test_quarter_calendar_year():
    p = Period.parse("2026-Q3")
    assert (p.kind, p.start, p.end) == ("quarter", pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))
    assert p.days == 92


def test_month_and_year():
    assert Period.parse("2026-02").end == pd.Timestamp("2026-02-28")
    y = Period.parse("FY2026")
    assert (y.label, y.start, y.end) == ("2026", pd.Timestamp("2026-01-01"), pd.Timestamp("2026-12-31"))


def test_fiscal_year_starting_february_is_named_by_its_end():
    y = Period.parse("2026", fiscal_start_month=2)
    assert (y.start, y.end) == (pd.Timestamp("2025-02-01"), pd.Timestamp("2026-01-31"))
    q1 = Period.parse("2026-Q1", fiscal_start_month=2)
    assert (q1.start, q1.end) == (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-04-30"))
    q4 = Period.parse("2026-Q4", fiscal_start_month=2)
    assert q4.end == pd.Timestamp("2026-01-31")


def test_navigation():
    p = Period.parse("2026-Q1")
    assert p.previous().label == "2025-Q4"
    assert p.last_year().label == "2025-Q1"
    assert p.shift(3).label == "2026-Q4"
    assert Period.parse("2026-01").previous().label == "2025-12"
    assert [m.label for m in p.months()] == ["2026-01", "2026-02", "2026-03"]
    assert Period.parse("2026-Q2", 7).last_year().label == "2025-Q2"


def test_period_containing_and_labels_agree():
    dates = pd.Series(pd.to_datetime(["2025-01-31", "2025-02-01", "2025-12-31", None]))
    for fsm in (1, 2, 7, 10):
        labels = fiscal_labels(dates, "quarter", fsm)
        for d, lab in zip(dates, labels):
            if pd.isna(d):
                assert pd.isna(lab)
            else:
                assert period_containing(d, "quarter", fsm).label == lab
                p = Period.parse(lab, fsm)
                assert p.start <= d <= p.end
    assert list(fiscal_labels(dates[:2], "year", 2)) == ["2025", "2026"]


def test_contains():
    p = Period.parse("2026-Q3")
    mask = p.contains(pd.Series(pd.to_datetime(["2026-06-30", "2026-07-01", "2026-09-30", None])))
    assert mask.tolist() == [False, True, True, False]


@pytest.mark.parametrize("bad", ["2026-Q5", "Q3", "2026-13", "1-01", "", "next quarter"])
def test_bad_labels_are_rejected_clearly(bad):
    with pytest.raises(PeriodError, match="period|month"):
        Period.parse(bad)


def test_window_bounds_of_two_dates_or_a_period():
    assert window_bounds(("2026-07-03 15:30", pd.Timestamp("2026-08-01 23:59"))) == (
        pd.Timestamp("2026-07-03"), pd.Timestamp("2026-08-01"))          # days, at midnight
    assert window_bounds("2026-Q3") == (pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30"))
    assert window_bounds(Period.parse("2026-02")) == (pd.Timestamp("2026-02-01"),
                                                      pd.Timestamp("2026-02-28"))
    # a fiscal year starting in February: its Q1 is February to April
    assert window_bounds("2026-Q1", 2) == (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-04-30"))
    with pytest.raises(PeriodError):
        window_bounds("2026-Q7")
