"""Validation at the boundary: every table is coerced to the contract's types and checked
against its rules (:mod:`salesops_lib.data.schemas`); anything wrong becomes one
:class:`DataValidationError` naming the table, the column, the file and a few offending rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.errors

from .. import viz
from . import schemas

MAX_EXAMPLES = 5
_PERIOD_RE = r"^(?:FY)?\d{4}(?:-?Q[1-4]|-(?:0[1-9]|1[0-2]))?$"


# --------------------------------------------------------------------------------------------
# errors and notes
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is (table, column, file) and which rows break it."""

    table: str
    column: str
    message: str
    rows: tuple[str, ...] = ()
    count: int = 0
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.file:
            where += f" (file {self.file})"
        text = f"{where}: {self.message}"
        if self.rows:
            more = f" and {self.count - len(self.rows)} more" if self.count > len(self.rows) else ""
            text += "; e.g. " + "; ".join(self.rows) + more
        return text


class DataValidationError(ValueError):
    """Input data breaks the data contract. ``problems`` lists each broken rule."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        first = self.problems[0]
        self.table, self.column = first.table, first.column
        lines = [str(p) for p in self.problems]
        head = "Data validation failed" if len(lines) == 1 else (
            f"Data validation failed ({len(lines)} problems)")
        super().__init__(head + ":\n- " + "\n- ".join(lines))


class DataSourceError(RuntimeError):
    """A source cannot be read at all (missing folder, unreachable database, bad URL)."""


@dataclass(frozen=True)
class HealthNote:
    """A warning about data that loads but deserves a reader's attention."""

    table: str
    message: str
    count: int

    def __str__(self) -> str:
        return f"{self.table}: {self.message}"


# --------------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------------
def _row_label(df: pd.DataFrame, idx, table: str, file: str | None) -> str:
    """How a reader finds the row: the line in a CSV file, else the 1-based row number."""
    pos = df.index.get_loc(idx) if not isinstance(idx, (int, np.integer)) else int(idx)
    label = f"line {pos + 2}" if file and file.endswith((".csv", ".csv.gz")) else f"row {pos + 1}"
    key = schemas.CONTRACT[table][0].name
    if schemas.CONTRACT[table][0].unique and key in df.columns:
        label += f" ({key}={df.at[idx, key]})"
    return label


def _examples(df, mask, table, file, column=None, original=None):
    idx = df.index[np.asarray(mask, dtype=bool)]
    out = []
    for i in idx[:MAX_EXAMPLES]:
        lab = _row_label(df, i, table, file)
        if column is not None:
            val = (original if original is not None else df[column]).at[i]
            if isinstance(val, pd.Timestamp):
                val = f"{val:%Y-%m-%d}"
            lab += ": empty" if pd.isna(val) else (f": {val!r}" if isinstance(val, str) else f": {val}")
        out.append(lab)
    return tuple(out), len(idx)


def _coerce(table: str, df: pd.DataFrame, file: str | None, problems: list[Problem]):
    df = df.copy()
    # keep an integer index: it is the row's position in the source file (rows a mapping
    # dropped leave gaps), so errors point at the file's own lines
    if not (pd.api.types.is_integer_dtype(df.index) and df.index.is_unique):
        df.index = pd.RangeIndex(len(df))
    for c in schemas.CONTRACT[table]:
        if c.name not in df.columns:
            continue
        s = df[c.name]
        if c.kind == "str":
            if pd.api.types.is_float_dtype(s) and s.dropna().mod(1).eq(0).all():
                s = s.astype("Int64")  # ids stored as floats in Parquet: 12.0 -> "12"
            s = s.astype("string").str.strip()
            df[c.name] = s.mask(s == "")
        elif c.kind == "float":
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
                df[c.name] = s.astype("float64")
                continue
            txt = s.astype("string").str.strip()
            num = pd.to_numeric(txt, errors="coerce").astype("float64")
            bad = num.isna() & txt.notna() & (txt != "")
            if bad.any():
                rows, n = _examples(df, bad, table, file, c.name, s)
                problems.append(Problem(table, c.name, f"{n} value(s) are not numbers", rows, n, file))
            df[c.name] = num
        elif c.kind == "date":
            if pd.api.types.is_datetime64_any_dtype(s):
                d = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
                df[c.name] = d.astype("datetime64[ns]").dt.normalize()
                continue
            txt = s.astype("string").str.strip()
            txt = txt.mask(txt == "")
            d = pd.to_datetime(txt, errors="coerce", format="ISO8601", utc=True)
            bad = d.isna() & txt.notna()
            if bad.any():
                # US-style dates as exported by common CRMs; anything else is an error
                alt = pd.to_datetime(txt[bad], errors="coerce", format="%m/%d/%Y", utc=True)
                d = d.where(~bad, alt)
                bad = d.isna() & txt.notna()
            if bad.any():
                rows, n = _examples(df, bad, table, file, c.name, s)
                problems.append(Problem(table, c.name, f"{n} value(s) are not dates "
                                        "(expected YYYY-MM-DD)", rows, n, file))
            df[c.name] = d.dt.tz_localize(None).astype("datetime64[ns]").dt.normalize()
    return df


def validate_tables(raw: dict, files: dict | None = None):
    """Check raw frames against the contract. Returns ``(frames, health_notes)``.

    Raises :class:`DataValidationError` listing every broken rule.
    """
    files = files or {}
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for table in schemas.TABLES:
        df = raw.get(table)
        file = files.get(table)
        if df is None:
            if table in schemas.REQUIRED_TABLES:
                problems.append(Problem(table, "", "required table is missing"))
            frames[table] = schemas.empty_frame(table)
            continue
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{table} must be a pandas DataFrame, got {type(df).__name__}")
        missing = [c for c in schemas.REQUIRED[table] if c not in df.columns]
        if missing:
            for col in missing:
                problems.append(Problem(table, col, "required column is missing; the source has "
                                        f"columns {list(map(str, df.columns))}", file=file))
            frames[table] = schemas.empty_frame(table)
            continue
        df = _coerce(table, df, file, problems)
        for col in schemas.COLUMNS[table]:            # absent optional columns, typed
            if col not in df.columns:
                df[col] = pd.Series(index=df.index, dtype=schemas.dtype(schemas.column(table, col).kind))
        extra = [c for c in df.columns if c not in schemas.COLUMNS[table]]
        df = df[schemas.COLUMNS[table] + extra]
        for col in schemas.REQUIRED[table]:
            empty = df[col].isna()
            already = any(p.table == table and p.column == col for p in problems)
            if empty.any() and not already:
                rows, n = _examples(df, empty, table, file)
                problems.append(Problem(table, col, f"{viz.count(n, 'row', 'have')} no value in a "
                                        "required column", rows, n, file))
        problems += _pandera_problems(table, df, file)
        frames[table] = df
    if not problems:
        problems += _cross_table_problems(frames, files)
    if problems:
        raise DataValidationError(problems)
    return frames, []


def _pandera_problems(table, df, file) -> list[Problem]:
    try:
        schemas.pandera_schema(table).validate(df, lazy=True)
        return []
    except pandera.errors.SchemaErrors as exc:
        fc = exc.failure_cases
    out = []
    fc = fc[fc["index"].notna() | fc["check"].astype(str).str.contains("unique")]
    for (col, check), grp in fc.groupby(["column", "check"], sort=False, dropna=False):
        check = str(check)
        if check in ("not_nullable",) or check.startswith("dtype") or check == "column_in_dataframe":
            continue  # reported by the loader with clearer words
        col = str(col) if isinstance(col, str) else ", ".join(schemas.UNIQUE_KEYS.get(table, []))
        idx = pd.Index(grp["index"].dropna().astype(int).unique())
        mask = df.index.isin(idx)
        if "unique" in check or check == "field_uniqueness" or "duplicate" in check:
            cols = [c.strip() for c in col.split(",")]
            mask = df.duplicated(cols, keep=False).to_numpy()
            rows, n = _examples(df, mask, table, file, cols[0] if len(cols) == 1 else None)
            msg = f"{n} rows share a value that must be unique"
        else:
            rows, n = _examples(df, mask, table, file, col)
            msg = f"{n} value(s) break the rule: {check}"
        out.append(Problem(table, col, msg, rows, n, file))
    return out


def _cross_table_problems(frames: dict, files: dict) -> list[Problem]:
    problems = []
    for table, cols in schemas.CONTRACT.items():
        df = frames[table]
        file = files.get(table)
        for c in cols:
            if c.ref:
                ref_table, ref_col = c.ref.split(".")
                ok = df[c.name].isna() | df[c.name].isin(frames[ref_table][ref_col])
                if not ok.all():
                    rows, n = _examples(df, ~ok, table, file, c.name)
                    problems.append(Problem(table, c.name, f"{n} value(s) point to no "
                                            f"{ref_table}.{ref_col}", rows, n, file))
            if c.period:
                ok = df[c.name].str.upper().str.match(_PERIOD_RE).fillna(False)
                if not ok.all():
                    rows, n = _examples(df, ~ok, table, file, c.name)
                    problems.append(Problem(table, c.name, f"{n} value(s) are not periods like "
                                            "'2026', '2026-Q3' or '2026-09'", rows, n, file))
    opp, file = frames["opportunities"], files.get("opportunities")
    no_close = opp["close_date"].isna() & opp["status"].isin(["won", "lost"])
    if no_close.any():
        rows, n = _examples(opp, no_close, "opportunities", file, "status")
        problems.append(Problem("opportunities", "close_date",
                                f"{n} closed (won/lost) deal(s) have no close date", rows, n, file))
    early = opp["close_date"] < opp["created_date"]
    if early.any():
        rows, n = _examples(opp, early, "opportunities", file, "close_date")
        problems.append(Problem("opportunities", "close_date",
                                f"{n} deal(s) close before they were created (rule: close_date "
                                "≥ created_date). Correct the dates in the CRM, or load with the "
                                "mapping rule repair: {close_before_created: true} to set their "
                                "created date to the close date (reported in the data health)",
                                rows, n, file))
    problems += _history_problems(frames, files)
    return problems


def _history_problems(frames: dict, files: dict) -> list[Problem]:
    """``opportunity_history`` rules beyond single columns: no change is dated before its
    deal was created (a deal's history begins at its creation)."""
    hist, file = frames["opportunity_history"], files.get("opportunity_history")
    if hist.empty:
        return []
    created = hist["opportunity_id"].map(
        frames["opportunities"].set_index("opportunity_id")["created_date"])
    before = (hist["changed_at"] < created).fillna(False).to_numpy()
    if not before.any():
        return []
    rows, n = _examples(hist, before, "opportunity_history", file, "changed_at")
    ids = ", ".join(hist.loc[before, "opportunity_id"].astype(str).unique()[:MAX_EXAMPLES])
    return [Problem("opportunity_history", "changed_at",
                    f"{n} history row(s) are dated before their deal's created date (rule: "
                    f"changed_at ≥ opportunities.created_date; deals {ids}). Export the history "
                    "and the opportunities from the same org, or correct the created dates",
                    rows, n, file)]


def last_event(frames: dict) -> pd.Timestamp:
    opp = frames["opportunities"]
    dates = [opp["created_date"].max(),
             opp.loc[opp["status"] != "open", "close_date"].max(),
             frames["stage_history"]["entered_date"].max(),
             frames["activities"]["date"].max(),
             frames["opportunity_history"]["changed_at"].max()]
    dates = [d for d in dates if pd.notna(d)]
    return max(dates) if dates else pd.Timestamp("1970-01-01")


def opportunity_notes(counts: dict, as_of: pd.Timestamp) -> list[HealthNote]:
    """The opportunities' data-health notes from their counts (however counted: in pandas,
    :func:`health_notes`, or in SQL for a lazy source): ``stale`` open deals with a close date
    before ``as_of``, ``undated`` open deals, ``zero`` won deals at 0, ``later`` deals created
    after ``as_of``."""
    words = {"stale": ("open deal", "have", f"a close date before {as_of:%Y-%m-%d} (stale pipeline)"),
             "undated": ("open deal", "have", "no expected close date"),
             "zero": ("won deal", "have", "an amount of 0"),
             "later": ("deal", "are", "created after the as-of date")}
    return [HealthNote("opportunities", f"{viz.count(int(counts[k]), w[0], w[1])} {w[2]}",
                       int(counts[k])) for k, w in words.items() if counts.get(k)]


def health_notes(frames: dict, as_of: pd.Timestamp) -> list[HealthNote]:
    opp = frames["opportunities"]
    is_open = opp["status"] == "open"
    notes = opportunity_notes({
        "stale": (is_open & (opp["close_date"] < as_of)).sum(),
        "undated": (is_open & opp["close_date"].isna()).sum(),
        "zero": ((opp["status"] == "won") & (opp["amount"] == 0)).sum(),
        "later": (opp["created_date"] > as_of).sum()}, as_of)
    hist = frames["opportunity_history"]
    if len(hist):
        n = int((~opp["opportunity_id"].isin(hist["opportunity_id"])).sum())
        if n:
            notes.append(HealthNote("opportunity_history", f"{viz.count(n, 'deal', 'have')} no "
                                    f"history rows: {viz.its(n)} state on past dates is read "
                                    f"back from {viz.its(n)} final row", n))
    acc = frames["accounts"]
    n = int(acc["owner_rep_id"].isna().sum())
    if n and len(acc):
        notes.append(HealthNote("accounts", f"{viz.count(n, 'account', 'have')} no owner rep", n))
    return notes


def period_label_ok(text: str) -> bool:
    """True when ``text`` looks like a period label (``2026``, ``2026-Q3``, ``2026-09``)."""
    return bool(re.match(_PERIOD_RE, str(text).upper()))

