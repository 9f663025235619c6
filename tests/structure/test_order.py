"""Coordination numbers and Steinhardt q_l (ionflux.structure.order) against ideal lattices'
known values and an independent spherical-harmonics evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from scipy.special import sph_harm_y

from ionflux.errors import InputError
from ionflux.structure.order import coordination_numbers, solid_like_fraction, steinhardt_q

A = 4.0  # Å


def _lattice(basis: list[tuple[float, float, float]], n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    cells = np.array([(i, j, k) for i in range(n) for j in range(n) for k in range(n)], float)
    pos = (cells[:, None, :] + np.array(basis)[None]).reshape(-1, 3) * A
    return pos, np.eye(3) * A * n


# first-shell cutoffs between the first and second neighbour distances
LATTICES = {
    "sc": ([(0, 0, 0)], 1.2 * A, {4: 0.76376, 6: 0.35355}),
    "bcc": ([(0, 0, 0), (0.5, 0.5, 0.5)], 0.95 * A, {4: 0.50918, 6: 0.62854}),
    "fcc": ([(0, 0, 0), (0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5)], 0.85 * A,
            {4: 0.19094, 6: 0.57452}),
}


@pytest.mark.parametrize("name", list(LATTICES))
def test_ideal_lattices_give_steinhardts_values(name):
    basis, cutoff, expected = LATTICES[name]
    pos, cell = _lattice(basis)
    atoms = np.arange(len(pos))
    for degree, q in expected.items():
        values = steinhardt_q(pos, cell, atoms, cutoff, degree=degree)
        assert values == pytest.approx(np.full(len(pos), q), abs=2e-5), (name, degree)
    # rotating crystal and cell together changes nothing
    rot = Rotation.from_euler("zyx", [0.3, 1.1, -0.7]).as_matrix()
    rotated = steinhardt_q(pos @ rot.T, cell @ rot.T, atoms, cutoff, degree=6)
    assert rotated == pytest.approx(np.full(len(pos), expected[6]), abs=2e-5)


def _q_by_harmonics(bonds: np.ndarray, degree: int) -> float:
    """The definition itself: sum over m of |mean Y_lm|^2."""
    r = np.linalg.norm(bonds, axis=1)
    theta = np.arccos(np.clip(bonds[:, 2] / r, -1, 1))
    phi = np.arctan2(bonds[:, 1], bonds[:, 0])
    qlm = [sph_harm_y(degree, m, theta, phi).mean() for m in range(-degree, degree + 1)]
    return float(np.sqrt(4 * np.pi / (2 * degree + 1) * np.sum(np.abs(qlm) ** 2)))


def test_disordered_cell_agrees_with_the_spherical_harmonics_definition():
    rng = np.random.default_rng(2)
    cell = np.array([[12.0, 0.0, 0.0], [2.0, 11.0, 0.0], [1.0, -1.5, 13.0]])  # triclinic
    pos = rng.uniform(0, 1, size=(60, 3)) @ cell
    atoms = np.arange(0, 60, 3)
    cutoff = 4.5
    ours = steinhardt_q(pos, cell, atoms, cutoff, degree=6, neighbours=np.arange(60))
    for a, q in zip(atoms, ours, strict=True):
        bonds = []
        for b in range(60):  # explicit search over periodic images
            if b == a:
                continue
            for shift in np.array(np.meshgrid(*[[-1, 0, 1]] * 3)).T.reshape(-1, 3):
                d = pos[b] - pos[a] + shift @ cell
                if np.linalg.norm(d) < cutoff:
                    bonds.append(d)
        if bonds:
            assert q == pytest.approx(_q_by_harmonics(np.array(bonds), 6), rel=1e-9)
        else:
            assert np.isnan(q)


def test_perovskite_coordination_and_bad_cutoffs():
    # cubic BaTiO3, 2x2x2 supercell: Ti octahedral (6 O at a/2), Ba 12 O at a/sqrt(2)
    frac = {"Ba": [(0, 0, 0)], "Ti": [(0.5, 0.5, 0.5)],
            "O": [(0.5, 0.5, 0), (0.5, 0, 0.5), (0, 0.5, 0.5)]}
    species, pos = [], []
    for i in range(2):
        for j in range(2):
            for k in range(2):
                for el, sites in frac.items():
                    for s in sites:
                        species.append(el)
                        pos.append((np.array(s) + np.array((i, j, k))) * A)
    species, pos, cell = np.array(species), np.array(pos), np.eye(3) * 2 * A
    ti, o, ba = (np.flatnonzero(species == el) for el in ("Ti", "O", "Ba"))
    assert (coordination_numbers(pos, cell, ti, o, 2.5) == 6).all()
    assert (coordination_numbers(pos, cell, ba, o, 3.0) == 12).all()
    with pytest.raises(InputError, match="half the cell"):
        coordination_numbers(pos, cell, ti, o, 4.5)
    with pytest.raises(InputError, match="positive"):
        steinhardt_q(pos, cell, ti, 0.0)


def _connections_by_harmonics(pos: np.ndarray, cell: np.ndarray, cutoff: float) -> np.ndarray:
    """ten Wolde-Frenkel connections from explicit q_6m vectors (an orthorhombic cell)."""
    delta = pos[None, :, :] - pos[:, None, :]
    delta -= np.diag(cell) * np.round(delta / np.diag(cell))
    dist = np.linalg.norm(delta, axis=-1)
    within = (dist > 0) & (dist < cutoff)
    vectors = []
    for i in range(len(pos)):
        bonds = delta[i][within[i]]
        r = np.linalg.norm(bonds, axis=1)
        theta, phi = np.arccos(bonds[:, 2] / r), np.arctan2(bonds[:, 1], bonds[:, 0])
        q = np.array([sph_harm_y(6, m, theta, phi).mean() for m in range(-6, 7)])
        vectors.append(q / np.linalg.norm(q))
    dots = np.real(np.array(vectors) @ np.array(vectors).conj().T)
    return ((dots > 0.5) & within).sum(axis=1)


def test_solid_like_fraction_separates_crystal_from_liquid_as_the_definition_does():
    """fcc with thermal noise is solid-like, a gas is not, and a crystal shaken until only part
    of it stays solid-like gives the fraction of the explicit q_6m definition exactly."""
    pos, cell = _lattice(LATTICES["fcc"][0])
    rng = np.random.default_rng(3)
    atoms = np.arange(len(pos))
    assert solid_like_fraction(pos + rng.normal(0, 0.1, pos.shape), cell, atoms, 0.85 * A) == 1
    gas = rng.uniform(0, 3 * A, pos.shape)
    assert solid_like_fraction(gas, cell, atoms, 0.85 * A) < 0.05
    shaken = pos + rng.normal(0, 0.35, pos.shape)
    ours = solid_like_fraction(shaken, cell, atoms, 0.85 * A)
    theirs = np.mean(_connections_by_harmonics(shaken, cell, 0.85 * A) >= 7)
    assert ours == pytest.approx(theirs) and 0.1 < ours < 0.9


def test_a_hot_perovskite_cation_sublattice_reads_solid_at_the_flags_cutoff():
    """The cation-order flag's setting (Ba+Ti, 4.6 Å: 6 like + 8 unlike neighbours) on cubic
    BaTiO3 (a = 4.0 Å) shaken by 0.25 Å per axis (0.43 Å rms: Lindemann's 0.1-0.15 of the
    3.46-Å Ba-Ti distance at melting is 0.35-0.52 Å): still all solid-like, so a melt that
    reads 0.58 is over half crystal, not a hot crystal read low. At random the cell reads ~0."""
    grid = np.array([(i, j, k) for i in range(3) for j in range(3) for k in range(3)], float)
    pos = np.vstack([grid, grid + 0.5]) * 4.0
    cell = np.eye(3) * 12.0
    rng = np.random.default_rng(5)
    cations = np.arange(len(pos))
    hot = [solid_like_fraction(pos + rng.normal(0, 0.25, pos.shape), cell, cations, 4.6)
           for _ in range(5)]
    assert min(hot) >= 0.97
    assert solid_like_fraction(rng.uniform(0, 12.0, pos.shape), cell, cations, 4.6) < 0.05


def test_pair_distribution_of_an_uncorrelated_cell_is_one():
    """Uniform random points (an ideal gas, g = 1 exactly in expectation): every bin within
    its Poisson noise of 1, for a set around itself and for two different sets."""
    from ionflux.structure.order import pair_distribution

    rng = np.random.default_rng(7)
    cell = np.diag([12.0, 13.0, 14.0])
    frames = [rng.uniform(0, 1, (120, 3)) @ cell for _ in range(200)]
    a, b = np.arange(60), np.arange(60, 120)
    for centres, neighbours in ((a, a), (a, b), (np.arange(120), np.arange(120))):
        r, g = pair_distribution(frames, cell, centres, neighbours, r_max=5.9, bin_width=0.5)
        pairs = len(centres) * len(neighbours) - np.isin(centres, neighbours).sum()
        expected = 200 * pairs / np.linalg.det(cell) * 4 / 3 * np.pi * (
            (r + 0.25) ** 3 - (r - 0.25) ** 3)
        sigma = 1 / np.sqrt(expected)
        assert np.all(np.abs(g[r > 1.0] - 1) < 5 * sigma[r > 1.0])


def test_pair_distribution_counts_a_lattices_shells():
    """Simple cubic, spacing A: nothing below A, and integrating 4 pi rho r^2 g over each
    shell (rho: the other atoms per volume) gives the lattice's coordination: 6 at A, 12 at
    sqrt(2) A, 8 at sqrt(3) A."""
    from ionflux.structure.order import pair_distribution

    pos, cell = _lattice([(0, 0, 0)], n=4)
    atoms = np.arange(len(pos))
    r, g = pair_distribution([pos], cell, atoms, atoms, r_max=2 * A - 0.01, bin_width=0.05)
    rho = (len(pos) - 1) / np.linalg.det(cell)
    shell_counts = 4 / 3 * np.pi * ((r + 0.025) ** 3 - (r - 0.025) ** 3) * rho * g
    assert g[r < A - 0.05].sum() == 0
    for distance, number in ((A, 6), (np.sqrt(2) * A, 12), (np.sqrt(3) * A, 8)):
        near = np.abs(r - distance) < 0.1
        assert shell_counts[near].sum() == pytest.approx(number)
    with pytest.raises(InputError, match="half the cell"):
        pair_distribution([pos], cell, atoms, atoms, r_max=2 * A + 0.5)
