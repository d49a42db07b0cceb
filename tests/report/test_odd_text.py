"""CRM text as real CRMs hold it, through every report notebook by the real runner.

A copy of a small sample org whose team, rep and account names hold TeX and format
characters, markup, non-Latin scripts, emoji, 120-character names and two reps with one name.
Every page must render (no mathtext errors from "$...$") and show the markup as text.
"""

from __future__ import annotations

import re

import pytest

from salesops_lib import config
from salesops_lib.report import available_notebooks, run_reports

from ..conftest import write_csvs
from .conftest import LIGHT

LONG = "Northwind Traders International Holdings Worldwide " * 3
LONG = (LONG + "x" * 120)[:120]
TEAMS = ["West $$ Enterprise", "100% _Inside_ ^Sales^", "Back\\slash {Team} \\alpha",
         "<script>alert('team')</script>", "東京 Ventas ☃ 🚀", LONG]
REPS = ["Elena Larsen", "Elena Larsen", "Ζωή $x^2$ Παπά", "Ольга_Иванова 50%",
        "محمد \\frac{1}{2}", "<b>Bold</b> & Co", "😀 Emoji {rep} ^_^", LONG]
ACCOUNTS = ["<script>alert(1)</script>", "$5 Store $$", "Net_Works^2 {LLC}", "C:\\Temp\\Co",
            "株式会社テスト", "Café ☕ 🚀", LONG, "100% Pure & Simple"]


@pytest.fixture(scope="module")
def odd_run(tmp_path_factory):
    from salesops_lib.data.sample import generate

    frames = generate(accounts=300, reps=8, years=2, seed=5, start=2025)
    frames.pop("as_of")
    reps = frames["reps"]
    teams = {t: TEAMS[i % len(TEAMS)] for i, t in enumerate(sorted(reps["team"].unique()))}
    reps["team"] = reps["team"].map(teams)
    reps["rep_name"] = [REPS[i % len(REPS)] for i in range(len(reps))]
    acc = frames["accounts"]
    acc["account_name"] = [ACCOUNTS[i % len(ACCOUNTS)] if i < 40 else n
                           for i, n in enumerate(acc["account_name"])]
    root = tmp_path_factory.mktemp("odd")
    data = write_csvs(root / "crm", frames)
    out = root / "out"
    return run_reports(data=str(data), out=out, params=LIGHT), out


def test_every_report_renders_odd_crm_text(odd_run):
    result, _ = odd_run
    assert [r.name for r in result.results] == available_notebooks(config.NOTEBOOKS)
    failed = {r.name: r.error for r in result.results if r.status != "ok"}
    assert not failed, failed


def test_markup_in_crm_text_is_escaped_on_every_page(odd_run):
    result, out = odd_run
    pages = sorted((out / result.period).glob("*.html"))
    assert len(pages) == len(result.results)
    shown = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script>alert\(", text), f"{page.name} runs CRM markup"
        assert "<b>Bold</b>" not in text, f"{page.name} renders CRM markup"
        shown += ("&lt;script&gt;alert(" in text) or ("&lt;b&gt;Bold&lt;/b&gt;" in text)
    assert shown, "the odd names appear (escaped) in at least one table"
