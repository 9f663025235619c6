"""Import of published tensor files: mapping honoured, consistency and reliability flags,
atom-count estimate, Li-Ti-O atom counts from its bundled thermo data, bad records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ionflux.cli.transport_import import import_command
from ionflux.errors import InputError
from ionflux.transport.published import load_published


def _record(**overrides) -> dict:
    # Tensor index order O, Ba, Ti (mapping), species listed in another order on purpose.
    L = [[9.0, 2.0, 3.0], [2.0, 4.0, -1.0], [3.0, -1.0, 6.0]]
    S = [[10.0, 0, 0], [0, 5.0, 0], [0, 0, 7.0]]
    record = {
        "reduced_formula": "BaTiO3", "temperature": 1500.0, "species": ["Ba", "Ti", "O"],
        "mapping": {"O": 0, "Ba": 1, "Ti": 2}, "L_tensor": L, "L_tensor_self": S,
        "L_tensor_dis": (np.array(L) - np.array(S)).tolist(), "volume": 1862.729,
        "metadata": "hand-made",
    }
    record.update(overrides)
    return record


def _write(tmp_path, records):
    path = tmp_path / "tensors.json"
    path.write_text(json.dumps(records))
    return path


def test_mapping_is_honoured(tmp_path):
    (doc,) = load_published(_write(tmp_path, [_record()]))
    assert doc.species == ["Ba", "Ti", "O"]
    L = doc.matrix("L")
    assert L[0, 0] == 4.0 and L[1, 1] == 6.0 and L[2, 2] == 9.0  # Ba, Ti, O diagonals
    assert L[0, 1] == -1.0 and L[0, 2] == 2.0 and L[1, 2] == 3.0
    assert doc.L_self == [5.0, 7.0, 10.0]
    assert doc.correlation_factor == pytest.approx({"Ba": -0.2, "Ti": -1 / 7, "O": -0.1})
    assert all(doc.quality[k].passed for k in ("symmetric", "distinct_consistent",
                                                "self_diagonal", "cross_terms_reliable"))
    assert doc.fit_window_source == "published"
    assert doc.provenance.sources[0].sha256 and doc.L_stderr is None
    assert any("mapping" in a for a in doc.assumptions)


def test_inconsistent_distinct_and_asymmetry_are_flagged(tmp_path):
    bad = _record()
    bad["L_tensor_dis"][1][1] += 0.5
    bad["L_tensor"][0][2] = 3.5
    (doc,) = load_published(_write(tmp_path, [bad]))
    assert not doc.quality["distinct_consistent"].passed
    assert not doc.quality["symmetric"].passed
    assert any("symmetric" in w for w in doc.warnings)


def test_bundled_ba_ti_o():
    docs = load_published("Ba-Ti-O")
    assert len(docs) == 55
    at_750 = [d for d in docs if d.temperature_K == 750.0]
    assert len(at_750) == 11
    assert all(not d.quality["cross_terms_reliable"].passed for d in at_750)
    assert all(d.quality["cross_terms_reliable"].passed for d in docs if d.temperature_K > 750)
    assert all(d.quality["distinct_consistent"].passed for d in docs)
    first = next(d for d in docs if d.key() == "Ba2Ti9O20@750K")
    # 2198.25 Å^3 / (12.36 Å^3/atom * 31 atoms) = 5.74 -> 6 formula units
    assert first.composition == {"Ba": 12, "Ti": 54, "O": 120}
    assert any("estimated 6 formula units" in a for a in first.assumptions)
    assert not next(d for d in docs if d.key() == "Ba4Ti13O30@1000K").quality[
        "positive_semidefinite"].passed


def test_li_ti_o_atom_counts_from_the_bundled_thermo_data():
    """Phases with bundled Li-Ti-O thermo data get an estimated atom count; the three without
    (Li2Ti6O13, Li6Ti2O7, Li8TiO6) keep composition None and say why."""
    docs = load_published("Li-Ti-O")
    assert len(docs) == 28
    without = {d.formula for d in docs if d.composition is None}
    assert without == {"Li2Ti6O13", "Li6Ti2O7", "Li8TiO6"}
    assert all(any("composition is None" in a for a in d.assumptions)
               for d in docs if d.formula in without)
    li2tio3 = next(d for d in docs if d.key() == "Li2TiO3@1000K")
    assert li2tio3.composition == {"Li": 30, "Ti": 15, "O": 45}
    assert docs[0].species == ["Li", "Ti", "O"]


@pytest.mark.parametrize(("change", "message"), [
    ({"L_tensor": None}, "'L_tensor' has shape ()"),
    ({"mapping": {"O": 0, "Ba": 1}}, "species ['Ba', 'Ti', 'O'] and mapping keys"),
    ({"mapping": {"O": 0, "Ba": 1}, "species": ["Ba", "O"]}, "no tensor entries for Ti"),
    ({"mapping": {"O": 0, "Ba": 1, "Ti": 5}}, "not a permutation"),
    ({"L_tensor": [[1.0, 2.0], [2.0, 1.0]]}, "has shape (2, 2)"),
    ({"volume": -3.0}, "volume must be a positive"),
])
def test_bad_records(tmp_path, change, message):
    with pytest.raises(InputError) as info:
        load_published(_write(tmp_path, [_record(), _record(**change)]))
    assert "record 1" in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_field_and_unknown_source(tmp_path):
    record = _record()
    del record["L_tensor_self"]
    with pytest.raises(InputError, match=r"record 0 .*missing 'L_tensor_self'"):
        load_published(_write(tmp_path, [record]))
    with pytest.raises(InputError, match=r"nope\.json: cannot read the published tensor file"):
        load_published(tmp_path / "nope.json")


def test_import_command_json(capsys):
    docs = import_command("Li-Ti-O", as_json=True)
    out = json.loads(capsys.readouterr().out)
    assert len(out) == len(docs) == 28
    assert out[0]["fit_window_source"] == "published"
    assert {d["formula"] for d in out if d["composition"] is None} == {
        "Li2Ti6O13", "Li6Ti2O7", "Li8TiO6"}
