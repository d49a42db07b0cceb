import pandas as pd

from salesops_lib import viz
from salesops_lib.secrets import mask_text, mask_url, url_password


def test_number_formats():
    assert viz.money(1_234_567) == "$1.2M"
    assert viz.money(12_500) == "$12.5k"
    assert viz.money(950) == "$950"
    assert viz.money(-2_500_000_000) == "-$2.5B"
    assert viz.money(float("nan")) == "–"
    assert viz.pct(0.342) == "34%" and viz.pct(0.3456, 1) == "34.6%"
    assert viz.signed_pct(0.12) == "+12%" and viz.signed_pct(-0.05) == "-5%"
    assert viz.num(12345) == "12,345" and viz.days(41.6) == "42 days"


def test_table_and_cards_escape_crm_text():
    df = pd.DataFrame({"account": ["<script>alert(1)</script>"], "amount": [1500.0]})
    out = viz.table(df, {"amount": "money"}).to_html()
    assert "<script>alert(1)</script>" not in out and "&lt;script&gt;" in out and "$1.5k" in out
    card = viz.kpis([("<b>x</b>", "$1", None)]).data
    assert "<b>x</b>" not in card and "&lt;b&gt;" in card


def test_color_map_is_stable():
    a = viz.color_map(["West", "East", "Central"])
    assert a == viz.color_map(["Central", "West", "East", "East"])
    assert len(set(a.values())) == 3


def test_secret_masking(monkeypatch):
    url = "postgresql://ann:p%40ss@db.internal:5432/crm"
    assert mask_url(url) == "postgresql://ann:***@db.internal:5432/crm"
    assert url_password(url) == "p@ss"
    assert url_password("duckdb:///x.duckdb") is None
    monkeypatch.setenv("CRM_API_TOKEN", "tok-123456")
    assert mask_text("token is tok-123456") == "token is ***"


def test_headers_are_readable():
    assert viz.header("win_rate_low") == "Win rate low"
    assert viz.header("cv_monthly") == "CV monthly"
    assert viz.header("rep_id") == "Rep ID"
    assert viz.header("Open pipeline") == "Open pipeline"
    html = viz.table(pd.DataFrame({"avg_deal_size": [1.0], "Team": ["<b>"]})).to_html()
    assert "Avg deal size" in html and "&lt;b&gt;" in html


def test_column_labels_from_crm_are_escaped():
    html = viz.table(pd.DataFrame({"<i>Team</i>": [1]})).to_html()
    assert "<i>Team</i>" not in html and "&lt;i&gt;Team&lt;/i&gt;" in html
