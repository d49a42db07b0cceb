"""How the pipeline pages name reps: :func:`salesops_lib.measures.rep_display_names`, so two
reps who share a name are told apart ("Elena Larsen (Field East)") in every table and chart."""

from __future__ import annotations

import pandas as pd

from ..measures import rep_display_names


def rep_names(ds) -> pd.Series:
    """Each rep's display name, indexed by ``rep_id``."""
    reps = ds.reps
    return pd.Series(rep_display_names(reps).to_numpy(), index=reps["rep_id"].astype(str),
                     name="rep_name")


def group_labels(ds, by, groups) -> pd.Series:
    """``groups`` (values of the ``by`` column) as shown on a page: reps by display name when
    ``by`` is ``rep_id``, anything else as is."""
    g = pd.Series(groups)
    if by != "rep_id":
        return g
    return g.astype(str).map(rep_names(ds)).fillna(g.astype(str))
