"""What reports keep between runs: one transactional store per reports folder.

A report that keeps a record across runs (the forecast ledger is one) appends rows to a named
table of ``<reports>/keep.sqlite``. SQLite makes every append one transaction: two processes
appending at once queue on SQLite's lock and lose nothing, and a process killed mid-write
leaves the last committed state (the rollback journal undoes the partial write). Each table
carries a unique key, so appending a row that is already there changes nothing.

During ``salesops report`` the runner gives each notebook a staging area of its own: it sets
:data:`KEEP_ENV` to a private folder and :data:`REPORTS_ENV` to the published reports folder.
Library calls then write into the staged store (:func:`staging`) and read the published rows
plus the staged ones; the runner moves the staged rows into the published store in one
transaction (:func:`publish`) only when the notebook succeeded. The runner knows no table by
name: anything a notebook keeps this way is published, or dropped, as a whole.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd

#: The store's file name inside a reports folder.
STORE = "keep.sqlite"
#: Environment variable naming the staging folder of the notebook being rendered.
KEEP_ENV = "SALESOPS_KEEP_DIR"
#: Environment variable naming the published reports folder of the run.
REPORTS_ENV = "SALESOPS_REPORTS_DIR"
#: Environment variable holding the run's (masked) data source, the key that keeps sources apart.
DATA_ENV = "SALESOPS_DATA"

_TIMEOUT_S = 120.0


def store(folder: str | os.PathLike) -> Path:
    """The store file kept in ``folder``."""
    return Path(folder) / STORE


def staging() -> tuple[Path | None, Path | None]:
    """``(published folder, staging folder)`` of the notebook the runner is rendering, or
    ``(None, None)`` outside a report run."""
    keep, reports = os.environ.get(KEEP_ENV), os.environ.get(REPORTS_ENV)
    return (Path(reports) if reports else None), (Path(keep) if keep else None)


def run_data() -> str | None:
    """The data source of the report run (masked), or None outside a report run."""
    return os.environ.get(DATA_ENV) or None


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are opened explicitly), waiting up to two
    minutes for another writer."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(path), timeout=_TIMEOUT_S, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout = {int(_TIMEOUT_S * 1000)}")
    return con


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        return "REAL"
    return "TEXT"


def _values(frame: pd.DataFrame) -> list[tuple]:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S")
    out = out.astype(object).where(out.notna(), None)
    return [tuple(r) for r in out.itertuples(index=False, name=None)]


def _ensure_table(con, table: str, frame: pd.DataFrame, key: list[str]) -> None:
    cols = ", ".join(f"{_q(c)} {_sql_type(frame[c])}" for c in frame.columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {_q(table)} ({cols}, "
                f"UNIQUE ({', '.join(_q(k) for k in key)}))")
    have = {r[1] for r in con.execute(f"PRAGMA table_info({_q(table)})")}
    for c in frame.columns:
        if c not in have:
            con.execute(f"ALTER TABLE {_q(table)} ADD COLUMN {_q(c)} {_sql_type(frame[c])}")


def insert(con: sqlite3.Connection, table: str, frame: pd.DataFrame, key: list[str]) -> int:
    """Insert ``frame`` into ``table`` inside the caller's open transaction (rows whose key is
    already there are skipped); returns the number of rows added."""
    missing = [k for k in key if k not in frame.columns]
    if missing:
        raise ValueError(f"rows for {table!r} lack key column(s) {missing}")
    _ensure_table(con, table, frame, key)
    before = con.total_changes
    cols = ", ".join(_q(c) for c in frame.columns)
    marks = ", ".join("?" for _ in frame.columns)
    con.executemany(f"INSERT OR IGNORE INTO {_q(table)} ({cols}) VALUES ({marks})",
                    _values(frame))
    return con.total_changes - before


def append(folder: str | os.PathLike, table: str, frame: pd.DataFrame, key: list[str]) -> int:
    """Append ``frame`` to ``table`` of the store in ``folder`` in one transaction; rows whose
    ``key`` columns match a stored row are skipped. Returns the number of rows added.

    Raises
    ------
    ValueError
        A key column is missing from ``frame`` (nothing is written).
    """
    with closing(connect(store(folder))) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            added = insert(con, table, frame, key)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return added


def read(folder: str | os.PathLike | None, table: str) -> pd.DataFrame | None:
    """All rows of ``table`` in the store of ``folder`` (None when there is no such table)."""
    if not folder or not store(folder).exists():
        return None
    with closing(connect(store(folder))) as con:
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                            (table,)).fetchone()
        if not found:
            return None
        return pd.read_sql_query(f"SELECT * FROM {_q(table)} ORDER BY rowid", con)


def publish(staged: str | os.PathLike, folder: str | os.PathLike) -> int:
    """Move every table of the staged store in ``staged`` into the store of ``folder``, all in
    one transaction (with each table's own unique key); returns the number of rows added.
    Nothing to publish when the staged store does not exist."""
    src = store(staged)
    if not src.exists():
        return 0
    with closing(connect(src)) as s:
        tables = s.execute("SELECT name, sql FROM sqlite_master WHERE type='table'").fetchall()
    if not tables:
        return 0
    with closing(connect(store(folder))) as con:
        con.execute("ATTACH DATABASE ? AS staged", (str(src),))
        con.execute("BEGIN IMMEDIATE")
        try:
            before = con.total_changes
            for name, ddl in tables:
                con.execute(ddl.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
                have = {r[1] for r in con.execute(f"PRAGMA main.table_info({_q(name)})")}
                for _, col, typ, *_ in con.execute(f"PRAGMA staged.table_info({_q(name)})"):
                    if col not in have:
                        con.execute(f"ALTER TABLE main.{_q(name)} ADD COLUMN {_q(col)} {typ}")
                cols = ", ".join(_q(r[1]) for r in con.execute(
                    f"PRAGMA staged.table_info({_q(name)})"))
                con.execute(f"INSERT OR IGNORE INTO main.{_q(name)} ({cols}) "
                            f"SELECT {cols} FROM staged.{_q(name)} ORDER BY rowid")
            added = con.total_changes - before
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        con.execute("DETACH DATABASE staged")
    return added
