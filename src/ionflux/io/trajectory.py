"""The in-memory trajectory that every reader returns and every analysis consumes.

Positions are Cartesian, in Å, stored as one ``(n_frames, n_atoms, 3)`` float64 array; cells are
``(n_frames, 3, 3)`` with lattice vectors as rows (Å), one per frame even when the cell is fixed,
so that variable-cell runs need no special case downstream.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ionflux.errors import InputError, TrajectoryFormatError
from ionflux.formula import ELEMENTS, element
from ionflux.units import FRAME_INTERVAL_RANGE_FS, TEMPERATURE_RANGE_K, range_problem

#: Relative tolerance for "the flag and the file say the same number".
_METADATA_RTOL = 1e-6
#: Relative spread of time steps accepted as "uniformly spaced" (printing round-off).
_UNIFORM_DT_RTOL = 1e-4


@dataclass(frozen=True)
class FileState:
    """A file as it was when read (size, modification time, inode): its SHA-256 can be taken
    later, and only if the file is still the same."""

    path: str
    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, path: str | Path) -> FileState:
        st = os.stat(path)
        # absolute: the working directory may change before the digest is asked for
        return cls(os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino)

    def sha256(self) -> str:
        """SHA-256 of the file's bytes; TrajectoryFormatError if it changed since it was read
        (a digest of other bytes would be wrong provenance)."""
        try:
            same = FileState.of(self.path) == self
        except OSError:
            same = False
        if not same:
            raise TrajectoryFormatError(f"{self.path}: the file changed (or went) after it was "
                                        "read; read it again to record its SHA-256")
        return file_sha256(self.path)


class _Digest:
    """The ``sha256`` field of :class:`TrajectorySource`: a hex digest, None, or a
    :class:`FileState` that is hashed when the digest is first asked for (reading a trajectory
    does not pay for a hash nobody uses: 15 % of a LAMMPS dump read)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: object, owner: type | None = None) -> str | None:
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self.slot)
        if isinstance(value, FileState):
            value = value.sha256()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: object, value: str | FileState | None) -> None:
        obj.__dict__[self.slot] = value


@dataclass(frozen=True)
class TrajectorySource:
    """Where a trajectory came from: enough to reproduce and to detect a changed file.

    ``sha256`` may be given as a :class:`FileState`: the file is then hashed when the digest is
    first read, and only if it has not changed since."""

    reader: str
    path: str | None = None
    sha256: str | None = _Digest()  # type: ignore[assignment]  # a digest, read lazily

    @classmethod
    def from_file(cls, path: str | Path, reader: str) -> TrajectorySource:
        return cls(reader=reader, path=str(path), sha256=file_sha256(path))


def file_sha256(path: str | Path, chunk_bytes: int = 1 << 22) -> str:
    """SHA-256 of a file's bytes, read in chunks into one reused buffer, so large
    trajectories need no extra memory (nor a new allocation per chunk, which a thread's
    malloc arena would keep resident)."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk_bytes)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while n := handle.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def species_order(elements: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """Distinct elements ordered by Pauling electronegativity (cations first: Ba, Ti, O)."""
    return sorted(set(elements), key=lambda el: (element(el).X, el))


@dataclass(eq=False)
class Trajectory:
    """An MD trajectory: positions (Å), per-atom element symbols, per-frame cells (Å).

    ``unwrapped`` says whether positions are continuous in time (safe for displacements) or
    wrapped into the cell (call :meth:`unwrap` first). ``times_fs`` holds per-frame times when the
    file has them; ``frame_interval_fs`` and ``temperature_K`` are ``None`` when the source does
    not carry them (use :meth:`with_metadata` to supply or check them).
    """

    positions: np.ndarray
    species: tuple[str, ...]
    cells: np.ndarray
    unwrapped: bool
    frame_interval_fs: float | None = None
    temperature_K: float | None = None
    times_fs: np.ndarray | None = None
    source: TrajectorySource = field(default_factory=lambda: TrajectorySource(reader="python"))

    def __post_init__(self) -> None:
        where = self.source.path or self.source.reader
        self.positions = np.asarray(self.positions, dtype=np.float64)
        self.species = tuple(str(s) for s in self.species)
        if self.positions.ndim != 3 or self.positions.shape[2] != 3:
            raise InputError(f"{where}: positions must have shape (n_frames, n_atoms, 3), "
                             f"got {self.positions.shape}")
        n_frames, n_atoms, _ = self.positions.shape
        if n_frames < 2:
            raise InputError(f"{where}: a trajectory needs at least 2 frames, got {n_frames}")
        if len(self.species) != n_atoms:
            raise InputError(f"{where}: {len(self.species)} species labels for {n_atoms} atoms")
        for symbol in set(self.species):
            if symbol not in ELEMENTS:
                raise InputError(f"{where}: unknown element symbol {symbol!r}")
        cells = np.asarray(self.cells, dtype=np.float64)
        if cells.shape == (3, 3):
            cells = np.broadcast_to(cells, (n_frames, 3, 3)).copy()
        if cells.shape != (n_frames, 3, 3):
            raise InputError(f"{where}: cells must have shape (3, 3) or ({n_frames}, 3, 3), "
                             f"got {cells.shape}")
        self.cells = cells
        _check_finite(self.positions, "coordinates", where)
        _check_finite(self.cells, "cell", where)
        volumes = self.volumes_A3
        bad = np.flatnonzero(volumes <= 0.0)
        if bad.size:
            raise InputError(f"{where}: frame {bad[0]}: cell volume {volumes[bad[0]]:.6g} Å^3 is "
                             "not positive (degenerate or left-handed cell)")
        if self.times_fs is not None:
            self.times_fs = np.asarray(self.times_fs, dtype=np.float64)
            self.frame_interval_fs = _interval_from_times(
                self.times_fs, n_frames, self.frame_interval_fs, where)
        if self.frame_interval_fs is not None and not self.frame_interval_fs > 0:
            raise InputError(f"{where}: frame interval must be positive, "
                             f"got {self.frame_interval_fs} fs")
        if self.temperature_K is not None and not self.temperature_K > 0:
            raise InputError(f"{where}: temperature must be positive, got {self.temperature_K} K")

    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def n_atoms(self) -> int:
        return self.positions.shape[1]

    @property
    def volumes_A3(self) -> np.ndarray:
        """Cell volume of every frame (Å^3)."""
        if (self.cells == self.cells[0]).all():  # fixed cell: one determinant, same numbers
            return np.full(len(self.cells), np.linalg.det(self.cells[0]))
        return np.linalg.det(self.cells)

    @property
    def mean_volume_A3(self) -> float:
        return float(self.volumes_A3.mean())

    @property
    def is_variable_cell(self) -> bool:
        return not np.allclose(self.cells, self.cells[0], rtol=0.0, atol=1e-10)

    @property
    def elements(self) -> list[str]:
        """Distinct elements in electronegativity order (the species order of documents)."""
        return species_order(self.species)

    @property
    def element_counts(self) -> dict[str, int]:
        counts = Counter(self.species)
        return {el: counts[el] for el in self.elements}

    @property
    def label(self) -> str:
        return self.source.path or self.source.reader

    def unwrap(self, max_step_fraction: float | None = None) -> Trajectory:
        """Return a copy with continuous positions (no-op if already unwrapped).

        Raises :class:`~ionflux.errors.UnwrapError` naming the first frame whose step is too
        large to be unwrapped unambiguously (see :func:`ionflux.io.unwrap.unwrap_positions`).
        """
        if self.unwrapped:
            return self
        from ionflux.io.unwrap import unwrap_positions

        kwargs = {} if max_step_fraction is None else {"max_step_fraction": max_step_fraction}
        positions = unwrap_positions(self.positions, self.cells, label=self.label, **kwargs)
        return replace(self, positions=positions, unwrapped=True)

    def with_metadata(self, temperature_K: float | None = None,
                      frame_interval_fs: float | None = None) -> Trajectory:
        """Fill in temperature (K) and frame interval (fs) from flags, checking the file.

        A value the file carries wins; a flag that contradicts it is an error; a value that
        neither provides is an error, because transport coefficients depend on both.
        """
        temperature = _resolve(self.temperature_K, temperature_K, "temperature", "K",
                               "--temperature", self.label)
        interval = _resolve(self.frame_interval_fs, frame_interval_fs, "frame interval", "fs",
                            "--frame-interval-fs", self.label)
        for value, what, unit, bounds in (
                (temperature, "temperature", "K", TEMPERATURE_RANGE_K),
                (interval, "frame interval", "fs", FRAME_INTERVAL_RANGE_FS)):
            problem = range_problem(value, what, unit, bounds)
            if problem:
                raise InputError(f"{self.label}: {problem}")
        return replace(self, temperature_K=float(temperature), frame_interval_fs=float(interval))

    def subset_frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Trajectory:
        """Frames ``start:stop:step`` as a new trajectory (frame interval scaled by ``step``)."""
        sl = slice(start, stop, step)
        interval = None if self.frame_interval_fs is None else self.frame_interval_fs * step
        times = None if self.times_fs is None else self.times_fs[sl]
        return replace(self, positions=self.positions[sl], cells=self.cells[sl],
                       times_fs=times, frame_interval_fs=interval)


def _check_finite(values: np.ndarray, what: str, where: str) -> None:
    # NaN and inf propagate through a sum: one pass and no boolean array the size of the
    # positions unless something is wrong (or the sum overflowed)
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):
            return
    finite = np.isfinite(values)
    if finite.all():
        return
    frame = int(np.argwhere(~finite)[0][0])
    raise InputError(f"{where}: frame {frame}: non-finite (NaN or inf) {what}")


def _interval_from_times(times: np.ndarray, n_frames: int, given: float | None,
                         where: str) -> float:
    if times.shape != (n_frames,):
        raise InputError(f"{where}: {times.shape[0] if times.ndim else 0} times for "
                         f"{n_frames} frames")
    _check_finite(times[:, None], "time", where)
    steps = np.diff(times)
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        raise InputError(f"{where}: frame {bad[0] + 1}: time {times[bad[0] + 1]:g} fs does not "
                         f"increase (previous {times[bad[0]]:g} fs)")
    dt = float(np.median(steps))
    uneven = np.flatnonzero(np.abs(steps - dt) > _UNIFORM_DT_RTOL * dt)
    if uneven.size:
        i = uneven[0] + 1
        raise InputError(f"{where}: frame {i}: time step {steps[i - 1]:g} fs differs from the "
                         f"typical {dt:g} fs; frames must be evenly spaced (missing frames?)")
    if given is not None and abs(given - dt) > _METADATA_RTOL * dt:
        raise InputError(f"{where}: frame interval {given:g} fs contradicts the file's times "
                         f"(spacing {dt:g} fs)")
    return dt


def _resolve(from_file: float | None, from_flag: float | None, what: str, unit: str,
             flag: str, where: str) -> float:
    if from_file is None and from_flag is None:
        raise InputError(f"{where}: the file does not give the {what}; pass {flag}")
    if from_flag is not None:
        bounds = TEMPERATURE_RANGE_K if unit == "K" else FRAME_INTERVAL_RANGE_FS
        problem = range_problem(float(from_flag), what, unit, bounds)
        if problem:
            raise InputError(f"{where}: {flag}: {problem}")
    if from_file is None:
        return float(from_flag)  # type: ignore[arg-type]
    if from_flag is not None and abs(from_flag - from_file) > _METADATA_RTOL * abs(from_file):
        raise InputError(f"{where}: {flag} {from_flag:g} {unit} contradicts the file's "
                         f"{what} {from_file:g} {unit}")
    return float(from_file)
