"""Data in: the contract's tables, loaded from a source, mapped and validated.

``load_dataset(source, mapping=None)`` returns a :class:`Dataset`; bad input raises one
:class:`DataValidationError` (or :class:`DataSourceError` when a source cannot be read).
"""

from .capabilities import capabilities
from .dataset import Dataset
from .sources import load_dataset
from .warehouse import Warehouse
from .validation import DataSourceError, DataValidationError, HealthNote, Problem

__all__ = ["capabilities", "Dataset", "DataSourceError", "DataValidationError", "HealthNote", "Problem",
           "load_dataset", "Warehouse"]
