"""House style: one palette, one way to write money and percentages, titled and labelled charts.

Every chart and table in the reports goes through these helpers so leadership sees the same
colours for the same things and the same number formats everywhere.

* ``money(1_234_567) -> "$1.2M"``, ``pct(0.342) -> "34%"``, ``num(12345) -> "12,345"``
* ``figure(title, xlabel, ylabel)`` -> a styled matplotlib ``(fig, ax)``
* ``table(df, formats)`` -> an HTML-escaped pandas Styler for display in a notebook
* ``kpis([...])`` -> a row of headline numbers ("key numbers first")
"""

from __future__ import annotations

import html

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd

#: The palette, in the order categories are coloured (colour-blind safe, Okabe-Ito based).
PALETTE = ["#0B4F8A", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#6B6B6B", "#882255", "#44AA99", "#117733", "#999933"]
#: Colours with a fixed meaning.
COLORS = {
    "primary": "#0B4F8A",    # this period / our number
    "compare": "#9DB4CC",    # last year / baseline
    "good": "#2E7D32",
    "bad": "#C62828",
    "neutral": "#6B6B6B",
    "interval": "#0B4F8A",   # drawn with alpha for bands
    "target": "#E69F00",     # quota / target lines
}


# -------------------------------------------------------------------------------------------
# number formats
# -------------------------------------------------------------------------------------------
MISSING = "–"


def _missing_as_dash(fmt):
    """Wrap a number format so that None, NaN and pd.NA show as a dash."""
    import functools

    @functools.wraps(fmt)
    def wrapped(x, *args, **kwargs):
        if x is None or pd.isna(x):
            return MISSING
        return fmt(x, *args, **kwargs)
    return wrapped


@_missing_as_dash
def money(x, decimals: int = 1) -> str:
    """Dollar amount with a k/M/B suffix: ``1_234_567 -> "$1.2M"``, ``950 -> "$950"``."""
    sign = "-" if x < 0 else ""
    x = abs(float(x))
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{sign}${x / div:,.{decimals}f}{suffix}"
    return f"{sign}${x:,.0f}"


@_missing_as_dash
def pct(x, decimals: int = 0) -> str:
    """Fraction as a percentage: ``0.342 -> "34%"``."""
    return f"{100 * float(x):.{decimals}f}%"


@_missing_as_dash
def num(x, decimals: int = 0) -> str:
    """Plain number with thousands separators: ``12345 -> "12,345"``."""
    return f"{float(x):,.{decimals}f}"


@_missing_as_dash
def days(x) -> str:
    """Duration in days: ``41.5 -> "42 days"``."""
    return f"{float(x):,.0f} days"


@_missing_as_dash
def signed_pct(x, decimals: int = 0) -> str:
    """Change as a signed percentage: ``0.12 -> "+12%"``."""
    return f"{100 * float(x):+.{decimals}f}%"


FORMATS = {"money": money, "pct": pct, "num": num, "days": days, "signed_pct": signed_pct}


def money_axis(ax, axis: str = "y"):
    """Format an axis in dollars ($1.2M)."""
    fmt = mticker.FuncFormatter(lambda v, _: money(v, 1 if abs(v) < 1e7 else 0))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


def pct_axis(ax, axis: str = "y"):
    """Format an axis as percentages of 1.0 (34%)."""
    fmt = mticker.FuncFormatter(lambda v, _: pct(v))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


# -------------------------------------------------------------------------------------------
# charts
# -------------------------------------------------------------------------------------------
def apply_style() -> None:
    """Set matplotlib defaults for the house style (fonts, grid, palette, sizes)."""
    plt.rcParams.update({
        "figure.figsize": (9, 4.2),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "savefig.bbox": "tight",
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#E3E3E3",
        "grid.linewidth": 0.8,
        "axes.axisbelow": True,
        "axes.titlesize": 13,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": 10.5,
        "axes.labelcolor": "#333333",
        "xtick.color": "#444444",
        "ytick.color": "#444444",
        "legend.frameon": False,
        "font.family": "DejaVu Sans",
        # CRM text (team, rep, account names) is shown as typed: "$", "^", "_" are no math
        "text.parse_math": False,
        "text.usetex": False,
    })


def figure(title: str, xlabel: str, ylabel: str, ax=None, size=None):
    """A styled ``(fig, ax)`` with title and both axis labels set (units in the labels).

    Pass ``ax`` to draw into an existing axes (its figure is returned).
    """
    apply_style()
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def color_map(categories) -> dict:
    """Stable colour per category (sorted), so a team has the same colour in every chart."""
    cats = sorted(pd.unique(pd.Series(list(categories)).dropna().astype(str)))
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}


# -------------------------------------------------------------------------------------------
# tables and headline numbers
# -------------------------------------------------------------------------------------------
_ACRONYMS = {"id": "ID", "cv": "CV", "wape": "WAPE", "mase": "MASE", "fva": "FVA", "km": "km",
             "ci": "CI", "yoy": "YoY", "ols": "OLS", "usd": "USD"}


def header(name) -> str:
    """A column name as a reader wants it: ``win_rate_low -> "Win rate low"``,
    ``cv_monthly -> "CV monthly"``. Names that already have capitals or spaces are kept."""
    text = str(name)
    if " " in text or text != text.lower():
        return text
    words = [_ACRONYMS.get(w, w) for w in text.split("_") if w]
    if not words:
        return text
    first = words[0] if words[0] in _ACRONYMS.values() else words[0].capitalize()
    return " ".join([first] + words[1:])


def table(df: pd.DataFrame, formats: dict | None = None, caption: str | None = None,
          index: bool = False):
    """A display-ready Styler: formatted numbers, escaped text, house colours.

    ``formats`` maps a column to ``"money"``, ``"pct"``, ``"num"``, ``"days"``,
    ``"signed_pct"`` or a callable. Text from the CRM is HTML-escaped.
    """
    formats = formats or {}
    out = df.copy()
    fmt = {}
    for col, f in formats.items():
        if col in out.columns:
            fmt[col] = FORMATS[f] if isinstance(f, str) else f
    sty = out.style.format(fmt, na_rep="–", escape="html")
    sty = sty.relabel_index([html.escape(header(c)) for c in out.columns], axis="columns")
    if not index:
        sty = sty.hide(axis="index")
    if caption:
        sty = sty.set_caption(html.escape(caption))
    sty = sty.set_table_styles([
        {"selector": "th", "props": "background:#0B4F8A;color:white;font-weight:600;"
                                    "padding:6px 10px;text-align:left;"},
        {"selector": "td", "props": "padding:5px 10px;border-bottom:1px solid #E3E3E3;"},
        {"selector": "caption", "props": "caption-side:top;text-align:left;font-weight:600;"
                                         "color:#333;padding-bottom:6px;"},
        {"selector": "", "props": "border-collapse:collapse;font-size:13px;margin:6px 0 14px 0;"},
    ])
    num_cols = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])]
    txt_cols = [c for c in out.columns if c not in num_cols]
    if num_cols:
        sty = sty.set_properties(subset=num_cols, **{"text-align": "right"})
    if txt_cols:
        sty = sty.set_properties(subset=txt_cols, **{"text-align": "left"})
    return sty


def kpis(items: list[tuple[str, str, str | None]]):
    """A row of headline numbers as HTML: ``[(label, value, note), ...]``.

    All three strings are escaped, so CRM text cannot inject markup.
    """
    from IPython.display import HTML

    cards = []
    for label, value, note in items:
        cards.append(
            '<div style="flex:1 1 0;min-width:130px;box-sizing:border-box;border:1px solid #D6DEE8;'
            'border-radius:6px;'
            'padding:10px 14px;background:#F7F9FC">'
            f'<div style="font-size:12px;color:#555;text-transform:uppercase;letter-spacing:.04em">'
            f"{html.escape(str(label))}</div>"
            f'<div style="font-size:26px;font-weight:700;color:#0B4F8A;margin:2px 0">'
            f"{html.escape(str(value))}</div>"
            + (f'<div style="font-size:12px;color:#444">{html.escape(str(note))}</div>' if note else "")
            + "</div>")
    return HTML('<div style="display:flex;gap:12px;flex-wrap:wrap;margin:8px 0 16px 0">'
                + "".join(cards) + "</div>")


def callout(text: str, kind: str = "info"):
    """A highlighted sentence (``kind``: info, warn, bad) with the text escaped."""
    from IPython.display import HTML

    colors = {"info": ("#EEF4FA", "#0B4F8A"), "warn": ("#FFF6E5", "#B26A00"),
              "bad": ("#FDECEC", "#C62828")}
    bg, fg = colors.get(kind, colors["info"])
    return HTML(f'<div style="background:{bg};border-left:4px solid {fg};padding:8px 12px;'
                f'margin:8px 0;color:#222">{html.escape(text)}</div>')


def bullets(lines) -> HTML:
    """Sentences as an HTML bullet list (each escaped)."""
    from IPython.display import HTML

    items = "".join(f"<li style='margin:3px 0'>{html.escape(str(x))}</li>" for x in lines)
    return HTML(f"<ul style='font-size:14.5px;line-height:1.45'>{items}</ul>")
