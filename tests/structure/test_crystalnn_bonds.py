"""CrystalNN bond counts: hand-countable crystals and a cross-check against pymatgen itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.core.local_env import CrystalNN

from ionflux.errors import InputError
from ionflux.io.trajectory import Trajectory, TrajectorySource
from ionflux.md.library import amorphous_snapshot_files
from ionflux.structure import CrystalNNSettings, bond_counts, sample_frames


def trajectory_of(structure: Structure, n_frames: int = 2, rattle_A: float = 0.0,
                  rng: np.random.Generator | None = None, shift_images: bool = False
                  ) -> Trajectory:
    cart = structure.cart_coords
    frames = []
    for _ in range(n_frames):
        pos = cart.copy()
        if rattle_A:
            pos = pos + rng.normal(scale=rattle_A, size=pos.shape)
        if shift_images:  # unwrapped-looking input: atoms displaced by whole lattice vectors
            images = np.random.default_rng(0).integers(-2, 3, size=pos.shape)
            pos = pos + images @ structure.lattice.matrix
        frames.append(pos)
    return Trajectory(positions=np.array(frames),
                      species=tuple(s.specie.symbol for s in structure),
                      cells=structure.lattice.matrix, unwrapped=shift_images,
                      temperature_K=300.0, source=TrajectorySource(reader="test"))


def rock_salt_bao() -> Structure:
    ba = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]
    o = [[0.5, 0, 0], [0.5, 0.5, 0.5], [0, 0, 0.5], [0, 0.5, 0]]  # Ba sites + (1/2, 0, 0)
    return Structure(Lattice.cubic(5.52), ["Ba"] * 4 + ["O"] * 4, ba + o)


def cubic_perovskite_batio3() -> Structure:
    return Structure(Lattice.cubic(4.0), ["Ba", "Ti", "O", "O", "O"],
                     [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])


@pytest.mark.parametrize("weighted", [True, False])
def test_rock_salt_bao_has_six_ba_o_bonds_per_ba(weighted):
    doc = bond_counts(trajectory_of(rock_salt_bao()), n_frames=2, workers=1,
                      settings=CrystalNNSettings(weighted_cn=weighted))
    assert doc.bonds_per_atom("Ba", "O").mean == pytest.approx(6.0, abs=1e-9)
    assert doc.bonds_per_atom("O", "Ba").mean == pytest.approx(6.0, abs=1e-9)
    # second neighbours (Ba-Ba 3.90 Å) share only Voronoi edges, not faces
    assert doc.bonds_per_atom("Ba", "Ba").mean == pytest.approx(0.0, abs=1e-9)
    assert doc.bonds_per_atom("O", "O").mean == pytest.approx(0.0, abs=1e-9)
    assert doc.bonds_per_atom("Ba", "O").std == pytest.approx(0.0, abs=1e-12)
    assert doc.formula == "BaO" and doc.composition == {"Ba": 4, "O": 4}


@pytest.mark.parametrize("weighted", [True, False])
def test_cubic_perovskite_batio3_counts(weighted):
    supercell = cubic_perovskite_batio3().make_supercell([2, 2, 2], in_place=False)
    doc = bond_counts(trajectory_of(supercell), n_frames=1, workers=1,
                      settings=CrystalNNSettings(weighted_cn=weighted))
    assert doc.bonds_per_atom("Ti", "O").mean == pytest.approx(6.0, abs=1e-9)
    assert doc.bonds_per_atom("Ba", "O").mean == pytest.approx(12.0, abs=1e-9)
    assert doc.bonds_per_atom("O", "Ti").mean == pytest.approx(2.0, abs=1e-9)
    for pair in ("Ba-Ba", "Ba-Ti", "Ti-Ba", "Ti-Ti", "O-O"):
        assert doc.pairs[pair].mean == pytest.approx(0.0, abs=1e-9), pair
    assert doc.coordination["Ti"].mean == pytest.approx(6.0, abs=1e-9)


def test_cation_cation_contacts_are_counted():
    # Simple-cubic Ba, a = 4.4 Å < 2 r_cov(Ba) + 0.5 Å: six Ba-Ba faces of a cubic Voronoi cell.
    simple_cubic = Structure(Lattice.cubic(4.4), ["Ba"], [[0, 0, 0]]).make_supercell(2)
    doc = bond_counts(trajectory_of(simple_cubic), n_frames=1, workers=1)
    assert doc.bonds_per_atom("Ba", "Ba").mean == pytest.approx(6.0, abs=1e-9)


def test_wrapping_and_image_shifts_do_not_change_counts(rng):
    base = cubic_perovskite_batio3().make_supercell([2, 1, 1], in_place=False)
    plain = bond_counts(trajectory_of(base, rattle_A=0.05, rng=np.random.default_rng(1)),
                        n_frames=2, workers=1)
    shifted = bond_counts(trajectory_of(base, rattle_A=0.05, rng=np.random.default_rng(1),
                                        shift_images=True), n_frames=2, workers=1)
    for key in plain.pairs:
        assert shifted.pairs[key].per_frame == pytest.approx(plain.pairs[key].per_frame,
                                                             abs=1e-9)


def test_parallel_equals_serial_and_spread_is_over_frames(rng):
    base = cubic_perovskite_batio3().make_supercell([2, 2, 1], in_place=False)
    traj = trajectory_of(base, n_frames=3, rattle_A=0.15, rng=rng)
    serial = bond_counts(traj, n_frames=3, workers=1)
    parallel = bond_counts(traj, n_frames=3, workers=2)
    values = np.array(serial.pairs["Ba-O"].per_frame)
    assert len(values) == 3 and values.std() > 0  # rattling makes frames differ
    assert serial.pairs["Ba-O"].mean == pytest.approx(values.mean())
    assert serial.pairs["Ba-O"].std == pytest.approx(values.std(ddof=1))
    assert serial.pairs["Ba-O"].stderr == pytest.approx(values.std(ddof=1) / np.sqrt(3))
    for key in serial.pairs:
        assert parallel.pairs[key].per_frame == pytest.approx(serial.pairs[key].per_frame,
                                                              abs=1e-12)


def direct_crystalnn_counts(structure: Structure, settings: CrystalNNSettings) -> dict:
    """Bonds per centre atom straight from pymatgen's CrystalNN.get_nn_info."""
    cnn = CrystalNN(weighted_cn=settings.weighted_cn, cation_anion=settings.cation_anion,
                    distance_cutoffs=settings.distance_cutoffs,
                    x_diff_weight=settings.x_diff_weight,
                    porous_adjustment=settings.porous_adjustment,
                    search_cutoff=settings.search_cutoff)
    totals: dict[str, float] = {}
    counts: dict[str, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n, site in enumerate(structure):
            center = site.specie.symbol
            counts[center] = counts.get(center, 0) + 1
            for nn in cnn.get_nn_info(structure, n):
                key = f"{center}-{nn['site'].specie.symbol}"
                totals[key] = totals.get(key, 0.0) + nn["weight"]
    return {k: v / counts[k.split("-")[0]] for k, v in totals.items()}


@pytest.mark.parametrize("weighted", [True, False])
def test_per_frame_counts_match_a_direct_crystalnn_call(weighted):
    from ionflux.io import read_trajectory

    traj = read_trajectory(amorphous_snapshot_files()["BaTiO3"])
    settings = CrystalNNSettings(weighted_cn=weighted)
    doc = bond_counts(traj, n_frames=1, workers=1, settings=settings)
    frame = doc.frames[0]
    structure = Structure(Lattice(traj.cells[frame]), list(traj.species),
                          traj.positions[frame], coords_are_cartesian=True, to_unit_cell=True)
    expected = direct_crystalnn_counts(structure, settings)
    assert expected.get("Ba-Ba", 0.0) > 0.1  # the amorphous cell has cation-cation bonds
    for key, pair in doc.pairs.items():
        assert pair.per_frame[0] == pytest.approx(expected.get(key, 0.0), abs=1e-9), key


def test_frame_sampling_and_bad_requests():
    assert sample_frames(10, 4) == [0, 3, 6, 9]
    assert sample_frames(5, 1) == [0]
    assert sample_frames(5, 5) == [0, 1, 2, 3, 4]
    with pytest.raises(InputError, match="has 5"):
        sample_frames(5, 6)
    with pytest.raises(InputError, match="must be positive"):
        sample_frames(5, 0)


def test_empty_cell_is_a_one_line_error():
    empty = Trajectory(positions=np.zeros((2, 0, 3)), species=(), cells=np.eye(3) * 5.0,
                       unwrapped=False, source=TrajectorySource(reader="test", path="empty.xyz"))
    with pytest.raises(InputError, match=r"empty\.xyz: the cell holds no atoms"):
        bond_counts(empty, n_frames=1)


def test_ionic_radii_keep_crystal_counts_and_cut_cation_cation_bonds():
    from ionflux.io import read_trajectory

    ionic_settings = CrystalNNSettings(oxidation_states=True)
    supercell = cubic_perovskite_batio3().make_supercell([2, 1, 1], in_place=False)
    crystal = bond_counts(trajectory_of(supercell), n_frames=1, workers=1,
                          settings=ionic_settings)
    assert crystal.bonds_per_atom("Ti", "O").mean == pytest.approx(6.0, abs=1e-9)
    assert crystal.bonds_per_atom("Ba", "O").mean == pytest.approx(12.0, abs=1e-9)
    assert crystal.provenance.method["radii"] == "ionic"

    traj = read_trajectory(amorphous_snapshot_files()["Ba3TiO5"])
    covalent = bond_counts(traj, n_frames=1, workers=1)
    ionic = bond_counts(traj, n_frames=1, workers=1, settings=ionic_settings)
    # Ba2+ + Ba2+ ionic radii + 1 Å = 3.98 Å caps Ba-Ba; covalent radii allow up to 5.3 Å.
    assert covalent.pairs["Ba-Ba"].mean > 0.3
    assert ionic.pairs["Ba-Ba"].mean < 0.9 * covalent.pairs["Ba-Ba"].mean
