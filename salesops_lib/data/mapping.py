"""Column mappings: a source's own files, columns and values turned into the contract before
validation, so raw exports are never edited by hand.

A mapping is a dict, the path of a YAML/JSON file holding one, or the name of a preset shipped
in ``salesops_lib/data/presets/`` (``maven``, ``salesforce``, ``hubspot``). Its top-level keys
are contract tables; each table's spec holds the rules of :data:`RULES`, applied in that order.
Source column names and file names are matched ignoring case and surrounding spaces.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .. import viz
from . import rules, schemas
from .validation import DataSourceError, DataValidationError, HealthNote, Problem

PRESETS_DIR = Path(__file__).resolve().parent / "presets"

#: Every rule a table's spec may hold, in the order they are applied, with what it does.
RULES: dict[str, str] = {
    "file": "source file (or database table) name, or a list of candidates; case-insensitive, * globs",
    "footer": "drop a report's trailing footer lines ('salesforce_report')",
    "drop_if": "drop rows whose column holds one of these values (e.g. deleted records)",
    "join": "left-join another file of the source (e.g. Salesforce UserRole) on a key",
    "columns": "rename source column → contract column; the first present source wins",
    "parse": "read text as money ('USD 1,200.00'), bool, salesforce_id (18 → 15 characters) or first (of a ;-list)",
    "scale": "multiply a numeric column by a positive factor (e.g. revenue in $M → dollars: 1000000)",
    "copy": "new column ← existing column (or the first present of a list; '?name' when optional); fills only empty cells of an existing column",
    "status_from_flags": "status from closed/won flag columns, else from the stage's words",
    "values": "per column, source value → contract value (case-insensitive; '_other' for the rest)",
    "unknown_if": "empty a column's cells holding one of 'values' on rows where the 'when' columns hold one of theirs (a 0 that means 'not recorded')",
    "lookup": "column ← value found through a key in this or another mapped table, or in a 'file' of the source (a list: first found wins; 'note' reports the rows filled)",
    "defaults": "fill a missing column or its empty cells with a constant",
    "placeholder": "fill an empty key column with a named placeholder (counted in the data health)",
    "drop_if_missing": "drop rows with an empty value in these columns (counted in the data health)",
    "repair": "explicit repairs of broken rules, reported in the data health",
    "derive": "build this table from another mapped table when its own file is absent",
    "stage_columns": "stage history from wide 'Date entered \"<stage> (<pipeline>)\"' columns",
    "status_by_stage": "status of history rows from the stage → status pairs of the opportunities",
    "owner_history": "owners of history rows from Salesforce's OpportunityFieldHistory file (Field = Owner)",
}
_META_KEYS = {"name", "description", "extends"}
_REPAIRS = {"close_before_created": ("created_date", "close_date")}


# --------------------------------------------------------------------------------------------
# resolving and checking a mapping
# --------------------------------------------------------------------------------------------
def presets() -> list[str]:
    """Names of the mapping presets shipped with the library."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def resolve_mapping(mapping) -> dict:
    """The mapping as a checked dict: from a dict, a preset name or a YAML/JSON file path.

    Raises :class:`DataSourceError` for an unknown preset/file, unreadable YAML/JSON, or a
    mapping naming an unknown table, rule or column (the message says which and where).
    """
    if mapping is None or (isinstance(mapping, str) and not mapping.strip()):
        return {}
    where = "mapping"
    if isinstance(mapping, (str, Path)):
        text = str(mapping).strip()
        path = PRESETS_DIR / f"{text}.yaml" if text in presets() else Path(text).expanduser()
        if not path.is_file():
            raise DataSourceError(
                f"mapping {text!r} is neither a preset ({', '.join(presets())}) nor a "
                "YAML/JSON file")
        where = f"mapping preset {text!r}" if path.parent == PRESETS_DIR else f"mapping file {path}"
        mapping = _read_mapping_file(path, where)
    if not isinstance(mapping, dict):
        raise DataSourceError(f"{where} must be a dict of tables, got {type(mapping).__name__}")
    check_mapping(mapping, where)
    own = {k: v for k, v in mapping.items() if k not in _META_KEYS}
    if mapping.get("extends"):
        # a preset (or file) with some tables' rules added or replaced, rule by rule
        base = resolve_mapping(mapping["extends"])
        own = {t: {**(base.get(t) or {}), **(own.get(t) or {})} for t in {*base, *own}}
    return own


def _read_mapping_file(path: Path, where: str) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text) or {}
    except Exception as exc:  # noqa: BLE001 - a YAML or JSON syntax error, said in one line
        raise DataSourceError(f"{where} cannot be read: {str(exc).splitlines()[0]}") from None


def check_mapping(mapping: dict, where: str = "mapping") -> None:
    """Raise :class:`DataSourceError` when ``mapping`` names an unknown table, rule or column.

    A column is known when it is in the contract for its table or is created by the spec's
    own ``columns``/``copy``/``lookup`` rules.
    """
    unknown = sorted(set(mapping) - set(schemas.TABLES) - _META_KEYS)
    if unknown:
        raise DataSourceError(f"{where} names unknown table(s) {unknown}; tables are "
                              f"{list(schemas.TABLES)}")
    for table, spec in mapping.items():
        if table in _META_KEYS or spec is None:
            continue
        if not isinstance(spec, dict):
            raise DataSourceError(f"{where}: {table} must map rule names to settings")
        bad = sorted(set(spec) - set(RULES))
        if bad:
            raise DataSourceError(f"{where}: {table} has unknown rule(s) {bad}; rules are "
                                  f"{list(RULES)}")
        made = set(schemas.COLUMNS[table]) | set((spec.get("columns") or {}).values()) \
            | set(spec.get("copy") or {}) | set(spec.get("lookup") or {}) \
            | set((spec.get("status_from_flags") or {}) and ["status"]) \
            | set(((spec.get("join") or {}).get("columns") or {}).values())
        for rule in ("values", "defaults", "parse", "placeholder", "unknown_if"):
            for col in spec.get(rule) or {}:
                if col not in made:
                    raise DataSourceError(
                        f"{where}: {table}.{rule} names unknown column {col!r}; the table's "
                        f"columns are {schemas.COLUMNS[table]} (or those the mapping creates)")
        for col, factor in (spec.get("scale") or {}).items():
            if col not in made:
                raise DataSourceError(
                    f"{where}: {table}.scale names unknown column {col!r}; the table's "
                    f"columns are {schemas.COLUMNS[table]} (or those the mapping creates)")
            if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not factor > 0:
                raise DataSourceError(f"{where}: {table}.scale.{col} must be a positive number "
                                      f"(the factor to multiply by), not {factor!r}")
        for col in spec.get("drop_if_missing") or []:
            if col not in made:
                raise DataSourceError(f"{where}: {table}.drop_if_missing names unknown column "
                                      f"{col!r}; the table's columns are {schemas.COLUMNS[table]}")
        for kind in spec.get("parse", {}).values() if spec.get("parse") else []:
            if kind not in rules.PARSERS:
                raise DataSourceError(f"{where}: {table}.parse has unknown parser {kind!r}; "
                                      f"parsers are {sorted(rules.PARSERS)}")
        for rep in spec.get("repair") or {}:
            if rep not in _REPAIRS:
                raise DataSourceError(f"{where}: {table}.repair has unknown repair {rep!r}; "
                                      f"repairs are {sorted(_REPAIRS)}")
        src = (spec.get("derive") or {}).get("from") or (spec.get("stage_columns") or {}).get("from")
        if src is not None and src not in schemas.TABLES:
            raise DataSourceError(f"{where}: {table} derives from unknown table {src!r}")


def file_candidates(table: str, mapping: dict) -> list[str]:
    """The file (or table) names the mapping gives ``table``, default the table's own name."""
    f = (mapping.get(table) or {}).get("file", table)
    return [f] if isinstance(f, str) else list(f)


def is_derived(table: str, mapping: dict) -> bool:
    spec = mapping.get(table) or {}
    return bool(spec.get("derive") or spec.get("stage_columns"))


# --------------------------------------------------------------------------------------------
# applying a mapping
# --------------------------------------------------------------------------------------------
def _find(df: pd.DataFrame, name: str):
    """The frame's column called ``name`` ignoring case and surrounding spaces (or None)."""
    if name in df.columns:
        return name
    key = str(name).strip().lower()
    for c in df.columns:
        if str(c).strip().lower() == key:
            return c
    return None


def _rename(df: pd.DataFrame, columns: dict) -> pd.DataFrame:
    ren, taken = {}, set()
    for src, dst in columns.items():
        col = _find(df, src)
        if col is None or dst in taken or col in ren:
            continue
        ren[col] = dst
        taken.add(dst)
    # a source column already named like a target that another column takes keeps its data
    clash = [c for c in df.columns if c in taken and c not in ren]
    df = df.drop(columns=clash)
    return df.rename(columns=ren)


def _empty(s: pd.Series) -> pd.Series:
    return s.isna() | s.astype("string").str.strip().eq("").fillna(True)


def apply_mapping(raw: dict, mapping: dict, files: dict, read_extra=None):
    """Rename columns and recode values per ``mapping``; returns new frames and notes.

    Tables are mapped in contract order; a table built by ``derive`` or ``stage_columns``
    is built after the table it reads. ``read_extra(names)`` reads a file a ``join`` names
    (None when the source has none of them).
    """
    mapping = resolve_mapping(mapping) if not isinstance(mapping, dict) else mapping
    out, notes = {}, []
    order = [t for t in schemas.TABLES if t in raw and not is_derived(t, mapping)]
    for table in order:
        out[table] = _map_table(table, raw[table], mapping.get(table) or {}, files, out, notes,
                                read_extra)
    for table in schemas.TABLES:
        spec = mapping.get(table) or {}
        if table in out or not is_derived(table, mapping):
            continue
        if table in raw:                                  # its own file exists: use it
            out[table] = _map_table(table, raw[table], spec, files, out, notes, read_extra)
            continue
        how = spec.get("stage_columns") or spec["derive"]
        src = how.get("from", "opportunities")
        base = out.get(src)
        if base is None:
            continue
        df = (rules.melt_stage_columns(base, how) if spec.get("stage_columns")
              else rules.derive(base, how))
        if df is not None:
            files.setdefault(table, f"{files.get(src, src)} (derived)")
            out[table] = _map_table(table, df, {k: v for k, v in spec.items()
                                                if k not in ("derive", "stage_columns", "file")},
                                    files, out, notes)
    return out, notes


def _scaled(table: str, s: pd.Series, col: str, factor: float, file) -> pd.Series:
    """``s × factor``; a non-empty cell that is not a number is a :class:`DataValidationError`
    naming the rows (a rescale never turns bad input into a silent NaN)."""
    num = pd.to_numeric(s, errors="coerce")
    bad = num.isna() & ~_empty(s)
    if bad.any():
        raise DataValidationError(Problem(
            table, col, f"mapping scales {col!r} by {factor:g} but {int(bad.sum()):,} value(s) "
            "are not numbers", rows=tuple(f"row {i}: {v!r}" for i, v in s[bad].head(5).items()),
            count=int(bad.sum()), file=file))
    return num * factor


def _map_table(table, df, spec, files, mapped, notes, read_extra=None) -> pd.DataFrame:
    file = files.get(table)
    if spec.get("footer"):
        df, _n = rules.drop_footer(df, spec["footer"])
    for col, vals in (spec.get("drop_if") or {}).items():
        c = _find(df, col)
        if c is not None:
            df = df[~_holds(df[c], vals)]
    join = spec.get("join")
    if join and read_extra is not None:
        names = [join["file"]] if isinstance(join["file"], str) else list(join["file"])
        other = read_extra(names)
        left = _find(df, join["left"])
        if other is not None and left is not None and _find(other, join["right"]) is not None:
            right = _find(other, join["right"])
            other = _rename(other, join.get("columns") or {})
            keep = [right, *[c for c in (join.get("columns") or {}).values() if c in other]]
            other = other[list(dict.fromkeys(keep))].drop_duplicates(right)
            df = df.merge(other.rename(columns={right: "__join_key"}), how="left",
                          left_on=left, right_on="__join_key").drop(columns="__join_key")
    df = _rename(df, spec.get("columns") or {})
    for col, kind in (spec.get("parse") or {}).items():
        if col in df.columns:
            df = df.assign(**{col: rules.PARSERS[kind](df[col])})
    df = df.copy()
    for col, factor in (spec.get("scale") or {}).items():
        if col in df.columns:
            df[col] = _scaled(table, df[col], col, float(factor), file)
    for new, old in (spec.get("copy") or {}).items():
        olds = [old] if isinstance(old, str) else list(old)
        optional = all(o.startswith("?") for o in olds)
        olds = [o.lstrip("?") for o in olds]
        found = [c for c in (_find(df, o) for o in olds) if c is not None]
        if not found:
            if new in df.columns or optional:
                continue
            raise DataValidationError(Problem(
                table, olds[0], f"mapping copies {olds[0]!r} to {new!r} but the source has no "
                f"column {olds[0]!r}; columns are {list(df.columns)}", file=file))
        vals = df[found[0]]
        for c in found[1:]:
            vals = vals.where(~_empty(vals), df[c])
        df[new] = df[new].where(~_empty(df[new]), vals) if new in df.columns else vals
    if spec.get("status_from_flags"):
        df["status"] = rules.status_from_flags(df, spec["status_from_flags"], _find)
    for col, recode in (spec.get("values") or {}).items():
        if col in df.columns:
            df[col] = rules.recode(df[col], recode)
    for col, how in (spec.get("unknown_if") or {}).items():
        if col not in df.columns:
            continue
        hit = _holds(df[col], how["values"])
        for other, vals in (how.get("when") or {}).items():
            hit &= _holds(df[other], vals) if other in df.columns else False
        if hit.any():
            df[col] = df[col].astype(object).where(~hit, None)
    filled = []                                   # (column, note, rows) of noted lookups
    for new, lks in (spec.get("lookup") or {}).items():
        for lk in [lks] if isinstance(lks, dict) else lks:
            df, rows = _lookup(table, df, new, lk, mapped, read_extra)
            if lk.get("note") and len(rows):
                filled.append((new, lk["note"], rows))
    for col, value in (spec.get("defaults") or {}).items():
        df[col] = df[col].where(~_empty(df[col]), value) if col in df.columns else value
    for col, value in (spec.get("placeholder") or {}).items():
        empty = _empty(df[col]) if col in df.columns else pd.Series(True, index=df.index)
        if empty.any():
            df[col] = df[col].where(~empty, value) if col in df.columns else value
            notes.append(HealthNote(table, f"{viz.count(empty.sum(), 'row', 'have')} no {col} "
                                    f"in the source: kept under the placeholder {value!r}",
                                    int(empty.sum())))
    drop = spec.get("drop_if_missing") or []
    if drop:
        missing = [c for c in drop if c not in df.columns]
        if missing:
            raise DataValidationError(Problem(
                table, missing[0], "mapping drops rows missing this column but the source "
                f"has no such column; columns are {list(df.columns)}", file=file))
        empty = pd.concat([_empty(df[c]) for c in drop], axis=1).any(axis=1)
        if empty.any():
            cols = ", ".join(drop[:-1]) + (" or " if len(drop) > 1 else "") + drop[-1]
            notes.append(HealthNote(table, f"{viz.count(empty.sum(), 'row')} dropped by the mapping "
                                    f"because {cols} is empty", int(empty.sum())))
            # keep the source row numbers so later errors still point at the file's lines
            df = df[~empty]
    for new, note, rows in filled:                 # counted on the rows the mapping kept
        n = int(df.index.isin(rows).sum())
        if n:
            notes.append(HealthNote(table, f"{viz.count(n, 'row')} without {new}: {note}", n))
    for rep, how in (spec.get("repair") or {}).items():
        df, note = _repair(table, df, rep, how)
        if note:
            notes.append(note)
    if spec.get("status_by_stage") and "stage" in df.columns:
        opp = mapped.get("opportunities")
        df["status"] = rules.status_by_stage(df["stage"], opp)
    own = spec.get("owner_history")
    if own and read_extra is not None and {"opportunity_id", "changed_at"} <= set(df.columns):
        names = [own["file"]] if isinstance(own["file"], str) else list(own["file"])
        df = rules.owner_changes(df, read_extra(names), _find)
    return df


def _holds(s: pd.Series, values) -> pd.Series:
    """Cells of ``s`` equal to one of ``values``: as text (case-insensitive, trimmed) or, for
    numbers, as numbers (so 0 matches "0", "0.0" and 0.0)."""
    text = s.astype("string").str.strip().str.lower()
    hit = text.isin([str(v).lower() for v in values]).fillna(False)
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if nums:
        hit |= pd.to_numeric(s, errors="coerce").isin(nums).fillna(False)
    return hit.astype(bool)


def _lookup(table, df, new, lk, mapped, read_extra):
    """Fill the empty cells of ``new`` from ``lk['value']`` of the row whose ``lk['match']``
    equals this row's ``lk['key']``, in this table, a mapped ``lk['table']`` or a source
    ``lk['file']`` (its columns found case-insensitively); nothing found: ``df`` unchanged.
    Returns the frame and the index of the rows it filled."""
    if lk.get("file"):
        names = [lk["file"]] if isinstance(lk["file"], str) else list(lk["file"])
        other = read_extra(names) if read_extra is not None else None
    else:
        other = df if lk.get("table", table) == table else mapped.get(lk["table"])
    if other is None or lk["key"] not in df.columns:
        return df, df.index[:0]
    match, value = _find(other, lk["match"]), _find(other, lk["value"])
    if match is None or value is None:
        return df, df.index[:0]
    ref = other[other[match].notna()].drop_duplicates(match).set_index(match)[value]
    vals = df[lk["key"]].map(ref)
    empty = _empty(df[new]) if new in df.columns else pd.Series(True, index=df.index)
    df[new] = df[new].where(~empty, vals) if new in df.columns else vals
    return df, df.index[(empty & vals.notna()).to_numpy()]


def _repair(table, df, rep, how):
    created, close = _REPAIRS[rep]
    if created not in df.columns or close not in df.columns:
        return df, None
    a = pd.to_datetime(df[created], errors="coerce", format="mixed", utc=True).dt.tz_localize(None).dt.normalize()
    b = pd.to_datetime(df[close], errors="coerce", format="mixed", utc=True).dt.tz_localize(None).dt.normalize()
    bad = (b < a).fillna(False)
    if not bad.any():
        return df, None
    df = df.copy()
    df.loc[bad, created] = b[bad].dt.strftime("%Y-%m-%d")
    n = int(bad.sum())
    they = "it was" if n == 1 else "they were"
    return df, HealthNote(table, f"{viz.count(n, 'deal')} closed before {they} created (repair "
                          f"close_before_created): {viz.its(n)} created date was set to the close "
                          "date", n)


def describe_rules() -> str:
    """One line per mapping rule (for error messages and documentation)."""
    return "\n".join(f"{k}: {v}" for k, v in RULES.items())

