"""Checks of the ``-p`` values that name files or things in the data, made before any notebook
runs (README "What a run does"): a bad one refuses the run with one paragraph (exit 2,
nothing written) instead of failing a notebook half-way.

* :func:`check_files`, before the data load: a ``plan`` file is loaded and validated by
  :func:`salesops_lib.compensation.plan.load_plan`; a ``calls`` file is read and every value
  checked by :func:`salesops_lib.forecast.calls.read_calls` (file, column, rows);
* :func:`check_against_data`, once the data are loaded: a ``team``, ``rep`` or ``channel``
  filter must name a value the data have (the message lists them), a ``by`` grouping a
  column they have, and every caller of a
  calls file must exist at its level (:func:`salesops_lib.forecast.calls.check_callers`).

Each raises :class:`~.params.ParameterError`; the runner turns it into its input error.
"""

from __future__ import annotations

import re
from pathlib import Path

from .params import ParameterError, _default

#: Notebook parameters that name a file (besides ``data`` and ``mapping``).
PATH_PARAMS = ("calls", "plan")


def anchored_file(value):
    """``value`` as an absolute path when it names an existing file or folder relative to
    the current folder; anything else (a preset name, empty, a URL) unchanged."""
    if not isinstance(value, str) or not value or "://" in value:
        return value
    path = Path(value).expanduser()
    return str(path.resolve()) if not path.is_absolute() and path.exists() else value


def anchored_source(data: str) -> str:
    """The data source with a relative folder or a relative ``duckdb:///`` / ``sqlite:///``
    file made absolute, so that it reads the same from any folder."""
    data = str(data)
    for scheme in ("duckdb:///", "sqlite:///"):
        if data.startswith(scheme):
            rest = data[len(scheme):]
            if rest and not rest.startswith("/") and Path(rest).exists():
                return scheme + str(Path(rest).resolve())
            return data
    if data == "sample" or data.startswith("sample:"):
        return data
    return anchored_file(data)


#: Filter parameters checked against the data: ``name -> (table, column, what)``.
FILTERS = {
    "team": ("reps", "team", "team"),
    "rep": ("reps", "rep_id", "rep id"),
    "channel": ("opportunities", "channel", "channel"),
}
#: Values listed in a message before "... (N in all)".
LISTED = 40


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _values(typed: dict[str, dict], name: str) -> list[tuple[str, str]]:
    """``(notebook, value)`` for every non-empty string value of ``name``, one per value."""
    seen, out = set(), []
    for nb, values in typed.items():
        v = values.get(name)
        if isinstance(v, str) and v.strip() and v not in seen:
            seen.add(v)
            out.append((nb, v))
    return out


def check_plan(value: str) -> None:
    """Load and validate the plan file ``value`` as the notebook will.

    Raises
    ------
    ParameterError
        The file is missing, is not YAML, or is not a valid plan (names the file).
    """
    from ..compensation.plan import PlanError, load_plan

    path = Path(value).expanduser().absolute()
    if not path.is_file():
        raise ParameterError(f"-p plan: plan file {path} does not exist")
    try:
        load_plan(str(path))
    except (PlanError, OSError, ValueError, TypeError, KeyError) as exc:
        msg = _one_line(exc) if isinstance(exc, PlanError) else \
            f"is not a plan the library can read ({type(exc).__name__}: {_one_line(exc)})"
        if msg.startswith("plan file "):
            msg = re.sub(r"^plan file '[^']*'", "", msg).lstrip(": ")
        raise ParameterError(f"-p plan: plan file {path}: {msg}") from None


def check_files(typed: dict[str, dict]) -> dict[str, object]:
    """Check every ``plan`` and ``calls`` file given with ``-p`` (see the module docstring).

    Returns ``{calls path: calls frame}`` for :func:`check_against_data`.
    """
    from ..forecast.calls import CallsError, read_calls

    for _, value in _values(typed, "plan"):
        check_plan(value)
    frames = {}
    for _, value in _values(typed, "calls"):
        try:
            frames[value] = read_calls(value)
        except CallsError as exc:
            raise ParameterError(f"-p calls: {_one_line(exc)}") from None
    return frames


def check_against_data(typed: dict[str, dict], declared: dict[str, dict], ds,
                       calls_frames: dict | None = None) -> None:
    """Check the ``team``/``rep``/``channel`` filters, a ``by`` grouping (a column of
    opportunities, reps or accounts, as :func:`~salesops_lib.measures.group_values` reads it)
    and the callers of each calls file against the loaded data set ``ds`` (see the module
    docstring).

    Raises
    ------
    ParameterError
        A filter value the data lack (lists the values they have), a ``by`` column they
        lack (lists the columns), or a caller the data lack (names the file, the column and
        the rows).
    """
    from ..forecast.calls import CallsError, check_callers

    for name, (table, column, what) in FILTERS.items():
        for _, value in _values(typed, name):
            frame = getattr(ds, table, None)
            columns = getattr(frame, "columns", None)
            if columns is None or (table == "opportunities" and getattr(ds, "is_lazy", False)):
                continue                    # a lazy table: the notebook reads it in SQL
            if column not in columns:
                raise ParameterError(f"-p {name}={value}: the data have no {column} column "
                                     f"in {table}, so there is no {what} to filter on")
            known = sorted(frame[column].dropna().astype(str).unique())
            if value not in known:
                shown = known
                if name == "rep" and "rep_name" in columns:
                    names = dict(zip(frame["rep_id"].astype(str), frame["rep_name"].astype(str)))
                    shown = [f"{r} ({names.get(r, '')})" for r in known]
                listing = ", ".join(shown[:LISTED]) + (
                    f", ... ({len(shown)} in all)" if len(shown) > LISTED else "")
                raise ParameterError(f"-p {name}={value}: no {what} {value!r} in the data; "
                                     f"valid values: {listing or '(none)'}")
    if not getattr(ds, "is_lazy", False):
        for _, value in _values(typed, "by"):
            tables = {t: getattr(getattr(ds, t, None), "columns", ())
                      for t in ("opportunities", "reps", "accounts")}
            if not any(value in cols for cols in tables.values()):
                have = "; ".join(f"{t}: {', '.join(map(str, c))}" for t, c in tables.items())
                raise ParameterError(f"-p by={value}: the data have no {value!r} column to "
                                     f"group by (columns: {have})")
    for nb, values in typed.items():
        ter = {k: values[k] for k in ("role", "remove_reps", "locked_accounts") if k in values}
        if (ter.get("remove_reps") or ter.get("locked_accounts") or "role" in ter) and \
                not getattr(ds, "is_lazy", False):
            from ..territory import check_parameters

            given = {k: values.get(k, _default(declared[nb][k])) for k in
                     ("role", "remove_reps", "locked_accounts") if k in declared[nb]}
            try:
                check_parameters(ds, **given)
            except ValueError as exc:
                raise ParameterError(f"-p {nb}: {_one_line(exc)}") from None
    for nb, value in _values(typed, "calls"):
        frame = (calls_frames or {}).get(value)
        if frame is None:
            continue
        by = typed[nb].get("by", _default(declared[nb]["by"]) if "by" in declared[nb] else None)
        try:
            check_callers(frame, ds, by if isinstance(by, str) else None)
        except CallsError as exc:
            raise ParameterError(f"-p calls: {_one_line(exc)}") from None
