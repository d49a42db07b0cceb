"""Reconciliation: golden MinT-OLS on a tiny hierarchy, coherence at every level, fallbacks,
locked nodes, effective-dated hierarchy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salesops_lib.forecast import reconciliation as R

S2 = np.array([[1, 1], [1, 0], [0, 1.0]])          # total = A + B


def test_golden_mint_ols_on_a_tiny_hierarchy():
    # base: total 10, A 3, B 5 → 2 missing; OLS spreads it evenly over the three nodes'
    # distances: b = (S'S)⁻¹S'ŷ = ⅓[[2,-1],[-1,2]]·[13, 15] = [11/3, 17/3]
    rec, method, reason = R.reconcile(np.array([10.0, 3, 5]), S2, "ols")
    assert rec == pytest.approx([28 / 3, 11 / 3, 17 / 3])
    assert method == "ols" and reason == ""
    # structural WLS: W = diag(2, 1, 1) → b = [3.5, 5.5]
    assert R.reconcile(np.array([10.0, 3, 5]), S2, "wls_struct")[0] == pytest.approx([9, 3.5, 5.5])
    assert R.reconcile(np.array([10.0, 3, 5]), S2, "bottom_up")[0] == pytest.approx([8, 3, 5])


def tiny_tree():
    reps = pd.DataFrame({"rep_id": ["r1", "r2", "r3", "r4"], "rep_name": list("abcd"),
                         "team": ["T1", "T1", "T2", "T3"], "region": ["N", "N", "N", "S"]})
    return reps


def test_every_level_sums_to_the_one_above_for_every_method():
    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    assert nodes["unique_id"].tolist()[:4] == ["total", "region=N", "region=S", "team=T1"]
    rng = np.random.default_rng(0)
    base = rng.uniform(5, 50, len(nodes))
    E = rng.normal(0, 3, (len(nodes), 8))
    for m in R.METHODS:
        rec, _used, _ = R.reconcile(base, S, m, E)
        v = pd.Series(rec, index=nodes["unique_id"])
        assert (rec >= -1e-9).all()
        reps = v[[f"rep_id={r}" for r in tree["rep_id"]]].to_numpy()
        for level in ("region", "team"):
            by = tree.groupby(level)["rep_id"].apply(list)
            for name, members in by.items():
                assert v[f"{level}={name}"] == pytest.approx(
                    sum(v[f"rep_id={r}"] for r in members), rel=1e-6, abs=1e-6)
            assert v[[f"{level}={n}" for n in by.index]].sum() == pytest.approx(v["total"],
                                                                                  rel=1e-6)
        assert reps.sum() == pytest.approx(v["total"], rel=1e-6)


def test_fallback_when_a_node_never_varies_and_non_negative():
    base = np.array([2.0, 5.0, -4.0])
    E = np.array([[1.0, -1, 2, 0], [1.0, 0, 1, -1], [0.0, 0, 0, 0]])   # B's errors: all 0
    rec, used, reason = R.reconcile(base, S2, "mint_shrink", E)
    assert used == "bottom_up" and "never vary" in reason
    assert reason.startswith("MinT shrink → Bottom-up (MinT shrink: ")
    assert (rec >= 0).all() and rec[0] == pytest.approx(rec[1] + rec[2])
    assert R.covariance_problem(E[:, :1]) == "fewer than 2 backtest windows"


def test_a_locked_manager_commit_is_kept_and_the_rest_adds_up():
    # team T1 committed 30; the reps are adjusted around it, the total follows
    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    idx = {u: i for i, u in enumerate(nodes["unique_id"])}
    base = np.full(len(nodes), 10.0)
    rec, _, _ = R.reconcile(base, S, "ols", locked={idx["team=T1"]: 30.0})
    v = pd.Series(rec, index=nodes["unique_id"])
    assert v["team=T1"] == pytest.approx(30.0)
    assert v["rep_id=r1"] + v["rep_id=r2"] == pytest.approx(30.0)
    assert v["total"] == pytest.approx(v["team=T1"] + v["team=T2"] + v["team=T3"])


def test_effective_dated_mapping_counts_bookings_where_the_rep_was():
    reps = tiny_tree()
    mapping = pd.DataFrame({"rep_id": ["r1", "r1", "r2", "r3", "r4"],
                            "team": ["T1", "T2", "T1", "T2", "T3"],
                            "region": ["N", "N", "N", "N", "S"],
                            "valid_from": pd.to_datetime(["2020-01-01", "2026-02-01",
                                                          "2020-01-01", "2020-01-01",
                                                          "2020-01-01"])})
    rep_series = pd.DataFrame({"unique_id": ["r1"] * 3, "ds": pd.date_range("2026-01-01",
                                                                             periods=3, freq="MS"),
                               "y": [1.0, 2.0, 4.0]})
    s = R.node_series(rep_series, Dataset_like(reps), mapping=mapping)
    t1 = s[s["unique_id"] == "team=T1"].set_index("ds")["y"]
    t2 = s[s["unique_id"] == "team=T2"].set_index("ds")["y"]
    assert t1.tolist() == [1.0, 0.0, 0.0] and t2.tolist() == [0.0, 2.0, 4.0]
    now = R.hierarchy(Dataset_like(reps), mapping=mapping, at="2026-03-01")
    assert now.set_index("rep_id").at["r1", "team"] == "T2"
    with pytest.raises(ValueError, match="rep_id"):
        R.hierarchy(Dataset_like(reps), levels=("region", "team"))


class Dataset_like:
    """The two attributes the hierarchy reads."""

    def __init__(self, reps, as_of="2026-06-30"):
        self.reps = reps
        self.as_of = pd.Timestamp(as_of)


def test_the_backtest_picks_the_method_that_was_right_on_past_windows():
    # the total's base forecast is always 20 too high, the reps' are exact: bottom-up wins
    windows = []
    for k in range(3):
        actual = np.array([10.0 + k, 4.0, 6.0 + k])
        actual[0] = actual[1] + actual[2]
        base = actual.copy()
        base[0] += 20
        windows.append((base, actual, None))
    ch = R.choose_method(windows, S2, pd.Series(["total", "rep_id", "rep_id"]),
                         methods=("bottom_up", "ols", "wls_struct"))
    assert ch.method == "bottom_up"
    t = ch.scores.set_index(["method", "level"])["wape"]
    assert t[("bottom_up", "total")] == pytest.approx(0.0)
    assert t[("ols", "total")] > 0


def _check_coherent(v: pd.Series, tree: pd.DataFrame):
    """Every level sums to the one above (rep → team → region → total)."""
    for level in ("region", "team"):
        by = tree.groupby(level)["rep_id"].apply(list)
        for name, members in by.items():
            assert v[f"{level}={name}"] == pytest.approx(
                sum(v[f"rep_id={r}"] for r in members), rel=1e-6, abs=1e-6)
        assert v[[f"{level}={n}" for n in by.index]].sum() == pytest.approx(v["total"], rel=1e-6)
    teams = tree.groupby("region")["team"].apply(lambda t: sorted(set(t)))
    for region, ts in teams.items():
        assert v[f"region={region}"] == pytest.approx(sum(v[f"team={t}"] for t in ts), rel=1e-6)


def test_each_level_takes_its_own_method_and_every_level_adds_up():
    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    lv = nodes["level"]
    rng = np.random.default_rng(3)
    truth_b = rng.uniform(5, 20, (6, S.shape[1]))
    windows = []
    for k in range(6):
        actual = S @ truth_b[k]
        base = actual.copy()
        # the total is always 25% high, the reps are noisy, the teams exact
        base[lv == "total"] *= 1.25
        base[lv == "rep_id"] += rng.normal(0, 4, (lv == "rep_id").sum())
        windows.append((base, actual, None))
    ch = R.choose_method(windows, S, lv, methods=("bottom_up", "ols", "wls_struct"))
    assert set(ch.per_level) == {"total", "region", "team", "rep_id"}
    single = ch.scores[ch.scores["method"] != "per level"]
    best = single.loc[single.groupby("level")["wape"].idxmin()].set_index("level")["method"]
    if "per level" in set(ch.scores["method"]):     # the assembly was scored and kept
        assert ch.per_level == best.to_dict()
        assert len(set(best)) > 1
    # the biased total is never taken as it stands: OLS keeps part of its bias
    t = single.set_index(["method", "level"])["wape"]
    assert t[(ch.per_level["total"], "total")] < t[("ols", "total")]
    base = windows[-1][0]
    rec, table = R.reconcile_levels(base, S, lv, ch.per_level)
    assert table["level"].tolist() == ["total", "region", "team", "rep_id"]
    assert (table["chosen"] == table["level"].map(ch.per_level)).all()
    v = pd.Series(rec, index=nodes["unique_id"])
    _check_coherent(v, tree)
    assert (rec >= 0).all()
    # the total is the total's method's number, exactly
    own = R.reconcile(base, S, ch.per_level["total"])[0]
    assert v["total"] == pytest.approx(own[0])


def test_per_level_fallback_is_reported_and_locks_are_kept_at_every_level():
    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    lv = nodes["level"]
    base = np.array([60.0, 40, 15, 20, 12, 9, 10, 8, 7, 9, -2])[:len(nodes)]
    E = np.random.default_rng(1).normal(0, 2, (len(nodes), 5))
    E[-1] = 0.0                                    # a new rep: errors never vary
    per = {"total": "mint_shrink", "region": "wls_var", "team": "ols", "rep_id": "bottom_up"}
    rec, table = R.reconcile_levels(base, S, lv, per, E)
    t = table.set_index("level")
    assert t.loc["total", "method"] == "bottom_up" and "MinT shrink" in t.loc["total", "fallback"]
    assert t.loc["region", "method"] == "bottom_up" and "never vary" in t.loc["region", "fallback"]
    assert t.loc["team", "method"] == "ols" and t.loc["team", "fallback"] == ""
    v = pd.Series(rec, index=nodes["unique_id"])
    _check_coherent(v, tree)
    assert (rec >= -1e-9).all()
    lock = {nodes["unique_id"].tolist().index("team=T1"): 50.0}
    rec2, _ = R.reconcile_levels(base, S, lv, per, E, locked=lock)
    v2 = pd.Series(rec2, index=nodes["unique_id"])
    assert v2["team=T1"] == pytest.approx(50.0)
    _check_coherent(v2, tree)
    assert (rec2 >= -1e-9).all()


def test_groups_are_split_from_the_pages_total_keeping_shares_and_locks():
    from salesops_lib.forecast.groups import scale_to_total

    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    ids = nodes["unique_id"].tolist()
    base = np.array([60.0, 40, 15, 20, 12, 9, 10, 8, 7, 9, 2])[:len(nodes)]
    rec, _ = R.reconcile_levels(base, S, nodes["level"], {})
    v = pd.Series(scale_to_total(rec, S, 2 * rec[0]), index=ids)
    assert v["total"] == pytest.approx(2 * rec[0])
    _check_coherent(v, tree)
    # every group keeps its share: one factor on every rep
    np.testing.assert_allclose(v.to_numpy(), 2 * rec)
    # a locked team keeps its value, the others take the rest in proportion
    t1 = ids.index("team=T1")
    lock = {t1: 50.0}
    rec2, _ = R.reconcile_levels(base, S, nodes["level"], {}, locked=lock)
    v2 = pd.Series(scale_to_total(rec2, S, 200.0, lock), index=ids)
    assert v2["team=T1"] == pytest.approx(50.0) and v2["total"] == pytest.approx(200.0)
    _check_coherent(v2, tree)
    # nothing left to scale: unchanged
    np.testing.assert_allclose(scale_to_total(rec2, S, 10.0, lock), rec2)


def test_a_locked_group_moves_the_total_instead_of_inflating_the_others():
    """Locking one team's commit below the model used to keep the total at the headline, so
    the other teams absorbed the difference; a commit now replaces its node's number only."""
    from salesops_lib.forecast.groups import split_headline

    tree = R.hierarchy(Dataset_like(tiny_tree()))
    nodes, S = R.nodes(tree)
    ids = nodes["unique_id"].tolist()
    lv = nodes["level"]
    base = np.array([60.0, 40, 15, 20, 12, 9, 10, 8, 7, 9, 2])[:len(nodes)]
    free, _ = R.reconcile_levels(base, S, lv, {})
    headline = 1.5 * free[0]
    v0, _ = split_headline(base, S, lv, {}, None, headline)
    v0 = pd.Series(v0, index=ids)
    assert v0["total"] == pytest.approx(headline)
    t1 = ids.index("team=T1")
    # locking a team at the model's own number (here with the headline at the model's
    # total, factor 1) changes nothing
    same, _ = split_headline(base, S, lv, {}, None, free[0], {t1: free[t1]})
    np.testing.assert_allclose(same, free)
    # a commit 10 below the model's number: the total falls, the other team does not rise
    # by the 10 (it moves only as the reconciliation couples it, here by OLS)
    v, _ = split_headline(base, S, lv, {}, None, headline, {t1: v0["team=T1"] - 10})
    v = pd.Series(v, index=ids)
    _check_coherent(v, tree)
    assert v["team=T1"] == pytest.approx(v0["team=T1"] - 10)
    assert v["total"] < headline - 1
    others = [i for i in ids if i.startswith("team=") and i != "team=T1"]
    assert v[others].sum() - v0[others].sum() < 10 - 1
    # a locked total is kept as submitted
    vt, _ = split_headline(base, S, lv, {}, None, headline, {0: 100.0})
    assert vt[0] == pytest.approx(100.0)
