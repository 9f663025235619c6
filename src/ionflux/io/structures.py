"""Trajectories from Python objects (pymatgen, ASE) and from ASE ``.traj`` files."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.io.trajectory import Trajectory, TrajectorySource


def from_structures(objs: Any, *, frame_interval_fs: float | None = None,
                    temperature_K: float | None = None, unwrapped: bool = False) -> Trajectory:
    """A :class:`Trajectory` from a pymatgen ``Trajectory``, a list of pymatgen ``Structure`` or
    a list of ASE ``Atoms`` (one per frame, same atoms in the same order).

    Args:
        objs: the frames.
        frame_interval_fs: time between frames (fs). A pymatgen ``Trajectory`` carries it as
            ``time_step`` (taken as the time between its frames); a value given here must agree.
        temperature_K: run temperature (K).
        unwrapped: the positions are continuous in time. Leave False unless you know: wrapped
            is the safe assumption (unwrapping continuous data with small steps changes nothing).

    Raises:
        InputError: for mixed or empty input, changing species, disordered sites, non-periodic
            ASE cells, or a frame interval that contradicts the pymatgen ``time_step``.
    """
    from pymatgen.core import Structure
    from pymatgen.core.trajectory import Trajectory as PmgTrajectory

    if isinstance(objs, PmgTrajectory):
        traj = _from_pymatgen_trajectory(objs)
        interval = _agree(traj.frame_interval_fs, frame_interval_fs, "frame interval", "fs",
                          traj.label)
    else:
        frames = list(objs) if isinstance(objs, Iterable) else None
        if not frames:
            raise InputError("from_structures: expected a pymatgen Trajectory or a non-empty list "
                             "of pymatgen Structures or ASE Atoms")
        if all(isinstance(f, Structure) for f in frames):
            traj = _from_pymatgen_structures(frames)
        elif all(_is_ase_atoms(f) for f in frames):
            traj = from_ase_atoms(frames, TrajectorySource(reader="ase-atoms"))
        else:
            kinds = sorted({type(f).__name__ for f in frames})
            raise InputError(f"from_structures: cannot mix or use {', '.join(kinds)}; expected "
                             "pymatgen Structures or ASE Atoms")
        interval = frame_interval_fs
    return Trajectory(positions=traj.positions, species=traj.species, cells=traj.cells,
                      unwrapped=unwrapped, frame_interval_fs=interval,
                      temperature_K=temperature_K, source=traj.source)


def _is_ase_atoms(obj: Any) -> bool:
    from ase import Atoms

    return isinstance(obj, Atoms)


def _agree(own: float | None, given: float | None, what: str, unit: str, where: str
           ) -> float | None:
    if own is not None and given is not None and abs(own - given) > 1e-6 * abs(own):
        raise InputError(f"{where}: {what} {given:g} {unit} contradicts the object's "
                         f"{own:g} {unit}")
    return own if own is not None else given


def _symbols(species: Sequence[Any], where: str) -> tuple[str, ...]:
    """Element symbols of pymatgen-style species (str, Z, Element, Species, single-element
    Composition); a disordered site is an error."""
    from pymatgen.core import Composition
    from pymatgen.core.periodic_table import get_el_sp

    out = []
    for i, sp in enumerate(species):
        if isinstance(sp, Composition | dict):
            comp = Composition(sp)
            if len(comp) != 1 or abs(sum(comp.values()) - 1) > 1e-8:
                raise InputError(f"{where}: site {i} is disordered ({comp.formula}); transport "
                                 "needs one element per site")
            sp = next(iter(comp))
        try:
            out.append(get_el_sp(sp).symbol)
        except ValueError as exc:
            raise InputError(f"{where}: site {i}: unknown species {sp!r}") from exc
    return tuple(out)


def _from_pymatgen_trajectory(traj: Any) -> Trajectory:
    where = "pymatgen Trajectory"
    if traj.lattice is None:
        raise InputError(f"{where}: molecule trajectories have no cell; transport needs a "
                         "periodic cell")
    coords = np.asarray(traj.coords, dtype=np.float64)
    if traj.coords_are_displacement:
        if traj.base_positions is None:
            raise InputError(f"{where}: holds displacements without base_positions")
        coords = np.asarray(traj.base_positions, dtype=np.float64) + np.cumsum(coords, axis=0)
    lattice = np.asarray(traj.lattice, dtype=np.float64)
    if lattice.shape == (3, 3):
        positions = coords @ lattice
    else:
        positions = np.einsum("fni,fij->fnj", coords, lattice)
    return Trajectory(positions=positions, species=_symbols(traj.species, where), cells=lattice,
                      unwrapped=False, frame_interval_fs=traj.time_step,
                      source=TrajectorySource(reader="pymatgen-trajectory"))


def _from_pymatgen_structures(structures: list[Any]) -> Trajectory:
    where = "pymatgen Structures"
    first = [site.species for site in structures[0]]
    species = _symbols(first, where)
    positions = np.empty((len(structures), len(species), 3))
    cells = np.empty((len(structures), 3, 3))
    for k, structure in enumerate(structures):
        if len(structure) != len(species):
            raise InputError(f"{where}: frame {k} has {len(structure)} sites, frame 0 has "
                             f"{len(species)}")
        if k and [site.species for site in structure] != first:
            raise InputError(f"{where}: frame {k}: species differ from frame 0's; sites must keep "
                             "their order")
        positions[k] = structure.cart_coords
        cells[k] = structure.lattice.matrix
    return Trajectory(positions=positions, species=species, cells=cells, unwrapped=False,
                      source=TrajectorySource(reader="pymatgen-structures"))


def from_ase_atoms(frames: Sequence[Any], source: TrajectorySource) -> Trajectory:
    """Trajectory from ASE ``Atoms`` frames (a list, or an open ASE trajectory reader);
    positions and cells in Å, taken as wrapped."""
    where = source.path or "ASE Atoms"
    n_frames = len(frames)
    positions = cells = numbers = symbols = None
    for k, atoms in enumerate(frames):
        if numbers is None:
            numbers = atoms.numbers.copy()
            symbols = tuple(atoms.get_chemical_symbols())
            positions = np.empty((n_frames, len(numbers), 3))
            cells = np.empty((n_frames, 3, 3))
        if len(atoms) != len(numbers):
            raise InputError(f"{where}: frame {k} has {len(atoms)} atoms, frame 0 has "
                             f"{len(numbers)}")
        if not np.array_equal(atoms.numbers, numbers):
            j = int(np.argmax(atoms.numbers != numbers))
            raise InputError(f"{where}: frame {k}: atom {j} is {atoms.get_chemical_symbols()[j]}"
                             f" but {symbols[j]} in frame 0; atoms must keep their order")
        if not atoms.pbc.all():
            raise InputError(f"{where}: frame {k}: pbc={atoms.pbc.tolist()}; transport needs a "
                             "cell periodic in all three directions")
        positions[k] = atoms.positions
        cells[k] = atoms.cell.array
    if numbers is None:
        raise InputError(f"{where}: no frames")
    return Trajectory(positions=positions, species=symbols, cells=cells, unwrapped=False,
                      source=source)


def read_ase_traj(path: str | Path, data: bytes | None, source: TrajectorySource) -> Trajectory:
    """Read an ASE ``.traj`` file (``data`` holds the bytes when the file was gzip-compressed).

    ASE trajectories carry neither the time between frames nor the run temperature.
    """
    from ase.io.trajectory import Trajectory as AseTrajectory

    handle = io.BytesIO(data) if data is not None else str(path)
    try:
        reader = AseTrajectory(handle, "r")
    except Exception as exc:  # ASE raises several types for a file that is not a .traj
        raise TrajectoryFormatError(f"{path}: cannot open as an ASE trajectory ({exc})") from exc
    with reader:
        n_frames = len(reader)
        if n_frames == 0:
            raise TrajectoryFormatError(f"{path}: empty ASE trajectory")
        try:
            return from_ase_atoms(reader, source)
        except InputError:
            raise
        except Exception as exc:
            raise TrajectoryFormatError(f"{path}: corrupt ASE trajectory ({exc})") from exc
