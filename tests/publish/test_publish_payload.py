"""Contributions: the layout (filter columns, tables, quality, method), values and units read
back through MPContribs' own pint registry, offline rules that must reject what the
MPContribs client or server would reject, and the client's own preparation step run on our
payload (its HTTP session stubbed)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from ionflux.publish import build_contribution, project_columns, validate
from ionflux.publish.rules import check_unit


def _magnitude(text: str, to_unit: str) -> float:
    from mpcontribs.client import ureg

    value, unit = text.split()
    return (float(value) * ureg.Unit(unit)).to(to_unit).magnitude


def _cell(table, row, name: str, to_unit: str | None = None) -> float:
    """A table cell converted with the unit its header names."""
    from mpcontribs.client import ureg

    head = next(h for h in table.columns if h == name or h.startswith(f"{name} ["))
    cell = table.loc[row, head]
    value = math.nan if cell == "" else float(cell)  # an empty cell: unknown
    if to_unit is None:
        return value
    unit = head[head.index("[") + 1:-1]
    return (value * ureg.Unit(unit)).to(to_unit).magnitude


def _tables(c):
    return {t.attrs["name"]: t for t in c.tables}


def test_filter_columns_quality_and_method(md_like_group):
    doc = md_like_group.transport
    c = build_contribution(md_like_group)
    assert c.key == "BaTiO3@1500K:md" and c.identifier == "BaTiO3" and c.source == "md"
    assert c.data["mpid"] == "mp-5020" and c.data["source"] == "md"
    assert _magnitude(c.data["T"], "K") == 1500.0
    assert _magnitude(c.data["D.Ti"], "m**2/s") == pytest.approx(
        doc.D_self_cm2_s["Ti"] * 1e-4, rel=1e-5)
    # O is flagged not diffusive: no D column value, named in the quality columns instead
    assert "D.O" not in c.data and c.data["quality.nondiffusive"] == "O"
    assert c.data["quality.status"] == "flagged"
    assert "not_diffusive O 0.4x" in c.data["quality.flags"]
    assert _magnitude(c.data["Kd.value"], "cm**2/s") == pytest.approx(2.5e-5)
    assert c.data["Kd.precursors"] == "BaO + TiO2"
    assert _magnitude(c.data["method.interval"], "ps") == pytest.approx(0.05)
    assert _magnitude(c.data["method.length"], "ns") == pytest.approx(1.0)
    assert c.data["method.atoms"] == "100" and c.data["method.potential"] == "ACE Ba-Ti-O v2"
    assert c.data["method.reference"] == "doi:10.0000/example"
    assert c.data["method.D"].startswith("self-diffusion fitted")
    # nothing scales with element pairs; no key can be read as a compound's formula
    from pymatgen.core import Composition

    for path in c.data:
        for part in path.split("."):
            try:
                compound = len(Composition(part).elements) > 1
            except Exception:
                compound = False
            assert not compound, f"{path}: {part!r} reads as a formula"
    assert validate([c], "ionflux_test").ok


def test_tables_hold_matrix_errors_and_units(md_like_group):
    doc = md_like_group.transport
    c = build_contribution(md_like_group)
    tables = _tables(c)
    assert set(tables) == {"transport per element", "Onsager coefficients", "K_D",
                           "correlation functions"}
    onsager = tables["Onsager coefficients"]
    i, j = doc.species.index("Ba"), doc.species.index("O")
    # 1/(eV cm s) -> 1/(J m s): 1 eV = 1.602176634e-19 J, 1 cm = 0.01 m
    assert _cell(onsager, "Ba.O", "L", "1/(J*m*s)") == pytest.approx(
        doc.L[i][j] / 1.602176634e-19 / 0.01, rel=1e-9)
    assert _cell(onsager, "Ba.O", "L stderr", "1/(eV*cm*s)") == pytest.approx(doc.L_stderr[i][j])
    assert _cell(onsager, "Ba.O", "L self") == 0.0  # the self part is diagonal
    assert _cell(onsager, "O.O", "L self") == pytest.approx(doc.L_self[j])
    assert len(onsager) == 6 and "O.Ba" not in onsager.index
    elements = tables["transport per element"]
    assert _cell(elements, "Ti", "D", "cm**2/s") == pytest.approx(doc.D_self_cm2_s["Ti"])
    assert _cell(elements, "Ti", "D stderr", "cm**2/s") == pytest.approx(1e-7)
    assert math.isnan(_cell(elements, "O", "D")) and elements.loc["O", "diffusive"] == "no"
    assert _cell(elements, "O", "f") == pytest.approx(doc.correlation_factor["O"])
    kd = tables["K_D"]
    assert _cell(kd, "BaO + TiO2", "K_D stderr", "m**2/s") == pytest.approx(1e-10)
    assert "K_D self stderr [cm**2/s]" not in kd.columns  # unknown everywhere: left out
    curves = tables["correlation functions"]
    assert list(curves.index) == doc.correlation_functions.lag_fs
    assert curves["self Ti [angstrom**2]"].tolist() == doc.correlation_functions.msd_self_A2["Ti"]
    assert "collective Ba.O [angstrom**2]" in curves.columns
    assert len(c.structures) == 1


def test_published_group_has_derived_D_and_no_errors(plain_groups):
    group = plain_groups[0]
    c = build_contribution(group)
    derived = group.transport.provenance.physics_checks["D_cm2_s"]
    assert _magnitude(c.data["D.Ba"], "cm**2/s") == pytest.approx(derived["Ba"], rel=1e-5)
    assert "lower bound" in c.data["method.D"]
    assert c.data["source"] == "published" and "method.atoms" not in c.data
    assert "rxn-ca" in c.data["method.reference"]
    onsager = _tables(c)["Onsager coefficients"]
    assert not any("stderr" in h for h in onsager.columns)  # none published: none shown


def test_fingerprint_changes_with_data_only(md_like_group):
    a = build_contribution(md_like_group)
    assert build_contribution(md_like_group).fingerprint == a.fingerprint
    changed = md_like_group.transport.model_copy(update={"temperature_K": 1501.0})
    md_like_group.transport = changed
    md_like_group.temperature_K = 1501.0
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
    # punctuation in a key (the server's valid_key): the pipe of "L.Ba|O" is refused
    bad = build_contribution(md_like_group)
    bad.data["L.Ba|O"] = "1 1/(eV*cm*s)"
    bad.columns["L.Ba|O"] = "1/(eV*cm*s)"
    assert "characters MPContribs rejects: |" in _errors(validate([bad], "ionflux_test"))
    # a column both a value and a parent
    bad = build_contribution(md_like_group)
    bad.data["Kd"] = "1 cm**2/s"
    bad.columns["Kd"] = "cm**2/s"
    assert "both a value and the parent" in _errors(validate([bad], "ionflux_test"))
    # non-finite number and a value that is not "number unit"
    bad = build_contribution(md_like_group)
    bad.data["D.Ba"] = "nan cm**2/s"
    bad.data["D.Ti"] = "fast cm**2/s"
    text = _errors(validate([bad], "ionflux_test"))
    assert "non-finite" in text and "'fast' is not a number" in text
    # a D of an element the identifier does not hold
    bad = build_contribution(md_like_group)
    bad.data["D.Li"] = "1e-5 cm**2/s"
    bad.columns["D.Li"] = "cm**2/s"
    assert "Li is not an element of BaTiO3" in _errors(validate([bad], "ionflux_test"))
    # the same structure twice in a project is a duplicate for MPContribs
    other = build_contribution(md_like_group)
    other.key = "BaTiO3@1750K:md"
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


def test_rules_check_table_units_and_shapes(md_like_group):
    c = build_contribution(md_like_group)
    onsager = next(t for t in c.tables if t.attrs["name"] == "Onsager coefficients")
    onsager.rename(columns={"L [1/(eV*cm*s)]": "L"}, inplace=True)
    elements = next(t for t in c.tables if t.attrs["name"] == "transport per element")
    elements.rename(columns={"D [cm**2/s]": "D [furlongs_per_x]"}, inplace=True)
    text = _errors(validate([c], "ionflux_test"))
    assert "numeric column 'L' has no [unit]" in text
    assert "'D [furlongs_per_x]'" in text and "not in MPContribs' unit registry" in text
    c = build_contribution(md_like_group)
    c.tables[1] = c.tables[1].iloc[:-1]  # a pair row lost: the matrix is no longer whole
    c.tables[1].attrs = dict(c.tables[0].attrs, name="Onsager coefficients")
    assert "5 rows, expected 6 for 3 elements" in _errors(validate([c], "ionflux_test"))
    c = build_contribution(md_like_group)
    c.source = "md+published"
    assert "data source 'md+published'" in _errors(validate([c], "ionflux_test"))


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
    assert "data.D.Ba" in paths and "structures" in paths and "tables" in paths
    units = {c["path"]: c.get("unit") for c in sent["columns"]["columns"]}
    assert units["data.D.Ba"] == "cm**2/s" and units["data.source"] is None
    assert units["data.method.interval"] == "fs"

    with pytest.raises(Captured):
        client.submit_contributions([c.payload("ionflux_test") for c in contributions])
    posted = sent["post"]
    assert len(posted) == len(contributions)
    first = posted[0]
    assert first["identifier"] == "BaTiO3"
    assert first["data"]["D"]["Ba"].endswith("cm**2/s")
    assert len(first["structures"]) == 1 and len(first["tables"]) == 4
    names = [t["name"] for t in first["tables"]]
    assert names[:2] == ["transport per element", "Onsager coefficients"]
    assert first["tables"][1]["attrs"]["title"].startswith("BaTiO3@1500K:md")


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
