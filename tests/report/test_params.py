"""What ``-p`` may set, the period a run reports on, and ``salesops report --help``."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib.cli import main
from salesops_lib.periods import Period
from salesops_lib.report import resolve_period
from salesops_lib.report.params import ParameterError, check, coerce

from ..conftest import write_csvs, write_notebook

PARAMS = ('period: str = "2026-Q3"  # period\ndata: str = "sample"  # data\n'
          'mapping: str = ""  # mapping\nmin_deals: int = 10  # fewest deals\n'
          'share: float = 0.5  # a share\nstrict: bool = False  # strict mode')


@pytest.fixture
def probe(tmp_path, tiny_frames, monkeypatch):
    from salesops_lib import config

    nbs = tmp_path / "nbs"
    write_notebook(nbs / "alpha.ipynb", "print(period, min_deals, share, strict)", params=PARAMS)
    write_notebook(nbs / "beta.ipynb", "print(period)",
                   params='period: str = "2026-Q3"  # period\ndata: str = "sample"  # data\n'
                          'by: str = "team"  # breakdown')
    monkeypatch.setattr(config, "NOTEBOOKS", nbs)
    return write_csvs(tmp_path / "crm", tiny_frames), tmp_path / "out"


@pytest.mark.parametrize(("item", "says"), [
    ("period=2024-Q1", "use --period"), ("data=sample", "use --data"),
    ("mapping=maven", "use --mapping"), ("reports_dir=/tmp/x", "use --out"),
    ("min_deals=ten", "min_deals takes an int"), ("share=lots", "share takes a float"),
    ("strict=perhaps", "strict takes a bool"),
    ("min_deal=3", "alpha: min_deals, share, strict; beta: by"),
    ("beta.min_deals=3", "-p beta.min_deals: no selected notebook declares"),
    ("gamma.by=region", "gamma is not a selected notebook (selected: alpha, beta)"),
    ("alpha.period=2024-Q1", "use --period"),
])
def test_bad_param_is_exit_2_naming_the_fix_and_nothing_is_written(probe, item, says, capsys):
    data, out = probe
    assert main(["report", "--data", str(data), "--out", str(out), "-p", item]) == 2
    err = capsys.readouterr().err
    assert says in err and "Nothing was written" in err and "Traceback" not in err
    assert not out.exists()


def test_good_params_are_typed_per_notebook_and_reach_only_their_notebook(probe):
    from salesops_lib.report import run_reports

    data, out = probe
    res = run_reports(data=str(data), out=out, params={"min_deals": "3", "strict": "yes",
                                                       "by": "region", "alpha.share": "0.25"})
    assert res.ok, [r.error for r in res.results]
    alpha, beta = res.results
    assert alpha.parameters["min_deals"] == 3 and alpha.parameters["strict"] is True
    assert alpha.parameters["share"] == 0.25                  # NOTEBOOK.NAME reaches it
    assert "by" not in alpha.parameters and beta.parameters["by"] == "region"


def test_check_and_coerce_units():
    declared = {"a": {"n": {"inferred_type_name": "int"}, "period": {}}}
    assert check({"n": "4"}, declared) == {"a": {"n": 4}}
    assert coerce("x", " 2.5 ", "float") == 2.5 and coerce("x", "off", "bool") is False
    assert coerce("x", "[1, 2]", "list") == [1, 2] and coerce("x", "free text", "str") == "free text"
    with pytest.raises(ParameterError, match="use --period"):
        check({"period": "2026-Q1"}, declared)
    # NOTEBOOK.NAME: that notebook only, over the plain NAME
    two = {"a": {"n": {"inferred_type_name": "int"}},
           "b": {"n": {"inferred_type_name": "int"}, "s": {}}}
    assert check({"n": "4", "b.n": "5"}, two) == {"a": {"n": 4}, "b": {"n": 5}}
    assert check({"b.n": "5"}, two) == {"a": {}, "b": {"n": 5}}
    assert check({"b.n": "5", "n": "4"}, two) == {"a": {"n": 4}, "b": {"n": 5}}
    with pytest.raises(ParameterError, match=r"-p a\.s: no selected notebook declares"):
        check({"a.s": "x"}, two)
    with pytest.raises(ParameterError, match="c is not a selected notebook"):
        check({"c.n": "1"}, two)
    with pytest.raises(ParameterError, match="b.n takes an int|n takes an int"):
        check({"b.n": "five"}, two)


def test_period_defaults_to_the_quarter_holding_the_as_of_date():
    as_of = pd.Timestamp("2026-11-15")
    assert resolve_period(None, as_of).label == "2026-Q4"
    assert resolve_period("current", as_of).label == "2026-Q4"
    assert resolve_period("previous", as_of).label == "2026-Q3"
    assert resolve_period("2025-Q2", as_of).label == "2025-Q2"
    # a fiscal year starting in February: 15 Nov 2026 is in Q4 of FY2027 (Nov-Jan)
    assert resolve_period(None, as_of, 2) == Period.parse("2027-Q4", 2)
    assert resolve_period("previous", pd.Timestamp("2026-01-10")).label == "2025-Q4"


def test_run_without_period_files_the_current_quarter(probe, capsys):
    from salesops_lib import load_dataset
    from salesops_lib.periods import period_containing

    data, out = probe
    expected = period_containing(load_dataset(str(data)).as_of).label
    assert main(["report", "--data", str(data), "--out", str(out), "--notebooks", "beta"]) == 0
    assert (out / expected / "beta.html").is_file()
    html = (out / expected / "beta.ipynb").read_text()
    assert f'"period": "{expected}"' in html


def test_report_help_lists_the_notebooks_and_their_parameters(probe, capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = capsys.readouterr().out
    assert "alpha" in text and "beta" in text and "--jobs" in text and "--wait" in text
    assert "min_deals: int = 10" in text and "fewest deals" in text
    assert "period: str" in text and "(set by the runner)" in text


def test_the_summary_takes_the_forecast_pages_settings_of_the_run():
    """``-p forecast.periods_back=1`` changed the forecast page only, so the summary showed a
    forecast from four replayed periods beside the page's from one: now a run's forecast
    settings reach the summary's ``forecast_*`` too, unless the run sets those itself."""
    from salesops_lib import config
    from salesops_lib.report.params import declared_by

    declared = declared_by({n: config.NOTEBOOKS / f"{n}.ipynb"
                            for n in ("forecast", "executive_summary", "sales_strategy")})
    got = check({"forecast.periods_back": "1", "model": "ets", "forecast.seed": "3"}, declared)
    assert got["forecast"] == {"periods_back": 1, "model": "ets", "seed": 3}
    assert got["executive_summary"] == {"forecast_periods_back": 1, "forecast_model": "ets",
                                        "forecast_seed": 3}
    assert got["sales_strategy"] == {}                   # its own periods_back is not touched
    # the summary's own setting wins; a bad one is refused under its own name
    got = check({"forecast.periods_back": "1", "executive_summary.forecast_periods_back": "2"},
                declared)
    assert got["executive_summary"] == {"forecast_periods_back": 2}
    with pytest.raises(ParameterError, match="forecast_model=magic: forecast_model must be one of auto"):
        check({"executive_summary.forecast_model": "magic"}, declared)
    with pytest.raises(ParameterError, match="forecast_periods_back=0 is out of range"):
        check({"executive_summary.forecast_periods_back": "0"}, declared)
    # a run of the summary alone keeps its defaults, which are the page's
    only = {"executive_summary": declared["executive_summary"]}
    assert check({}, only) == {"executive_summary": {}}
    for name in ("granularity", "model", "horizon", "periods_back", "seed"):
        assert (declared["executive_summary"][f"forecast_{name}"]["default"]
                == declared["forecast"][name]["default"]), name
