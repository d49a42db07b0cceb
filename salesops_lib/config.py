"""The one place that builds paths. Everything else asks here."""

from __future__ import annotations

import os
from pathlib import Path

#: The package folder and the checkout around it (the package is installed editable).
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
NOTEBOOKS = ROOT / "notebooks"
REPORTS = Path(os.environ.get("SALESOPS_REPORTS", ROOT / "reports"))
DATA = ROOT / "data"

#: Notebooks render in this order; any other notebook in ``NOTEBOOKS`` follows alphabetically.
#: (A name listed here without a notebook file is simply skipped.)
REPORT_ORDER = ("executive_summary", "rep_performance", "pipeline_health", "forecast",
                "quotas_compensation", "sales_strategy", "territory_design")
#: ``salesops report`` without ``--period`` reports the fiscal quarter holding the data's as-of
#: date (``current``); see :func:`salesops_lib.report.resolve_period`.
DEFAULT_PERIOD = "current"
