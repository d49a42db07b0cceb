"""Bad ``-p`` input refused before any notebook runs (README "What a run does"): a calls
file, a plan file, a value out of its range, a team/rep/channel the data lack. Each is exit 2
with one paragraph naming the file, column and rows (or the parameter, value and range), and
the ``--out`` folder is never created. No kernel starts: these run in seconds."""

from __future__ import annotations

import pytest

from salesops_lib.cli import main
from salesops_lib.report import kernels

from ..conftest import write_csvs

CALLS_HEAD = "team,period,as_of,value\n"


@pytest.fixture
def refused(tmp_path, tiny_frames, monkeypatch, capsys):
    """``refused(*args)`` runs ``salesops report --data <tiny org> --period 2026-Q2 --out
    <tmp>/out *args``, asserts exit 2, nothing written, no notebook started, and returns the
    error text. Files for ``-p`` are written with ``files(name=text)``."""
    tiny_frames["opportunities"]["channel"] = ["direct", "partner", "direct", "direct"]
    data = write_csvs(tmp_path / "crm", tiny_frames)
    out = tmp_path / "out"
    started = []
    monkeypatch.setattr(kernels, "start_zygote", lambda *a, **k: None)
    monkeypatch.setattr(kernels, "execute", lambda *a, **k: started.append(a))

    def run(*args: str) -> str:
        code = main(["report", "--data", str(data), "--period", "2026-Q2", "--out", str(out),
                     *args])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Nothing was written" in err and "Traceback" not in err
        assert not out.exists() and not started
        # one paragraph: the error, then the "Nothing was written" line
        assert len(err.strip().splitlines()) == 2, err
        return err

    def files(**texts: str) -> dict:
        paths = {}
        for name, text in texts.items():
            paths[name] = tmp_path / name.replace("_", ".")
            paths[name].write_text(text)
        return paths

    run.files = files
    return run


@pytest.mark.parametrize(("rows", "says"), [
    ("East,2026-Q2,2026-13-45,5\n", "column as_of, row 1: '2026-13-45' is not a date"),
    ("East,2026-Q2,2026-04-01,5\nWest,2026-Q2,2026-04-01,lots\n",
     "column value, row 2: 'lots' is not a number"),
    ("East,2026-Q2,2026-04-01,-5\n", "column value, row 1: '-5' is negative"),
    ("East,2026-Q2,2026-04-01,nan\n", "column value, row 1: 'nan' is not a number"),
    ("Field Nowhere,2026-Q2,2026-04-01,5\n",
     "column team, row 1: 'Field Nowhere': no such team in the data (teams: East, West)"),
])
def test_bad_calls_file_names_file_column_and_row(refused, rows, says):
    path = refused.files(calls_csv=CALLS_HEAD + rows)["calls_csv"]
    err = refused("--notebooks", "forecast", "-p", f"calls={path}")
    assert f"calls file {path}" in err and says in err


def test_calls_file_missing_or_without_a_column(refused, tmp_path, monkeypatch):
    path = refused.files(calls_csv="team,period,value\nEast,2026-Q2,5\n")["calls_csv"]
    err = refused("--notebooks", "forecast", "-p", f"calls={path}")
    assert f"calls file {path}: required column(s) as_of missing" in err
    monkeypatch.chdir(tmp_path)                 # a relative path is named in full
    err = refused("--notebooks", "forecast", "-p", "calls=nowhere.csv")
    assert f"calls file {tmp_path / 'nowhere.csv'} does not exist" in err


@pytest.mark.parametrize(("text", "says"), [
    (None, "does not exist"),
    ("name: [x\n  period: : q\n", "is not valid YAML"),
    ("name: gappy\nperiod: quarter\ntarget_incentive: 100\ncurve:\n"
     + "  - {from: 0, to: 0.5, rate: 1}\n  - {from: 0.7, to: 9, rate: 1}\n", "curve[1].from"),
    ("name: neg\nperiod: quarter\ntarget_incentive: 100\ncurve:\n"
     + "  - {from: 0, to: 9, rate: -1}\n", "curve[0].rate must be >= 0"),
])
def test_bad_plan_file_is_refused_naming_the_file(refused, tmp_path, text, says):
    path = tmp_path / "plan.yaml"
    if text is not None:
        path.write_text(text)
    err = refused("--notebooks", "quotas_compensation", "-p", f"plan={path}")
    assert f"plan file {path}" in err and says in err


@pytest.mark.parametrize(("args", "says"), [
    (["-p", "fdr=5", "-p", "min_deals=-5"],
     ["-p fdr=5 is out of range: fdr must be more than 0 and less than 1, i.e. in (0, 1)",
      "-p min_deals=-5 is out of range: min_deals must be at least 0"]),
    (["-p", "forecast.periods_back=0"], ["periods_back must be at least 1"]),
    (["-p", "max_disruption=1.5"], ["max_disruption must be from 0 to 1"]),
    (["-p", "top_n=0"], ["top_n must be at least 1"]),
    (["-p", "coverage_amber=4"], ["coverage_amber must be at most coverage_green"]),
])
def test_value_out_of_range_names_parameter_value_and_range(refused, args, says):
    err = refused(*args)
    assert all(s in err for s in says), err


@pytest.mark.parametrize(("args", "says"), [
    (["--notebooks", "rep_performance", "-p", "team=NoSuchTeam"],
     "-p team=NoSuchTeam: no team 'NoSuchTeam' in the data; valid values: East, West"),
    (["--notebooks", "rep_performance", "-p", "channel=web"],
     "no channel 'web' in the data; valid values: direct, partner"),
    (["--notebooks", "quotas_compensation", "-p", "rep=R9"],
     "no rep id 'R9' in the data; valid values: R1 (Ann), R2 (Bob)"),
])
def test_filter_the_data_lack_lists_valid_values(refused, args, says):
    assert says in refused(*args)


def test_good_values_pass_the_checks(tmp_path, tiny_frames):
    """The checks refuse nothing good: values in range, a valid calls file and the shipped
    sample plan (checked without running a notebook)."""
    from salesops_lib import config, load_dataset
    from salesops_lib.compensation.plan import SAMPLE_PLAN
    from salesops_lib.report import checks
    from salesops_lib.report.params import check, declared_by
    from salesops_lib.report.runner import available_notebooks

    paths = {n: config.NOTEBOOKS / f"{n}.ipynb" for n in available_notebooks()}
    calls = tmp_path / "calls.csv"
    calls.write_text(CALLS_HEAD + "East,2026-Q2,2026-04-01,0\nWest,2026-Q2,2026-04-01,5.5\n")
    declared = declared_by(paths)
    typed = check({"fdr": "0.05", "min_deals": "0", "max_disruption": "1", "team": "East",
                   "calls": str(calls), "plan": str(SAMPLE_PLAN), "rep": "R1"}, declared)
    frames = checks.check_files(typed)
    assert frames[str(calls)]["value"].tolist() == [0.0, 5.5]
    ds = load_dataset(write_csvs(tmp_path / "crm", tiny_frames))
    checks.check_against_data(typed, declared, ds, frames)


@pytest.mark.parametrize(("args", "says"), [
    (("--notebooks", "pipeline_health,forecast", "-p", "by=nonsense"),
     ("-p by=nonsense: the data have no 'nonsense' column to group by (columns: "
     "opportunities: opportunity_id")),
    (("--notebooks", "forecast", "-p", "granularity=fortnight"),
     "-p granularity=fortnight: granularity must be one of day, week, month, quarter"),
    (("--notebooks", "forecast", "-p", "model=arima"),
     "-p model=arima: model must be one of auto, mean, snaive, ets, theta, mstl, prophet"),
    (("--notebooks", "forecast", "-p", "model=auto+ets"), "-p model=auto+ets: model must be"),
    (("--notebooks", "quotas_compensation", "-p", "quota_method=fair"),
     ("-p quota_method=fair: quota_method must be one of even, prior_year, trailing_12m, "
     "potential, blend")),
    (("--notebooks", "territory_design", "-p", "balance_on=revenue"),
     "-p balance_on=revenue: balance_on must be one of potential, workload, accounts"),
])
def test_groupings_and_fixed_choices_are_checked_up_front(refused, args, says):
    """``-p by=nonsense`` ran both notebooks, failed them and wrote a period folder; a model
    or granularity the library lacks failed inside the notebook."""
    assert says in refused(*args)


def test_a_grouping_the_data_have_and_model_combinations_pass():
    from salesops_lib.report.params import check_choices

    check_choices({"forecast": {"model": "ets+theta", "granularity": "week", "by": "x"}})


@pytest.mark.parametrize(("args", "says"), [
    (("--notebooks", "territory_design", "-p", "remove_reps=R9"),
     "-p territory_design: The parameter remove_reps names R9, a rep not in the data"),
    (("--notebooks", "territory_design", "-p", "locked_accounts=A1,A7"),
     "-p territory_design: The parameter locked_accounts names A7, an account not in the data"),
    (("--notebooks", "territory_design", "-p", "remove_reps=R1", "-p", "locked_accounts=A1"),
     "locked_accounts names A1, owned by R1 (Ann), whom remove_reps takes away"),
])
def test_territory_ids_are_checked_up_front(refused, args, says):
    """A rep or account id the territory page cannot use stopped its notebook (exit 1);
    now the run is refused before any kernel starts."""
    assert says in refused(*args)
