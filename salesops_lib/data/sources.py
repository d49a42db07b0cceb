"""Where data comes from: ``load_dataset(source, mapping=None) -> Dataset``.

A source is the built-in sample (``"sample"``, ``"sample:accounts=5000,seed=7"``), a folder of
CSV or Parquet files named after the contract's tables, or a database URL
(``duckdb:///file.duckdb``, ``postgresql://user:***@host/db``, any SQLAlchemy URL). Every table
then passes through the same gate (:mod:`.mapping`, :mod:`.validation`). Sources are only read.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ..secrets import MASK, PASSWORD_ENV, mask_text, mask_url
from . import cache, schemas
from .dataset import Dataset
from .mapping import apply_mapping, file_candidates, is_derived, resolve_mapping
from .validation import DataSourceError, DataValidationError, Problem


def _lazy_auto(src: str, mapping, fiscal_start_month: int):
    """``lazy="auto"``: the open Warehouse when ``src`` is a database URL with more than
    :func:`~.lazy.lazy_rows` opportunities and a table-names-only mapping, else False."""
    if "://" not in src or src.startswith("sample"):
        return False
    resolved = resolve_mapping(mapping)
    if any(set(spec) - {"file"} for spec in (resolved or {}).values() if isinstance(spec, dict)):
        return False
    import duckdb
    import sqlalchemy as sa

    from .lazy import lazy_rows
    from .warehouse import Warehouse

    try:
        wh = Warehouse(src, resolved, fiscal_start_month=fiscal_start_month)
    except (DataSourceError, DataValidationError, duckdb.Error, sa.exc.SQLAlchemyError,
            ImportError):
        # unreachable, no driver, missing tables or columns: the source cannot say how large
        # it is, and the eager loader reports why (masked); a bug of our own propagates
        return False
    if wh.n_opportunities > lazy_rows():
        return wh
    wh.close()
    return False


def load_dataset(source: str | os.PathLike = "sample", mapping: dict | str | None = None, *,
                 fiscal_start_month: int = 1, lazy: bool | str = False):
    """Load and validate a data set.

    Parameters
    ----------
    source : str or path
        ``"sample"`` or ``"sample:accounts=5000,reps=50,years=3,seed=7,start=2024"``; a folder
        of ``<table>.csv`` / ``<table>.parquet`` files; or a database URL (``duckdb:///x.duckdb``,
        ``postgresql://user:***@host/db``) whose tables are named as in the contract. A ``***``
        password is taken from the ``SALESOPS_DB_PASSWORD`` environment variable.
    mapping : dict, str or path, optional
        A dict, the path of a YAML/JSON file holding one, or a preset name (``"maven"``,
        ``"salesforce"``, ``"hubspot"``; see :func:`salesops_lib.data.mapping.presets`). Per
        table: ``file`` (source file or table name, case-insensitive), ``columns`` (rename
        source → contract), ``copy`` (new column ← existing column), ``values`` (per column,
        source value → contract value), ``defaults`` (fill a missing column or empty cells),
        ``drop_if_missing`` (drop rows with an empty value in these columns; counted in
        ``Dataset.health``) and the other rules of :data:`~.mapping.RULES`. Applied before
        validation, so raw files are never edited.
    fiscal_start_month : int
        First month of the fiscal year (1 = January).
    lazy : bool or "auto"
        For a database URL only: return a :class:`~salesops_lib.data.warehouse.Warehouse`
        that keeps the opportunity-sized tables in the database and aggregates them in SQL
        (data larger than memory), instead of a Dataset. ``"auto"`` (what the notebooks
        pass) does so for a database URL holding more than
        :data:`~salesops_lib.data.lazy.LAZY_ROWS` opportunities (``SALESOPS_LAZY_ROWS``) whose
        mapping names tables only; anything else loads into memory.

    Raises
    ------
    DataValidationError
        The data break the contract (names table, column, file and rows).
    DataSourceError
        The source cannot be read (no such folder, database unreachable, unknown scheme).
    """
    src = str(source)
    if lazy == "auto":
        lazy = _lazy_auto(src, mapping, fiscal_start_month)
        if not isinstance(lazy, bool):
            return lazy
    if lazy:
        if "://" not in src:
            raise DataSourceError(f"lazy=True needs a database URL (duckdb:///..., "
                                  f"postgresql://...), not {src!r}")
        from .warehouse import Warehouse

        return Warehouse(src, resolve_mapping(mapping), fiscal_start_month=fiscal_start_month)
    hit = cache.lookup(src, mapping, fiscal_start_month)   # a report run loads the data once
    if hit is not None:
        return hit
    mapping = resolve_mapping(mapping)
    if src == "sample" or src.startswith("sample:"):
        from .sample import generate, parse_options

        opts = parse_options(src)
        frames = generate(**opts)
        tables = {k: v for k, v in frames.items() if k in schemas.TABLES}
        return Dataset.from_frames(**tables, as_of=frames["as_of"], source=src,
                                   fiscal_start_month=fiscal_start_month, seed=opts["seed"])
    if "://" in src:
        raw, files = read_database(src, mapping)
        read_extra = None
    else:
        raw, files = read_folder(Path(src), mapping)
        read_extra = lambda names: _read_extra(Path(src), names)
    raw, notes = apply_mapping(raw, mapping, files, read_extra)
    return Dataset.from_frames(**raw, source=src, fiscal_start_month=fiscal_start_month,
                               files=files, notes=notes)


# --------------------------------------------------------------------------------------------
# readers
# --------------------------------------------------------------------------------------------
_SUFFIXES = (".csv", ".parquet", ".csv.gz")


def find_file(folder: Path, names: list[str]) -> Path | None:
    """The first file of ``folder`` matching one of ``names`` ignoring case: a name with a
    suffix matches itself, a stem matches ``<stem>.csv``/``.parquet``/``.csv.gz``; ``*``
    globs (several matches: the first in name order)."""
    from fnmatch import fnmatch

    present = sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)
    for name in names:
        low = name.lower()
        pats = [low] if low.endswith(_SUFFIXES) else [low + s for s in _SUFFIXES]
        for pat in pats:
            hit = [p for p in present if fnmatch(p.name.lower(), pat)]
            if hit:
                return hit[0]
    return None


def read_file(path: Path, table: str) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                           encoding_errors="strict", encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(Problem(table, "", f"cannot read the file: {exc}",
                                          file=str(path))) from None


def _read_extra(folder: Path, names: list[str]) -> pd.DataFrame | None:
    path = find_file(folder, names)
    return read_file(path, path.stem) if path is not None else None


def read_folder(folder: Path, mapping: dict):
    if not folder.is_dir():
        raise DataSourceError(
            f"data source {str(folder)!r} is neither 'sample', a folder of CSV/Parquet files "
            "nor a database URL")
    raw, files, missing = {}, {}, []
    for table in schemas.TABLES:
        names = file_candidates(table, mapping)
        path = find_file(folder, names)
        if path is None:
            if table in schemas.REQUIRED_TABLES and not is_derived(table, mapping):
                first = names[0] if Path(names[0]).suffix else f"{names[0]}.csv"
                missing.append(Problem(table, "", f"required table is missing: expected "
                                                  f"{first} (or .parquet) in {folder}"))
            continue
        files[table] = str(path)
    if missing:
        hint = "" if mapping else preset_hint(folder)
        if hint:
            last = missing[-1]
            missing[-1] = Problem(last.table, "", f"{last.message}; {hint}")
        raise DataValidationError(missing)
    raw = {table: read_file(Path(path), table) for table, path in files.items()}
    return raw, files


def preset_hint(folder: Path) -> str:
    """A sentence naming the mapping preset whose files ``folder`` holds ("" if none does):
    an export loaded without its mapping misses tables only by their names."""
    from .mapping import presets

    for name in presets():
        m = resolve_mapping(name)
        need = [t for t in schemas.REQUIRED_TABLES if not is_derived(t, m)]
        if need and all(find_file(folder, file_candidates(t, m)) for t in need):
            return (f"the folder holds the files of the {name!r} export: load it with its "
                    f"mapping (--mapping {name}, or mapping={name!r})")
    return ""


def _resolve_password(url: str) -> str:
    if f":{MASK}@" in url:
        pw = os.environ.get(PASSWORD_ENV)
        if pw is None:
            raise DataSourceError(
                f"{mask_url(url)} has a masked password; set {PASSWORD_ENV} to the real one")
        from urllib.parse import quote
        return url.replace(f":{MASK}@", f":{quote(pw, safe='')}@", 1)
    return url


def read_database(url: str, mapping: dict):
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
            lower = {p.lower(): p for p in present}
            for table in schemas.TABLES:
                name = next((lower[n.lower()] for n in file_candidates(table, mapping)
                             if n.lower() in lower), None)
                if name is not None:
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
                lower = {p.lower(): p for p in present}
                for table in schemas.TABLES:
                    name = next((lower[n.lower()] for n in file_candidates(table, mapping)
                                 if n.lower() in lower), None)
                    if name is not None:
                        raw[table] = pd.read_sql_table(name, con)
                        files[table] = f"{shown} table {name}"
            engine.dispose()
        except DataSourceError:
            raise
        except Exception as exc:  # noqa: BLE001 - any driver error becomes one clear message
            msg = mask_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
            raise DataSourceError(f"cannot read {shown}: {msg}") from None
    for table in schemas.REQUIRED_TABLES:
        if table not in raw and not is_derived(table, mapping):
            raise DataValidationError(Problem(table, "", f"required table is missing in {shown}"))
    return raw, files


