"""The page's rep and account parameters checked against the data before any solve: a bad
value names the parameter, the value and what is wrong with it (it said "do not exist" of a
rep who exists but is an inside rep, and "not in the data" of an account owned by one)."""

from __future__ import annotations

import pandas as pd
import pytest

from salesops_lib import territory
from salesops_lib.data import Dataset


@pytest.fixture
def ds() -> Dataset:
    acc = pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"], "account_name": list("abcd"),
                        "potential": [1.0, 2.0, 3.0, 4.0],
                        "owner_rep_id": ["F1", "F2", "I1", None]})
    reps = pd.DataFrame({"rep_id": ["F1", "F2", "I1"], "rep_name": ["Ann", "Bo", "Cy <i>"],
                         "role": ["field", "field", "inside"]})
    opp = pd.DataFrame(columns=["opportunity_id", "account_id", "rep_id", "stage", "status",
                                "amount", "created_date"])
    return Dataset.from_frames(accounts=acc, reps=reps, opportunities=opp)


def test_good_values_pass(ds):
    territory.check_parameters(ds, role="field", remove_reps="F2", locked_accounts="A1, ")
    territory.check_parameters(ds, role="", remove_reps="I1", locked_accounts="A1,A2")
    territory.check_parameters(ds, role="field")


@pytest.mark.parametrize("kwargs, message", [
    ({"remove_reps": "F1,R999"}, "The parameter remove_reps names R999, a rep not in the data"),
    ({"remove_reps": "I1"}, "The parameter remove_reps names I1 (Cy <i>), an inside rep, not a field rep"),
    ({"locked_accounts": "A1,A999"}, "The parameter locked_accounts names A999, an account not in the data"),
    ({"locked_accounts": "A3"}, "The parameter locked_accounts names A3, owned by I1 (Cy <i>), an inside rep"),
    ({"locked_accounts": "A4"}, "The parameter locked_accounts names A4, an account with no owner today"),
    ({"locked_accounts": "A2", "remove_reps": "F2"},
     "The parameter locked_accounts names A2, owned by F2 (Bo), whom remove_reps takes away"),
    ({"role": "manager"}, "The parameter role is 'manager', a role no rep has; the roles are field, inside"),
])
def test_bad_values_name_the_parameter_and_the_value(ds, kwargs, message):
    kwargs = {"role": "field", **kwargs}
    with pytest.raises(ValueError) as err:
        territory.check_parameters(ds, **kwargs)
    assert message in str(err.value)


def test_without_roles_every_rep_is_in_scope(ds):
    bare = Dataset.from_frames(accounts=ds.accounts, reps=ds.reps.drop(columns="role"),
                               opportunities=ds.opportunities)
    territory.check_parameters(bare, role="field", remove_reps="F2", locked_accounts="A3")
