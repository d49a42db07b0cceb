"""How the pipeline pages name groups: reps by :func:`salesops_lib.measures.rep_names_by_id`,
so two reps who share a name are told apart ("Elena Larsen (Field East)") in every table and
chart."""

from __future__ import annotations

import pandas as pd

from ..measures import rep_names_by_id


def group_labels(ds, by, groups) -> pd.Series:
    """``groups`` (values of the ``by`` column) as shown on a page: reps by display name when
    ``by`` is ``rep_id``, anything else as is."""
    g = pd.Series(groups)
    if by != "rep_id":
        return g
    return g.astype(str).map(rep_names_by_id(ds.reps)).fillna(g.astype(str))
