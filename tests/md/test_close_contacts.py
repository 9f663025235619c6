"""Close-contact frames: shortest training distances, placed contacts, force along a bond."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from ionflux.errors import InputError
from ionflux.md.close_contacts import (
    closest_contact,
    contact_frames,
    pair_force_A,
    pair_key,
    parse_contacts,
    place_contacts,
    shortest_pair_distances,
)


def _cell() -> Atoms:
    # Ti-Ti 3.0 Å apart along x; one O 2.0 Å from the first Ti, across the periodic boundary
    # (x = 9.4 is 2.0 Å from x = 1.4 in a 10 Å box), one O far from everything
    return Atoms("Ti2O2", positions=[[1.4, 5, 5], [4.4, 5, 5], [9.4, 5, 5], [5, 5, 1.0]],
                 cell=[10, 10, 10], pbc=True)


def test_shortest_distances_use_the_minimum_image_and_ordered_pair_keys():
    shortest = shortest_pair_distances([_cell()])
    assert shortest[("Ti", "Ti")] == pytest.approx(3.0)
    assert shortest[("O", "Ti")] == pytest.approx(2.0)
    # O-O: (9.4, 5, 5) to (5, 5, 1): sqrt(4.4^2 + 4^2)
    assert shortest[("O", "O")] == pytest.approx(np.hypot(4.4, 4.0))
    assert pair_key("Ti", "O") == ("O", "Ti")


def test_a_contact_moves_only_its_pair_symmetrically_to_the_target():
    atoms = _cell()
    shortest = {("Ti", "Ti"): 3.0, ("O", "Ti"): 1.5, ("O", "O"): 2.0}
    placed = place_contacts(atoms, [("Ti", "Ti", 2.4)], shortest)
    assert placed.get_distance(0, 1, mic=True) == pytest.approx(2.4)
    # the pair's midpoint stays; the other ions do not move
    assert placed.positions[:2].mean(axis=0) == pytest.approx(atoms.positions[:2].mean(axis=0))
    assert placed.positions[2:] == pytest.approx(atoms.positions[2:])
    assert parse_contacts(placed) == [("Ti-Ti", 0, 1, pytest.approx(2.4))]
    # the input frame is untouched
    assert atoms.get_distance(0, 1) == pytest.approx(3.0)


def test_a_move_that_would_make_a_second_contact_is_refused_or_skipped():
    atoms = _cell()
    # moving Ti0 towards Ti1 by 0.3 Å takes it 2.3 Å from the O across the boundary: below a
    # floor of 0.95 x 2.5 Å
    shortest = {("Ti", "Ti"): 3.0, ("O", "Ti"): 2.5, ("O", "O"): 2.0}
    with pytest.raises(InputError, match="second new contact"):
        place_contacts(atoms, [("Ti", "Ti", 2.4)], shortest)
    skipped = place_contacts(atoms, [("Ti", "Ti", 2.4)], shortest, strict=False)
    assert skipped.positions == pytest.approx(atoms.positions)
    assert skipped.info["skipped_contacts"] == "Ti-Ti:2.4000"
    assert parse_contacts(skipped) == []


def test_contact_distances_are_drawn_inside_the_training_minimum():
    rng = np.random.default_rng(3)
    base = Atoms("Ti4", positions=[[1, 1, 1], [4, 1, 1], [1, 4.5, 1], [4.5, 4.5, 5]],
                 cell=[9, 9, 9], pbc=True)
    shortest = shortest_pair_distances([base])
    frames = contact_frames([base], shortest, 20, rng, low=0.8)
    distances = [d for f in frames for _, _, _, d in parse_contacts(f)]
    assert len(distances) == 20
    assert min(distances) >= 0.8 * shortest[("Ti", "Ti")]
    assert max(distances) <= shortest[("Ti", "Ti")]
    for frame in frames:
        (_, i, j, d), = parse_contacts(frame)
        assert frame.get_distance(i, j, mic=True) == pytest.approx(d, abs=1e-4)
    with pytest.raises(InputError):
        contact_frames([base], shortest, 1, rng, low=1.5)


def test_force_along_a_bond_is_positive_when_it_pushes_the_pair_apart():
    atoms = Atoms("O2", positions=[[5, 5, 5], [6.5, 5, 5]], cell=[10, 10, 10], pbc=True)
    apart = np.array([[-2.0, 0.3, 0], [2.0, 0, 0.1]])
    assert pair_force_A(apart, atoms, 0, 1) == pytest.approx(2.0)
    assert pair_force_A(-apart, atoms, 0, 1) == pytest.approx(-2.0)
    # across the periodic boundary the bond vector is the minimum image one
    wrapped = Atoms("O2", positions=[[0.5, 5, 5], [9.0, 5, 5]], cell=[10, 10, 10], pbc=True)
    assert pair_force_A(np.array([[1.0, 0, 0], [-1.0, 0, 0]]), wrapped, 0, 1) \
        == pytest.approx(1.0)


def test_the_closest_contact_is_judged_relative_to_its_own_pair():
    atoms = _cell()
    # Ti-O at 2.0 Å is 1.33x its 1.5 Å minimum; Ti-Ti at 3.0 Å is 1.25x its 2.4 Å minimum
    shortest = {("Ti", "Ti"): 2.4, ("O", "Ti"): 1.5}
    pair, i, j, distance, ratio = closest_contact(atoms, shortest)
    assert (pair, i, j) == ("Ti-Ti", 0, 1)
    assert distance == pytest.approx(3.0) and ratio == pytest.approx(1.25)
    shortest[("O", "Ti")] = 1.7
    assert closest_contact(atoms, shortest)[:3] == ("O-Ti", 0, 2)


def test_unpack_and_contacts_steps_label_one_contact_frame_per_composition(
        tmp_path, monkeypatch, capsys):
    """scripts/distil_potential.py: the shipped training data unpacked to a label store, then
    close contacts labelled by a stand-in teacher (the Pedone model, so the forces along each
    contact printed for teacher and reference agree)."""
    import importlib.util
    from pathlib import Path

    import ionflux.md.mlip
    from ionflux.md.calculator import PedoneCalculator
    from ionflux.md.distil import LabelStore
    from ionflux.md.distil_fit import condition_of

    spec = importlib.util.spec_from_file_location(
        "distil_potential", Path(__file__).parents[2] / "scripts" / "distil_potential.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["unpack", "--out", str(tmp_path)])
    # the bundled fit's frames: 176 melt conditions, 11 of contacts, 3 of the teacher's melts
    assert "508 frames of 190 conditions" in capsys.readouterr().out
    monkeypatch.setattr(ionflux.md.mlip, "load_teacher", lambda name, threads=None: (
        PedoneCalculator(), {"teacher": "sevenn", "model": "7net-0", "label": "stand-in"}))
    # at a temperature of its own: the bundled frames already hold contacts at 2000 K
    script.main(["contacts", "--out", str(tmp_path), "--frames", "1", "--temperature", "2250"])
    out = capsys.readouterr().out
    made = [f for f in LabelStore(tmp_path / "labels").load()
            if condition_of(f)[3] == "close contacts 0.8-1" and condition_of(f)[1] == 2250.0]
    assert len(made) == 11
    assert sum(len(parse_contacts(f)) for f in made) >= 60  # 6 pairs x 11, a few skipped
    rows = [line for line in out.splitlines() if line.startswith(("  O-O ", "  Ti-Ti "))]
    assert len(rows) == 2
    for line in rows:  # median force along the contact: "+12.34" for both
        assert line.split("teacher")[1].split()[0] == line.split("reference")[1].split()[0]
        assert float(line.split("teacher")[1].split()[0]) > 0  # Pedone pushes contacts apart
