"""Loading and validating data sets: ``load_dataset(source, mapping=None) -> Dataset``.

A source is the built-in sample (``"sample"``, ``"sample:accounts=5000,seed=7"``), a folder of
CSV or Parquet files named after the contract's tables, or a database URL
(``duckdb:///file.duckdb``, ``postgresql://user:***@host/db``, any SQLAlchemy URL).

Every table passes through the same gate: the column ``mapping`` is applied, types are
coerced, and the contract's rules (:mod:`salesops_lib.schemas`) are checked. Anything wrong is
collected into one :class:`DataValidationError` that names the table, the column, the file and
a few offending rows. Sources are only ever read.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from . import schemas
from .secrets import MASK, PASSWORD_ENV, mask_text, mask_url

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
# the Dataset
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """A validated, canonical set of sales tables (see ``DESIGN.md`` for the contract).

    Attributes are the seven tables as DataFrames with the contract's dtypes (strings as
    pandas ``string``, amounts as ``float64``, dates as ``datetime64``); absent optional tables
    are empty frames with the contract's columns. ``as_of`` is the date the data describe
    (the last event in them, or the sample's fixed extract date), ``source`` the masked
    source description and ``health`` the warnings found while loading.
    """

    accounts: pd.DataFrame
    reps: pd.DataFrame
    opportunities: pd.DataFrame
    stage_history: pd.DataFrame
    quotas: pd.DataFrame
    activities: pd.DataFrame
    opportunity_history: pd.DataFrame
    as_of: pd.Timestamp
    source: str = "frames"
    fiscal_start_month: int = 1
    health: tuple[HealthNote, ...] = ()
    seed: int | None = None
    _fingerprint: list = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def from_frames(cls, accounts=None, reps=None, opportunities=None, stage_history=None,
                    quotas=None, activities=None, opportunity_history=None, *, as_of=None, source="frames",
                    fiscal_start_month: int = 1, files: dict | None = None,
                    notes: list[HealthNote] | None = None, seed: int | None = None) -> Dataset:
        """Validate raw frames against the contract and build a Dataset.

        Frames may hold strings (as read from CSV); they are coerced to the contract's types.
        Inputs are never modified. Raises :class:`DataValidationError` on any broken rule.
        """
        raw = {"accounts": accounts, "reps": reps, "opportunities": opportunities,
               "stage_history": stage_history, "quotas": quotas, "activities": activities,
               "opportunity_history": opportunity_history}
        frames, health = validate_tables(raw, files=files)
        health = list(notes or []) + health
        as_of = pd.Timestamp(as_of).normalize() if as_of is not None else _last_event(frames)
        health += _health_notes(frames, as_of)
        return cls(**frames, as_of=as_of, source=mask_url(source),
                   fiscal_start_month=int(fiscal_start_month), health=tuple(health), seed=seed)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name."""
        return {t: getattr(self, t) for t in schemas.TABLES}

    def fingerprint(self) -> str:
        """A short content hash of every table: equal data give equal fingerprints."""
        if not self._fingerprint:
            h = hashlib.sha256()
            for name in schemas.TABLES:
                df = getattr(self, name)
                h.update(name.encode())
                h.update("|".join(map(str, df.columns)).encode())
                if len(df):
                    h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
            self._fingerprint.append(h.hexdigest()[:16])
        return self._fingerprint[0]

    def summary(self) -> pd.DataFrame:
        """Row counts per table (for a data-health block or ``salesops validate``)."""
        return pd.DataFrame({"table": list(schemas.TABLES),
                             "rows": [len(getattr(self, t)) for t in schemas.TABLES]})


# --------------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------------
def load_dataset(source: str | os.PathLike = "sample", mapping: dict | None = None, *,
                 fiscal_start_month: int = 1) -> Dataset:
    """Load and validate a data set.

    Parameters
    ----------
    source : str or path
        ``"sample"`` or ``"sample:accounts=5000,reps=50,years=3,seed=7,start=2024"``; a folder
        of ``<table>.csv`` / ``<table>.parquet`` files; or a database URL (``duckdb:///x.duckdb``,
        ``postgresql://user:***@host/db``) whose tables are named as in the contract. A ``***``
        password is taken from the ``SALESOPS_DB_PASSWORD`` environment variable.
    mapping : dict, optional
        Per table: ``file`` (source file or table name), ``columns`` (rename source → contract),
        ``copy`` (new column ← existing column), ``values`` (per column, source value →
        contract value), ``defaults`` (fill a missing column or empty cells with a constant),
        ``drop_if_missing`` (drop rows with an empty value in these columns; counted in
        ``Dataset.health``). Applied before validation, so raw files are never edited.
    fiscal_start_month : int
        First month of the fiscal year (1 = January).

    Raises
    ------
    DataValidationError
        The data break the contract (names table, column, file and rows).
    DataSourceError
        The source cannot be read (no such folder, database unreachable, unknown scheme).
    """
    src = str(source)
    mapping = mapping or {}
    if src == "sample" or src.startswith("sample:"):
        from .sample import generate, parse_options

        opts = parse_options(src)
        frames = generate(**opts)
        tables = {k: v for k, v in frames.items() if k in schemas.TABLES}
        return Dataset.from_frames(**tables, as_of=frames["as_of"], source=src,
                                   fiscal_start_month=fiscal_start_month, seed=opts["seed"])
    if "://" in src:
        raw, files = _read_database(src, mapping)
    else:
        raw, files = _read_folder(Path(src), mapping)
    raw, notes = _apply_mapping(raw, mapping, files)
    return Dataset.from_frames(**raw, source=src, fiscal_start_month=fiscal_start_month,
                               files=files, notes=notes)


# --------------------------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------------------------
def _table_file(table: str, mapping: dict) -> str:
    return (mapping.get(table) or {}).get("file", table)


def _read_folder(folder: Path, mapping: dict):
    if not folder.is_dir():
        raise DataSourceError(
            f"data source {str(folder)!r} is neither 'sample', a folder of CSV/Parquet files "
            "nor a database URL")
    raw, files = {}, {}
    for table in schemas.TABLES:
        stem = _table_file(table, mapping)
        candidates = [folder / stem] if Path(stem).suffix else [
            folder / f"{stem}.csv", folder / f"{stem}.parquet", folder / f"{stem}.csv.gz"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            if table in schemas.REQUIRED_TABLES:
                raise DataValidationError(Problem(
                    table, "", f"required table is missing: expected {candidates[0].name} "
                    f"(or .parquet) in {folder}"))
            continue
        files[table] = str(path)
        try:
            if path.suffix == ".parquet":
                raw[table] = pd.read_parquet(path)
            else:
                raw[table] = pd.read_csv(path, dtype=str, keep_default_na=False,
                                         na_values=[""], encoding_errors="strict")
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise DataValidationError(Problem(table, "", f"cannot read the file: {exc}",
                                              file=str(path))) from None
    return raw, files


def _resolve_password(url: str) -> str:
    if f":{MASK}@" in url:
        pw = os.environ.get(PASSWORD_ENV)
        if pw is None:
            raise DataSourceError(
                f"{mask_url(url)} has a masked password; set {PASSWORD_ENV} to the real one")
        from urllib.parse import quote
        return url.replace(f":{MASK}@", f":{quote(pw, safe='')}@", 1)
    return url


def _read_database(url: str, mapping: dict):
    shown = mask_url(url)
    raw, files = {}, {}
    if url.startswith("duckdb://"):
        import duckdb

        path = url[len("duckdb:///"):] if url.startswith("duckdb:///") else url[len("duckdb://"):]
        if not Path(path).exists() and Path("/" + path).exists():
            path = "/" + path
        if not Path(path).is_file():
            raise DataSourceError(f"cannot open {shown}: no such DuckDB file {path!r}")
        try:
            con = duckdb.connect(path, read_only=True)
        except duckdb.Error as exc:
            raise DataSourceError(f"cannot open {shown}: {mask_text(str(exc))}") from None
        try:
            present = {r[0] for r in con.execute(
                "select table_name from information_schema.tables").fetchall()}
            for table in schemas.TABLES:
                name = _table_file(table, mapping)
                if name in present:
                    raw[table] = con.execute(f'select * from "{name}"').df()
                    files[table] = f"{shown} table {name}"
        finally:
            con.close()
    else:
        try:
            import sqlalchemy as sa

            engine = sa.create_engine(_resolve_password(url))
            with engine.connect() as con:
                present = set(sa.inspect(con).get_table_names())
                for table in schemas.TABLES:
                    name = _table_file(table, mapping)
                    if name in present:
                        raw[table] = pd.read_sql_table(name, con)
                        files[table] = f"{shown} table {name}"
            engine.dispose()
        except DataSourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear message
            msg = mask_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise DataSourceError(f"cannot read {shown}: {msg}") from None
    for table in schemas.REQUIRED_TABLES:
        if table not in raw:
            raise DataValidationError(Problem(table, "", f"required table is missing in {shown}"))
    return raw, files


# --------------------------------------------------------------------------------------------
# mapping
# --------------------------------------------------------------------------------------------
def _apply_mapping(raw: dict, mapping: dict, files: dict):
    """Rename columns and recode values per ``mapping``; returns new frames and notes."""
    out, notes = {}, []
    unknown = set(mapping) - set(schemas.TABLES)
    if unknown:
        raise DataSourceError(f"mapping names unknown tables: {sorted(unknown)}; "
                              f"tables are {list(schemas.TABLES)}")
    for table, df in raw.items():
        spec = mapping.get(table) or {}
        df = df.rename(columns=spec.get("columns", {}))
        for new, old in (spec.get("copy") or {}).items():
            if old not in df.columns:
                raise DataValidationError(Problem(
                    table, old, f"mapping copies {old!r} to {new!r} but the source has no "
                    f"column {old!r}; columns are {list(df.columns)}", file=files.get(table)))
            df[new] = df[old]
        for col, recode in (spec.get("values") or {}).items():
            if col in df.columns:
                df[col] = df[col].replace(recode)
        for col, value in (spec.get("defaults") or {}).items():
            df[col] = df[col].fillna(value) if col in df.columns else value
        drop = spec.get("drop_if_missing") or []
        if drop:
            missing = [c for c in drop if c not in df.columns]
            if missing:
                raise DataValidationError(Problem(
                    table, missing[0], "mapping drops rows missing this column but the source "
                    f"has no such column; columns are {list(df.columns)}", file=files.get(table)))
            empty = df[drop].isna().any(axis=1) | (df[drop].astype(str).apply(
                lambda s: s.str.strip() == "")).any(axis=1)
            if empty.any():
                notes.append(HealthNote(table, f"{int(empty.sum()):,} rows dropped by the mapping "
                                        f"because {', '.join(drop)} is empty", int(empty.sum())))
                # keep the source row numbers so later errors still point at the file's lines
                df = df[~empty]
        out[table] = df
    return out, notes


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
                problems.append(Problem(table, col, f"{n} row(s) have no value in a required column",
                                        rows, n, file))
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
                                f"{n} deal(s) close before they were created", rows, n, file))
    return problems


def _last_event(frames: dict) -> pd.Timestamp:
    opp = frames["opportunities"]
    dates = [opp["created_date"].max(),
             opp.loc[opp["status"] != "open", "close_date"].max(),
             frames["stage_history"]["entered_date"].max(),
             frames["activities"]["date"].max()]
    dates = [d for d in dates if pd.notna(d)]
    return max(dates) if dates else pd.Timestamp("1970-01-01")


def _health_notes(frames: dict, as_of: pd.Timestamp) -> list[HealthNote]:
    notes = []
    opp = frames["opportunities"]
    n = int(((opp["status"] == "open") & (opp["close_date"] < as_of)).sum())
    if n:
        notes.append(HealthNote("opportunities", f"{n:,} open deals have a close date before "
                                f"{as_of:%Y-%m-%d} (stale pipeline)", n))
    n = int(((opp["status"] == "open") & opp["close_date"].isna()).sum())
    if n:
        notes.append(HealthNote("opportunities", f"{n:,} open deals have no expected close date", n))
    n = int(((opp["status"] == "won") & (opp["amount"] == 0)).sum())
    if n:
        notes.append(HealthNote("opportunities", f"{n:,} won deals have an amount of 0", n))
    n = int((opp["created_date"] > as_of).sum())
    if n:
        notes.append(HealthNote("opportunities", f"{n:,} deals are created after the as-of date", n))
    acc = frames["accounts"]
    n = int(acc["owner_rep_id"].isna().sum())
    if n and len(acc):
        notes.append(HealthNote("accounts", f"{n:,} accounts have no owner rep", n))
    return notes


def period_label_ok(text: str) -> bool:
    """True when ``text`` looks like a period label (``2026``, ``2026-Q3``, ``2026-09``)."""
    return bool(re.match(_PERIOD_RE, str(text).upper()))
