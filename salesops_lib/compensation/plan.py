"""Pay plans as data: the YAML (or dict) a comp analyst reads, validated into a :class:`Plan`.

A plan says how a period's credited deals turn into pay. The keys (README, "plan reference"):

``name``, ``period`` (``month``/``quarter``/``year``), ``target_incentive`` (pay at 100% on every
measure, per period), ``measure`` (one measure, ``bookings``) or ``measures`` (weighted list),
``curve`` (bands ``from``/``to``/``rate``), ``tiers`` (``marginal``/``retroactive``), ``gates``,
``cap``, ``floor``, ``draw``, ``clawback``, ``spifs``, ``start`` (first paid period) and
``versions`` (effective-dated changes).

Every problem raises one :class:`PlanError` naming the plan and the key (``curve[1].from``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Folder of the plans shipped with the library.
PLANS_DIR = Path(__file__).resolve().parent / "plans"
#: The sample plan used when a notebook is given no plan.
SAMPLE_PLAN = PLANS_DIR / "ae_2026.yaml"

_TOP_KEYS = {"name", "period", "measure", "measures", "target_incentive", "curve", "tiers", "cap",
             "floor", "draw", "clawback", "spifs", "gates", "start", "versions"}
_MEASURE_KINDS = {"bookings", "new_logos", "product"}
_SPIF_KEYS = {"name", "product", "start", "end", "per_deal", "rate", "min_amount", "roles"}
_GATE_KEYS = {"measure", "min_attainment", "applies_to", "above", "rate"}
_VERSION_KEYS = {"effective_from", "announced", "changes", "note"}


class PlanError(ValueError):
    """A pay plan that cannot be computed as written (names the plan and the key)."""


@dataclass(frozen=True)
class Measure:
    """One weighted measure: ``kind`` bookings (won amount), new_logos (first won deal of an
    account, counted by credit share) or product (won amount of one ``product``). ``target``
    per period, or ``target_share`` × the rep's quota; bookings default to the quota.
    ``max_attainment``: attainment above it is not paid on this measure (a component cap)."""

    name: str
    kind: str
    weight: float
    product: str | None = None
    target: float | None = None
    target_share: float | None = None
    max_attainment: float = float("inf")


@dataclass(frozen=True)
class Version:
    """An effective-dated plan version: applies to periods starting on or after
    ``effective_from``, known from ``announced`` on (a change announced after a period was
    paid reaches that period only as delta lines)."""

    effective_from: pd.Timestamp
    announced: pd.Timestamp
    plan: Plan
    label: str


@dataclass(frozen=True)
class Plan:
    """A validated pay plan (one version). Build it with :func:`load_plan`."""

    name: str
    period: str
    target_incentive: float
    measures: tuple[Measure, ...]
    edges: np.ndarray            # band lower edges, ascending, edges[0] == 0
    uppers: np.ndarray           # band upper edges (inf for the open last band)
    rates: np.ndarray            # rate per band (multiple of TI per unit of attainment)
    tiers: str = "marginal"
    cap: float | None = None
    floor: float | None = None
    draw_amount: float = 0.0
    draw_recoverable: bool = False
    clawback_days: int | None = None
    spifs: tuple[dict, ...] = ()
    gates: tuple[dict, ...] = ()
    start: str | None = None
    versions: tuple[Version, ...] = field(default=(), compare=False)
    source: dict = field(default_factory=dict, compare=False, repr=False)

    def band_labels(self) -> list[str]:
        """``"50%–100% at 1.5x"`` per band."""
        out = []
        for lo, hi, r in zip(self.edges, self.uppers, self.rates):
            top = "+" if np.isinf(hi) else f"–{100 * hi:.0f}%"
            out.append(f"{100 * lo:.0f}%{top} at {r:g}x")
        return out

    def version_for(self, period_start, known_at) -> tuple[Plan, str]:
        """The plan in force for a period starting ``period_start`` as known on ``known_at``:
        the latest version effective by the period's start and announced by ``known_at``."""
        chosen, label = self, "base"
        for v in self.versions:
            if v.effective_from <= pd.Timestamp(period_start) and v.announced <= pd.Timestamp(known_at):
                chosen, label = v.plan, v.label
        return chosen, label


# --------------------------------------------------------------------------------------------
# loading and validation
# --------------------------------------------------------------------------------------------
def load_plan(plan) -> Plan:
    """A :class:`Plan` from a dict, a YAML/JSON path, or a Plan (returned as is).

    An empty string or ``None`` loads the shipped sample plan (:data:`SAMPLE_PLAN`).

    Raises
    ------
    PlanError
        Unreadable file, unknown key, wrong type or value, bands that do not touch, weights
        that do not add up to 1, ...: the message names the plan and the key.
    """
    if isinstance(plan, Plan):
        return plan
    if plan is None or (isinstance(plan, str) and not plan.strip()):
        plan = SAMPLE_PLAN
    if isinstance(plan, (str, Path)):
        import yaml

        path = Path(plan)
        if not path.is_file():
            raise PlanError(f"plan file {str(path)!r} does not exist")
        try:
            plan = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise PlanError(f"plan file {path.name!r} is not valid YAML: {exc}") from None
    if not isinstance(plan, dict):
        raise PlanError("a plan must be a mapping of keys (name, period, curve, ...), "
                        f"got {type(plan).__name__}")
    return _validate(plan)


def _validate(raw: dict, base: dict | None = None) -> Plan:
    name = str(raw.get("name", (base or {}).get("name", "unnamed plan")))

    def fail(key, msg):
        raise PlanError(f"plan {name!r}: {key} {msg}")

    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        fail(unknown[0], f"is not a plan key; known keys: {', '.join(sorted(_TOP_KEYS))}")
    for key in ("period", "target_incentive", "curve"):
        if key not in raw:
            fail(key, "is required")
    period = raw["period"]
    if period not in ("month", "quarter", "year"):
        fail("period", f"must be month, quarter or year, got {period!r}")
    ti = _number(raw["target_incentive"], "target_incentive", fail)
    if ti <= 0:
        fail("target_incentive", f"must be > 0, got {ti}")
    measures = _measures(raw, fail)
    edges, uppers, rates = _curve(raw["curve"], fail)
    tiers = raw.get("tiers", "marginal")
    if tiers not in ("marginal", "retroactive"):
        fail("tiers", f"must be marginal or retroactive, got {tiers!r}")
    cap = raw.get("cap")
    floor = raw.get("floor")
    if cap is not None:
        cap = _number(cap, "cap", fail)
        if cap <= 0:
            fail("cap", f"must be > 0 (a multiple of target incentive), got {cap}")
    if floor is not None:
        floor = _number(floor, "floor", fail)
        if floor < 0:
            fail("floor", f"must be >= 0, got {floor}")
        if cap is not None and floor > cap:
            fail("floor", f"({floor}) is above cap ({cap})")
    draw = raw.get("draw") or {}
    if not isinstance(draw, dict):
        fail("draw", "must be a mapping {amount: ..., recoverable: true|false}")
    bad = sorted(set(draw) - {"amount", "recoverable"})
    if bad:
        fail(f"draw.{bad[0]}", "is not a draw key (amount, recoverable)")
    draw_amount = _number(draw.get("amount", 0), "draw.amount", fail)
    if draw_amount < 0:
        fail("draw.amount", f"must be >= 0, got {draw_amount}")
    recoverable = draw.get("recoverable", False)
    if not isinstance(recoverable, bool):
        fail("draw.recoverable", f"must be true or false, got {recoverable!r}")
    claw = raw.get("clawback")
    days = None
    if claw is not None:
        if not isinstance(claw, dict) or "days" not in claw:
            fail("clawback", "must be a mapping {days: N}")
        days = claw["days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            fail("clawback.days", f"must be a whole number of days >= 0, got {days!r}")
    spifs = tuple(_spif(s, i, fail) for i, s in enumerate(raw.get("spifs") or []))
    gates = tuple(_gate(g, i, measures, fail) for i, g in enumerate(raw.get("gates") or []))
    start = raw.get("start")
    if start is not None:
        from ..periods import Period, PeriodError

        try:
            kind = Period.parse(str(start)).kind
        except PeriodError as exc:
            fail("start", f"is not a period: {exc}")
        if kind != period:
            fail("start", f"({start}) must be a {period}, like the plan's period")
        start = str(start)
    plan = Plan(name=name, period=period, target_incentive=ti, measures=measures, edges=edges,
                uppers=uppers, rates=rates, tiers=tiers, cap=cap, floor=floor,
                draw_amount=draw_amount, draw_recoverable=recoverable, clawback_days=days,
                spifs=spifs, gates=gates, start=start, source=copy.deepcopy(raw))
    if base is None and raw.get("versions"):
        versions = _versions(raw, fail)
        plan = Plan(**{**plan.__dict__, "versions": versions})
    elif base is not None and raw.get("versions"):
        fail("versions", "cannot be nested inside a version's changes")
    return plan


def _number(value, key, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(key, f"must be a number, got {value!r}")
    if not np.isfinite(value):
        fail(key, f"must be finite, got {value!r}")
    return float(value)


def _measures(raw, fail) -> tuple[Measure, ...]:
    if "measures" in raw and "measure" in raw:
        fail("measure", "and measures cannot both be given")
    if "measures" not in raw:
        m = raw.get("measure", "bookings")
        if m != "bookings":
            fail("measure", f"as a single measure must be bookings, got {m!r}; "
                            "use measures: [...] for others")
        return (Measure("bookings", "bookings", 1.0),)
    items = raw["measures"]
    if not isinstance(items, list) or not items:
        fail("measures", "must be a non-empty list")
    out, names = [], set()
    for i, m in enumerate(items):
        key = f"measures[{i}]"
        _entry(m, key, "measure", ("name", "kind", "weight", "product", "target", "target_share",
                                   "max_attainment"), (), fail)
        kind = m.get("kind", m.get("name"))
        if kind not in _MEASURE_KINDS:
            fail(f"{key}.kind", f"must be one of {sorted(_MEASURE_KINDS)}, got {kind!r}")
        name = str(m.get("name", kind))
        if name in names:
            fail(f"{key}.name", f"{name!r} is used twice")
        names.add(name)
        weight = _number(m.get("weight", 1.0), f"{key}.weight", fail)
        if weight < 0:
            fail(f"{key}.weight", f"must be >= 0, got {weight}")
        if kind == "product" and not m.get("product"):
            fail(f"{key}.product", "is required for a product measure")
        target = m.get("target")
        share = m.get("target_share")
        if target is not None:
            target = _number(target, f"{key}.target", fail)
            if target <= 0:
                fail(f"{key}.target", f"must be > 0, got {target}")
        if share is not None:
            share = _number(share, f"{key}.target_share", fail)
            if share <= 0:
                fail(f"{key}.target_share", f"must be > 0, got {share}")
        if kind != "bookings" and target is None and share is None:
            fail(f"{key}.target", f"or target_share is required for a {kind} measure")
        top = m.get("max_attainment")
        if top is not None:
            top = _number(top, f"{key}.max_attainment", fail)
            if top <= 0:
                fail(f"{key}.max_attainment", f"must be > 0, got {top}")
        out.append(Measure(name, kind, weight, m.get("product"), target, share,
                           float("inf") if top is None else top))
    total = sum(m.weight for m in out)
    if abs(total - 1.0) > 1e-9:
        fail("measures", f"weights add up to {total:g}; they must add up to 1")
    return tuple(out)


def _curve(curve, fail):
    if not isinstance(curve, list) or not curve:
        fail("curve", "must be a non-empty list of bands {from, to, rate}")
    lo, hi, rate = [], [], []
    for i, band in enumerate(curve):
        key = f"curve[{i}]"
        _entry(band, key, "band", ("from", "to", "rate"), ("from", "rate"), fail)
        f = _number(band["from"], f"{key}.from", fail)
        t = band.get("to")
        t = np.inf if t is None else _number(t, f"{key}.to", fail)
        r = _number(band["rate"], f"{key}.rate", fail)
        if r < 0:
            fail(f"{key}.rate", f"must be >= 0, got {r}")
        if t <= f:
            fail(f"{key}.to", f"({t}) must be above from ({f})")
        if i == 0 and f != 0:
            fail(f"{key}.from", f"must be 0 (the curve starts at no attainment), got {f}")
        if i > 0 and f != hi[-1]:
            fail(f"{key}.from", f"is {f} but curve[{i - 1}].to is {hi[-1]}: bands must touch")
        if np.isinf(t) and i != len(curve) - 1:
            fail(f"{key}.to", "is open (null) but more bands follow")
        lo.append(f)
        hi.append(t)
        rate.append(r)
    if not np.isinf(hi[-1]):
        fail(f"curve[{len(curve) - 1}].to", "must be null: the last band is open-ended "
                                            "(use cap to limit pay)")
    return np.array(lo), np.array(hi), np.array(rate)


def _entry(value, key, what, keys, required, fail) -> None:
    """Check one list entry of a plan: a mapping with only ``keys`` and every ``required`` key;
    ``what`` names it in the messages ("band", "SPIF", ...)."""
    if not isinstance(value, dict):
        fail(key, f"must be a mapping of {what} keys ({', '.join(sorted(keys))})")
    bad = sorted(set(value) - set(keys))
    if bad:
        fail(f"{key}.{bad[0]}", f"is not a {what} key ({', '.join(sorted(keys))})")
    for k in required:
        if k not in value:
            fail(f"{key}.{k}", "is required")


def _date(value, key, fail) -> pd.Timestamp:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        fail(key, f"is not a date: {value!r}")


def _spif(s, i, fail) -> dict:
    key = f"spifs[{i}]"
    _entry(s, key, "SPIF", _SPIF_KEYS, ("name", "start", "end"), fail)
    start = _date(s["start"], f"{key}.start", fail)
    end = _date(s["end"], f"{key}.end", fail)
    if end < start:
        fail(f"{key}.end", f"({end:%Y-%m-%d}) is before start ({start:%Y-%m-%d})")
    per_deal = _number(s.get("per_deal", 0), f"{key}.per_deal", fail)
    rate = _number(s.get("rate", 0), f"{key}.rate", fail)
    if per_deal < 0 or rate < 0:
        fail(f"{key}.per_deal", "and rate must be >= 0")
    if per_deal == 0 and rate == 0:
        fail(f"{key}.per_deal", "or rate must be given: a SPIF pays something")
    roles = s.get("roles")
    if roles is not None and not isinstance(roles, list):
        fail(f"{key}.roles", "must be a list of rep roles")
    return {"name": str(s["name"]), "product": s.get("product"), "start": start, "end": end,
            "per_deal": per_deal, "rate": rate,
            "min_amount": _number(s.get("min_amount", 0), f"{key}.min_amount", fail),
            "roles": tuple(roles) if roles else None}


def _gate(g, i, measures, fail) -> dict:
    key = f"gates[{i}]"
    _entry(g, key, "gate", _GATE_KEYS, ("measure", "min_attainment", "above"), fail)
    names = [m.name for m in measures]
    if g["measure"] not in names:
        fail(f"{key}.measure", f"{g['measure']!r} is not one of the plan's measures {names}")
    applies = g.get("applies_to", names[0])
    if applies not in names:
        fail(f"{key}.applies_to", f"{applies!r} is not one of the plan's measures {names}")
    above = _number(g["above"], f"{key}.above", fail)
    rate = g.get("rate")
    return {"measure": g["measure"], "applies_to": applies, "above": above,
            "min_attainment": _number(g["min_attainment"], f"{key}.min_attainment", fail),
            "rate": None if rate is None else _number(rate, f"{key}.rate", fail)}


def _versions(raw, fail) -> tuple[Version, ...]:
    items = raw["versions"]
    if not isinstance(items, list):
        fail("versions", "must be a list of {effective_from, announced, changes}")
    out = []
    for i, v in enumerate(items):
        key = f"versions[{i}]"
        _entry(v, key, "version", _VERSION_KEYS, ("effective_from", "changes"), fail)
        eff = _date(v["effective_from"], f"{key}.effective_from", fail)
        ann = _date(v.get("announced", v["effective_from"]), f"{key}.announced", fail)
        changes = v["changes"]
        if not isinstance(changes, dict):
            fail(f"{key}.changes", "must be a mapping of plan keys")
        if "period" in changes and changes["period"] != raw["period"]:
            fail(f"{key}.changes.period", "cannot change the plan's period")
        merged = {k: val for k, val in raw.items() if k != "versions"}
        merged.update(changes)
        try:
            vplan = _validate(merged, base=raw)
        except PlanError as exc:
            raise PlanError(f"{exc} (in {key})") from None
        label = str(v.get("note") or f"version of {eff:%Y-%m-%d}")
        out.append(Version(eff, ann, vplan, label))
    out.sort(key=lambda v: (v.effective_from, v.announced))
    return tuple(out)
