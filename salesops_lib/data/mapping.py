"""Column mappings: a source's own columns and values renamed into the contract before
validation, so raw files are never edited by hand."""

from __future__ import annotations

from . import schemas
from .validation import DataSourceError, DataValidationError, HealthNote, Problem


def apply_mapping(raw: dict, mapping: dict, files: dict):
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


