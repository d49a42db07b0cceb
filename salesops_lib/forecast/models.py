"""Forecasting models for one series: Prophet configured for sales, and the baselines.

Every model is called the same way, :func:`fit_predict` ``(name, train, horizon, ...)``, with
``train`` a frame of ``ds`` (datetime) and ``y`` (float) for **one** series, and returns a frame
of ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper`` for the ``horizon`` steps after the last
``ds``. Nothing here loops over series: :mod:`salesops_lib.forecast` fans series out to
processes or a Dask cluster.

Models
------
``prophet``
    Prophet set up for bookings: fiscal quarter-end and year-end regressors (the quarter-end
    push, the strong Q4), a damped yearly seasonality (few Fourier terms, because sales series
    are short), multiplicative seasonality when the series is strictly positive, US holidays
    for daily data (Prophet's built-in ``holidays`` tables, nothing downloaded); on weekly
    and daily series with two years or more, the yearly season gets 10 Fourier terms (a
    52-week or 365-day season has shape that 3 terms cannot follow); forecasts and
    bounds clipped at zero (no negative bookings) and a fixed random seed so the sampled
    intervals reproduce.
``prophet_default``
    Prophet with its library defaults (the comparison point in the benchmark, and a
    candidate of ``auto`` on weekly and daily series: additive seasonality and 10 yearly
    Fourier terms suit long seasons whose swing does not grow with the level, such as
    page views on a log scale).
``snaive``
    Seasonal naive: :math:`\\hat y_{T+h} = y_{T+h-m\\lceil h/m \\rceil}`.
``ets``, ``theta``
    statsforecast's ``AutoETS`` and ``AutoTheta``.
``mstl``
    statsforecast's ``MSTL`` for long seasons (weekly and daily data with a yearly season of
    52 weeks or 365 days, which ETS cannot hold): the series is split by STL into trend,
    yearly (and, for daily data, weekly) seasonal parts and remainder; the trend plus
    remainder is forecast by ``AutoETS`` without season, the seasonal parts repeat. It needs
    two full years; shorter series use only the seasons they cover (or ETS).
``a+b``
    The mean of models ``a`` and ``b`` (what ``auto`` uses when the two best models of a
    series' backtest, combined, beat every baseline).
``ensemble``
    The mean of ``ets``, ``theta`` and ``prophet`` (forecast and bounds): combinations are
    the most robust single choice in forecasting competitions (M4).

All fits are silent: Stan's and cmdstanpy's loggers are disabled (:func:`quiet`).
"""

from __future__ import annotations

import logging
import threading
import warnings

import numpy as np
import pandas as pd

#: Model names understood by :func:`fit_predict`, simplest first (ties go to the simpler one).
MODELS: tuple[str, ...] = ("mean", "snaive", "ets", "theta", "mstl", "prophet", "ensemble",
                           "prophet_default")
#: Models that ``auto`` chooses between by default (monthly and quarterly series).
AUTO_CANDIDATES: tuple[str, ...] = ("snaive", "ets", "theta", "prophet", "ensemble")
#: Candidates of ``auto`` for series with a long yearly season (weekly, daily): MSTL and
#: default (additive) Prophet added.
LONG_SEASON_CANDIDATES: tuple[str, ...] = ("snaive", "ets", "theta", "mstl", "prophet",
                                           "ensemble", "prophet_default")
#: The baselines every forecast is compared with.
BASELINES: tuple[str, ...] = ("snaive", "ets", "theta")
#: Members of ``ensemble``: the equal-weight mean of their forecasts and bounds.
ENSEMBLE: tuple[str, ...] = ("ets", "theta", "prophet")
#: Season length (steps per year) for each inferred frequency.
SEASON: dict[str, int] = {"D": 7, "W": 52, "M": 12, "Q": 4}
#: Step between consecutive points for each frequency.
STEP: dict[str, pd.DateOffset] = {"D": pd.DateOffset(days=1), "W": pd.DateOffset(weeks=1),
                                  "M": pd.DateOffset(months=1), "Q": pd.DateOffset(months=3)}
#: Yearly season length of weekly and daily series (the seasons MSTL adds).
YEAR: dict[str, int] = {"D": 365, "W": 52, "M": 12, "Q": 4}


#: How each model is named on a page.
LABELS: dict[str, str] = {"mean": "recent average", "snaive": "seasonal naive", "ets": "ETS", "theta": "Theta",
                          "mstl": "MSTL", "prophet": "Prophet", "ensemble": "ensemble",
                          "prophet_default": "default Prophet", "auto": "automatic choice",
                          "naive": "naive (last value)"}


def model_label(name) -> str:
    """A model's name for a page: ``"snaive+prophet"`` (a mix) reads "seasonal naive +
    Prophet"; an unknown name is shown as is."""
    return " + ".join(LABELS.get(part, part) for part in str(name).split("+"))


def effective_model(name: str, n: int, freq: str) -> str:
    """The model a fit on ``n`` points really ran: seasonal naive needs more than one season
    and falls back to naive (last value) below it (:func:`_statsforecast`), so a page says
    "naive", not "seasonal naive", for a forecast that repeats the last value."""
    if n > SEASON[freq]:
        return name
    return "+".join("naive" if part == "snaive" else part for part in str(name).split("+"))


def fallback(n: int, freq: str) -> str:
    """The model of a series too short to score any candidate on (no held-out window):
    seasonal naive when the series holds more than one season; otherwise ``mean``, the
    average of what there is. Repeating the last value there would carry one point, often a
    quarter-end or year-end peak, through every step (a 1 January forecast of the year
    from 12 months ran December's peak twelve times: $51.6M for a $32.4M year)."""
    return "snaive" if n > SEASON[freq] else "mean"


def candidates(freq: str) -> tuple[str, ...]:
    """Default candidates of ``auto`` for frequency ``freq``: MSTL joins for weekly/daily."""
    return LONG_SEASON_CANDIDATES if freq in ("W", "D") else AUTO_CANDIDATES
# Prophet samples intervals from numpy's global generator: seeding and sampling must not
# interleave when several fits share a process (Dask threads)
_RNG_LOCK = threading.Lock()
_QUIET = ("cmdstanpy", "prophet", "prophet.plot", "prophet.models", "prophet.forecaster")


def quiet() -> None:
    """Silence Stan/cmdstanpy and Prophet (their loggers print to stderr on every fit)."""
    for name in _QUIET:
        logger = logging.getLogger(name)
        logger.disabled = True
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)


quiet()
with warnings.catch_warnings():
    # statsforecast imports tqdm.auto, which warns in a notebook without ipywidgets
    warnings.simplefilter("ignore")
    import tqdm.auto  # noqa: F401


def future_dates(last: pd.Timestamp, horizon: int, freq: str) -> pd.DatetimeIndex:
    """The ``horizon`` dates after ``last`` at frequency ``freq`` (``D``, ``W``, ``M``, ``Q``)."""
    step = STEP[freq]
    return pd.DatetimeIndex([pd.Timestamp(last) + step * k for k in range(1, horizon + 1)])


def fit_predict(name: str, train: pd.DataFrame, horizon: int, freq: str, *, level: float = 80,
                seed: int = 0, fiscal_start_month: int = 1, country: str = "US") -> pd.DataFrame:
    """Fit model ``name`` on one series and forecast ``horizon`` steps.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    train : DataFrame
        ``ds`` (datetime, regular at ``freq``) and ``y`` (float), sorted by ``ds``.
    horizon : int
        Number of steps to forecast.
    freq : str
        ``"D"``, ``"W"``, ``"M"`` or ``"Q"``.
    level : float
        Central prediction-interval coverage in percent (80 → 10th and 90th percentiles).
    seed : int
        Seed for Prophet's uncertainty sampling (numpy's global generator, set just before
        ``predict``), so the same data and seed give the same intervals.

    Returns
    -------
    DataFrame
        ``ds``, ``yhat``, ``yhat_lower``, ``yhat_upper``; ``horizon`` rows.
    """
    if "+" in name:   # an equal-weight mix of models, e.g. "ets+theta"
        return combine([fit_predict(m, train, horizon, freq, level=level, seed=seed,
                                    fiscal_start_month=fiscal_start_month, country=country)
                        for m in name.split("+")])
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: use one of {', '.join(MODELS)} or 'auto'")
    if len(train) < 2:
        raise ValueError("a series needs at least 2 points to be forecast")
    if name == "ensemble":
        parts = [fit_predict(m, train, horizon, freq, level=level, seed=seed,
                             fiscal_start_month=fiscal_start_month, country=country)
                 for m in ENSEMBLE]
        return combine(parts)
    if name.startswith("prophet"):
        out = _prophet(train, horizon, freq, level, seed, fiscal_start_month, country,
                       sales=(name == "prophet"))
    else:
        out = _statsforecast(name, train, horizon, freq, level)
    if name != "prophet_default":
        # bookings cannot be negative
        out[["yhat", "yhat_lower", "yhat_upper"]] = out[["yhat", "yhat_lower",
                                                         "yhat_upper"]].clip(lower=0)
    return out


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Equal-weight mean of several forecasts of the same steps (``yhat`` and bounds)."""
    cols = ["yhat", "yhat_lower", "yhat_upper"]
    out = parts[0][["ds"]].copy()
    out[cols] = sum(p[cols].to_numpy() for p in parts) / len(parts)
    return out


# --------------------------------------------------------------------------------------------
# baselines (statsforecast)
# --------------------------------------------------------------------------------------------
def _statsforecast(name: str, train: pd.DataFrame, horizon: int, freq: str,
                   level: float) -> pd.DataFrame:
    from statsforecast.models import MSTL, AutoETS, AutoTheta, HistoricAverage, Naive, SeasonalNaive

    n = len(train)
    m = SEASON[freq]
    # Seasonal models need two full seasons (ETS/Theta) or one (naive); shorter series fall
    # back to the non-seasonal version rather than failing.
    if name == "mean":      # the average of the last season (all of a shorter series)
        model, train = HistoricAverage(), train.iloc[-m:]
    elif name == "snaive":
        model = SeasonalNaive(season_length=m) if n > m else Naive()
    elif name == "ets":
        model = AutoETS(season_length=m if n >= 2 * m + 2 else 1)
    elif name == "mstl":
        seasons = [k for k in dict.fromkeys((m, YEAR[freq])) if k > 1 and n >= 2 * k + 2]
        model = (MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"))
                 if seasons else AutoETS(season_length=1))
    else:
        model = AutoTheta(season_length=m if n >= 2 * m + 2 else 1)
    y = train["y"].astype(float).to_numpy()
    key = _lvl(level)
    # the model's own forecast call: what ``StatsForecast.forecast`` runs per series (same
    # numbers), without building its frames (a third of the time of a small fit)
    # under the Prophet lock too: a fit that draws from numpy's global generator in another
    # thread (Dask threads) would shift Prophet's interval sampling
    with warnings.catch_warnings(), _RNG_LOCK:
        warnings.simplefilter("ignore")
        try:
            fc = model.forecast(y=y, h=horizon, level=[key])
        except Exception:  # noqa: BLE001 - degenerate series (constant, all zero): naive
            fc = Naive().forecast(y=y, h=horizon, level=[key])
    out = pd.DataFrame({
        "ds": future_dates(train["ds"].iloc[-1], horizon, freq),
        "yhat": np.asarray(fc["mean"], dtype=float),
        "yhat_lower": np.asarray(fc[f"lo-{key}"], dtype=float),
        "yhat_upper": np.asarray(fc[f"hi-{key}"], dtype=float),
    })
    # a constant series gives NaN bounds in some models: a zero-width interval is the honest
    # statement of "no variation seen"
    out["yhat_lower"] = out["yhat_lower"].fillna(out["yhat"])
    out["yhat_upper"] = out["yhat_upper"].fillna(out["yhat"])
    return out


def _lvl(level: float):
    return int(level) if float(level).is_integer() else float(level)


# --------------------------------------------------------------------------------------------
# Prophet
# --------------------------------------------------------------------------------------------
def calendar_features(ds: pd.Series, freq: str, fiscal_start_month: int = 1) -> pd.DataFrame:
    """Fiscal-calendar regressors for the quarter-end push and the year-end (Q4) push.

    Returns
    -------
    DataFrame
        ``quarter_end`` = 1 when the step lies in the last month of a fiscal quarter (monthly)
        or the last 14 days of it (daily, weekly); ``year_end`` = 1 likewise for the fiscal
        year (monthly, daily, weekly), or for the fiscal Q4 (quarterly data).
    """
    d = pd.to_datetime(pd.Series(ds)).reset_index(drop=True)
    months_into_fy = (d.dt.month - fiscal_start_month) % 12          # 0..11
    if freq == "Q":
        return pd.DataFrame({"year_end": (months_into_fy >= 9).astype(float)})
    if freq == "M":
        return pd.DataFrame({"quarter_end": (months_into_fy % 3 == 2).astype(float),
                             "year_end": (months_into_fy == 11).astype(float)})
    # daily / weekly: distance to the end of the fiscal quarter the step ends in
    end = d + (pd.Timedelta(days=6) if freq == "W" else pd.Timedelta(0))
    m_into = (end.dt.month - fiscal_start_month) % 12
    # last month of the fiscal quarter, as a month index year*12 + month-1
    idx = end.dt.year * 12 + (end.dt.month - 1) + (2 - m_into % 3)
    q_end = pd.to_datetime(pd.DataFrame({"year": idx // 12, "month": idx % 12 + 1, "day": 1})) \
        + pd.offsets.MonthEnd(0)
    days_left = (q_end - end).dt.days
    qe = (days_left < 14).astype(float)
    ye = (qe.astype(bool) & (m_into >= 9)).astype(float)
    return pd.DataFrame({"quarter_end": qe.to_numpy(), "year_end": ye.to_numpy()})


def _prophet(train, horizon, freq, level, seed, fiscal_start_month, country, sales=True):
    quiet()
    from prophet import Prophet

    df = pd.DataFrame({"ds": pd.to_datetime(train["ds"]).to_numpy(),
                       "y": train["y"].astype(float).to_numpy()})
    future = pd.DataFrame({"ds": np.concatenate([df["ds"].to_numpy(),
                                                 future_dates(df["ds"].iloc[-1], horizon,
                                                              freq).to_numpy()])})
    if not sales:
        m = Prophet(interval_width=level / 100, uncertainty_samples=300)
    else:
        n = len(df)
        years = n / SEASON[freq] if freq != "D" else n / 365.25
        positive = bool((df["y"] > 0).all())
        m = Prophet(
            interval_width=level / 100,
            uncertainty_samples=300,
            # multiplicative seasonality suits bookings (a Q4 that is 40% bigger, not $2M
            # bigger) but breaks on zeros, as sparse rep-level series have
            seasonality_mode="multiplicative" if positive else "additive",
            # short series: few Fourier terms, or yearly seasonality overfits the noise
            # long seasons (52 weeks, 365 days) need more terms to follow their shape
            yearly_seasonality=({"M": 3, "W": 10, "D": 10}.get(freq, False)
                                if years >= 2 else False),
            weekly_seasonality=freq == "D",
            daily_seasonality=False,
            changepoint_prior_scale=0.05,
            n_changepoints=int(min(25, max(0, 0.8 * n - 1) // 2)),
        )
        if freq == "D":
            m.add_country_holidays(country_name=country)
        feats = calendar_features(future["ds"], freq, fiscal_start_month)
        for col in feats.columns:
            # a regressor that never varies in the training window carries no information
            if feats[col].iloc[:n].nunique() > 1:
                future[col] = feats[col].to_numpy()
                df[col] = feats[col].iloc[:n].to_numpy()
                m.add_regressor(col, mode="multiplicative" if positive else "additive")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the lock spans the fit too: the fitting stack can draw from numpy's global generator
        # (e.g. for file names), which would shift another thread's interval sampling
        with _RNG_LOCK:
            m.fit(df, seed=seed)   # Stan optimiser seed: identical fits on every path
            np.random.seed(seed)   # Prophet samples its intervals with numpy's global generator
            # only the future steps: sampling intervals for the history is wasted work
            fc = m.predict(future.iloc[len(df):].reset_index(drop=True))
    return pd.DataFrame({"ds": fc["ds"].to_numpy(), "yhat": fc["yhat"].to_numpy(),
                         "yhat_lower": fc["yhat_lower"].to_numpy(),
                         "yhat_upper": fc["yhat_upper"].to_numpy()})
