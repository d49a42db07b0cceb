"""Data in: the contract's tables, loaded from a source, mapped and validated.

``load_dataset(source, mapping=None)`` returns a :class:`Dataset`; bad input raises one
:class:`DataValidationError` (or :class:`DataSourceError` when a source cannot be read).
"""

from .capabilities import capabilities
from .dataset import Dataset
from .sources import load_dataset
from .validation import DataSourceError, DataValidationError, HealthNote, Problem
from .warehouse import Warehouse

__all__ = ["DataSourceError", "DataValidationError", "Dataset", "HealthNote", "Problem",
           "Warehouse", "capabilities", "load_dataset"]
