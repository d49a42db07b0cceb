"""Report pages: title, navigation, alt text, headline extraction and the index (no browser;
``test_browser.py`` checks the same pages in chromium)."""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from salesops_lib.report import headline, index
from salesops_lib.report import html as pages


def _nb():
    kpi = new_output("execute_result", data={"text/html": '<div data-salesops="kpis">…</div>',
                                             "text/plain": "<HTML>"},
                     metadata={"text/html": {"salesops_kpis": [["Bookings", "$6.9M", "72%"],
                                                               ["Win rate", "41%", None]]}},
                     execution_count=1)
    chart = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
                       metadata={"image/png": {"alt": "Bookings by team, 2026-Q3"}})
    bare = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    cells = [new_markdown_cell("# Executive summary\nHow did we do this period?"),
             new_code_cell("period = '2026-Q3'"),
             new_code_cell("viz.kpis(...)", outputs=[kpi]),
             new_markdown_cell("## Monthly bookings\nTwo years."),
             new_code_cell("plot()", outputs=[chart, bare])]
    return new_notebook(cells=cells)


def test_headline_extract():
    assert headline.extract(_nb()) == {"title": "Executive summary",
                                       "question": "How did we do this period?",
                                       "headline": "Bookings: $6.9M"}
    nb = _nb()
    nb.cells[2].outputs[0]["metadata"] = {}             # only the HTML marker is left
    nb.cells[2].outputs[0]["data"]["text/html"] = (
        '<div data-salesops="kpis"><div><div>Pipeline &amp; more</div><div>$1M</div></div></div>')
    assert headline.extract(nb)["headline"] == "Pipeline & more: $1M"
    empty = new_notebook(cells=[new_markdown_cell("# Forecast\nWhat will we book?")])
    assert headline.extract(empty) == {"title": "Forecast", "question": "What will we book?",
                                       "headline": None}


def test_to_html_title_nav_and_alt_text():
    nb = _nb()
    page = pages.to_html(nb, title="Executive summary · 2026-Q3",
                         nav=[("All reports", "../index.html"),
                              ("Executive summary", "executive_summary.html"),
                              ("Rep <performance>", "rep_performance.html")])
    assert "<title>Executive summary · 2026-Q3</title>" in page
    assert '<a href="../index.html">All reports</a>' in page
    assert '<a aria-current="page" href="executive_summary.html">Executive summary</a>' in page
    assert "Rep &lt;performance&gt;" in page                  # labels escaped
    assert 'alt="Bookings by team, 2026-Q3"' in page
    assert 'alt="Chart: Monthly bookings"' in page            # no title: the section heading
    assert "No description has been provided" not in page
    assert not nb.cells[4].outputs[1]["metadata"]             # the input is not modified
    default = pages.to_html(nb)
    assert "<title>Executive summary</title>" in default and "<nav" not in default


def test_readable_error_is_one_sentence_cut_at_a_word():
    long = ("ValueError: no team 'Zed'; teams are ['Field Central', 'Field East', 'Field South', "
            "'Field West', 'Inside East', 'Inside West', 'Partner North', 'Partner South']"
            " and more words that go on and on past the limit of the index")
    text = index.readable_error(long, limit=120)
    assert not text.startswith("ValueError") and text.startswith("No team 'Zed'")
    assert len(text) <= 121 and text.endswith(("…", "."))
    body = text[:-1].lower()
    assert body in long.lower() and long[long.lower().index(body) + len(body)] in " ,;'"
    assert index.readable_error("KeyError: 'period'\nTraceback ...") == "Period."
    assert index.readable_error(None) == "The report failed without a message."
    # a name at the start keeps its spelling ("What_if_segment" was written)
    assert index.readable_error("ValueError: what_if_segment: no such segment") == \
        "what_if_segment: no such segment."
    assert index.readable_error("ValueError: r005 is not paid") == "r005 is not paid."


def _manifest(tmp_path, notebooks):
    period = tmp_path / "2026-Q3"
    period.mkdir(parents=True)
    (period / "manifest.json").write_text(json.dumps({
        "period": "2026-Q3", "period_start": "2026-07-01", "period_end": "2026-09-30",
        "data_as_of": "2026-11-15", "finished": "2026-12-02T01:00:00", "notebooks": notebooks}))
    (period / "run.log").write_text("Traceback (most recent call last): ...")
    return period


def test_index_shows_headline_question_fan_out_and_readable_failures(tmp_path):
    period = _manifest(tmp_path, [
        {"name": "executive_summary", "status": "ok", "html": "executive_summary.html",
         "seconds": 4, "title": "Executive summary", "question": "How did we do?",
         "headline": "Bookings: $6.9M"},
        {"name": "rep_performance", "status": "ok", "html": "rep_performance.html", "seconds": 9,
         "pages": [{"label": "Field East", "html": "teams/field-east/rep_performance.html",
                    "status": "ok"}]},
        {"name": "forecast", "status": "failed", "html": None, "seconds": 1,
         "error": "RuntimeError: " + "the model could not be fitted because " * 10}])
    nbformat.write(_nb(), period / "rep_performance.ipynb")   # headline read from the record
    page = index.write_index(tmp_path).read_text()
    assert "Bookings: $6.9M" in page and "How did we do?" in page
    assert "How did we do this period?" in page              # from the executed notebook
    assert 'href="2026-Q3/teams/field-east/rep_performance.html">Field East</a>' in page
    assert "RuntimeError" not in page and "The model could not be fitted" in page
    assert "…" in page and 'href="2026-Q3/run.log">Full error in the run log.' in page


def test_nav_of_company_team_and_statement_pages(tmp_path):
    """A fan-out page never marks the company page as the one shown: a team page links to the
    team's other pages (itself marked) and to its report's company page; a statement marks
    nothing."""
    from salesops_lib.periods import Period
    from salesops_lib.report import render
    from salesops_lib.report.runner import _Job

    srcs = {}
    for n, t in (("rep_performance", "Rep performance"), ("forecast", "Forecast"),
                 ("quotas_compensation", "Quotas and compensation")):
        srcs[n] = tmp_path / f"{n}.ipynb"
        nbformat.write(new_notebook(cells=[new_markdown_cell(f"# {t}\nWhy?")]), srcs[n])
    names = list(srcs)
    jobs = [_Job(n, n, srcs[n], {}, f"{n}.html") for n in names]
    jobs.append(_Job("team:rep_performance:east", "rep_performance", srcs["rep_performance"],
                     {}, "teams/east/rep_performance.html", "East $1 <b>"))
    jobs.append(_Job("rep:quotas_compensation:R1", "quotas_compensation",
                     srcs["quotas_compensation"], {}, "statements/R1.html", "Ann (R1)"))
    render.titles_and_nav(jobs, names, Period.parse("2026-Q3"))
    company, team, statement = jobs[0], jobs[3], jobs[4]
    assert company.nav == [("All reports", "../index.html"),
                           ("Rep performance", "rep_performance.html", True),
                           ("Forecast", "forecast.html", False),
                           ("Quotas and compensation", "quotas_compensation.html", False)]
    assert team.title == "Rep performance · 2026-Q3 · East $1 <b>"
    assert team.nav == [("All reports", "../../../index.html"),
                        ("Rep performance · East $1 <b>", "rep_performance.html", True),
                        ("Rep performance: whole company", "../../rep_performance.html", False)]
    assert statement.nav[0] == ("All reports", "../../index.html")
    assert [c for *_, c in statement.nav[1:]] == [False, False, False]
    assert statement.nav[3] == ("Quotas and compensation: whole company",
                                "../quotas_compensation.html", False)
    page = pages.to_html(new_notebook(cells=[new_markdown_cell("# Rep performance")]),
                         title=team.title, nav=team.nav)
    assert page.count('<a aria-current="page"') == 1
    assert ('<a aria-current="page" href="rep_performance.html">Rep performance · East $1 '
            '&lt;b&gt;</a>') in page
