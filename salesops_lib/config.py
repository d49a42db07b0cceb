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
REPORT_ORDER = ("executive_summary", "rep_performance", "pipeline_health", "forecast",
                "territory_design", "quotas_compensation")
#: Default period of ``salesops report`` on the sample org (its last complete quarter).
DEFAULT_PERIOD = "2026-Q3"
