"""salesops workbench: the library behind the sales-operations notebooks and reports.

Start with :func:`load_dataset`; analyses live in ``territory``, ``performance``,
``pipeline``, ``forecast`` and ``compensation``; ``report`` renders the HTML reports.
"""

from .data import Dataset, DataSourceError, DataValidationError, load_dataset
from .periods import Period

__version__ = "0.1.0"

__all__ = ["Dataset", "DataSourceError", "DataValidationError", "Period", "load_dataset",
           "__version__"]
