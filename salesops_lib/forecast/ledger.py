"""The forecast ledger: every forecast the reports made, kept to be checked against actuals.

Each report run appends its forecasts — ``period``, ``source`` (timeseries / pipeline /
blend), ``as_of``, ``value``, ``lower``, ``upper``, ``run_at`` — to one file kept with the
reports (``<reports>/forecast_ledger.csv``, or ``.parquet``). The file is append-only: rows
already there are never changed or dropped. Writing is atomic (a temporary file in the same
folder, then ``os.replace``), so a run that fails, even mid-write, leaves the previous ledger
exactly as it was.

:func:`append` is the only function here with a side effect.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from .. import viz
from ..periods import Period

COLUMNS = ["period", "source", "as_of", "value", "lower", "upper", "run_at"]
FILENAME = "forecast_ledger.csv"


def path(reports_dir: str | os.PathLike) -> Path:
    """The ledger file kept with the reports."""
    return Path(reports_dir) / FILENAME


def empty() -> pd.DataFrame:
    """A ledger with no rows."""
    return pd.DataFrame({"period": pd.Series(dtype=str), "source": pd.Series(dtype=str),
                         "as_of": pd.Series(dtype="M8[ns]"), "value": pd.Series(dtype=float),
                         "lower": pd.Series(dtype=float), "upper": pd.Series(dtype=float),
                         "run_at": pd.Series(dtype="M8[ns]")})


def read(file: str | os.PathLike | None) -> pd.DataFrame:
    """The ledger's rows (an empty ledger if ``file`` is empty/None or does not exist)."""
    if not file or not Path(file).exists():
        return empty()
    f = Path(file)
    df = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f, dtype={"period": str})
    df["as_of"] = pd.to_datetime(df["as_of"])
    df["run_at"] = pd.to_datetime(df["run_at"])
    return df[COLUMNS]


def append(file: str | os.PathLike, rows: pd.DataFrame, run_at=None) -> pd.DataFrame:
    """Append ``rows`` to the ledger at ``file`` atomically; returns the whole new ledger.

    Parameters
    ----------
    file : path
        ``.csv`` or ``.parquet``; created with its folder if missing.
    rows : DataFrame
        ``period``, ``source``, ``as_of``, ``value``, ``lower``, ``upper`` (``run_at`` is
        added: ``run_at`` or now, UTC, without time zone).

    Raises
    ------
    ValueError
        A required column is missing (nothing is written).
    """
    missing = [c for c in COLUMNS[:-1] if c not in rows.columns]
    if missing:
        raise ValueError(f"ledger rows lack column(s) {missing}")
    f = Path(file)
    new = rows[COLUMNS[:-1]].copy()
    new["period"] = new["period"].astype(str)
    new["as_of"] = pd.to_datetime(new["as_of"])
    stamp = pd.Timestamp.now(tz="UTC").tz_localize(None) if run_at is None else pd.Timestamp(
        run_at)
    new["run_at"] = stamp.floor("s")
    old = read(f)
    out = pd.concat([old, new], ignore_index=True) if len(old) else new.reset_index(drop=True)
    f.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=f.parent, prefix=f".{f.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if f.suffix == ".parquet":
            out.to_parquet(tmp, index=False)
        else:
            out.to_csv(tmp, index=False, date_format="%Y-%m-%d %H:%M:%S")
        os.replace(tmp, f)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def record(reports_dir: str | os.PathLike | None, rows: pd.DataFrame) -> pd.DataFrame:
    """Append this run's ``rows`` to the ledger kept in ``reports_dir`` and return the ledger.

    With an empty ``reports_dir`` (an interactive or test run) nothing is written and the
    returned ledger is empty: only scheduled report runs leave a record.
    """
    if not reports_dir:
        return empty()
    return append(path(reports_dir), rows)


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


def plot_accuracy(table: pd.DataFrame, ax=None, *,
                  title: str = "How good were past forecasts? Error by week of the quarter"):
    """Line per ``source`` of ``wape`` against ``week`` (a :func:`summary` table)."""
    fig, ax = viz.figure(title, "week of the quarter the forecast was made",
                         "absolute error (% of actual)", ax=ax)
    colors = {"timeseries": viz.PALETTE[1], "pipeline": viz.PALETTE[2],
              "blend": viz.COLORS["primary"]}
    for src, t in table.groupby("source"):
        t = t.sort_values("week")
        ax.plot(t["week"], t["wape"], marker="o", lw=2 if src == "blend" else 1.5,
                color=colors.get(src), label=src)
    viz.pct_axis(ax)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=9)
    return fig
