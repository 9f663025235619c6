"""Small synthetic trajectories on disk, with metadata sidecars, for the pipeline tests.

Trajectories come from the correlated-Brownian model of :mod:`ionflux.transport.synthetic`
(exactly known transport), sped up so that 300 frames of 20 atoms reach the diffusive regime,
and are written as extended XYZ by a small numpy writer (ase's writer is ~30x slower).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pymatgen.core import Composition

from ionflux.io.trajectory import Trajectory
from ionflux.io.writers import write_extxyz as io_write_extxyz
from ionflux.pipeline import Pipeline
from ionflux.transport.synthetic import SyntheticSystem

#: Fast analysis settings for tests: one frame of bond counts, five blocks, bundled thermo data
#: (not a fetched cache that may or may not be on the machine).
TEST_SETTINGS = {"bonds": {"n_frames": 1}, "transport": {"n_blocks": 5},
                 "kd": {"thermo": "bundled"}}

#: Self-diffusion (Å^2/fs) fast enough for short test trajectories.
FAST_D = {"Ba": 5e-4, "Ti": 4e-4, "O": 1e-3, "Li": 1e-3}


def synthetic_trajectory(formula: str = "BaTiO3", *, formula_units: int = 4,
                         n_frames: int = 300, seed: int = 0,
                         temperature_K: float = 1500.0) -> Trajectory:
    """A wrapped trajectory of ``formula_units`` x ``formula`` (50 fs between frames)."""
    comp = Composition(formula).reduced_composition
    counts = {el.symbol: round(n * formula_units) for el, n in comp.items()}
    model = SyntheticSystem(counts=counts,
                            self_diffusion_A2_fs={el: FAST_D[el] for el in counts},
                            collective_modes=({el: 2e-3 * (-1) ** i
                                               for i, el in enumerate(counts)},),
                            temperature_K=temperature_K)
    return model.generate(n_frames, seed=seed)


def write_extxyz(path: Path, traj: Trajectory) -> Path:
    """Extended XYZ with a Lattice per frame (no times, no temperature: the sidecar gives them)."""
    bare = replace(traj, temperature_K=None, frame_interval_fs=None, times_fs=None)
    return io_write_extxyz(path, bare, float_format=".8f")


def write_run(folder: Path, name: str, *, formula: str = "BaTiO3",
              temperature_K: float = 1500.0, replicate: str | int = "r1", seed: int = 0,
              n_frames: int = 300, formula_units: int = 4, sidecar: str | None = "yaml",
              sidecar_formula: str | None = None, extra: dict[str, Any] | None = None) -> Path:
    """Write ``folder/name.extxyz`` and its sidecar (``yaml``, ``json``, ``stem`` or None)."""
    folder.mkdir(parents=True, exist_ok=True)
    traj = synthetic_trajectory(formula, formula_units=formula_units, n_frames=n_frames,
                                seed=seed, temperature_K=temperature_K)
    path = write_extxyz(folder / f"{name}.extxyz", traj)
    meta = {"formula": sidecar_formula or formula, "temperature_K": temperature_K,
            "frame_interval_fs": traj.frame_interval_fs, "replicate": replicate,
            "potential": "synthetic correlated Brownian", "potential_version": "1",
            "md_engine": "ionflux.transport.synthetic", **(extra or {})}
    if sidecar == "yaml":
        path.with_name(path.name + ".yaml").write_text(yaml.safe_dump(meta))
    elif sidecar == "json":
        path.with_name(path.name + ".json").write_text(json.dumps(meta))
    elif sidecar == "stem":
        path.with_name(f"{name}.yml").write_text(yaml.safe_dump(meta))
    return path


def clone_data_dir(src: Path, dst: Path, database_file: str = "ionflux.sqlite") -> Path:
    """Copy a local store consistently (SQLite backup API, WAL included)."""
    dst.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(src / database_file) as a, sqlite3.connect(dst / database_file) as b:
        a.backup(b)
    return dst


def all_documents(pipe: Pipeline, roles: tuple[str, ...] | None = None) -> dict[str, dict]:
    """Every document of every role (``_id`` dropped), keyed by role then store key; without
    ``roles``, the record of the settings the last build used (a time stamp) is left out."""
    pipe.stores.connect()
    out: dict[str, dict] = {}
    for role, store in pipe.stores.stores.items():
        if (role == "settings" and roles is None) or (roles is not None and role not in roles):
            continue
        docs = {}
        for doc in store.query():
            doc.pop("_id", None)
            docs[doc[store.key]] = doc
        out[role] = docs
    return out


def subprocess_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: ionflux importable, no inherited store choice."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IONFLUX_")}
    env.update(extra)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slow_counting_analysis(trajectories: list, **kwargs: Any) -> Any:
    """``analyze_trajectories`` that logs each call to $IONFLUX_TEST_CALL_LOG and takes 0.3 s
    longer (so that concurrent builders overlap)."""
    import time

    from ionflux.transport import analyze_trajectories

    with open(os.environ["IONFLUX_TEST_CALL_LOG"], "a") as log:
        log.write(f"{trajectories[0].source.path}\n")
    time.sleep(0.3)
    return analyze_trajectories(trajectories, **kwargs)
