"""Bond-count plot: the ratio axis, point order and refusal of unusable input."""

from __future__ import annotations

import pytest

from ionflux.errors import InputError
from ionflux.plotting.bonds import cation_ratio_axis, plot_bonds
from ionflux.structure.documents import BondCountDoc, CrystalNNSettings, PairBondCount
from ionflux.transport.documents import Provenance


def doc(composition: dict[str, int], ba_ba: float) -> BondCountDoc:
    species = list(composition)
    pairs = {f"{a}-{b}": PairBondCount(center=a, neighbor=b, mean=ba_ba if a == b == "Ba" else 1.0,
                                       std=0.1, stderr=0.05, per_frame=[1.0, 1.0])
             for a in species for b in species}
    return BondCountDoc(formula="x", species=species, composition=composition,
                        temperature_K=1500.0, frames=[0, 1], n_frames_total=2, cutoff_A=5.0,
                        crystalnn=CrystalNNSettings(), pairs=pairs, coordination={},
                        provenance=Provenance(ionflux_version="test"))


def test_ratio_axis_is_ba_over_ti_and_points_are_sorted(tmp_path, monkeypatch):
    docs = [doc({"Ba": 20, "Ti": 10, "O": 40}, 2.0), doc({"Ba": 10, "Ti": 40, "O": 90}, 0.5)]
    assert cation_ratio_axis(docs) == ("Ba", "Ti")
    assert [d.ratio("Ba", "Ti") for d in docs] == [2.0, 0.25]
    drawn = []
    import matplotlib.axes

    original = matplotlib.axes.Axes.errorbar

    def spy(self, x, y, *args, **kwargs):
        drawn.append((kwargs.get("label"), list(x), list(y)))
        return original(self, x, y, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "errorbar", spy)
    out = tmp_path / "bonds.png"
    plot_bonds(docs, str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ba_ba = next(d for d in drawn if d[0] == "Ba-Ba per Ba")
    assert ba_ba[1] == [0.25, 2.0] and ba_ba[2] == [0.5, 2.0]


def test_unusable_input_is_refused(tmp_path):
    with pytest.raises(InputError, match="no bond-count documents"):
        plot_bonds([], str(tmp_path / "x.png"))
    with pytest.raises(InputError, match="two cations"):
        plot_bonds([doc({"Ba": 4, "O": 4}, 0.0)], str(tmp_path / "x.png"))
