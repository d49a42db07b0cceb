"""Mapping presets and files: real export layouts load unedited, bad mappings fail clearly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from salesops_lib import DataSourceError, DataValidationError, load_dataset, measures
from salesops_lib.data.mapping import presets, resolve_mapping
from salesops_lib.data.rules import parse_money, parse_salesforce_id, salesforce_15

FIX = Path(__file__).resolve().parent / "fixtures"
SF_OBJECTS, SF_REPORT, HUBSPOT = FIX / "salesforce_objects", FIX / "salesforce_report", FIX / "hubspot"


def test_presets_ship_with_the_library():
    assert {"maven", "salesforce", "hubspot"} <= set(presets())
    for name in presets():
        assert resolve_mapping(name)            # every preset passes the mapping check


# ------------------------------------------------------------------------------ salesforce
@pytest.fixture(scope="module")
def sf():
    return load_dataset(SF_OBJECTS, mapping="salesforce")


def test_salesforce_objects_load(sf):
    opp = sf.opportunities.set_index("opportunity_id")
    # the deleted record (IsDeleted = true) is left out; 18-character ids read as 15
    assert list(opp.index) == ["0065g00000AbCd1", "0065g00000AbCd2", "0065g00000xYzQ3",
                               "0065g00000AbCd4"]
    assert opp["status"].tolist() == ["won", "lost", "open", "open"]        # IsClosed/IsWon
    assert opp["forecast_category"].tolist() == ["closed", "omitted", "commit", "best case"]
    assert opp["amount"].sum() == 28000
    assert opp.loc["0065g00000AbCd1", "created_date"] == pd.Timestamp("2026-01-10")
    assert set(opp["account_id"]) <= set(sf.accounts["account_id"])


def test_salesforce_managers_from_manager_id_or_user_role(sf):
    reps = sf.reps.set_index("rep_name")
    assert reps.loc["Ann Lee", "manager"] == "Cara Wu"        # ManagerId
    assert reps.loc["Bob Diaz", "manager"] == "Cara Wu"       # no ManagerId: parent role's user
    assert reps.loc["Bob Diaz", "team"] == "Sales Rep East"   # the role's name
    assert pd.isna(reps.loc["Cara Wu", "manager"])


def test_salesforce_history_becomes_opportunity_history(sf):
    h = sf.opportunity_history
    # 9 OpportunityHistory rows (the deleted one left out) + 1 owner change (field history)
    assert len(h) == 10 and h["opportunity_id"].str.len().eq(15).all()  # 15 and 18 joined
    won = h[h["stage"] == "Closed Won"]
    assert won["status"].tolist() == ["won"] and won["forecast_category"].tolist() == ["closed"]
    assert h.loc[h["stage"] == "Negotiation/Review", "forecast_category"].tolist() == ["commit"]
    s = measures.state_as_of(sf, "2026-09-01").set_index("opportunity_id")
    assert s.loc["0065g00000xYzQ3", "amount"] == 6000           # before the 20 Sep change
    assert s.loc["0065g00000xYzQ3", "forecast_category"] == "pipeline"
    assert s.loc["0065g00000xYzQ3", "rep_id"] == "0055g00000UsEr3"   # owner since 3 Aug


def test_salesforce_field_history_gives_owners_over_time(sf):
    deal = "0065g00000xYzQ3"
    owner = {d: measures.state_as_of(sf, d).set_index("opportunity_id").loc[deal, "rep_id"]
             for d in ("2026-06-01", "2026-08-02", "2026-08-03")}
    # OpportunityFieldHistory: Owner changed from Ann (…UsEr1) to Cara (…UsEr3) on 3 Aug
    assert owner == {"2026-06-01": "0055g00000UsEr1", "2026-08-02": "0055g00000UsEr1",
                     "2026-08-03": "0055g00000UsEr3"}
    s = measures.state_as_of(sf, "2026-08-03").set_index("opportunity_id")
    assert s.loc[deal, "amount"] == 6000 and s.loc[deal, "stage"] == "Qualification"


def test_salesforce_file_and_field_names_in_any_case(tmp_path, sf):
    folder = tmp_path / "export"
    folder.mkdir()
    for p in SF_OBJECTS.iterdir():
        name = {"Opportunity.csv": "opportunity.CSV", "Account.csv": "ACCOUNT.csv"}.get(p.name, p.name)
        text = p.read_text()
        if p.name == "Account.csv":        # Bulk API style field names
            text = text.replace('"ID","NAME"', '"Id","Name"')
        (folder / name).write_text(text)
    again = load_dataset(folder, mapping="salesforce")
    pd.testing.assert_frame_equal(again.opportunities, sf.opportunities)
    assert again.accounts["account_name"].tolist() == sf.accounts["account_name"].tolist()


def test_salesforce_report_export_details_only(sf):
    ds = load_dataset(SF_REPORT, mapping="salesforce")
    opp = ds.opportunities
    assert len(opp) == 4                            # Grand Totals and copyright lines dropped
    assert opp["amount"].tolist() == [12000.0, 5000.0, 8000.0, 3000.0]     # "USD 12,000.00"
    assert opp["status"].tolist() == ["won", "lost", "open", "open"]      # Closed / Won columns
    assert opp["forecast_category"].tolist() == ["closed", "omitted", "commit", "best case"]
    # the report's 15-character ids are the Data Loader's 18-character ones
    assert opp["opportunity_id"].tolist() == sf.opportunities["opportunity_id"].tolist()
    assert sorted(ds.reps["rep_name"]) == ["Ann Lee", "Bob Diaz", "Cara Wu"]
    assert sorted(ds.accounts["account_name"]) == ["Acme Corporation", "Globex"]
    assert opp["close_date"].iloc[0] == pd.Timestamp("2026-03-20")


def _migrated(tmp_path) -> Path:
    folder = tmp_path / "migrated"
    shutil.copytree(SF_REPORT, folder)
    f = next(folder.iterdir())
    f.write_text(f.read_text().replace('"3/20/2026","1/10/2026"', '"3/20/2026","6/1/2026"'))
    return folder


def test_created_after_close_names_the_rule_and_what_to_do(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_dataset(_migrated(tmp_path), mapping="salesforce")
    msg = str(info.value)
    assert "1 deal(s) close before they were created" in msg
    assert "close_date ≥ created_date" in msg and "close_before_created" in msg
    assert "0065g00000AbCd1" in msg and "2026-03-20" in msg


def test_explicit_repair_is_reported_in_the_data_health(tmp_path):
    folder = _migrated(tmp_path)
    spec = tmp_path / "mapping.yaml"
    spec.write_text("extends: salesforce\nopportunities:\n  repair: {close_before_created: true}\n")
    ds = load_dataset(folder, mapping=str(spec))
    o = ds.opportunities.set_index("opportunity_id").loc["0065g00000AbCd1"]
    assert o["created_date"] == o["close_date"] == pd.Timestamp("2026-03-20")
    assert any("1 deal closed before it was created" in str(n) and "repair" in str(n)
               for n in ds.health)
    assert len(ds.opportunities) == 4 and ds.opportunities["amount"].sum() == 28000


# ------------------------------------------------------------------------------ hubspot
def test_hubspot_all_deals_export():
    ds = load_dataset(HUBSPOT, mapping="hubspot")
    opp = ds.opportunities.set_index("opportunity_id")
    assert opp["status"].tolist() == ["won", "lost", "open", "open"]
    assert opp.loc["9876543212", "amount"] == 1500.5 and opp.loc["9876543213", "amount"] == 0
    assert opp.loc["9876543210", "created_date"] == pd.Timestamp("2026-01-10")
    # a deal without a company is kept under a named placeholder account, with a note
    assert opp.loc["9876543212", "account_id"] == "(no company)"
    assert "(no company)" in set(ds.accounts["account_name"])
    assert any("no account_id" in str(n) and "(no company)" in str(n) for n in ds.health)
    # counts agree with their noun and verb (it read "1 row(s) have", "1 open deals have")
    notes = [n.message if hasattr(n, "message") else str(n) for n in ds.health]
    assert any("1 row has no account_id in the source" in n for n in notes), notes
    assert any("1 open deal has no expected close date" in n for n in notes), notes
    assert opp.loc["9876543213", "account_id"] == "Acme Corporation"    # first of two companies
    assert sorted(ds.reps["rep_id"]) == ["(no owner)", "Ann Lee", "Bob Diaz"]
    assert opp["forecast_category"].tolist() == ["closed", "omitted", "commit", "pipeline"]
    sh = ds.stage_history
    assert len(sh) == 8
    assert sh[(sh["opportunity_id"] == "9876543210")].sort_values("entered_date")[
        "stage"].tolist() == ["Appointment Scheduled", "Contract Sent", "Closed Won"]


def test_hubspot_without_stage_columns_has_no_stage_history(tmp_path):
    f = next(HUBSPOT.iterdir())
    df = pd.read_csv(f, dtype=str)
    df = df[[c for c in df.columns if not c.startswith("Date entered")]]
    df.to_csv(tmp_path / "all-deals.csv", index=False)
    ds = load_dataset(tmp_path, mapping="hubspot")
    assert ds.stage_history.empty and len(ds.opportunities) == 4


# ------------------------------------------------------------------------------ maven
def test_maven_preset_note_reaches_the_data_health_block(shared_data):
    from salesops_lib.report import lineage

    ds = load_dataset(shared_data / "crm_sales_opportunities_maven", mapping="maven")
    assert len(ds.opportunities) == 7212
    block = lineage.health(ds).data
    assert "1,588 rows dropped by the mapping because account_id or created_date is empty" in block


def test_maven_revenue_in_millions_becomes_dollars_of_potential(shared_data):
    from salesops_lib.measures import account_potential, potential_unit

    folder = shared_data / "crm_sales_opportunities_maven"
    raw = pd.read_csv(folder / "accounts.csv")
    ds = load_dataset(folder, mapping="maven")
    acme = ds.accounts.set_index("account_id").loc["Acme Corporation", "annual_revenue"]
    assert raw.set_index("account")["revenue"]["Acme Corporation"] == 1100.04
    assert acme == pytest.approx(1_100_040_000.0)          # $1,100.04M, by hand
    pot, basis = account_potential(ds.accounts)
    assert basis == "annual_revenue" and pot.sum() == pytest.approx(raw["revenue"].sum() * 1e6)
    assert potential_unit(basis) == "money"
    assert potential_unit(account_potential(ds.accounts.drop(columns="annual_revenue"))[1]) == "num"


def test_maven_sector_typo_is_corrected_without_touching_the_file(shared_data):
    """accounts.csv spells a sector "technolgy"; the preset recodes it, the file stays as is."""
    path = shared_data / "crm_sales_opportunities_maven" / "accounts.csv"
    before = path.read_bytes()
    raw = pd.read_csv(path)
    assert (raw["sector"] == "technolgy").sum() == 12 and "technology" not in set(raw["sector"])
    acc = load_dataset(path.parent, mapping="maven").accounts.set_index("account_id")
    assert acc.at["Acme Corporation", "industry"] == "technology"       # "technolgy" in the file
    assert (acc["industry"] == "technology").sum() == 12
    assert "technolgy" not in set(acc["industry"].dropna())
    assert acc["industry"].nunique() == raw["sector"].nunique()           # nothing else merged
    assert path.read_bytes() == before


def test_maven_open_and_lost_deals_are_valued_at_list_price(shared_data):
    folder = shared_data / "crm_sales_opportunities_maven"
    raw = pd.read_csv(folder / "sales_pipeline.csv").set_index("opportunity_id")
    ds = load_dataset(folder, mapping="maven")
    o = ds.opportunities.set_index("opportunity_id")
    # by hand from the files: a won deal keeps its close value; a lost one (close value 0 in
    # the export) and an open one (none) take products.csv's list price, "GTXPro" as "GTX Pro"
    assert raw.loc["1C1I7A6R", ["deal_stage", "close_value"]].tolist() == ["Won", 1054]
    assert o.at["1C1I7A6R", "amount"] == 1054
    assert raw.loc["KWVA7VR1", ["deal_stage", "product", "close_value"]].tolist() == [
        "Lost", "GTXPro", 0]
    assert o.at["KWVA7VR1", "amount"] == 4821                     # GTX Pro list price
    lost = raw[raw["deal_stage"] == "Lost"]
    assert (lost["close_value"] == 0).all()
    assert (o.loc[o["status"] != "won", "amount"] > 0).all()
    n = int((o["status"] != "won").sum())
    assert n == 2974
    assert any(f"{n:,} rows without amount" in str(h) and "list price" in str(h)
               for h in ds.health)
    # the source file is read, not changed
    assert pd.read_csv(folder / "sales_pipeline.csv").equals(raw.reset_index())


def test_unknown_if_names_a_known_column(shared_data):
    mapping = {"extends": "maven",
               "opportunities": {"unknown_if": {"amont": {"values": [0]}}}}
    with pytest.raises(DataSourceError, match="opportunities.unknown_if names unknown column 'amont'"):
        load_dataset(shared_data / "crm_sales_opportunities_maven", mapping=mapping)


@pytest.mark.parametrize("factor, words", [
    ("a million", ["accounts.scale.annual_revenue must be a positive number", "'a million'"]),
    (0, ["must be a positive number", "not 0"]),
    (True, ["must be a positive number"]),
])
def test_a_bad_scale_factor_fails_clearly(shared_data, factor, words):
    mapping = {"extends": "maven", "accounts": {"scale": {"annual_revenue": factor}}}
    with pytest.raises(DataSourceError) as info:
        load_dataset(shared_data / "crm_sales_opportunities_maven", mapping=mapping)
    for w in words:
        assert w in str(info.value)


def test_scale_rule_names_columns_and_bad_cells(tmp_path, tiny_frames):
    from ..conftest import write_csvs

    with pytest.raises(DataSourceError, match="accounts.scale names unknown column 'revenu'"):
        load_dataset(SF_OBJECTS, mapping={"accounts": {"scale": {"revenu": 1000}}})
    tiny_frames["accounts"]["annual_revenue"] = ["2.5", "n/a"][: len(tiny_frames["accounts"])] + \
        ["1"] * (len(tiny_frames["accounts"]) - 2)
    folder = write_csvs(tmp_path / "crm", tiny_frames)
    with pytest.raises(DataValidationError) as info:
        load_dataset(folder, mapping={"accounts": {"scale": {"annual_revenue": 1e6}}})
    assert "scales 'annual_revenue' by 1e+06 but 1 value(s) are not numbers" in str(info.value)
    assert "'n/a'" in str(info.value)
    tiny_frames["accounts"]["annual_revenue"] = "2.5"
    folder = write_csvs(tmp_path / "crm2", tiny_frames)
    ds = load_dataset(folder, mapping={"accounts": {"scale": {"annual_revenue": 1e6}}})
    assert (ds.accounts["annual_revenue"] == 2_500_000.0).all()


# ------------------------------------------------------------------------------ rules
def test_value_parsers():
    s = pd.Series(["USD 1,200.00", "$950", "1200", "(30.00)", "n/a", None])
    assert parse_money(s).tolist()[:4] == ["1200.00", "950", "1200", "-30.00"]
    assert parse_money(s).iloc[4] == "n/a" and pd.isna(parse_money(s).iloc[5])
    assert salesforce_15("0065g00000AbCd1AAF") == "0065g00000AbCd1"
    assert salesforce_15("0065g00000AbCd1XYZ") == "0065g00000AbCd1XYZ"   # bad checksum: kept
    assert salesforce_15("Acme Corporation 18") == "Acme Corporation 18"
    assert parse_salesforce_id(pd.Series(["0065g00000AbCd1", "0065g00000AbCd1AAF"])).nunique() == 1


# ------------------------------------------------------------------------------ mapping files
@pytest.mark.parametrize("mapping, words", [
    ({"deals": {}}, ["unknown table(s) ['deals']"]),
    ({"opportunities": {"rename": {}}}, ["opportunities has unknown rule(s) ['rename']",
                                          "rules are"]),
    ({"opportunities": {"values": {"statuz": {"W": "won"}}}},
     ["opportunities.values names unknown column 'statuz'"]),
    ({"opportunities": {"parse": {"amount": "euros"}}}, ["unknown parser 'euros'", "money"]),
    ({"opportunities": {"repair": {"everything": True}}}, ["unknown repair 'everything'"]),
    ("salesfarce", ["'salesfarce' is neither a preset", "salesforce"]),
])
def test_bad_mappings_fail_clearly(mapping, words, tmp_path):
    with pytest.raises(DataSourceError) as info:
        load_dataset(SF_OBJECTS, mapping=mapping)
    for w in words:
        assert w in str(info.value)


def test_mapping_files_yaml_and_json(tmp_path):
    spec = resolve_mapping("salesforce")
    j = tmp_path / "m.json"
    j.write_text(json.dumps(spec))
    a = load_dataset(SF_OBJECTS, mapping=str(j))
    b = load_dataset(SF_OBJECTS, mapping="salesforce")
    assert a.fingerprint() == b.fingerprint()
    bad = tmp_path / "bad.yaml"
    bad.write_text("opportunities: [unclosed\n")
    with pytest.raises(DataSourceError, match="mapping file .*bad.yaml cannot be read"):
        load_dataset(SF_OBJECTS, mapping=str(bad))
    typo = tmp_path / "typo.yaml"
    typo.write_text("opportunities:\n  colums: {Id: opportunity_id}\n")
    with pytest.raises(DataSourceError, match=r"typo.yaml: opportunities has unknown rule"):
        load_dataset(SF_OBJECTS, mapping=str(typo))
