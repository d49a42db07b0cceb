"""The parameters of the report notebooks: what each declares, what ``-p`` may set, and the
values checked against the declared types before anything runs.

papermill's :func:`papermill.inspect_notebook` reads each notebook's ``parameters`` cell (name,
type, default, help comment). The runner owns a few names itself: they are set by their own
options, never by ``-p``, so a report can never be filed under one period while computed for
another, or read one data set while its manifest names another.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

#: Parameters the runner sets itself, and the option that sets each.
RESERVED = {
    "period": "--period",
    "data": "--data",
    "mapping": "--mapping",
    "reports_dir": "--out",
    "keep_dir": "--out",
    "out": "--out",
}

_TYPES = {"int": int, "float": float, "bool": bool, "str": str}


class ParameterError(ValueError):
    """A ``-p`` value the notebooks cannot take (exit code 2, nothing written)."""


#: The allowed values of the numeric parameters whose meaning bounds them, by name (in every
#: notebook declaring it) or ``NOTEBOOK.NAME`` (that notebook only, wins over the name):
#: ``(low, high)`` open ends, ``[low, high]`` closed ones, ``inf`` for no upper bound. Only a
#: ``-p`` value is checked (the notebooks' defaults are in range).
BOUNDS = {
    # rates and shares
    "fdr": "(0, 1)",                     # rep_performance: false-discovery rate of the flags
    "tolerance": "[0, 1]",               # territory_design: ±share of each rep's target
    "max_disruption": "[0, 1]",          # territory_design: share of accounts that may move
    "level": "(0, 100)",                 # a forecast interval in percent, where declared
    # counts
    "min_deals": "[0, inf)",             # rep_performance: 0 judges every rep
    "periods_back": "[1, inf)",          # forecast, sales_strategy: past periods replayed
    "horizon": "[1, inf)",               # forecast: time-series steps
    "top_n": "[1, inf)",                 # pipeline_health: rows shown
    "add_reps": "[0, inf)",              # territory_design: new hires
    "seed": "[0, inf)",                  # random seeds (numpy takes none below 0)
    # thresholds, money, time
    "coverage_green": "[0, inf)", "coverage_amber": "[0, inf)",
    "attainment_green": "[0, inf)", "attainment_amber": "[0, inf)",
    "field_cost_per_fte": "[0, inf)", "inside_cost_per_fte": "[0, inf)",
    "travel_cost_per_visit": "[0, inf)", "what_if_max_potential": "[0, inf)",
    "capacity_hours": "(0, inf)", "territory_seconds": "(0, inf)", "time_limit": "(0, inf)",
}

#: Settings one notebook takes from another of the same run, so two pages never show two
#: numbers for one thing: follower → (leader, names). The executive summary shows the forecast
#: page's number, so a forecast setting the run gives the page (``-p forecast.model=ets``, or
#: ``-p periods_back=1`` to every notebook declaring it) also sets the summary's
#: ``forecast_<name>``, unless the run sets that one itself.
FOLLOWS = {"executive_summary": ("forecast", ("granularity", "model", "horizon", "periods_back",
                                              "seed"))}


def followed(name: str) -> str:
    """The leader's name of a setting a notebook takes from another (:data:`FOLLOWS`:
    ``forecast_periods_back`` → ``periods_back``), whose range and choices it shares; any
    other name as it is."""
    for leader, names in FOLLOWS.values():
        base = name.removeprefix(f"{leader}_")
        if base != name and base in names:
            return base
    return name


def _range(nb: str, name: str) -> str | None:
    """The allowed range of ``nb``'s parameter ``name`` (:data:`BOUNDS`), if it has one."""
    return BOUNDS.get(f"{nb}.{name}", BOUNDS.get(followed(name)))

#: Pairs ``(lower, upper)`` of one notebook's parameters where ``lower`` may not exceed
#: ``upper`` (the defaults stand for the one not given).
ORDERED = (("coverage_amber", "coverage_green"), ("attainment_amber", "attainment_green"))


def _bounds(text: str) -> tuple[float, float, bool, bool]:
    """``"(0, 1]"`` → ``(0.0, 1.0, low_open, high_open)``."""
    lo, hi = (float(x) for x in text.strip()[1:-1].split(","))
    return lo, hi, text.strip()[0] == "(", text.strip()[-1] == ")"


def describe(text: str) -> str:
    """A range as words: ``(0, 1)`` → "more than 0 and less than 1"."""
    lo, hi, lo_open, hi_open = _bounds(text)
    low = f"{'more than' if lo_open else 'at least'} {lo:g}"
    if hi == float("inf"):
        return low
    if not lo_open and not hi_open:
        return f"from {lo:g} to {hi:g}"
    return f"{low} and {'less than' if hi_open else 'at most'} {hi:g}"


def in_range(value, text: str) -> bool:
    """Whether the number ``value`` lies in the range ``text`` (NaN never does)."""
    lo, hi, lo_open, hi_open = _bounds(text)
    v = float(value)
    return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)


def check_ranges(typed: dict[str, dict], declared_map: dict[str, dict],
                 given: dict[str, dict] | None = None) -> None:
    """Refuse ``-p`` values outside :data:`BOUNDS` or against :data:`ORDERED` (``given``: the
    values as typed, per notebook, for the message).

    Raises
    ------
    ParameterError
        Every value out of range, naming the parameter, the value and the allowed range.
    """
    bad: list[str] = []
    for nb, values in typed.items():
        for k, v in values.items():
            rng = _range(nb, k)
            if rng is None or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            if not in_range(v, rng):
                what = (declared_map.get(nb, {}).get(k, {}).get("help") or "").strip()
                shown = (given or {}).get(nb, {}).get(k, v)
                item = (f"-p {k}={shown} is out of range: {k} must be {describe(rng)}, i.e. "
                        f"in {rng}" + (f" ({what})" if what else ""))
                if item not in bad:
                    bad.append(item)
        for lo_name, hi_name in ORDERED:
            if lo_name not in values and hi_name not in values:
                continue
            d = declared_map.get(nb, {})
            if lo_name not in d or hi_name not in d:
                continue
            lo, hi = (values[n] if n in values else _default(d[n]) for n in (lo_name, hi_name))
            if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
                bad.append(f"{lo_name}={lo} and {hi_name}={hi} in {nb}: {lo_name} must "
                           f"be at most {hi_name}")
    if bad:
        raise ParameterError("; ".join(bad))


def _default(info: dict):
    try:
        return ast.literal_eval(str(info.get("default")))
    except (ValueError, SyntaxError):
        return None


@lru_cache(maxsize=64)
def _inspect(path: str, mtime: float) -> dict:
    import papermill as pm

    return pm.inspect_notebook(path)


def declared(path: str | Path) -> dict:
    """``{name: {"inferred_type_name", "default", "help"}}`` of one notebook's parameters."""
    p = Path(path)
    return _inspect(str(p), p.stat().st_mtime)


def declared_by(paths: dict[str, Path]) -> dict[str, dict]:
    """Per notebook name, its declared parameters."""
    return {name: declared(p) for name, p in paths.items()}


def _type_name(info: dict) -> str:
    return (info.get("inferred_type_name") or "").strip().lower()


def coerce(name: str, value, type_name: str):
    """``value`` (a ``-p`` string) as the declared type.

    Raises
    ------
    ParameterError
        The value is not of that type (names the parameter and the type).
    """
    t = type_name.split("[")[0].strip()
    if not isinstance(value, str) or t in ("", "none", "str", "any"):
        return value
    text = value.strip()
    try:
        if t == "bool":
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if t == "int":
            return int(text)
        if t == "float":
            return float(text)
        if t in ("list", "dict", "tuple"):
            got = ast.literal_eval(text)
            if type(got).__name__ != t:
                raise ValueError(text)
            return got
    except (ValueError, SyntaxError):
        raise ParameterError(
            f"-p {name}={value!r}: {name} takes {'an' if t[0] in 'aeiou' else 'a'} {t} "
            f"({_EXAMPLES.get(t, t)}), not {value!r}") from None
    return value


_EXAMPLES = {"int": "a whole number such as 10", "float": "a number such as 0.8",
             "bool": "true or false", "list": "a list such as [1, 2]",
             "dict": "a dict such as {'a': 1}"}


def check(params: dict, declared_map: dict[str, dict]) -> dict[str, dict]:
    """Validate ``-p`` values against what the notebooks declare.

    ``NAME`` sets the parameter in every selected notebook declaring it; ``NOTEBOOK.NAME``
    in that notebook only (and wins over ``NAME`` there), e.g. ``forecast.periods_back=1``
    while ``sales_strategy`` keeps its own ``periods_back``. A notebook that follows another's
    settings (:data:`FOLLOWS`) gets them too.

    Returns, per notebook, the values it declares, converted to its declared type.

    Raises
    ------
    ParameterError
        A reserved name (names the proper option), a name no notebook declares (lists what
        they declare), a ``NOTEBOOK.`` that is not selected, a value of the wrong type, or
        one outside its range (:func:`check_ranges`).
    """
    plain: dict = {}
    scoped: dict[str, dict] = {}
    for key, value in params.items():
        nb, _, name = key.rpartition(".")
        if name in RESERVED:
            raise ParameterError(
                f"-p {key}=... is not allowed: {name} is set by the runner; use "
                f"{RESERVED[name]} instead")
        if nb and nb not in declared_map:
            raise ParameterError(f"-p {key}: {nb} is not a selected notebook (selected: "
                                 f"{', '.join(declared_map) or 'none'})")
        (scoped.setdefault(nb, {}) if nb else plain)[name] = value
    everything = sorted({n for d in declared_map.values() for n in d} - set(RESERVED))
    unknown = [n for n in plain if n not in everything]
    unknown += [f"{nb}.{n}" for nb, given in scoped.items() for n in given
                if n not in declared_map[nb]]
    if unknown:
        listing = "; ".join(
            f"{nb}: {', '.join(n for n in d if n not in RESERVED) or '(none)'}"
            for nb, d in declared_map.items())
        raise ParameterError(
            f"-p {', '.join(unknown)}: no selected notebook declares "
            f"{'this parameter' if len(unknown) == 1 else 'these parameters'}. "
            f"Declared parameters — {listing}")
    out: dict[str, dict] = {}
    as_given: dict[str, dict] = {}
    for nb, d in declared_map.items():
        given = {**{k: v for k, v in plain.items() if k in d}, **scoped.get(nb, {})}
        out[nb] = {k: coerce(k, v, _type_name(d[k])) for k, v in given.items()}
        as_given[nb] = given
    check_ranges(out, declared_map, as_given)
    check_choices(out)
    for follower, (leader, names) in FOLLOWS.items():     # values already checked
        if follower in out and leader in out:
            for k in names:
                mine = f"{leader}_{k}"
                if k in out[leader] and mine in declared_map[follower] and mine not in out[follower]:
                    out[follower][mine] = out[leader][k]
    return out


def choices(name: str) -> tuple[str, ...] | None:
    """The values a fixed-choice string parameter takes, from the library's own lists
    (``granularity``, ``model``, ``quota_method``, ``balance_on``, and the settings that
    follow them: :func:`followed`); None for any other."""
    name = followed(name)
    if name == "granularity":
        from ..forecast.series import GRANULARITY
        return tuple(GRANULARITY)
    if name == "model":
        from ..forecast.models import MODELS
        return ("auto", *MODELS)
    if name == "quota_method":
        from ..compensation.quotas import METHODS
        return METHODS
    if name == "balance_on":
        from ..territory.problem import MEASURES
        return MEASURES
    return None


def check_choices(typed: dict[str, dict]) -> None:
    """Refuse a fixed-choice ``-p`` value the library does not know (:func:`choices`; a
    ``model`` may join several with ``+``, e.g. ``ets+theta``).

    Raises
    ------
    ParameterError
        Every such value, naming the parameter, the value and the values allowed.
    """
    bad: list[str] = []
    for values in typed.values():
        for k, v in values.items():
            allowed = choices(k)
            if allowed is None or not isinstance(v, str):
                continue
            parts = v.split("+") if k == "model" and v != "auto" else [v]
            if any(x not in allowed or (x == "auto" and len(parts) > 1) for x in parts):
                item = f"-p {k}={v}: {k} must be one of {', '.join(allowed)}"
                if item not in bad:
                    bad.append(item)
    if bad:
        raise ParameterError("; ".join(bad))


def help_text(paths: dict[str, Path]) -> str:
    """The notebooks and their parameters, for ``salesops report --help``."""
    lines = ["report notebooks and their parameters (set with -p NAME=VALUE, or -p "
             "NOTEBOOK.NAME=VALUE for one notebook only; the runner sets "
             + ", ".join(sorted(k for k in RESERVED if k not in ('keep_dir', 'out'))) + "):"]
    for name, path in paths.items():
        try:
            d = declared(path)
        except Exception as exc:  # noqa: BLE001 - help must never fail on one bad notebook
            lines.append(f"  {name}: cannot read its parameters ({exc})")
            continue
        lines.append(f"  {name}")
        for k, info in d.items():
            mark = " (set by the runner)" if k in RESERVED else ""
            t = _type_name(info) or "str"
            rng = _range(name, k)
            mark += f" (allowed {rng})" if rng and t in ("int", "float") else ""
            lines.append(f"    {k}: {t} = {info.get('default')}{mark}  "
                         f"{(info.get('help') or '').strip()}".rstrip())
    return "\n".join(lines)
