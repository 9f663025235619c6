"""Close-contact frames: teacher labels where the distilled potential's training data stop.

Every candidate distilled potential left its domain the same way: two ions came closer than
any pair of their kind in the training frames (a Ti-Ti pair at 2.23 Å, an O-O pair at
1.57 Å against a training minimum of 1.81), where the fitted ACE correction, having no labels,
pulled the pair together although the teacher and the Pedone reference both push it apart
(docs/md-engines.md, rounds 4-6). Waiting for MD to find such contacts costs 50-180 ps per
event; this module makes them directly. In a labelled melt frame the closest pair of each
element pair is moved, symmetrically along its bond, to a chosen distance just inside the
training data's shortest one, and the teacher labels the result: the fit then sees the short
range of every pair instead of extrapolating into it.

Distances in Å. No I/O here; ``scripts/distil_potential.py contacts`` labels and stores them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations_with_replacement
from typing import Any

import numpy as np

from ionflux.errors import InputError

#: Contacts are placed at a fraction of the training data's shortest distance of their pair,
#: drawn uniformly from [CONTACT_LOW, 1]. A modelling choice, not fixed by the science: deep
#: enough to cover the contacts the candidate fits reached (Ti-Ti at 1.00x, O-O at 0.87x of
#: the training minimum), shallow enough that the teacher is still inside the bonding range
#: its DFT data cover. Recorded in every contact frame and in the condition's name.
CONTACT_LOW = 0.8

#: A move is refused when it brings one of the moved ions closer to any third ion than this
#: fraction of that pair's training minimum: one designed contact per move, nothing else new.
OTHER_PAIRS_FLOOR = 0.95


def pair_key(a: str, b: str) -> tuple[str, str]:
    """Element pair in alphabetical order (``("O", "Ti")``, never ``("Ti", "O")``)."""
    return (a, b) if a <= b else (b, a)


def _distances(atoms: Any) -> np.ndarray:
    return atoms.get_all_distances(mic=True)


def shortest_pair_distances(frames: Iterable[Any]) -> dict[tuple[str, str], float]:
    """Shortest distance (Å, minimum image) of each element pair over ``frames``."""
    shortest: dict[tuple[str, str], float] = {}
    for atoms in frames:
        symbols = np.array(atoms.get_chemical_symbols())
        dist = _distances(atoms)
        np.fill_diagonal(dist, np.inf)
        for a, b in combinations_with_replacement(sorted(set(symbols)), 2):
            block = dist[np.ix_(symbols == a, symbols == b)]
            if block.size and np.isfinite(block).any():
                key = pair_key(a, b)
                shortest[key] = min(shortest.get(key, np.inf), float(block.min()))
    if not shortest:
        raise InputError("close contacts: no frames with at least two atoms")
    return shortest


def place_contacts(atoms: Any, targets: Sequence[tuple[str, str, float]],
                   shortest: dict[tuple[str, str], float], strict: bool = True) -> Any:
    """A copy of ``atoms`` in which, for each ``(a, b, distance)`` of ``targets``, the closest
    a-b pair not yet moved is brought to ``distance`` (Å) by moving both ions symmetrically
    along their bond. A candidate pair is skipped when the move would bring a moved ion
    closer to a third ion than ``OTHER_PAIRS_FLOOR`` x that pair's ``shortest`` distance.
    The placed contacts are listed in ``info["contacts"]`` as ``"a-b:i:j:distance"``.

    An element pair with no movable candidate raises InputError, or with ``strict`` False is
    left out and listed in ``info["skipped_contacts"]``."""
    work = atoms.copy()
    symbols = np.array(work.get_chemical_symbols())
    moved: set[int] = set()
    placed, skipped = [], []
    for a, b, distance in targets:
        key = pair_key(a, b)
        if key not in shortest:
            raise InputError(f"close contacts: no training distance for the pair {a}-{b}")
        dist = _distances(work)
        np.fill_diagonal(dist, np.inf)
        candidates = [(dist[i, j], i, j) for i in np.flatnonzero(symbols == key[0])
                      for j in np.flatnonzero(symbols == key[1])
                      if i < j or symbols[i] != symbols[j]]
        for _, i, j in sorted(candidates):
            if i in moved or j in moved:
                continue
            trial = _moved_pair(work, int(i), int(j), distance)
            if _clear_of_others(trial, symbols, (int(i), int(j)), shortest):
                work = trial
                moved.update((int(i), int(j)))
                placed.append(f"{key[0]}-{key[1]}:{i}:{j}:{distance:.4f}")
                break
        else:
            if strict:
                raise InputError(f"close contacts: no {a}-{b} pair can be moved to "
                                 f"{distance:.2f} Å without a second new contact")
            skipped.append(f"{key[0]}-{key[1]}:{distance:.4f}")
    work.info["contacts"] = ",".join(placed)
    if skipped:
        work.info["skipped_contacts"] = ",".join(skipped)
    return work


def _moved_pair(atoms: Any, i: int, j: int, distance: float) -> Any:
    trial = atoms.copy()
    bond = trial.get_distance(i, j, mic=True, vector=True)
    length = float(np.linalg.norm(bond))
    shift = 0.5 * (distance - length) * bond / length
    positions = trial.get_positions()
    positions[i] -= shift
    positions[j] += shift
    trial.set_positions(positions)
    return trial


def _clear_of_others(atoms: Any, symbols: np.ndarray, pair: tuple[int, int],
                     shortest: dict[tuple[str, str], float]) -> bool:
    for k in pair:
        dist = atoms.get_distances(k, range(len(atoms)), mic=True)
        for m, d in enumerate(dist):
            if m in pair:
                continue
            floor = OTHER_PAIRS_FLOOR * shortest.get(pair_key(symbols[k], symbols[m]), 0.0)
            if d < floor:
                return False
    return True


def contact_frames(frames: Sequence[Any], shortest: dict[tuple[str, str], float],
                   n_frames: int, rng: np.random.Generator,
                   low: float = CONTACT_LOW) -> list[Any]:
    """``n_frames`` frames, each a random one of ``frames`` with one contact per element pair
    present in it, at a distance drawn uniformly from [low, 1] x the pair's ``shortest``; a
    pair that cannot be placed in a frame is left out of it (``info["skipped_contacts"]``)."""
    if not 0 < low <= 1:
        raise InputError(f"close contacts: low must be in (0, 1], got {low}")
    if not frames:
        raise InputError("close contacts: no frames to place contacts in")
    out = []
    for _ in range(n_frames):
        base = frames[int(rng.integers(len(frames)))]
        elements = sorted(set(base.get_chemical_symbols()))
        targets = [(a, b, float(rng.uniform(low, 1.0)) * shortest[pair_key(a, b)])
                   for a, b in combinations_with_replacement(elements, 2)]
        out.append(place_contacts(base, targets, shortest, strict=False))
    return out


def closest_contact(atoms: Any, shortest: dict[tuple[str, str], float]
                    ) -> tuple[str, int, int, float, float]:
    """The pair of ``atoms`` closest relative to its element pair's ``shortest`` training
    distance: (pair, i, j, distance Å, distance / shortest). Pairs without a training
    distance are ignored."""
    symbols = atoms.get_chemical_symbols()
    dist = _distances(atoms)
    best = ("", -1, -1, float("nan"), float("inf"))
    for i in range(len(atoms)):
        for j in range(i + 1, len(atoms)):
            key = pair_key(symbols[i], symbols[j])
            if key in shortest and dist[i, j] / shortest[key] < best[4]:
                best = (f"{key[0]}-{key[1]}", i, j, float(dist[i, j]),
                        float(dist[i, j] / shortest[key]))
    return best


def pair_force_A(forces_eV_A: np.ndarray, atoms: Any, i: int, j: int) -> float:
    """Force (eV/Å) along the bond of ions ``i`` and ``j``: half the difference of their forces
    projected on the unit vector from i to j, positive when it pushes them apart."""
    bond = atoms.get_distance(i, j, mic=True, vector=True)
    unit = bond / np.linalg.norm(bond)
    return float(0.5 * (forces_eV_A[j] - forces_eV_A[i]) @ unit)


def parse_contacts(atoms: Any) -> list[tuple[str, int, int, float]]:
    """The contacts :func:`place_contacts` recorded: (pair, i, j, distance Å)."""
    out = []
    for item in str(atoms.info.get("contacts", "")).split(","):
        if item:
            pair, i, j, distance = item.split(":")
            out.append((pair, int(i), int(j), float(distance)))
    return out
