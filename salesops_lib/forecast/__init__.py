"""Forecasting: what will we book this period, and how sure are we.

Time-series forecasts and nested rolling-origin backtests over long frames (:mod:`.timeseries`,
:mod:`.models`, :mod:`.scoring`), calibrated intervals (:mod:`.intervals`), series builders
(:mod:`.series`), the point-in-time pipeline forecast (:mod:`.pipeline_model`, :mod:`.deals`),
their blend (:mod:`.blend`), hierarchical reconciliation (:mod:`.reconciliation`,
:mod:`.groups`), human calls (:mod:`.calls`), the week-by-week trend (:mod:`.track`), the
page's tables (:mod:`.views`) and the forecast ledger (:mod:`.ledger`).
"""

from . import (
               blend,
               calls,
               deals,
               groups,
               intervals,
               ledger,
               models,
               pipeline_model,
               reconciliation,
               scoring,
               series,
               track,
               views,
)
from .blend import Outlook, outlook
from .calls import category_calls, score_calls
from .intervals import period_forecast
from .pipeline_model import PipelineForecast, pipeline_forecast
from .plots import plot_forecast, plot_period_by_group
from .reconciliation import reconcile
from .scoring import infer_freq, score, seasonal_scale
from .series import bookings_series, bucket_start, period_actuals
from .timeseries import ForecastRun, backtest, choose, forecast, forecast_run

__all__ = [n for n in dir() if not n.startswith("_")]
