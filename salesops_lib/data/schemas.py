"""The data contract: every table, its columns, their types and rules, as pandera schemas.

The column specifications below are the single place where the contract is written down;
the loader (:mod:`salesops_lib.data`) derives its type coercion, its checks and the pandera
schemas from them, and :func:`empty_frame` gives absent optional tables their columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

STATUSES = ("open", "won", "lost")


@dataclass(frozen=True)
class Col:
    """One column of the contract.

    ``kind`` is ``"str"``, ``"float"`` or ``"date"``; ``ge``/``gt`` bound numbers from below,
    ``between`` bounds them on both sides, ``isin`` lists the allowed values, and
    ``ref`` names the ``"table.column"`` a foreign key points to.
    """

    name: str
    kind: str = "str"
    required: bool = False
    unique: bool = False
    ge: float | None = None
    gt: float | None = None
    between: tuple[float, float] | None = None
    isin: tuple[str, ...] | None = None
    ref: str | None = None
    period: bool = False


CONTRACT: dict[str, tuple[Col, ...]] = {
    "accounts": (
        Col("account_id", required=True, unique=True),
        Col("account_name", required=True),
        Col("industry"), Col("segment"), Col("country"), Col("region"),
        Col("latitude", "float", between=(-90, 90)),
        Col("longitude", "float", between=(-180, 180)),
        Col("annual_revenue", "float", ge=0),
        Col("employees", "float", ge=0),
        Col("potential", "float", ge=0),
        Col("owner_rep_id", ref="reps.rep_id"),
    ),
    "reps": (
        Col("rep_id", required=True, unique=True),
        Col("rep_name", required=True),
        Col("manager"), Col("team"), Col("role"),
        Col("hire_date", "date"),
        Col("home_latitude", "float", between=(-90, 90)),
        Col("home_longitude", "float", between=(-180, 180)),
        Col("capacity", "float", gt=0),
    ),
    "opportunities": (
        Col("opportunity_id", required=True, unique=True),
        Col("account_id", required=True, ref="accounts.account_id"),
        Col("rep_id", required=True, ref="reps.rep_id"),
        Col("stage", required=True),
        Col("status", required=True, isin=STATUSES),
        Col("amount", "float", required=True, ge=0),
        Col("created_date", "date", required=True),
        Col("close_date", "date"),
        Col("product"), Col("channel"), Col("forecast_category"),
    ),
    "stage_history": (
        Col("opportunity_id", required=True, ref="opportunities.opportunity_id"),
        Col("stage", required=True),
        Col("entered_date", "date", required=True),
    ),
    "quotas": (
        Col("rep_id", required=True, ref="reps.rep_id"),
        Col("period", required=True, period=True),
        Col("quota", "float", required=True, gt=0),
    ),
    "activities": (
        Col("rep_id", required=True, ref="reps.rep_id"),
        Col("date", "date", required=True),
        Col("type", required=True),
        Col("account_id", ref="accounts.account_id"),
        Col("opportunity_id", ref="opportunities.opportunity_id"),
        Col("channel"),
        Col("duration_min", "float", ge=0),
    ),
    # the state of a deal *after* each change, from its creation on (as Salesforce's
    # OpportunityHistory): what makes every "as of" number honest (measures.state_as_of)
    "opportunity_history": (
        Col("opportunity_id", required=True, ref="opportunities.opportunity_id"),
        Col("changed_at", "date", required=True),
        Col("stage"),
        Col("status", isin=STATUSES),
        Col("amount", "float", ge=0),
        Col("close_date", "date"),
        Col("forecast_category"),
        Col("rep_id", ref="reps.rep_id"),
    ),
}

TABLES: tuple[str, ...] = tuple(CONTRACT)
COLUMNS: dict[str, list[str]] = {t: [c.name for c in cols] for t, cols in CONTRACT.items()}
REQUIRED: dict[str, list[str]] = {t: [c.name for c in cols if c.required] for t, cols in CONTRACT.items()}
#: Tables a data set must provide; the others may be absent and load as empty frames.
REQUIRED_TABLES: tuple[str, ...] = ("accounts", "reps", "opportunities")
#: Keys that must be unique across rows (beyond single-column ids).
UNIQUE_KEYS: dict[str, list[str]] = {"quotas": ["rep_id", "period"]}

_DTYPES = {"str": "string", "float": "float64", "date": "datetime64[ns]"}


def column(table: str, name: str) -> Col:
    """The contract's specification of ``table.name``."""
    for c in CONTRACT[table]:
        if c.name == name:
            return c
    raise KeyError(f"{table}.{name} is not in the data contract")


def empty_frame(table: str) -> pd.DataFrame:
    """An empty frame with the contract's columns and dtypes for ``table``."""
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind]) for c in CONTRACT[table]})


def dtype(kind: str) -> str:
    """pandas dtype used for a contract column kind."""
    return _DTYPES[kind]


def pandera_schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of ``table``: value rules checked after types were coerced.

    Column types are coerced by the loader before this schema runs, so that unparseable
    values can be reported with their source rows; the schema checks uniqueness, ranges
    and allowed values, and keeps extra columns (``strict=False``).
    """
    columns = {}
    for c in CONTRACT[table]:
        checks = []
        if c.ge is not None:
            checks.append(pa.Check.ge(c.ge, error=f"must be ≥ {c.ge:g}"))
        if c.gt is not None:
            checks.append(pa.Check.gt(c.gt, error=f"must be > {c.gt:g}"))
        if c.between is not None:
            checks.append(pa.Check.in_range(*c.between,
                                            error="must lie in [{:g}, {:g}]".format(*c.between)))
        if c.isin is not None:
            checks.append(pa.Check.isin(list(c.isin),
                                        error="must be one of " + ", ".join(c.isin)))
        columns[c.name] = pa.Column(
            _DTYPES[c.kind], checks=checks, nullable=not c.required, unique=c.unique,
            required=c.required, coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=False, name=table,
                              unique=UNIQUE_KEYS.get(table))
