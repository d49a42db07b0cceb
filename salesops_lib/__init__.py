"""salesops workbench: the library behind the sales-operations notebooks and reports.

Start with :func:`load_dataset` (package :mod:`.data`). One package per domain:
:mod:`.performance`, :mod:`.territory`, :mod:`.forecast` (and :mod:`.pipeline`,
:mod:`.compensation`, :mod:`.strategy` as they land); :mod:`.report` renders the HTML reports;
:mod:`.measures` holds the business definitions they all share.
"""

from .data import Dataset, DataSourceError, DataValidationError, load_dataset
from .periods import Period

__version__ = "0.1.0"

__all__ = [
           "DataSourceError",
           "DataValidationError",
           "Dataset",
           "Period",
           "__version__",
           "load_dataset",
]
