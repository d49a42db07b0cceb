"""The data set of a report run, loaded once by the runner and read by every notebook.

``salesops report`` loads and validates the data before any notebook runs; it then stores
that :class:`Dataset` in a private folder of the run and names the folder in
:data:`CACHE_ENV`. A notebook's ``load_dataset(data, mapping=...)`` with the same source (as
the notebook sees it, password masked), mapping and fiscal calendar reads it from there
instead of loading and validating the source again. Outside a report run nothing is cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

#: Environment variable naming the run's data-set cache folder.
CACHE_ENV = "SALESOPS_DATASET_CACHE"


def _key(source: str, mapping, fiscal_start_month: int) -> str:
    text = json.dumps([str(source), mapping, int(fiscal_start_month)], sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def store(folder: str | os.PathLike, ds, source: str, mapping=None,
          fiscal_start_month: int = 1) -> Path:
    """Keep ``ds`` in ``folder`` under the key of (``source``, ``mapping``, calendar)."""
    path = Path(folder) / f"{_key(source, mapping, fiscal_start_month)}.pickle"
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        pickle.dump(ds, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return path


def lookup(source, mapping=None, fiscal_start_month: int = 1):
    """The run's data set for this source, mapping and calendar, or None."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return None
    path = Path(folder) / f"{_key(str(source), mapping or None, fiscal_start_month)}.pickle"
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)
