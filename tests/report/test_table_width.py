"""No table on a report page is wider than the page, measured in chromium on a page rendered
as the runner renders it (``report.html.to_html``): the executive summary's team table with a
team renamed "Northwind Traders International Holdings" (and one of 27 characters, which
overflowed by a few pixels), and the sales-strategy tables that scrolled sideways (the
what-if's fourteen columns, the economics by industry)."""

from __future__ import annotations

import nbformat
import numpy as np
import pandas as pd
import pytest

from salesops_lib import strategy
from salesops_lib.performance import executive
from salesops_lib.report.html import to_html

from ..conftest import require_binary
from ..strategy.test_tables_fit import CMP, PLAN
from .test_browser import FLAGS

LONG_NAMES = ["Northwind Traders International Holdings", "Northwind Traders Intl Hold"]


def team_frame(names) -> pd.DataFrame:
    """Six teams as :func:`executive.by_team` returns them (the sample's numbers, 2026-Q4)."""
    t = pd.DataFrame({
        "team": list(names) + ["Field Central", "Field South", "Inside East", "Field West",
                               "Inside West"][:6 - len(names)],
        "bookings": [1.2e6, 77.2e3, 918.8e3, 638.9e3, 120.1e3, 1.1e6],
        "quota": [2.5e6, 528e3, 2.8e6, 2.8e6, 462e3, 2.7e6],
        "bookings_last_year": [1.0e6, 139.9e3, 851.8e3, 648.1e3, 233.7e3, 962.3e3],
        "won": [73, 51, 77, 44, 60, 68], "lost": [82, 53, 74, 75, 55, 63],
        "avg_deal_size": [16.4e3, 1.5e3, 11.9e3, 14.5e3, 2.0e3, 16.1e3],
        "cycle_days_median": [73, 25, 55, 46, 25, 67],
        "open_pipeline": [2.8e6, 253.6e3, 3.3e6, 2.0e6, 293.1e3, 3.3e6]})
    t["attainment"] = t["bookings"] / t["quota"]
    t["growth"] = t["bookings"] / t["bookings_last_year"] - 1
    t["win_rate"] = t["won"] / (t["won"] + t["lost"])
    t["win_rate_low"], t["win_rate_high"] = t["win_rate"] - 0.05, t["win_rate"] + 0.05
    t["remaining_quota"] = (t["quota"] - t["bookings"]).clip(lower=0)
    t["coverage"] = t["open_pipeline"] / t["remaining_quota"]
    t.attrs["cycle_days_median_all"] = 48.0
    return t[executive.TEAM_KEYS]


def economics_by_industry() -> pd.DataFrame:
    industries = ["Education", "Energy", "Financial Services", "Healthcare", "Logistics",
                  "Manufacturing", "Public Sector", "Technology"]
    rows = [(m, i) for m in ("field", "inside") for i in industries]
    rng = np.random.default_rng(1)
    n = len(rows) + 3
    e = pd.DataFrame({"motion": [m for m, _ in rows] + ["field", "inside", "All motions"],
                      "industry": [i for _, i in rows] + ["All industries"] * 3,
                      "deals": rng.integers(60, 5000, n), "win_rate": rng.uniform(0.3, 0.6, n),
                      "avg_deal_size": rng.uniform(1e3, 50e3, n),
                      "cycle_days_median": rng.integers(20, 150, n), "fte": rng.uniform(0, 30, n),
                      "bookings": rng.uniform(5e4, 30e6, n), "bookings_per_fte": rng.uniform(9e4, 9e6, n),
                      "cost": rng.uniform(1e4, 7e6, n), "cost_of_sale": rng.uniform(0.01, 1.6, n),
                      "contribution_per_fte": rng.uniform(-9e4, 9e6, n)})
    e["win_rate_low"], e["win_rate_high"] = e["win_rate"] - 0.1, e["win_rate"] + 0.1
    e.attrs.update({"by": "industry", "totals": True})
    return e


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """One report page holding the tables, as the runner renders a page."""
    tables = [executive.team_table(team_frame(LONG_NAMES), outlook="2026-Q4", elapsed=0.5),
              executive.team_table(team_frame(LONG_NAMES[1:]), outlook="2026-Q4", elapsed=0.5),
              strategy.what_if_table(PLAN), strategy.comparison_table(CMP),
              strategy.economics_table(economics_by_industry())]
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("tables")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": t.to_html()})
                    for t in tables]
    nb.cells = [nbformat.v4.new_markdown_cell("# Table widths\nDo the tables fit?"), cell]
    path = tmp_path_factory.mktemp("widths") / "tables.html"
    path.write_text(to_html(nb, title="Table widths · 2026-Q4"), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [1100, 1300])
def test_no_table_is_wider_than_the_page(page, width):
    from playwright.sync_api import sync_playwright

    chromium = require_binary("chromium", "/usr/bin/chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        tab = browser.new_page(viewport={"width": width, "height": 900})
        tab.goto(page.as_uri())
        sizes = tab.evaluate("""() => Array.from(document.querySelectorAll('table')).map(t => {
            const box = t.closest('.jp-OutputArea-output');
            return [t.rows[1].cells[0].textContent.trim(), box.scrollWidth, box.clientWidth,
                    t.getBoundingClientRect().right, box.getBoundingClientRect().right];
        })""")
        browser.close()
    assert len(sizes) == 5
    # at the page's full width (1044 px of content) every table fits; in a narrower window
    # the team and what-if tables still do (the economics' thirteen columns would scroll)
    checked = sizes if width >= 1156 else sizes[:4]
    too_wide = [s for s in checked if s[1] > s[2] or s[3] > s[4] + 0.5]
    assert not too_wide, f"tables wider than the page at {width}px: {too_wide}"
