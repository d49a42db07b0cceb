"""House style: one palette, one way to write money and percentages, titled and labelled charts.

Every chart and table of the reports goes through these helpers: the same colours for the
same things, the same number formats everywhere (orange is a target and nothing else).

* ``money(1_234_567) -> "$1.2M"``, ``pct(0.342) -> "34%"``, ``num(12345) -> "12,345"``
* ``figure(title, xlabel, ylabel)`` -> a styled matplotlib ``(fig, ax)``
* ``table(df, formats)`` -> an HTML-escaped pandas Styler for display in a notebook
* ``kpis([...])`` -> a row of headline numbers, marked for the index (``headline.extract``)
* ``legend_below(ax)`` -> a legend under the axes; ``with_total(df, ...)`` -> a totals row

Every figure made here carries its title into the notebook output as the image's alt text
(:func:`figure_title`, :func:`register_alt_text`), so a report's images are described.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import textwrap
import warnings
from functools import lru_cache

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

#: The palette, in the order categories are coloured (colour-blind safe, Okabe-Ito and Tol
#: based), without orange: a quota line never looks like a team or a series.
PALETTE = ["#0B4F8A", "#009E73", "#CC79A7", "#56B4E9", "#882255", "#999933", "#6B6B6B",
           "#44AA99", "#117733", "#332288", "#AA4499", "#DDCC77"]
#: Characters a name keeps beside a bar (longer ones end in "…"; tables keep them whole).
NAME_WIDTH = 32
COLORS = {                   # colours with a fixed meaning
    "primary": "#0B4F8A",    # this period / our number
    "compare": "#9DB4CC",    # last year / baseline
    "good": "#2E7D32",
    "bad": "#C62828",
    "neutral": "#6B6B6B",
    "interval": "#0B4F8A",   # drawn with alpha for bands
    "target": "#E69F00",     # quota, target and reference lines, and nothing else
}
#: The forecast's sources, the same on every chart.
SOURCE_COLORS = {"blend": COLORS["primary"], "pipeline": "#009E73", "timeseries": "#882255"}


# ---- number formats -----------------------------------------------------------------------
MISSING = "–"


def _missing_as_dash(fmt):
    """Wrap a number format so that None, NaN and pd.NA show as a dash."""
    @functools.wraps(fmt)
    def wrapped(x, *args, **kwargs):
        return MISSING if x is None or pd.isna(x) else fmt(x, *args, **kwargs)
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


def money_apart(x: float, lower: float, upper: float) -> int:
    """Decimals for :func:`money` to show a result ``x`` beside its range: 1 inside it, else the
    fewest (up to 4) that tell ``x`` from the bound it missed, which it must not seem to equal."""
    bound = min(max(x, lower), upper)
    return next((d for d in (1, 2, 3) if bound == x or money(x, d) != money(bound, d)), 4)


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
    """Change as a signed percentage (``0.12 -> "+12%"``, ``-0.003 -> "-0.3%"``, never "-0%")."""
    v = 100 * float(x)
    d = decimals + int(round(v, decimals) == 0)
    return "0%" if round(v, d) == 0 else f"{v:+.{d}f}%"


_SINGULAR = {"have": "has", "are": "is", "were": "was"}


def count(n: int, noun: str, verb: str = "", zero: str | None = None,
          plural: str | None = None) -> str:
    """A count in words with its noun and verb agreeing: ``count(3, "deal")`` → "3 deals",
    ``count(1, "rep", "win")`` → "1 rep wins", ``count(2, "deal", "have")`` → "2 deals
    have", and with ``zero="no"``, ``count(0, "rep", "win", zero="no")`` → "no rep wins"
    (without it "0 reps win"). A verb ending in "ed" is left as it is; ``plural`` for a noun
    that does not take an "s"."""
    n = int(n)
    one = n == 1 or (n == 0 and zero is not None)
    head = (f"{zero} {noun}" if n == 0 and zero is not None
            else f"{n:,} {noun if n == 1 else plural or noun + 's'}")
    if not verb:
        return head
    if verb.endswith("ed") or not one:
        return f"{head} {verb}"
    return f"{head} {_SINGULAR.get(verb, verb + 's')}"


def its(n: int) -> str:
    """The possessive that agrees with a count: ``its(1)`` → "its", ``its(3)`` → "their"
    (beside :func:`count`: "1 deal has no history rows: its state ...")."""
    return "its" if int(n) == 1 else "their"


FORMATS = {"money": money, "pct": pct, "num": num, "days": days, "signed_pct": signed_pct}


def money_tick(v: float) -> str:
    """A tick label in dollars with the fewest decimals that state it exactly: 750,000 →
    "$750k", 1,250,000 → "$1.25M", 2,000,000 → "$2M" (so neighbouring ticks never read
    as unevenly spaced, as 1.25M and 1.5M rounded to one decimal, "$1.2M" and "$1.5M", do)."""
    a = abs(float(v))
    div = next((d for d in (1e9, 1e6, 1e3) if a >= d), 1.0)
    for d in range(4 if div > 1 else 1):
        if abs(round(a / div, d) * div - a) <= 1e-6 * max(a, 1.0):
            return money(v, d)
    return money(v, 3 if div > 1 else 0)


def money_axis(ax, axis: str = "y"):
    """Format an axis in dollars, each tick with the decimals it needs (:func:`money_tick`)."""
    fmt = mticker.FuncFormatter(lambda v, _: money_tick(v))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)
    return ax


class _PctTicks(mticker.Formatter):
    """Percent ticks with the decimals their spacing needs (30%, 32% or 30.5%, 31.0%)."""

    def __call__(self, x, pos=None):
        locs = np.asarray(self.locs, float)
        step = float(np.min(np.diff(np.sort(locs)))) * 100 if len(locs) > 1 else 1.0
        decimals = 0 if step <= 0 else max(0, -int(np.floor(np.log10(step) + 1e-9)))
        return pct(x, decimals)


def pct_axis(ax, axis: str = "y"):
    """Format an axis as percentages of 1.0 (34%), ticks 1, 2 or 5 × a power of ten apart."""
    a = ax.yaxis if axis == "y" else ax.xaxis
    a.set_major_locator(mticker.MaxNLocator(steps=[1, 2, 5, 10]))
    a.set_major_formatter(_PctTicks())
    return ax


# ---- charts -------------------------------------------------------------------------------
#: Fonts for what DejaVu Sans lacks, used when installed (Debian packages fonts-droid-fallback
#: and fonts-symbola; ``.ci/run`` installs them): Chinese, Japanese and Korean names, and
#: emoji, which otherwise draw as empty boxes. Matplotlib falls back glyph by glyph.
FALLBACK_FONTS = {
    "Droid Sans Fallback": "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "Symbola": "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf",
}


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then each :data:`FALLBACK_FONTS` font that is installed (registered with
    matplotlib when its font cache predates the install)."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    family = ["DejaVu Sans"]
    for name, path in FALLBACK_FONTS.items():
        if name not in known and os.path.exists(path):
            font_manager.fontManager.addfont(path)
            known.add(name)
        if name in known:
            family.append(name)
    if len(family) > 1:
        # the fallbacks have one weight: "findfont: Failed to find font weight bold" would be
        # logged, and a report shows no log lines
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    return tuple(family)


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
        "font.family": list(font_family()),
        # CRM text (team, rep, account names) is shown as typed: "$", "^", "_" are no math
        "text.parse_math": False,
        "text.usetex": False,
    })


def figure(title: str, xlabel: str, ylabel: str, ax=None, size=None):
    """A styled ``(fig, ax)`` with title and both axis labels set (units in the labels).
    Labels start with a capital letter on every page ("period start" reads "Period start").

    Pass ``ax`` to draw into an existing axes (its figure is returned).
    """
    apply_style()
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    ax.set_title(title)
    ax.set_xlabel(xlabel[:1].upper() + xlabel[1:])
    ax.set_ylabel(ylabel[:1].upper() + ylabel[1:])
    register_alt_text()
    return fig, ax


def figure_title(fig) -> str:
    """A figure's description for alt text: its suptitle, else its axes' titles (joined with
    "; "), else "Chart"."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text().strip():
        return sup.get_text().strip()
    titles = [t for ax in fig.axes for t in (ax.get_title(), ax.get_title("left"),
                                             ax.get_title("right")) if t and t.strip()]
    titles = list(dict.fromkeys(t.strip() for t in titles))
    return "; ".join(titles) or "Chart"


def register_alt_text() -> None:
    """Make the running IPython kernel record each figure's title (:func:`figure_title`) in
    its PNG output's metadata (``{"image/png": {"alt": ...}}``), which the report HTML uses
    as the image's alt text. Idempotent; does nothing outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:      # pragma: no cover - IPython ships with the kernel
        return
    ip = get_ipython()
    if ip is None:
        return
    from matplotlib.figure import Figure

    png = ip.display_formatter.formatters["image/png"]
    try:
        current = png.lookup_by_type(Figure)
    except KeyError:
        return
    if getattr(current, "_salesops_alt", False):
        return

    def with_alt(fig, _inner=current):
        data = _inner(fig)
        data, md = data if isinstance(data, tuple) else (data, {})
        md = {**(md or {}), "alt": figure_title(fig)}
        return data, md

    with_alt._salesops_alt = True
    png.for_type(Figure, with_alt)


def legend_below(ax, ncols: int = 4, **kwargs):
    """Legend under the axes (off the data); nothing when no artist has a label."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    fig = ax.figure
    fig.tight_layout()
    # 6 points under all the axes draw below them (tick labels of any lines, the axis label)
    low = ax.get_tightbbox(fig.canvas.get_renderer()).y0 - 6 * fig.dpi / 72
    return ax.legend(handles, labels, loc="upper left",
                     bbox_to_anchor=(0.0, (low - ax.bbox.y0) / ax.bbox.height),
                     ncols=min(ncols, len(handles)), fontsize=8.5, frameon=False,
                     borderaxespad=0.0, **kwargs)


def legend_right(ax, **kwargs):
    """Legend beside the axes, to the right (off the data); nothing when no artist has a label."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), **kwargs)


def wrap_label(text, width: int = 14, lines: int = 3) -> str:
    """``text`` on at most ``lines`` lines of ``width`` characters; a name cut short ends in "…",
    or on one line loses its middle if it ends in "(…)" (what tells same-named reps apart)."""
    out = textwrap.wrap(str(text), width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(out) > lines == 1 and str(text).endswith(")"):
        return str(text)[:width // 2 - 1].rstrip() + "…" + str(text)[-(width - width // 2):]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:width - 1].rstrip() + "…"
    return "\n".join(out)


def category_ticks(ax, positions, labels, width: int = 14, axis: str = "x", **kw) -> None:
    """Name the bars at ``positions`` with ``labels`` (:func:`wrap_label`): under vertical bars
    on lines of at most ``width`` characters, so long names stack instead of running into their
    neighbours; beside horizontal ones (``axis="y"``) on one line of :data:`NAME_WIDTH`."""
    if axis == "y":
        return ax.set_yticks(positions, [wrap_label(t, NAME_WIDTH, 1) for t in labels], **kw)
    ax.set_xticks(positions, [wrap_label(t, width) for t in labels], rotation=0, **kw)


def nothing_to_draw(fig):
    """Close a figure with nothing to show (a sentence says why): None, so no empty chart."""
    plt.close(fig)


def color_map(categories) -> dict:
    """Stable colour per category (sorted), so a team has the same colour in every chart."""
    cats = sorted(pd.unique(pd.Series(list(categories)).dropna().astype(str)))
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(cats)}


# ---- tables and headline numbers ----------------------------------------------------------
_ACRONYMS = {"id": "ID", "cv": "CV", "wape": "WAPE", "mase": "MASE", "fva": "FVA", "km": "km",
             "ci": "CI", "yoy": "YoY", "ols": "OLS", "usd": "USD"}


def header(name) -> str:
    """A column name as a reader wants it: ``win_rate_low -> "Win rate low"``,
    ``cv_monthly -> "CV monthly"``, ``"final result" -> "Final result"`` (a heading starts
    with a capital, whoever built the table). Names that already have capitals are kept."""
    text = str(name)
    if text != text.lower():
        return text
    if " " in text:
        return text[:1].upper() + text[1:]
    words = [_ACRONYMS.get(w, w) for w in text.split("_") if w]
    if not words:
        return text
    first = words[0] if words[0] in _ACRONYMS.values() else words[0].capitalize()
    return " ".join([first] + words[1:])


RAG_COLORS = {"green": "#E3F1E4", "amber": "#FFF1D6", "red": "#FBE1E1"}
RAG_TEXT = {"green": "#1B5E20", "amber": "#8A5300", "red": "#B71C1C"}


def rag(value, green: float, amber: float) -> str | None:
    """Red/amber/green of a value where higher is better: ``"green"`` when value ≥ green,
    ``"amber"`` when ≥ amber, ``"red"`` below, None when the value is missing."""
    if value is None or pd.isna(value):
        return None
    return "green" if value >= green else "amber" if value >= amber else "red"


def with_total(df: pd.DataFrame, label_col: str, label: str = "Total", sums=(),
               ratios: dict | None = None) -> pd.DataFrame:
    """``df`` with a totals row appended: ``label`` in ``label_col``, the sum of each column
    of ``sums`` (NaN when the column is all missing), and each ``ratios`` column
    ``{col: (numerator, denominator)}`` recomputed from the totals (a total of ratios is a
    ratio of totals, never a sum). Other columns are left empty. ``df`` is not modified."""
    total = {c: (float("nan") if pd.api.types.is_numeric_dtype(df[c]) else None)
             for c in df.columns}
    total[label_col] = label
    for c in sums:
        total[c] = df[c].sum(min_count=1)
    for c, (num, den) in (ratios or {}).items():
        n, d = total.get(num, df[num].sum(min_count=1)), total.get(den, df[den].sum(min_count=1))
        total[c] = n / d if pd.notna(n) and pd.notna(d) and d > 0 else float("nan")
    row = pd.DataFrame([total], columns=df.columns)
    for c in df.columns:
        if pd.api.types.is_numeric_dtype(df[c]):
            row[c] = pd.to_numeric(row[c], errors="coerce").astype(float)
    with warnings.catch_warnings():   # the totals row's empty cells keep each column's dtype
        warnings.simplefilter("ignore", FutureWarning)
        out = pd.concat([df.astype({c: float for c in df.columns
                                    if pd.api.types.is_integer_dtype(df[c])}), row],
                        ignore_index=True)
    return out


def table(df: pd.DataFrame, formats: dict | None = None, caption: str | None = None,
          index: bool = False, total: bool | int = False, rag_cols: dict | None = None):
    """A display-ready Styler: formatted numbers, escaped text, house colours.

    ``formats`` maps a column to ``"money"``, ``"pct"``, ``"num"``, ``"days"``,
    ``"signed_pct"`` or a callable. Text from the CRM is HTML-escaped. ``total=True`` shows
    the last row as a totals row (bold, ruled); an integer ``n`` the last ``n`` rows (subtotals
    and total). ``rag_cols`` maps a column to a Series (same
    index) of ``"green"``/``"amber"``/``"red"``/None that colours its cells.
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
        sty = sty.set_properties(subset=num_cols, **{"text-align": "right",
                                                     "white-space": "nowrap"})
    # labels of up to 20 characters (teams, reps, verdicts) stay on one line; longer ones wrap,
    # a word too long for 8em broken anywhere, so a long team name never widens past the page
    for c in txt_cols:
        one_line = out[c].astype(str).str.len().max() <= 20
        sty = sty.set_properties(subset=[c], **{"text-align": "left", **(
            {"white-space": "nowrap"} if one_line else {"overflow-wrap": "anywhere", "min-width": "8em"})})
    for col, status in (rag_cols or {}).items():
        if col in out.columns:
            css = pd.Series(status, index=out.index).map(
                lambda k: f"background:{RAG_COLORS[k]};color:{RAG_TEXT[k]};font-weight:600"
                if k in RAG_COLORS else "")
            sty = sty.apply(lambda _c, css=css: css, subset=[col])
    n_tot = min(int(total), len(out))
    if n_tot:
        rows = list(out.index[-n_tot:])
        first = "font-weight:700;border-top:2px solid #333;border-bottom:none"
        rest = "font-weight:700;border-bottom:none"
        sty = sty.apply(lambda r: [first if r.name == rows[0] else rest] * len(r)
                        if r.name in rows else [""] * len(r), axis=1)
    return sty


#: Output-metadata key marking :func:`kpis` cards (read by the report index).
KPI_MARK = "salesops_kpis"


def kpis(items: list[tuple]):
    """A row of headline numbers as HTML: ``[(label, value, note), ...]``, each optionally
    with a fourth element, ``"green"``/``"amber"``/``"red"`` (see :func:`rag`), that colours
    the card and adds the status in words. All three strings are escaped, so CRM text cannot
    inject markup. The output carries the cards in its metadata (``{"text/html": {KPI_MARK:
    [[label, value, note], ...]}}``) and the HTML a ``data-salesops="kpis"`` attribute, so the
    first card can be read back as the report's headline number.
    """
    from IPython.display import HTML

    cards = []
    items = [tuple(it) + (None,) * (4 - len(it)) for it in items]
    for label, value, note, status in items:
        bg, fg = RAG_COLORS.get(status, "#F7F9FC"), RAG_TEXT.get(status, "#0B4F8A")
        word = {"green": "on track", "amber": "watch", "red": "at risk"}.get(status)
        cards.append(
            '<div style="flex:1 1 0;min-width:130px;box-sizing:border-box;border:1px solid #D6DEE8;'
            f'border-radius:6px;padding:10px 14px;background:{bg}">'
            f'<div style="font-size:12px;color:#555;text-transform:uppercase;letter-spacing:.04em">'
            f"{html.escape(str(label))}</div>"
            f'<div style="font-size:26px;font-weight:700;color:{fg};margin:2px 0">'
            f"{html.escape(str(value))}</div>"
            + (f'<div style="font-size:11px;font-weight:700;color:{fg};text-transform:uppercase;'
               f'letter-spacing:.04em">{word}</div>' if word else "")
            + (f'<div style="font-size:12px;color:#444">{html.escape(str(note))}</div>' if note else "")
            + "</div>")
    return HTML('<div data-salesops="kpis" style="display:flex;gap:12px;flex-wrap:wrap;'
                'margin:8px 0 16px 0">' + "".join(cards) + "</div>",
                metadata={KPI_MARK: [[str(a), str(b), None if c is None else str(c)]
                                     for a, b, c, _ in items]})


def callout(text: str | None, kind: str = "info"):
    """A highlighted sentence (``kind``: info, warn, bad), escaped; nothing for ``None``."""
    from IPython.display import HTML

    if text is None:
        return None
    colors = {"info": ("#EEF4FA", "#0B4F8A"), "warn": ("#FFF6E5", "#B26A00"),
              "bad": ("#FDECEC", "#C62828")}
    bg, fg = colors.get(kind, colors["info"])
    return HTML(f'<div style="background:{bg};border-left:4px solid {fg};padding:8px 12px;'
                f'margin:8px 0;color:#222">{html.escape(text)}</div>')


def bullets(lines):
    """Sentences as an HTML bullet list (each escaped)."""
    from IPython.display import HTML

    items = "".join(f"<li style='margin:3px 0'>{html.escape(str(x))}</li>" for x in lines)
    return HTML(f"<ul style='font-size:14.5px;line-height:1.45'>{items}</ul>")
