"""The forecast ledger: every forecast the reports made, kept to be checked against actuals.

Each report run appends its forecasts — ``period``, ``source`` (timeseries / pipeline /
blend), ``as_of``, ``value``, ``lower``, ``upper``, plus ``data`` (the data source they were
made from, masked) and ``run_at`` — to the table ``forecast_ledger`` of the transactional
store kept with the reports (:mod:`salesops_lib.keep`, SQLite). Rules:

* append-only: rows already there are never changed or dropped; concurrent appends from
  several processes all land; a crash mid-write leaves the last committed state;
* keyed by ``data``: rows from different data sources never mix (:func:`read` takes one);
* one row per (``data``, ``period``, ``source``, ``as_of``): a re-run on the same data and
  as-of date adds nothing;
* only forecasts: a row whose ``as_of`` is on or after the last day of its period is an
  actual, not a forecast, and is not written;
* an old ``<reports>/forecast_ledger.csv`` is migrated into the store on first use (its rows
  are attributed to the data source of that first call) and renamed ``.csv.migrated``.

:func:`append` and :func:`record` are the only functions here with a side effect.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from matplotlib.ticker import MaxNLocator

from .. import keep, viz
from ..periods import Period, PeriodError

COLUMNS = ["period", "source", "as_of", "value", "lower", "upper", "run_at", "data"]
#: The store table (the runner never needs it: it publishes whatever a notebook kept).
TABLE = "forecast_ledger"
KEY = ["data", "period", "source", "as_of"]
#: The CSV ledger of earlier versions, migrated on first use.
LEGACY = "forecast_ledger.csv"
#: Data key of rows migrated without a known source.
UNKNOWN = "unknown"


def path(reports_dir: str | os.PathLike) -> Path:
    """The store file that holds the ledger of ``reports_dir``."""
    return keep.store(reports_dir)


def empty() -> pd.DataFrame:
    """A ledger with no rows."""
    return pd.DataFrame({"period": pd.Series(dtype=str), "source": pd.Series(dtype=str),
                         "as_of": pd.Series(dtype="M8[ns]"), "value": pd.Series(dtype=float),
                         "lower": pd.Series(dtype=float), "upper": pd.Series(dtype=float),
                         "run_at": pd.Series(dtype="M8[ns]"), "data": pd.Series(dtype=str)})


def _typed(df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None or df.empty:
        return empty()
    out = df.copy()
    out["period"] = out["period"].astype(str)
    out["as_of"] = pd.to_datetime(out["as_of"])
    out["run_at"] = pd.to_datetime(out["run_at"], format="ISO8601")
    for c in ("value", "lower", "upper"):
        out[c] = pd.to_numeric(out[c])
    return out[COLUMNS + [c for c in out.columns if c not in COLUMNS]].reset_index(drop=True)


def _rows(rows: pd.DataFrame, data: str | None, run_at, fiscal_start_month: int) -> pd.DataFrame:
    missing = [c for c in COLUMNS[:6] if c not in rows.columns]
    if missing:
        raise ValueError(f"ledger rows lack column(s) {missing}")
    new = rows.copy()
    if "data" not in new.columns or new["data"].isna().any():
        key = data or keep.run_data()
        if not key:
            raise ValueError("ledger rows need the data source they were made from: pass "
                             "data=... (the notebook's data parameter)")
        new["data"] = new["data"].fillna(key) if "data" in new.columns else key
    new["period"] = new["period"].astype(str)
    new["as_of"] = pd.to_datetime(new["as_of"]).dt.normalize()
    stamp = pd.Timestamp.now(tz="UTC").tz_localize(None) if run_at is None else pd.Timestamp(
        run_at)
    new["run_at"] = stamp.floor("s")
    ends = {}
    for label in new["period"].unique():
        try:
            ends[label] = Period.parse(label, fiscal_start_month).end
        except PeriodError as exc:
            raise ValueError(f"ledger rows: {exc}") from None
    # a number as of the period's last day (or later) is the final result, not a forecast
    new = new[new["as_of"] < pd.to_datetime(new["period"].map(ends))] if len(new) else new
    return new[COLUMNS + [c for c in new.columns if c not in COLUMNS]]


def _migrate(reports_dir: Path, data: str | None) -> None:
    legacy = Path(reports_dir) / LEGACY
    if not legacy.exists():
        return
    try:
        old = pd.read_csv(legacy, dtype={"period": str})
    except FileNotFoundError:        # another process migrated it a moment ago
        return
    if "data" not in old.columns:
        old["data"] = data or UNKNOWN
    old["as_of"] = pd.to_datetime(old["as_of"]).dt.normalize()
    old["run_at"] = pd.to_datetime(old.get("run_at", pd.Timestamp.now()))
    keep.append(reports_dir, TABLE, old[COLUMNS], KEY)   # idempotent: a race adds nothing
    try:
        legacy.replace(legacy.with_name(LEGACY + ".migrated"))
    except FileNotFoundError:
        pass


def read(reports_dir: str | os.PathLike | None, *, data: str | None = None) -> pd.DataFrame:
    """The ledger kept with ``reports_dir`` (empty if there is none), optionally only the rows
    of one data source ``data``; ordered as written."""
    if not reports_dir:
        return empty()
    _migrate(Path(reports_dir), data)
    out = _typed(keep.read(reports_dir, TABLE))
    return out[out["data"] == data].reset_index(drop=True) if data else out


def append(reports_dir: str | os.PathLike, rows: pd.DataFrame, *, data: str | None = None,
           run_at=None, fiscal_start_month: int = 1) -> pd.DataFrame:
    """Append ``rows`` to the ledger kept with ``reports_dir`` in one transaction; returns the
    ledger of that data source afterwards.

    Parameters
    ----------
    reports_dir : path
        The reports folder (created if missing).
    rows : DataFrame
        ``period``, ``source``, ``as_of``, ``value``, ``lower``, ``upper``, optionally ``data``;
        ``run_at`` is set to ``run_at`` or now (UTC, without time zone). Rows with ``as_of`` on
        or after their period's last day are dropped; rows already kept (same ``data``,
        ``period``, ``source``, ``as_of``) are skipped.
    data : str, optional
        The data source the rows were made from, when ``rows`` has no ``data`` column (in a
        report run the runner's source is used).

    Raises
    ------
    ValueError
        A required column is missing, a period cannot be read or the data source is unknown
        (nothing is written).
    """
    new = _rows(rows, data, run_at, fiscal_start_month)
    _migrate(Path(reports_dir), data or (new["data"].iloc[0] if len(new) else None))
    keep.append(reports_dir, TABLE, new, KEY)
    keys = new["data"].unique()
    key = data or (keys[0] if len(keys) == 1 else None)
    return read(reports_dir, data=key)


def record(rows: pd.DataFrame, *args, data: str | None = None, fiscal_start_month: int = 1
           ) -> pd.DataFrame:
    """Keep this run's forecasts ``rows`` and return the ledger of their data source.

    In a ``salesops report`` run the rows go into the runner's staging area, published with
    the reports only if the notebook succeeds, and the returned ledger is the published rows
    plus these. Outside a report run (interactive, tests) nothing is written and the ledger
    is empty: only scheduled report runs leave a record.

    The older call ``record(reports_dir, rows)`` still works: in a report run the folder is
    ignored (the runner's staging area is used); outside one, a non-empty folder is written.
    """
    legacy_dir = None
    if not isinstance(rows, pd.DataFrame):          # record(reports_dir, rows)
        legacy_dir, rows = rows, args[0]
    published, staged = keep.staging()
    data = data or keep.run_data()
    if staged is None:
        if not legacy_dir:
            return empty()
        return append(legacy_dir, rows, data=data, fiscal_start_month=fiscal_start_month)
    new = _rows(rows, data, None, fiscal_start_month)
    keep.append(staged, TABLE, new, KEY)
    key = data or new["data"].iloc[0] if len(new) else data
    both = pd.concat([read(published, data=key), _typed(keep.read(staged, TABLE))],
                     ignore_index=True)
    both = both[both["data"] == key] if key else both
    return both.drop_duplicates(KEY, keep="first").reset_index(drop=True)


def against_actual(entries: pd.DataFrame, period: str, actual: float, *,
                   fiscal_start_month: int = 1) -> pd.DataFrame:
    """What was forecast for a closed ``period``, beside its final result.

    Parameters
    ----------
    entries : DataFrame
        Ledger rows (:func:`read`).
    period : str
        The closed period.
    actual : float
        Its final bookings.

    Returns
    -------
    DataFrame
        One row per ``source``: ``forecasts`` (how many were kept), ``first_as_of`` and
        ``first_value`` (the earliest), ``as_of``, ``value``, ``lower``, ``upper`` (the last
        one before the period ended), ``actual``, ``error`` = value − actual,
        ``ape`` = |error| / actual and ``inside`` (actual within [lower, upper]).
    """
    p = Period.parse(period, fiscal_start_month)
    e = entries[(entries["period"] == p.label) & (pd.to_datetime(entries["as_of"]) < p.end)]
    e = e.sort_values(["source", "as_of"])
    if e.empty:
        return pd.DataFrame(columns=["source", "forecasts", "first_as_of", "first_value", "as_of",
                                     "value", "lower", "upper", "actual", "error", "ape",
                                     "inside"])
    g = e.groupby("source", sort=True)
    last = g.tail(1).set_index("source")
    first = g.head(1).set_index("source")
    out = pd.DataFrame({"forecasts": g.size(), "first_as_of": first["as_of"],
                        "first_value": first["value"], "as_of": last["as_of"],
                        "value": last["value"], "lower": last["lower"], "upper": last["upper"]})
    out["actual"] = float(actual)
    out["error"] = out["value"] - out["actual"]
    out["ape"] = out["error"].abs() / out["actual"] if actual else float("nan")
    out["inside"] = (out["actual"] >= out["lower"]) & (out["actual"] <= out["upper"])
    return out.reset_index()


def accuracy(entries: pd.DataFrame, actuals: pd.DataFrame, *, fiscal_start_month: int = 1,
             as_of=None) -> pd.DataFrame:
    """Past forecasts against what was booked.

    Parameters
    ----------
    entries : DataFrame
        Ledger rows (``period``, ``source``, ``as_of``, ``value``, ``lower``, ``upper``).
    actuals : DataFrame
        ``period``, ``actual`` (e.g. :func:`salesops_lib.forecast.period_actuals`).
    as_of : date, optional
        Only periods that ended by then are scored (a quarter in progress has no actual yet).

    Returns
    -------
    DataFrame
        The entries of ended periods with ``actual``, ``week`` (week of the period the
        forecast was made in, 1 = first seven days), ``error`` = value − actual,
        ``ape`` = :math:`|value - actual| / actual` and ``inside`` (actual within the bounds).
    """
    act = actuals.groupby("period")["actual"].sum()
    e = entries[entries["period"].isin(act.index)].copy()
    if e.empty:
        return e.assign(actual=[], week=[], error=[], ape=[], inside=[])
    starts = {k: Period.parse(k, fiscal_start_month) for k in e["period"].unique()}
    start = e["period"].map({k: v.start for k, v in starts.items()})
    end = e["period"].map({k: v.end for k, v in starts.items()})
    if as_of is not None:
        keep = end <= pd.Timestamp(as_of)
        e, start = e[keep], start[keep]
    e["actual"] = e["period"].map(act)
    e["week"] = ((pd.to_datetime(e["as_of"]) - start).dt.days // 7 + 1).astype(int)
    e["error"] = e["value"] - e["actual"]
    e["ape"] = e["error"].abs() / e["actual"].where(e["actual"] > 0)
    e["inside"] = (e["actual"] >= e["lower"]) & (e["actual"] <= e["upper"])
    return e.reset_index(drop=True)


def summary(acc: pd.DataFrame, by=("source", "week")) -> pd.DataFrame:
    """Accuracy per group: ``wape`` = Σ|error| / Σ actual, ``bias`` = Σ error / Σ actual,
    ``coverage`` = share of actuals inside the interval, ``n`` forecasts."""
    g = acc.assign(abs_err=acc["error"].abs()).groupby(list(by))
    out = pd.DataFrame({"wape": g["abs_err"].sum() / g["actual"].sum(),
                        "bias": g["error"].sum() / g["actual"].sum(),
                        "coverage": g["inside"].mean(), "n": g.size()})
    return out.reset_index()


#: How the forecast's three sources are named in every table and chart.
SOURCE_NAMES = {"timeseries": "Time-series model", "pipeline": "Pipeline", "blend": "Blend"}


def plot_accuracy(table: pd.DataFrame, ax=None, *, title: str | None = None):
    """Line per ``source`` of ``wape`` against ``week`` (a :func:`summary` table); the title
    and axis name the period's kind from ``table.attrs["kind"]`` (quarter when absent)."""
    kind = table.attrs.get("kind", "quarter")
    title = title or f"How good were past forecasts? Error by week of the {kind}"
    fig, ax = viz.figure(title, f"week of the {kind} the forecast was made",
                         "absolute error (% of actual)", ax=ax)
    colors = viz.SOURCE_COLORS
    for src, t in table.groupby("source"):
        t = t.sort_values("week")
        ax.plot(t["week"], t["wape"], marker="o", lw=2 if src == "blend" else 1.5,
                color=colors.get(src), label=SOURCE_NAMES.get(src, src))
    viz.pct_axis(ax)
    ax.set_ylim(bottom=0)
    weeks = sorted(table["week"].dropna().astype(int).unique())
    if 0 < len(weeks) <= 13:        # the weeks measured (1, 4, 7, 10, 13 of a quarter)
        ax.set_xticks(weeks)
    else:                           # whole weeks, never a week 0 or 2.5
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    viz.legend_below(ax, ncols=3)        # under the plot, off the data (page checklist)
    return fig
