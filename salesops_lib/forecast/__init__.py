"""Forecasting: what will we book this period, and how sure are we.

Time-series forecasts and rolling-origin backtests over long frames (:mod:`.timeseries`,
:mod:`.models`), series builders (:mod:`.series`), the point-in-time pipeline forecast
(:mod:`.pipeline_model`), their blend (:mod:`.blend`) and the forecast ledger (:mod:`.ledger`).
"""

from . import blend, ledger, models, pipeline_model, series
from .blend import Outlook, outlook
from .pipeline_model import PipelineForecast, pipeline_forecast
from .series import bookings_series, bucket_start, period_actuals
from .timeseries import (
                         METRICS,
                         backtest,
                         choose,
                         forecast,
                         infer_freq,
                         period_forecast,
                         plot_forecast,
                         plot_period_by_group,
                         score,
                         seasonal_scale,
)

__all__ = [n for n in dir() if not n.startswith("_")]
