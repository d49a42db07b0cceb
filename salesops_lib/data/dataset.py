"""The Dataset: a frozen, validated set of the contract's tables."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

import pandas as pd

from ..secrets import mask_url
from . import schemas
from .validation import HealthNote, health_notes, last_event, validate_tables


@dataclass(frozen=True)
class Dataset:
    """A validated, canonical set of sales tables (see ``DESIGN.md`` for the contract).

    Attributes are the seven tables as DataFrames with the contract's dtypes (strings as
    pandas ``string``, amounts as ``float64``, dates as ``datetime64``); absent optional tables
    are empty frames with the contract's columns. ``as_of`` is the date the data describe
    (the last event in them, or the sample's fixed extract date), ``source`` the masked
    source description and ``health`` the warnings found while loading.
    """

    accounts: pd.DataFrame
    reps: pd.DataFrame
    opportunities: pd.DataFrame
    stage_history: pd.DataFrame
    quotas: pd.DataFrame
    activities: pd.DataFrame
    opportunity_history: pd.DataFrame
    as_of: pd.Timestamp
    source: str = "frames"
    fiscal_start_month: int = 1
    health: tuple[HealthNote, ...] = ()
    seed: int | None = None
    _fingerprint: list = field(default_factory=list, repr=False, compare=False)
    #: False: every table is in memory (a :class:`~.warehouse.Warehouse` says True).
    is_lazy: ClassVar[bool] = False

    @classmethod
    def from_frames(cls, accounts=None, reps=None, opportunities=None, stage_history=None,
                    quotas=None, activities=None, opportunity_history=None, *, as_of=None, source="frames",
                    fiscal_start_month: int = 1, files: dict | None = None,
                    notes: list[HealthNote] | None = None, seed: int | None = None) -> Dataset:
        """Validate raw frames against the contract and build a Dataset.

        Frames may hold strings (as read from CSV); they are coerced to the contract's types.
        Inputs are never modified. Raises :class:`DataValidationError` on any broken rule.
        """
        raw = {"accounts": accounts, "reps": reps, "opportunities": opportunities,
               "stage_history": stage_history, "quotas": quotas, "activities": activities,
               "opportunity_history": opportunity_history}
        frames, health = validate_tables(raw, files=files)
        health = list(notes or []) + health
        as_of = pd.Timestamp(as_of).normalize() if as_of is not None else last_event(frames)
        health += health_notes(frames, as_of)
        return cls(**frames, as_of=as_of, source=mask_url(source),
                   fiscal_start_month=int(fiscal_start_month), health=tuple(health), seed=seed)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name."""
        return {t: getattr(self, t) for t in schemas.TABLES}

    @property
    def first_created(self) -> pd.Timestamp:
        """The earliest ``created_date`` (NaT without deals), as a Warehouse reads it."""
        created = self.opportunities["created_date"]
        return created.min() if len(created) else pd.NaT

    def fingerprint(self) -> str:
        """A short content hash of every table: equal data give equal fingerprints."""
        if not self._fingerprint:
            h = hashlib.sha256()
            for name in schemas.TABLES:
                df = getattr(self, name)
                h.update(name.encode())
                h.update("|".join(map(str, df.columns)).encode())
                if len(df):
                    h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
            self._fingerprint.append(h.hexdigest()[:16])
        return self._fingerprint[0]

    def summary(self) -> pd.DataFrame:
        """Row counts per table (for a data-health block or ``salesops validate``)."""
        return pd.DataFrame({"table": list(schemas.TABLES),
                             "rows": [len(getattr(self, t)) for t in schemas.TABLES]})


