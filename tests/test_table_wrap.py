"""Tables wrap long names instead of running past the page (``viz.table``): a team renamed
"Northwind Traders International Holdings" (or any label over 20 characters) wraps, short
labels stay on one line. ``tests/report/test_table_width.py`` measures the result in chromium."""

from __future__ import annotations

import re

import pandas as pd

from salesops_lib import viz


def column_css(sty) -> dict[int, str]:
    """The CSS of each column's first cell, from the Styler's HTML."""
    html = sty.to_html()
    rules = re.findall(r"([^{}]+)\{([^}]*)\}", html.split("</style>")[0])
    out = {}
    for selectors, body in rules:
        for col in re.findall(r"_row0_col(\d+)\b", selectors):
            out[int(col)] = out.get(int(col), "") + body
    return out


def test_a_label_of_26_to_28_characters_wraps():
    """Labels of up to 28 characters were kept on one line: a 27-character team name made the
    executive summary's team table a few pixels wider than the page."""
    df = pd.DataFrame({"team": ["Northwind Traders Intl Hold", "Field West"],
                       "rep": ["Elena Larsen", "Ann Lee"], "bookings": [1.2e6, 9.6e5]})
    css = column_css(viz.table(df, {"bookings": "money"}))
    assert "nowrap" not in css[0] and "overflow-wrap: anywhere" in css[0]
    assert "min-width: 8em" in css[0]               # never squeezed to a letter a line
    assert "white-space: nowrap" in css[1]          # short names stay on one line
    assert "white-space: nowrap" in css[2]          # and so do numbers


def test_a_label_of_20_characters_stays_on_one_line():
    df = pd.DataFrame({"team": ["x" * 20, "Field West"]})
    assert "white-space: nowrap" in column_css(viz.table(df))[0]
