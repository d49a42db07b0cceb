"""The report runner end to end: every notebook rendered, failures isolated, bad input refused,
secrets masked, HTML self-contained. Browser checks live in test_browser.py."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from salesops_lib import config
from salesops_lib.cli import main
from salesops_lib.report import available_notebooks, run_reports

from ..conftest import write_csvs, write_notebook


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.scripts = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if a.get("src"):
            self.srcs.append(a["src"])
        if tag == "script":
            self.scripts.append(a.get("src"))


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_every_notebook_renders(full_run):
    result, out = full_run
    names = available_notebooks()
    assert "executive_summary" in names
    failed = {r.name: r.error for r in result.results if r.status != "ok"}
    assert not failed, failed
    assert [r.name for r in result.results] == names
    for name in names:
        assert (out / "2026-Q3" / f"{name}.html").is_file()
        assert (out / "2026-Q3" / f"{name}.ipynb").is_file()


def test_validate_tells_what_the_sample_pages_show(full_run):
    from salesops_lib import load_dataset

    from .conftest import capability_mismatches

    _, out = full_run
    assert capability_mismatches(load_dataset("sample"), out / "2026-Q3", "2026-Q3") == []


def test_table_headings_start_with_a_capital(full_run):
    from .conftest import lowercase_headers

    _, out = full_run
    assert lowercase_headers(out / "2026-Q3") == {}


def test_html_has_no_code_has_images_and_nothing_remote(full_run):
    _, out = full_run
    for html_file in (out / "2026-Q3").glob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        links = _parse(html_file)
        assert not re.search(r'class="[^"]*(jp-CodeMirrorEditor|highlight hl-)', text), (
            f"{html_file.name} shows code")
        assert "load_dataset(" not in text, f"{html_file.name} shows code"
        assert 'src="data:image/png;base64,' in text, f"{html_file.name} has no figure"
        remote = [s for s in links.srcs if re.match(r"^(https?:)?//", s)]
        assert not remote, f"{html_file.name} loads {remote}"
        assert not [s for s in links.scripts if s], "no external scripts"
        assert "Traceback" not in text and "Warning:" not in text
        assert "Lineage" in text and "as of" in text.lower()


def test_manifest_and_index(full_run):
    result, out = full_run
    manifest = json.loads((out / "2026-Q3" / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["data"] == "sample"
    assert re.fullmatch(r"[0-9a-f]{16}", manifest["data_fingerprint"])
    assert manifest["library_version"] and manifest["git_commit"]
    assert {n["name"] for n in manifest["notebooks"]} == set(available_notebooks())
    assert all(n["parameters"]["period"] == "2026-Q3" for n in manifest["notebooks"])
    # -p forecast.periods_back (tests/report/conftest.py LIGHT) reached the forecast only
    given = {n["name"]: n["parameters"] for n in manifest["notebooks"]}
    assert given["forecast"]["periods_back"] == 1 and "periods_back" not in given["sales_strategy"]
    # ... and the summary, which shows the page's forecast: one card for one number
    assert given["executive_summary"]["forecast_periods_back"] == 1

    def forecast_card(name):
        from salesops_lib.viz import KPI_MARK

        nb = nbformat.read(out / "2026-Q3" / f"{name}.ipynb", as_version=4)
        cards = [tuple(k) for c in nb.cells if c.cell_type == "code" for o in c.outputs
                 for k in o.get("metadata", {}).get("text/html", {}).get(KPI_MARK, [])]
        return next(k for k in cards if k[0].startswith("forecast on"))

    assert forecast_card("executive_summary") == forecast_card("forecast")
    assert forecast_card("forecast")[0] == "forecast on 01 Jul 2026"
    index = out / "index.html"
    links = _parse(index)
    assert links.hrefs, "index links to the reports"
    for href in links.hrefs:
        assert (out / href).is_file(), f"broken link {href}"
    assert (out / "2026-Q3" / "run.log").read_text().count("ok in") == len(result.results)


def test_executed_notebook_keeps_parameters(full_run):
    _, out = full_run
    nb = nbformat.read(out / "2026-Q3" / "executive_summary.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["period"] == "2026-Q3"
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


# ------------------------------------------------------------------------------ failures
def _notebook(path: Path, body: str, title="Probe"):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('period: str = "2026-Q3"\ndata: str = "sample"')
    params.metadata["tags"] = ["parameters"]
    bodies = [body] if isinstance(body, str) else body
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params,
                *(nbformat.v4.new_code_cell(b) for b in bodies)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_failing_notebook_is_isolated_and_last_good_survives(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "alpha.ipynb", "print('alpha fine', period)")
    _notebook(nbs / "beta.ipynb", "print('beta version one')")
    out = tmp_path / "out"
    first = run_reports(out=out, notebook_dir=nbs, period="2026-Q3")
    assert first.ok
    good = (out / "2026-Q3" / "beta.html").read_text()
    assert "beta version one" in good

    _notebook(nbs / "beta.ipynb", "raise RuntimeError('quota file is corrupt')")
    second = run_reports(out=out, notebook_dir=nbs, period="2026-Q3")
    assert second.exit_code == 1
    status = {r.name: r.status for r in second.results}
    assert status == {"alpha": "ok", "beta": "failed"}
    # the earlier good report is still there, untouched
    assert (out / "2026-Q3" / "beta.html").read_text() == good
    failed_nb = out / "2026-Q3" / "beta.failed.ipynb"
    assert "quota file is corrupt" in failed_nb.read_text()
    index = (out / "index.html").read_text()
    assert "failed" in index and "quota file is corrupt" in index.lower() and "last good version" in index
    manifest = json.loads((out / "2026-Q3" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    # no staging folders are left behind
    assert not list(out.glob(".salesops/stage-*"))


def test_a_page_that_cannot_be_made_says_why_and_is_not_a_failure(tmp_path, capsys,
                                                                  monkeypatch):
    """A quarter too early to forecast stopped the forecast page with exit 1 and a traceback in
    the failed notebook: now the page shows its header and the reason, the index says "not
    made" with that reason, and the run exits 0. Any other error still fails the page."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "alpha.ipynb", "print('alpha fine', period)")
    _notebook(nbs / "beta.ipynb",
              ["print('header of', period)",
               ("from salesops_lib.forecast.series import NotForecastable\n"
               "raise NotForecastable('2026-Q3 cannot be forecast: too little <history> & $5%')"),
               "print('never reached')"], title="Beta forecast")
    out = tmp_path / "out"
    run = run_reports(out=out, notebook_dir=nbs, period="2026-Q3")
    assert run.ok and run.exit_code == 0
    beta = {r.name: r for r in run.results}["beta"]
    assert beta.status == "not_made" and beta.error is None
    assert beta.note == "2026-Q3 cannot be forecast: too little <history> & $5%"
    page = (out / "2026-Q3" / "beta.html").read_text()
    text = re.sub(r"<[^>]+>", " ", page)
    assert "header of 2026-Q3" in text and "Beta forecast" in text
    assert "never reached" not in page
    assert "too little &lt;history&gt; &amp; $5%. The rest of this page" in page
    assert "Traceback" not in page and "NotForecastable" not in page
    assert "papermill-error-cell" not in page and "An Exception was encountered" not in page
    assert not (out / "2026-Q3" / "beta.failed.ipynb").exists()
    manifest = json.loads((out / "2026-Q3" / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    entry = {nb["name"]: nb for nb in manifest["notebooks"]}["beta"]
    assert entry["status"] == "not_made" and entry["html"] == "beta.html"
    index = (out / "index.html").read_text()
    assert "not made" in index and "too little &lt;history&gt; &amp; $5%." in index
    assert "failed" not in index
    # a scheduler's command line: exit 0, and the reason on stderr
    monkeypatch.setattr(config, "NOTEBOOKS", nbs)
    capsys.readouterr()
    assert main(["report", "--out", str(out), "--period", "2026-Q3"]) == 0
    err = capsys.readouterr().err
    assert "beta: not made in" in err and "salesops: beta not made: 2026-Q3 cannot be" in err
    assert "failed" not in err
    # any other error is still a failure
    _notebook(nbs / "beta.ipynb", "raise ValueError('2026-Q3 cannot be forecast')")
    assert run_reports(out=out, notebook_dir=nbs, period="2026-Q3").exit_code == 1


def test_cli_exit_codes_and_nothing_written_on_bad_input(tmp_path, tiny_frames, capsys):
    out = tmp_path / "out"
    tiny_frames["opportunities"].loc[1, "amount"] = "-3"
    bad = write_csvs(tmp_path / "bad", tiny_frames)
    assert main(["report", "--data", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "opportunities.amount" in err and "Nothing was written" in err
    assert not out.exists()

    assert main(["report", "--notebooks", "no_such_report", "--out", str(out)]) == 2
    assert "unknown notebook" in capsys.readouterr().err
    assert main(["report", "--period", "2026-Q7", "--out", str(out)]) == 2
    assert "cannot read period" in capsys.readouterr().err
    assert main(["report", "--period", "2031-Q1", "--out", str(out)]) == 2
    assert "after the data end" in capsys.readouterr().err
    assert not out.exists()


def test_unreachable_database_is_exit_2_with_password_masked(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["report", "--data", "postgresql://ops:Hunter2Secret@127.0.0.1:1/crm",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Hunter2Secret" not in err and "ops:***@" in err and "Traceback" not in err
    assert not out.exists()


def test_crm_text_is_escaped(tmp_path, tiny_frames):
    """An account name with markup shows as text in the rendered page."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    _notebook(nbs / "names.ipynb",
              "from salesops_lib import load_dataset, viz\n"
              "viz.table(load_dataset(data).accounts[['account_id', 'account_name']])")
    res = run_reports(out=tmp_path / "out", notebook_dir=nbs, data=str(folder), period="2026-Q2")
    assert res.ok, res.results[0].error
    text = (tmp_path / "out" / "2026-Q2" / "names.html").read_text()
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_sample_command_writes_loadable_csv(tmp_path, capsys):
    from salesops_lib import load_dataset

    out = tmp_path / "sample"
    assert main(["sample", "--out", str(out), "--options", "accounts=200,reps=6,years=1"]) == 0
    assert {p.name for p in out.iterdir()} == {f"{t}.csv" for t in
                                               ("accounts", "reps", "opportunities",
                                                "stage_history", "quotas", "activities",
                                                "opportunity_history")}
    a = load_dataset(out)
    b = load_dataset("sample:accounts=200,reps=6,years=1")
    assert len(a.opportunities) == len(b.opportunities)
    assert a.opportunities["amount"].sum() == pytest.approx(b.opportunities["amount"].sum())


def test_validate_command(tmp_path, tiny_frames, capsys):
    good = write_csvs(tmp_path / "good", tiny_frames)
    assert main(["validate", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    tiny_frames["opportunities"].loc[0, "status"] = "maybe"
    bad = write_csvs(tmp_path / "bad", tiny_frames)
    assert main(["validate", str(bad)]) == 2
    assert "opportunities.status" in capsys.readouterr().err


def test_notebooks_are_committed_clean():
    for path in sorted(config.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), path
        assert "parameters" in code[0].metadata.get("tags", []), path
        assert all(not c.get("outputs") for c in code), f"{path.name} has outputs"
        for c in code:
            for line in c.source.splitlines():
                assert not line.lstrip().startswith(("def ", "class ", "for ")), (path.name, line)
        assert "lineage.footer" in code[-1].source, f"{path.name} lacks the lineage footer"


def test_templates_ship_with_package():
    assert (config.PACKAGE / "report" / "templates" / "salesops" / "index.html.j2").is_file()


def test_every_parameter_is_visible_to_papermill():
    """papermill must parse each parameter line (its help comment feeds --help-notebook and
    the runner only injects declared parameters); a '=' inside a comment breaks its parser."""
    import papermill as pm

    for path in sorted(config.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assigned = [ln.split(":")[0].split("=")[0].strip() for ln in cell.source.splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]
        parsed = pm.inspect_notebook(str(path))
        assert set(assigned) == set(parsed), f"{path.name}: papermill cannot read {set(assigned) - set(parsed)}"
        assert all(p["help"] for p in parsed.values()), f"{path.name}: every parameter needs a help comment"


def test_kept_rows_are_published_only_by_a_successful_notebook(tmp_path):
    """A notebook keeps its forecasts through the keep area: the runner stages them and
    publishes them only when the notebook succeeded, without knowing what they are."""
    from salesops_lib.forecast import ledger

    nbs = tmp_path / "nbs"
    keep_rows = ("import pandas as pd\nfrom salesops_lib.forecast import ledger\n"
                 "rows = pd.DataFrame({'period': ['2026-Q4'], 'source': ['probe'], "
                 "'as_of': [pd.Timestamp(as_of)], 'value': [1.0], 'lower': [0.0], "
                 "'upper': [2.0]})\nseen = ledger.record(rows, data=data)\nprint(len(seen))")
    params = ('period: str = "2026-Q4"  # period\ndata: str = "sample"  # data\n'
              'as_of: str = "2026-10-05"  # forecast date')
    write_notebook(nbs / "keeper.ipynb", keep_rows, params=params)
    out = tmp_path / "out"
    assert run_reports(out=out, notebook_dir=nbs).ok
    assert ledger.read(out, data="sample")["as_of"].tolist() == [pd.Timestamp("2026-10-05")]
    write_notebook(nbs / "keeper.ipynb", keep_rows, "raise ValueError('late failure')",
                   params=params)
    res = run_reports(out=out, notebook_dir=nbs, params={"as_of": "2026-10-12"})
    assert not res.ok
    assert len(ledger.read(out, data="sample")) == 1            # the failed run kept nothing
    source = (Path(__file__).resolve().parents[2] / "salesops_lib" / "report" / "runner.py")
    assert "ledger" not in source.read_text()                   # the runner knows no ledger


def test_a_monthly_run_renders_the_quarterly_pay_plan(tmp_path):
    """``salesops report --period 2026-09``: the quotas page failed ("pays per quarter") on
    every monthly run; it pays the quarter to date and says so."""
    res = run_reports(out=tmp_path / "out", period="2026-09", notebooks=["quotas_compensation"])
    [nb] = res.results
    assert nb.status == "ok", nb.error
    html = (tmp_path / "out" / "2026-09" / "quotas_compensation.html").read_text()
    assert "The plan pays per quarter" in html and "Plan cost · 2026-Q3" in html


def test_relative_paths_hold_in_the_notebooks(tmp_path, tiny_frames, monkeypatch):
    """A scheduler's ``cd /somewhere && salesops report --data crm --out out -p calls=...``:
    the notebooks run in another folder, yet read the folder, mapping and files meant."""
    write_csvs(tmp_path / "crm", tiny_frames)
    (tmp_path / "calls.csv").write_text("rep_id,period,as_of,value\n")
    (tmp_path / "map.yaml").write_text("{}\n")
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write_notebook(nbs / "paths.ipynb",
                   "from salesops_lib import load_dataset\n"
                   "import os\n"
                   "print('rows', len(load_dataset(data, mapping=mapping or None).accounts))\n"
                   "print('calls', os.path.isfile(calls))",
                   params='period: str = "2026-Q3"\ndata: str = "sample"\nmapping: str = ""\n'
                          'calls: str = ""')
    monkeypatch.chdir(tmp_path)
    res = run_reports(out="out", notebook_dir=nbs, data="crm", mapping="map.yaml",
                      params={"calls": "calls.csv"}, period="2026-Q2")
    assert res.ok, res.results[0].error
    text = (tmp_path / "out" / "2026-Q2" / "paths.html").read_text()
    assert f"rows {len(tiny_frames['accounts'])}" in text and "calls True" in text


def test_relative_database_urls_and_presets_are_anchored(tmp_path, monkeypatch):
    from salesops_lib.report.runner import anchored_file, anchored_source

    (tmp_path / "crm.duckdb").write_bytes(b"")
    (tmp_path / "maven").mkdir()
    monkeypatch.chdir(tmp_path)
    assert anchored_source("duckdb:///crm.duckdb") == f"duckdb:///{tmp_path.resolve()}/crm.duckdb"
    assert anchored_source("duckdb:////abs/x.duckdb") == "duckdb:////abs/x.duckdb"
    assert anchored_source("sample:accounts=20") == "sample:accounts=20"
    assert anchored_source("maven") == str(tmp_path.resolve() / "maven")
    assert anchored_source("postgresql://u:***@h/db") == "postgresql://u:***@h/db"
    assert anchored_file("no_such.csv") == "no_such.csv" and anchored_file("") == ""


def test_statement_file_names_survive_case_blind_and_windows_file_systems():
    from types import SimpleNamespace

    from salesops_lib.report.runner import _fan_out_values

    reps = pd.DataFrame({"rep_id": ["R005", "r005", "CON", "a/b", "A-B"],
                         "rep_name": ["Ann", "Bo", "Cy", "Di", "Ed"]})
    got = {v: s for v, _, s in _fan_out_values(SimpleNamespace(reps=reps), "rep")}
    assert got == {"A-B": "A-B", "CON": "CON-rep", "R005": "R005", "a/b": "a-b-2",
                   "r005": "r005-2"}
    assert len({s.lower() for s in got.values()}) == len(got)


def test_not_made_names_the_librarys_own_errors():
    """The runner matches the kernel's error by class name: a renamed class would turn every
    quarter too early to forecast back into a failed run."""
    from salesops_lib.forecast.series import NotForecastable
    from salesops_lib.report import kernels

    assert kernels.NOT_MADE == (NotForecastable.__name__,)
    assert kernels.not_made(NotForecastable("2017-Q2 cannot be forecast")) == \
        "2017-Q2 cannot be forecast"
    assert kernels.not_made(ValueError("2017-Q2 cannot be forecast")) is None
