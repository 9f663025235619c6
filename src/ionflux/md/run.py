"""What an MD run produces, whichever engine made it, and how it is written to disk.

A run is a list of stored frames (positions continuous in time, Å), their times (fs), the
thermostat set point (K), the kinetic temperature and potential energy of every frame, and,
for ACE runs with an active set, the largest extrapolation grade gamma of every frame. A run
that stopped early (NaN energy, atoms too close, gamma above the stop threshold, an engine
error) keeps the frames made so far and is flagged ``partial`` with the reason; it is written
as ``NAME.partial.extxyz`` and gets no ingest sidecar, so ``ionflux ingest`` never takes it as
a good trajectory (it records it as a failure instead).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.io.trajectory import Trajectory, TrajectorySource
from ionflux.io.writers import iter_extxyz_frames
from ionflux.versions import package_versions as installed_versions

#: Closest approach (Å) below which a frame counts as "atoms overlapping" (a blown-up run).
MIN_DISTANCE_A = 0.7


@dataclass
class MDRun:
    """Stored frames and per-frame observables of one MD run (any engine)."""

    symbols: list[str]
    cell: np.ndarray
    positions: list[np.ndarray]
    times_fs: list[float]
    temperature_K: float
    kinetic_temperatures_K: list[float]
    potential_energies_eV: list[float]
    gamma_max: list[float] | None = None
    partial: bool = False
    stop_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.positions)

    @property
    def seed(self) -> int | None:
        """The random seed the runner recorded (``metadata['settings']['seed']``), or None."""
        return self.metadata.get("settings", {}).get("seed")

    def frames(self, part: slice) -> MDRun:
        """The same run with only the frames of ``part`` (every per-frame list cut alike)."""
        return replace(self, positions=self.positions[part], times_fs=self.times_fs[part],
                       kinetic_temperatures_K=self.kinetic_temperatures_K[part],
                       potential_energies_eV=self.potential_energies_eV[part],
                       gamma_max=None if self.gamma_max is None else self.gamma_max[part])

    def up_to(self, end_fs: float) -> MDRun:
        """The frames at times up to ``end_fs`` (fs, inclusive)."""
        n = int(np.searchsorted(np.asarray(self.times_fs), end_fs + 1e-6, side="right"))
        return self.frames(slice(0, n))

    def from_time(self, start_fs: float) -> MDRun:
        """The frames at times from ``start_fs`` (fs, inclusive) on."""
        n = int(np.searchsorted(np.asarray(self.times_fs), start_fs - 1e-6, side="left"))
        return self.frames(slice(n, None))

    def to_trajectory(self) -> Trajectory:
        """The stored frames as an unwrapped ionflux trajectory (needs >= 2 frames)."""
        return Trajectory(positions=np.array(self.positions), species=tuple(self.symbols),
                          cells=self.cell, unwrapped=True, temperature_K=self.temperature_K,
                          times_fs=np.array(self.times_fs),
                          source=TrajectorySource(reader=str(self.metadata.get("md_engine"))))

    def gamma_statistics(self, warn: float, stop: float) -> dict[str, Any] | None:
        """Max, mean and 95th percentile of per-frame max gamma, and frames above thresholds."""
        if self.gamma_max is None:
            return None
        return gamma_statistics(self.gamma_max, warn, stop)


def gamma_statistics(gamma_max: list[float] | np.ndarray, warn: float,
                     stop: float) -> dict[str, Any]:
    """Summary of per-frame maximum extrapolation grades (dimensionless)."""
    g = np.asarray(gamma_max, dtype=float)
    if g.size == 0:
        return {"n_frames": 0, "warn_threshold": warn, "stop_threshold": stop}
    return {"n_frames": int(g.size), "max": float(g.max()), "mean": float(g.mean()),
            "p95": float(np.percentile(g, 95)), "n_above_warn": int((g > warn).sum()),
            "n_above_stop": int((g > stop).sum()), "warn_threshold": float(warn),
            "stop_threshold": float(stop)}


def min_distance_A(positions: np.ndarray, cell: np.ndarray) -> float:
    """Smallest minimum-image distance (Å) between two atoms (O(N^2); cells of a few hundred)."""
    inv = np.linalg.inv(cell)
    frac = positions @ inv
    d = frac[:, None, :] - frac[None, :, :]
    d -= np.rint(d)
    r2 = np.einsum("ijk,ijk->ij", d @ cell, d @ cell)
    np.fill_diagonal(r2, np.inf)
    return float(np.sqrt(r2.min()))


def record_frame(run: MDRun, atoms: Any, step: int, timestep_fs: float) -> str | None:
    """Append the current frame of ``atoms`` (ASE, with a calculator) to ``run``; the reason,
    and nothing appended, if the run has blown up (non-finite energy, atoms overlapping)."""
    energy = float(atoms.get_potential_energy())
    where = f"step {step} ({step * timestep_fs:g} fs)"
    if not np.isfinite(energy):
        return f"{where}: potential energy is {energy}"
    d = min_distance_A(atoms.positions, atoms.cell.array)
    if d < MIN_DISTANCE_A:
        return f"{where}: two atoms {d:.2f} Å apart (atoms overlapping; the run blew up)"
    run.positions.append(atoms.positions.copy())
    run.times_fs.append(step * timestep_fs)
    run.kinetic_temperatures_K.append(float(atoms.get_temperature()))
    run.potential_energies_eV.append(energy)
    return None


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def package_versions(*names: str) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` when absent) and Python's."""
    return {"python": platform.python_version(), **installed_versions(*names)}


def output_paths(out: str | Path, partial: bool) -> tuple[Path, Path]:
    """Trajectory and sidecar paths; a partial run gets ``.partial`` before the suffix and a
    report (``.md-report.json``) instead of an ingest sidecar."""
    out = Path(out)
    name = out.name
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, "extxyz"
    if partial:
        traj = out.with_name(f"{stem}.partial.{suffix}" + (".gz" if gz else ""))
        return traj, traj.with_name(traj.name + ".md-report.json")
    return out, out.with_name(out.name + ".yaml")


def write_frames(fh: Any, run: MDRun, float_format: str = "13.6f") -> None:
    """Write every frame of ``run`` to the text stream ``fh`` as extended XYZ, with ``time``,
    ``T_kin``, ``E_pot`` (and ``gamma_max``) in each frame's comment line."""
    for k in range(run.n_frames):
        frame = Trajectory(positions=np.array([run.positions[k], run.positions[k]]),
                           species=tuple(run.symbols), cells=run.cell, unwrapped=True,
                           temperature_K=run.temperature_K)
        info: dict[str, Any] = {"time": f"{run.times_fs[k]:.6f}",
                                "T_kin": f"{run.kinetic_temperatures_K[k]:.2f}",
                                "E_pot": f"{run.potential_energies_eV[k]:.8f}"}
        if run.gamma_max is not None:
            info["gamma_max"] = f"{run.gamma_max[k]:.6g}"
        fh.write(next(iter_extxyz_frames(frame, info=info, float_format=float_format)))


def write_run(out: str | Path, run: MDRun, sidecar: dict[str, Any],
              float_format: str = "13.6f") -> tuple[Path, Path]:
    """Write the frames as extended XYZ (``time``, ``temperature`` set point, ``T_kin``,
    ``E_pot`` and ``gamma_max`` per frame) and the ingest sidecar (or, for a partial run, a
    report that ingest does not read). Returns (trajectory path, sidecar/report path).

    Positions to 1e-6 Å by default: far below thermal motion, and the files compress ~2x
    better than at 1e-10 Å."""
    import gzip

    import yaml

    traj_path, side_path = output_paths(out, run.partial)
    traj_path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if traj_path.name.endswith(".gz") else open
    with opener(traj_path, "wt") as fh:
        write_frames(fh, run, float_format)
    report = {**sidecar, "partial": run.partial, "stop_reason": run.stop_reason,
              "warnings": run.warnings, "n_frames": run.n_frames}
    if run.partial:
        side_path.write_text(json.dumps(report, indent=1, default=str))
    else:
        side_path.write_text(yaml.safe_dump(sidecar, sort_keys=False, allow_unicode=True))
    return traj_path, side_path
