"""Scheduled reports: run every notebook with papermill, render HTML, keep the record.

:func:`run_reports` is what ``salesops report`` calls; :func:`write_index` renders
``reports/index.html``; :mod:`.lineage` puts the header and footer on every report.
"""

from . import lineage
from .html import to_html
from .index import write_index
from .publish import ReportBusyError
from .runner import (
                     NotebookResult,
                     ReportInputError,
                     RunResult,
                     available_notebooks,
                     resolve_period,
                     run_reports,
)

__all__ = ["NotebookResult", "ReportBusyError", "ReportInputError", "RunResult",
           "available_notebooks", "lineage", "resolve_period", "run_reports", "to_html",
           "write_index"]
