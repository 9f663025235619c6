"""Universal machine-learned potentials (MLIPs) as MD teachers, and MD that resumes in chunks.

Two universal MLIPs trained on Materials Project DFT ship their weights inside their wheels and
load offline: SevenNet (``sevenn``, model 7net-0) and CHGNet (``chgnet``). Neither is a
dependency of ionflux (they need PyTorch; install the CPU build, ``pip install torch==2.13.0``,
then ``pip install sevenn chgnet``): a missing teacher is a clear error, not a traceback.

A direct MLIP run costs ~0.5 s per step at 100 atoms on two cores, so a 20 ps melt takes hours.
:func:`run_chunks` therefore runs Langevin MD in chunks: after each chunk the frames go to their
own extended-XYZ file and the dynamical state (unwrapped positions, momenta, step, the random
generator's state) to ``state.npz``, both written atomically, and ``manifest.json`` lists what
is done. Killed at any point, a rerun continues from the last finished chunk and gives the same
frames as an uninterrupted run (the generator state is restored exactly).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import InputError
from ionflux.md.run import MDRun, file_sha256, package_versions, record_frame
from ionflux.units import TEMPERATURE_RANGE_K, range_problem

MANIFEST = "manifest.json"
STATE = "state.npz"
MANIFEST_VERSION = 1

#: Teachers this module can load: import name, model, and the PyPI package that ships it.
TEACHERS: dict[str, dict[str, str]] = {
    "sevenn": {"package": "sevenn", "model": "7net-0",
               "label": "SevenNet-0 (7net-0), universal MLIP trained on MPtrj (PBE/PBE+U)"},
    "chgnet": {"package": "chgnet", "model": "0.3.0",
               "label": "CHGNet 0.3.0, universal MLIP trained on MPtrj (PBE/PBE+U)"},
}


@dataclass(frozen=True)
class ChunkSettings:
    """Langevin NVT in chunks (K, fs). ``equilibration_steps`` are run and stored but marked,
    so the assembled trajectory for transport analysis starts after them."""

    temperature_K: float = 1750.0
    timestep_fs: float = 2.0
    friction_per_fs: float = 0.01
    frame_every: int = 5
    chunk_steps: int = 250
    total_steps: int = 10_000
    equilibration_steps: int = 1_000
    seed: int = 1

    def __post_init__(self) -> None:
        if not (self.temperature_K > 0 and self.timestep_fs > 0 and self.friction_per_fs > 0):
            raise InputError("MLIP MD: temperature, time step and friction must be positive")
        # the range every sidecar and document accepts: a typo (99999 K) is refused here, not
        # after the first chunk leaves the potential's domain
        problem = range_problem(self.temperature_K, "MLIP MD: temperature", "K",
                                TEMPERATURE_RANGE_K)
        if problem:
            raise InputError(problem)
        if self.frame_every < 1 or self.chunk_steps % self.frame_every:
            raise InputError(f"MLIP MD: chunk_steps ({self.chunk_steps}) must be a multiple of "
                             f"frame_every ({self.frame_every})")
        if self.total_steps % self.chunk_steps or self.total_steps < self.chunk_steps:
            raise InputError(f"MLIP MD: total_steps ({self.total_steps}) must be a positive "
                             f"multiple of chunk_steps ({self.chunk_steps})")
        if not 0 <= self.equilibration_steps < self.total_steps:
            raise InputError("MLIP MD: need 0 <= equilibration_steps < total_steps")


def load_teacher(name: str, threads: int | None = None) -> tuple[Any, dict[str, Any]]:
    """An ASE calculator for teacher ``name`` and a record of what it is (label, versions)."""
    if name not in TEACHERS:
        raise InputError(f"unknown teacher {name!r}; choose from {', '.join(TEACHERS)}")
    spec = TEACHERS[name]
    try:
        import torch
    except ImportError as err:
        raise InputError(f"teacher {name!r} needs PyTorch: pip install torch==2.13.0 (the CPU "
                         f"build), then pip install {spec['package']}") from err
    if threads:
        torch.set_num_threads(threads)
    try:
        if name == "sevenn":
            from sevenn.calculator import SevenNetCalculator

            calc = SevenNetCalculator(spec["model"], device="cpu")
        else:
            from chgnet.model.dynamics import CHGNetCalculator

            calc = CHGNetCalculator(use_device="cpu")
    except ImportError as err:
        raise InputError(f"teacher {name!r} is not installed: pip install "
                         f"{spec['package']}") from err
    except Exception as err:  # weights missing or corrupt: the wheel should ship them
        raise InputError(f"teacher {name!r} could not load its shipped weights: "
                         f"{type(err).__name__}: {err}") from err
    return calc, {"teacher": name, "label": spec["label"], "model": spec["model"],
                  "versions": package_versions(spec["package"], "torch", "ase", "ionflux")}


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def _load_manifest(outdir: Path) -> dict[str, Any] | None:
    path = outdir / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _without_length(value: Any, key: str) -> Any:
    """A manifest entry without the run length: the same run continued longer is the same
    trajectory (same seed, state and thermostat), so ``total_steps`` is not part of its
    identity."""
    if key == "settings" and isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "total_steps"}
    return value


def _extend(manifest: dict[str, Any], total_steps: int) -> None:
    """Reopen a finished run for a longer ``total_steps`` (recorded in ``extensions``); a run
    below its total (one whose convergence verdict was taken back) runs on."""
    old_total = manifest["settings"]["total_steps"]
    last = manifest["chunks"][-1]["last_step"] if manifest["chunks"] else 0
    if total_steps < last:
        raise InputError(f"total_steps {total_steps} is below the {last} steps already run")
    if total_steps != old_total:
        manifest.setdefault("extensions", []).append({"from_total_steps": old_total,
                                                      "to_total_steps": total_steps})
        manifest["settings"]["total_steps"] = total_steps
    manifest["status"] = "running" if last < total_steps else "finished"


def _chunk_name(index: int) -> str:
    return f"chunk_{index:05d}.extxyz"


def run_chunks(atoms: Any, calculator: Any, settings: ChunkSettings, outdir: str | Path,
               teacher: dict[str, Any], *, max_chunks: int | None = None,
               progress: Callable[[int, int], None] | None = None,
               frame_check: Callable[[Any], str | None] | None = None) -> dict[str, Any]:
    """Run (or continue) Langevin MD of ``atoms`` in ``outdir``; returns the manifest.

    A directory that already holds a manifest must have been started with the same settings,
    atoms and teacher (otherwise an InputError says what differs); its last finished chunk is
    the starting point. ``max_chunks`` stops after that many new chunks (None: run to the end).
    A chunk whose frames blow up (NaN energy, atoms closer than 0.7 Å) or fail ``frame_check``
    (called on the atoms after each stored frame; it returns a reason to stop, e.g. an
    extrapolation grade above its limit, or None) stops the run with the reason in the
    manifest; finished chunks are kept, and so are the good frames of the stopped one.
    """
    from ase import units
    from ase.constraints import FixCom
    from ase.md.langevin import Langevin

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    symbols = list(atoms.get_chemical_symbols())
    identity = {"settings": asdict(settings), "symbols": symbols,
                "cell": np.asarray(atoms.cell.array).round(8).tolist(),
                "teacher": teacher.get("teacher"), "model": teacher.get("model")}
    manifest = _load_manifest(outdir)
    if manifest is None:
        manifest = {"version": MANIFEST_VERSION, **identity, "teacher_record": teacher,
                    "chunks": [], "status": "running", "stop_reason": None, "wall_s": 0.0}
    else:
        differs = [k for k, v in identity.items()
                   if _without_length(manifest.get(k), k) != _without_length(v, k)]
        if differs:
            raise InputError(f"{outdir}: holds a run with different {', '.join(differs)}; "
                             "use a new directory")
        if manifest["status"] == "stopped":
            raise InputError(f"{outdir}: the run stopped: {manifest['stop_reason']}")
        if manifest.get("converged"):
            return manifest  # the convergence rule ended it; more steps would change nothing
        _extend(manifest, settings.total_steps)

    work = atoms.copy()
    work.calc = calculator
    rng = np.random.default_rng(settings.seed)
    state_path = outdir / STATE
    if manifest["chunks"]:
        with np.load(state_path, allow_pickle=False) as state:
            work.set_positions(state["positions"])
            work.set_momenta(state["momenta"])
            rng.bit_generator.state = json.loads(str(state["rng_state"]))
            step0 = int(state["step"])
        if step0 != manifest["chunks"][-1]["last_step"]:
            raise InputError(f"{state_path}: state is at step {step0} but the manifest's last "
                             f"chunk ends at {manifest['chunks'][-1]['last_step']}")
    else:
        _thermalize(work, settings.temperature_K, rng)
        step0 = 0
    work.set_constraint(FixCom())
    dyn = Langevin(work, timestep=settings.timestep_fs * units.fs,
                   temperature_K=settings.temperature_K,
                   friction=settings.friction_per_fs / units.fs, fixcm=False, rng=rng)

    done_new = 0
    while step0 < settings.total_steps and (max_chunks is None or done_new < max_chunks):
        start = time.perf_counter()
        run = MDRun(symbols=symbols, cell=work.cell.array.copy(), positions=[], times_fs=[],
                    temperature_K=settings.temperature_K, kinetic_temperatures_K=[],
                    potential_energies_eV=[])
        if step0 == 0:
            record_frame(run, work, 0, settings.timestep_fs)
        step = step0
        stop_reason = None
        while step < step0 + settings.chunk_steps:
            dyn.run(settings.frame_every)
            step += settings.frame_every
            stop_reason = record_frame(run, work, step, settings.timestep_fs)
            if not stop_reason and frame_check is not None:
                stop_reason = frame_check(work)
                if stop_reason:
                    stop_reason = f"step {step}: {stop_reason}"
            if stop_reason:
                break
            if progress is not None:
                progress(step, settings.total_steps)
        if stop_reason:
            manifest["status"], manifest["stop_reason"] = "stopped", stop_reason
        index = len(manifest["chunks"])
        chunk_path = outdir / _chunk_name(index)
        if run.n_frames:
            _atomic_write(chunk_path, lambda p, r=run: _write_frames(p, r))
            last = round(run.times_fs[-1] / settings.timestep_fs)
            manifest["chunks"].append({"file": chunk_path.name, "first_step": step0,
                                       "last_step": last, "n_frames": run.n_frames,
                                       "sha256": file_sha256(chunk_path),
                                       "wall_s": round(time.perf_counter() - start, 2)})
        if stop_reason:
            _atomic_write(outdir / MANIFEST,
                          lambda p: p.write_text(json.dumps(manifest, indent=1)))
            return manifest
        _atomic_write(state_path, lambda p, s=step: _save_state(p, work, s, rng))
        manifest["wall_s"] = round(manifest["wall_s"] + manifest["chunks"][-1]["wall_s"], 2)
        if step >= settings.total_steps:
            manifest["status"] = "finished"
        _atomic_write(outdir / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=1)))
        step0 = step
        done_new += 1
    return manifest


def _thermalize(atoms: Any, temperature_K: float, rng: np.random.Generator) -> None:
    from ase.md.velocitydistribution import Stationary

    try:  # ASE >= 3.29 renamed it
        from ase.md.velocitydistribution import thermalize_momenta
    except ImportError:
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalize_momenta
    thermalize_momenta(atoms, temperature_K=temperature_K, rng=rng)
    Stationary(atoms)


def _write_frames(path: Path, run: MDRun) -> None:
    from ionflux.md.run import write_frames

    with open(path, "w") as fh:
        write_frames(fh, run)


def _save_state(path: Path, atoms: Any, step: int, rng: np.random.Generator) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, positions=atoms.positions, momenta=atoms.get_momenta(), step=step,
                 rng_state=json.dumps(rng.bit_generator.state))


def assemble(outdir: str | Path, *, include_equilibration: bool = False) -> MDRun:
    """The finished chunks of ``outdir`` as one run (frames after equilibration by default),
    checked against the manifest's hashes."""
    from ase.io import iread

    outdir = Path(outdir)
    manifest = _load_manifest(outdir)
    if manifest is None or not manifest["chunks"]:
        raise InputError(f"{outdir}: no finished chunks (no {MANIFEST} or it lists none)")
    settings = ChunkSettings(**manifest["settings"])
    run = MDRun(symbols=manifest["symbols"], cell=np.array(manifest["cell"]), positions=[],
                times_fs=[], temperature_K=settings.temperature_K, kinetic_temperatures_K=[],
                potential_energies_eV=[])
    first_time = 0.0 if include_equilibration else \
        settings.equilibration_steps * settings.timestep_fs
    for chunk in manifest["chunks"]:
        path = outdir / chunk["file"]
        if file_sha256(path) != chunk["sha256"]:
            raise InputError(f"{path}: contents differ from the manifest's hash")
        for frame in iread(path, index=":", format="extxyz"):
            t = float(frame.info["time"])
            if t + 1e-9 < first_time:
                continue
            run.positions.append(frame.positions.copy())
            run.times_fs.append(t)
            run.kinetic_temperatures_K.append(float(frame.info["T_kin"]))
            run.potential_energies_eV.append(float(frame.info["E_pot"]))
    run.partial = manifest["status"] != "finished"
    run.stop_reason = manifest["stop_reason"] if manifest["status"] == "stopped" else (
        None if not run.partial else
        f"{manifest['chunks'][-1]['last_step']} of {settings.total_steps} steps done")
    run.metadata = {"md_engine": "ASE Langevin + " + manifest["teacher_record"]["label"],
                    "teacher": manifest["teacher_record"], "settings": manifest["settings"],
                    "wall_s": manifest["wall_s"], "chunks": len(manifest["chunks"])}
    return run


def reopen_converged(outdir: str | Path, why: str) -> dict[str, Any]:
    """Take back a convergence verdict (``why``: e.g. the current rule fails the run), so the
    run can go on with a larger ``total_steps``; the earlier verdict is kept under
    ``reopened``."""
    outdir = Path(outdir)
    manifest = _load_manifest(outdir)
    if manifest is None:
        raise InputError(f"{outdir}: no {MANIFEST}")
    earlier = manifest.pop("converged", None)
    if earlier is not None:
        manifest.setdefault("reopened", []).append({"converged": earlier, "why": why})
        _atomic_write(outdir / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=1)))
    return manifest


def mark_converged(outdir: str | Path, reason: str) -> dict[str, Any]:
    """End a run early because its frames are long enough for transport (``reason``, from
    :func:`ionflux.md.convergence.converged_reason`): status ``finished``, reason recorded."""
    outdir = Path(outdir)
    manifest = _load_manifest(outdir)
    if manifest is None:
        raise InputError(f"{outdir}: no {MANIFEST}")
    manifest["status"], manifest["converged"] = "finished", reason
    _atomic_write(outdir / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=1)))
    return manifest
