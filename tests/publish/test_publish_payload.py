"""Contributions: values and units read back through MPContribs' own pint registry, offline
rules that must reject what the MPContribs client or server would reject, and the client's own
preparation step run on our payload (its HTTP session stubbed)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ionflux.publish import build_contribution, project_columns, validate
from ionflux.publish.rules import check_unit


def _magnitude(text: str, to_unit: str) -> float:
    from mpcontribs.client import ureg

    value, unit = text.split()
    return (float(value) * ureg.Unit(unit)).to(to_unit).magnitude


def test_values_round_trip_through_mpcontribs_units(md_like_group):
    doc = md_like_group.transport
    c = build_contribution(md_like_group)
    i, j = doc.species.index("Ba"), doc.species.index("O")
    # 1/(eV cm s) -> 1/(J m s): 1 eV = 1.602176634e-19 J, 1 cm = 0.01 m
    expected = doc.L[i][j] / 1.602176634e-19 / 0.01
    assert _magnitude(c.data["L.BaO.mean"], "1/(J*m*s)") == pytest.approx(expected, rel=1e-5)
    assert _magnitude(c.data["L.BaO.stderr"], "1/(eV*cm*s)") == pytest.approx(
        doc.L_stderr[i][j], rel=1e-5)
    assert _magnitude(c.data["D.Ti.mean"], "m**2/s") == pytest.approx(
        doc.D_self_cm2_s["Ti"] * 1e-4, rel=1e-5)
    assert _magnitude(c.data["KD.BaOTiO2.full.mean"], "cm**2/s") == pytest.approx(2.5e-5)
    assert "KD.BaOTiO2.self.stderr" not in c.data  # unknown error: left out, not zero
    assert c.data["KD.BaOTiO2.precursors"] == "BaO + TiO2"
    assert float(c.data["f.O.mean"]) == pytest.approx(doc.correlation_factor["O"], rel=1e-5)
    assert _magnitude(c.data["temperature"], "K") == 1500.0
    assert c.identifier == "BaTiO3" and c.data["ionflux.key"] == "BaTiO3@1500K"
    # the correlation functions: one row per lag, one column per curve
    (table,) = c.tables
    assert list(table.index) == doc.correlation_functions.lag_fs
    assert table["MSD self Ti"].tolist() == doc.correlation_functions.msd_self_A2["Ti"]
    assert len(c.structures) == 1
    assert validate([c], "ionflux_test").ok


def test_fingerprint_changes_with_data_only(md_like_group):
    a = build_contribution(md_like_group)
    assert build_contribution(md_like_group).fingerprint == a.fingerprint
    changed = md_like_group.transport.model_copy(update={"temperature_K": 1501.0})
    md_like_group.transport = changed
    assert build_contribution(md_like_group).fingerprint != a.fingerprint


@pytest.mark.parametrize("unit,ok", [("cm**2/s", True), ("1/(eV*cm*s)", True), ("", True),
                                     (None, True), ("cm^2 / s", False), ("furlongs_per_x", False),
                                     ("NaN", False)])
def test_units_checked_with_mpcontribs_registry(unit, ok):
    assert (check_unit(unit) is None) is ok


def _errors(report) -> str:
    return json.dumps(report.errors)


def test_rules_reject_what_mpcontribs_rejects(md_like_group, plain_groups):
    from mpcontribs.client import MAX_COLUMNS

    good = build_contribution(md_like_group)
    assert validate([good], "ionflux_test").ok
    # punctuation in a key (the server's valid_key)
    bad = build_contribution(md_like_group)
    bad.data["D_self.Ba"] = "1 cm**2/s"
    bad.columns["D_self.Ba"] = "cm**2/s"
    assert "characters MPContribs rejects: _" in _errors(validate([bad], "ionflux_test"))
    # a column both a value and a parent
    bad = build_contribution(md_like_group)
    bad.data["L.BaO"] = "1 1/(eV*cm*s)"
    bad.columns["L.BaO"] = "1/(eV*cm*s)"
    assert "both a value and the parent" in _errors(validate([bad], "ionflux_test"))
    # non-finite number and a value that is not "number unit"
    bad = build_contribution(md_like_group)
    bad.data["D.Ba.mean"] = "nan cm**2/s"
    bad.data["D.Ti.mean"] = "fast cm**2/s"
    text = _errors(validate([bad], "ionflux_test"))
    assert "non-finite" in text and "'fast' is not a number" in text
    # the same structure twice in a project is a duplicate for MPContribs
    other = build_contribution(md_like_group)
    other.key = "BaTiO3@1750K"
    assert "duplicate structure" in _errors(validate([good, other], "ionflux_test"))
    # an identifier that is neither an MP id nor a formula
    bad = build_contribution(md_like_group)
    bad.identifier = "BaTiO3@1500K"
    assert "neither an MP id nor a formula" in _errors(validate([bad], "ionflux_test"))
    # too many columns
    bad = build_contribution(md_like_group)
    for k in range(MAX_COLUMNS):
        bad.data[f"extra.c{k}"] = "1"
        bad.columns[f"extra.c{k}"] = ""
    assert f"more than MPContribs' {MAX_COLUMNS}" in _errors(validate([bad], "ionflux_test"))
    # project name
    assert not validate([good], "bad name!").ok
    plain = [build_contribution(g) for g in plain_groups]
    assert validate(plain, "ionflux_test").ok


def test_mpcontribs_client_accepts_our_columns_and_payload(md_like_group, plain_groups):
    """Run the client's own init_columns and submit_contributions preparation offline."""
    from mpcontribs.client import Client

    contributions = [build_contribution(md_like_group)] + [build_contribution(g)
                                                           for g in plain_groups]
    sent: dict = {}

    class Future:
        def __init__(self, value):
            self.value = value

        def result(self):
            return self.value

    class Captured(Exception):
        pass

    class Session:
        def post(self, url, headers=None, hooks=None, data=None):
            sent["post"] = json.loads(data)
            raise Captured

    client = Client.__new__(Client)
    client.project = "ionflux_test"
    client.url = "https://stub"
    client.headers = {}
    client.session = Session()
    client.projects = SimpleNamespace(
        getProjectByName=lambda pk, _fields: Future({"columns": []}),
        updateProjectByName=lambda pk, project: Future(sent.setdefault("columns", project)))
    client._is_valid_payload = lambda model, data: None
    client.get_unique_identifiers_flags = lambda query: {}
    client.get_all_ids = lambda *a, **k: {}
    fields = {k: None for k in ("project", "identifier", "data", "is_public", "needs_build",
                                "structures", "tables", "attachments")}
    client.get_model = lambda name: SimpleNamespace(_properties=fields)

    client.init_columns(project_columns(contributions))
    paths = [c["path"] for c in sent["columns"]["columns"]]
    assert "data.L.BaO.mean" in paths and "structures" in paths and "tables" in paths
    units = {c["path"]: c.get("unit") for c in sent["columns"]["columns"]}
    assert units["data.D.Ba.mean"] == "cm**2/s" and units["data.formula"] is None

    with pytest.raises(Captured):
        client.submit_contributions([c.payload("ionflux_test") for c in contributions])
    posted = sent["post"]
    assert len(posted) == len(contributions)
    first = posted[0]
    assert first["identifier"] == "BaTiO3"
    assert first["data"]["L"]["BaO"]["mean"].endswith("1/(eV*cm*s)")
    assert len(first["structures"]) == 1 and len(first["tables"]) == 1
    assert first["tables"][0]["attrs"]["title"].startswith("BaTiO3@1500K")


def test_mpcontribs_client_refuses_duplicate_structures(md_like_group):
    """Our duplicate rule agrees with the client's: the same structure twice is refused."""
    from mpcontribs.client import Client, MPContribsClientError

    a = build_contribution(md_like_group)
    b = build_contribution(md_like_group)
    b.key = "x"
    client = Client.__new__(Client)
    client.project = "ionflux_test"
    client._is_valid_payload = lambda model, data: None
    client.get_unique_identifiers_flags = lambda query: {}
    client.get_all_ids = lambda *a, **k: {}
    fields = {k: None for k in ("project", "identifier", "data", "needs_build")}
    client.get_model = lambda name: SimpleNamespace(_properties=fields)
    with pytest.raises(MPContribsClientError, match="Duplicate"):
        client.submit_contributions([a.payload("p"), b.payload("p")])
    assert "duplicate structure" in _errors(validate([a, b], "ionflux_test"))
