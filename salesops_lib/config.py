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
#: Default period of ``salesops report`` on the sample org (its last complete quarter).
DEFAULT_PERIOD = "2026-Q3"
