"""``ionflux md ...``: MD with real engines (LAMMPS for the Pedone model, pyace for ACE)."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Any

import typer

md_app = typer.Typer(help="Molecular dynamics: LAMMPS (Pedone) and pyace (ACE, gamma QC).",
                     no_args_is_help=True)

_STANDIN = "standin"
_DISTILLED = "distilled"


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                    transient=True)


def _potential(potential: str, active_set: str | None, no_active_set: bool = False):
    from ionflux.md.ace import load_potential, standin_potential_files

    if potential == _STANDIN:
        yaml_path, asi_path = standin_potential_files()
        return load_potential(yaml_path, None if no_active_set else (active_set or asi_path))
    if potential == _DISTILLED:
        from ionflux.md.distil_fit import distilled_potential

        return distilled_potential(active_set=active_set, with_active_set=not no_active_set)[0]
    return load_potential(potential, None if no_active_set else active_set)


def _calculator(pot) -> Any:
    """The calculator MD runs with: the potential's own, or, for a potential fitted on top of
    a reference model (the distilled one), the potential plus that model."""
    from ionflux.md.distil_fit import DistilledCalculator

    reference = pot.metadata.get("reference_model")
    if reference in (None, "", "None"):
        return None
    return DistilledCalculator.for_potential(pot, reference)


def _ace_sidecar(run, potential, formula: str, replicate: str, out: Path) -> dict[str, Any]:
    label = potential.metadata.get("label", "")
    name = potential.name + (" [STAND-IN fitted to the classical Pedone model]"
                             if "STAND-IN" in label else "")
    side: dict[str, Any] = {
        "formula": formula, "temperature_K": run.temperature_K, "replicate": replicate,
        "phase": "amorphous (melt-quenched)", "potential": name,
        "potential_version": potential.sha256[:12], "md_engine": "ASE Langevin + pyace",
        "md_engine_version": "ase {ase}, python-ace {python-ace}".format(
            **run.metadata["versions"]),
        "potential_file": str(potential.path.resolve()),
        "potential_sha256": potential.sha256,
        # Langevin production: D is checked against the free-particle bound kB T/(m gamma)
        "thermostat_gamma_per_fs": run.metadata.get("settings", {}).get("friction_per_fs")}
    if potential.active_set_path is not None:
        side["active_set_file"] = str(potential.active_set_path.resolve())
        side["active_set_sha256"] = potential.active_set_sha256
        side["gamma"] = run.metadata.get("gamma")
    if label:
        side["notes"] = label
    reference = potential.metadata.get("reference_model")
    if reference not in (None, "", "None"):
        side["notes"] = f"{label}; run on top of the reference model {reference}"
    return side


def _finish(run, out: Path, sidecar: dict[str, Any]) -> None:
    from ionflux.errors import AnalysisError
    from ionflux.md.run import write_run

    traj, side = write_run(out, run, sidecar)
    for w in run.warnings[:5]:
        typer.echo(f"warning: {w}", err=True)
    if len(run.warnings) > 5:
        typer.echo(f"warning: ... and {len(run.warnings) - 5} more", err=True)
    if run.partial:
        raise AnalysisError(f"MD stopped early: {run.stop_reason}; the {run.n_frames} frames "
                            f"made are kept in {traj} (marked partial, not ingestible; report "
                            f"{side.name})")
    gamma = sidecar.get("gamma")
    extra = f", gamma max {gamma['max']:.3g}" if gamma and "max" in gamma else ""
    typer.echo(f"wrote {traj} ({run.n_frames} frames{extra}) and {side.name}")


@md_app.command("run")
def run_command(
    structure: Path = typer.Option(..., "--structure", help="start cell (any ASE-readable "
                                   "file; the last frame is used)"),
    temperature: float = typer.Option(..., "--temperature", help="K"),
    steps: int = typer.Option(..., "--steps"),
    out: Path = typer.Option(..., "--out", help="trajectory (.extxyz[.gz]); the sidecar is "
                             "written next to it"),
    potential: str = typer.Option(_STANDIN, "--potential",
                                  help=f"ACE .yaml, '{_DISTILLED}' (bundled, distilled from "
                                       f"SevenNet-0) or '{_STANDIN}' (fitted to Pedone)"),
    active_set: str | None = typer.Option(None, "--active-set", help=".asi for gamma QC"),
    frame_every: int = typer.Option(10, "--frame-every", help="steps between stored frames"),
    timestep: float = typer.Option(1.0, "--timestep-fs"),
    friction: float = typer.Option(0.01, "--friction", help="Langevin friction, 1/fs"),
    gamma_warn: float = typer.Option(5.0, "--gamma-warn"),
    gamma_stop: float = typer.Option(100.0, "--gamma-stop"),
    replicate: str | None = typer.Option(None, "--replicate", help="default: seed<SEED>"),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """ACE MD (ASE Langevin + pyace) of one cell, with gamma QC on every stored frame."""
    import ase.io
    from pymatgen.core import Composition

    from ionflux.errors import InputError
    from ionflux.md.ace import AceMDSettings, run_ace_md

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    pot = _potential(potential, active_set)
    try:
        atoms = ase.io.read(str(structure), index=-1)
    except Exception as exc:  # ASE raises many types on unreadable files
        raise InputError(f"{structure}: cannot read a structure: {' '.join(str(exc).split())}")\
            from None
    settings = AceMDSettings(temperature_K=temperature, steps=steps, frame_every=frame_every,
                             timestep_fs=timestep, friction_per_fs=friction,
                             gamma_warn=gamma_warn, gamma_stop=gamma_stop, seed=seed)
    with _progress() as bar:
        task = bar.add_task("ACE MD", total=steps)
        run = run_ace_md(atoms, pot, settings, calculator=_calculator(pot),
                         progress=lambda done, total: bar.update(task, completed=done))
    formula = Composition(atoms.get_chemical_formula()).reduced_formula
    _finish(run, out, _ace_sidecar(run, pot, formula, replicate or f"seed{seed}", out))


@md_app.command("amorphous")
def amorphous_command(
    composition: str = typer.Option(..., "--composition", help="e.g. BaTi2O5"),
    atoms: int = typer.Option(100, "--atoms", help="approximate cell size"),
    temperature: float = typer.Option(..., "--temperature", help="K"),
    out: Path = typer.Option(..., "--out", help="trajectory (.extxyz[.gz])"),
    engine: str = typer.Option("lammps", "--engine",
                               help="lammps (Pedone throughout) or ace (Pedone melt-quench "
                                    "in LAMMPS, then ACE production with gamma QC)"),
    melt_temperature: float = typer.Option(3500.0, "--melt-temperature"),
    melt_ps: float = typer.Option(10.0, "--melt-ps"),
    quench_ps: float = typer.Option(10.0, "--quench-ps"),
    equilibrate_ps: float = typer.Option(
        100.0, "--equilibrate-ps",
        help="a melt quenched in 10 ps keeps relaxing for hundreds of ps at 2000 K "
             "(ionflux.md.convergence checks for it)"),
    production_ps: float = typer.Option(50.0, "--production-ps"),
    frame_every_fs: float = typer.Option(100.0, "--frame-every-fs"),
    potential: str = typer.Option(_STANDIN, "--potential", help="ACE .yaml (engine ace)"),
    active_set: str | None = typer.Option(None, "--active-set", help=".asi (engine ace)"),
    gamma_warn: float = typer.Option(5.0, "--gamma-warn"),
    gamma_stop: float = typer.Option(100.0, "--gamma-stop"),
    volume_scale: float = typer.Option(1.10, "--volume-scale",
                                       help="cell volume / Materials Project crystal volume"),
    until_converged: bool = typer.Option(
        False, "--until-converged",
        help="engine lammps: end production once it is long enough for transport (every "
             "species diffusive, self terms within 20 %, halves agreeing); --production-ps "
             "is then the cap"),
    check_every_ps: float = typer.Option(100.0, "--check-every-ps"),
    min_production_ps: float = typer.Option(0.0, "--min-production-ps"),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """Melt -> quench -> equilibrate -> production of an amorphous cell, with a progress bar."""
    from ase import Atoms

    from ionflux.errors import InputError
    from ionflux.md.ace import AceMDSettings, run_ace_md
    from ionflux.md.convergence import converged_reason
    from ionflux.md.lammps import AmorphousSchedule, amorphous_lammps

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if engine not in ("lammps", "ace"):
        raise InputError(f"unknown engine {engine!r}; use lammps or ace")
    if until_converged and engine != "lammps":
        raise InputError("--until-converged: only with --engine lammps")
    if until_converged and not check_every_ps > 0:
        raise InputError(f"--check-every-ps must be positive, got {check_every_ps}")
    pot = _potential(potential, active_set) if engine == "ace" else None
    if pot is not None:
        from ionflux.md.meltquench import cell_composition

        pot.check_elements(cell_composition(composition, atoms)[1])
    production = round(production_ps * 1000)
    every = round(frame_every_fs)
    schedule = AmorphousSchedule(
        temperature_K=temperature, melt_temperature_K=melt_temperature,
        melt_steps=round(melt_ps * 1000), quench_steps=round(quench_ps * 1000),
        equilibrate_steps=round(equilibrate_ps * 1000),
        production_steps=production if engine == "lammps" else every, frame_every=every,
        volume_scale=volume_scale)
    total = schedule.melt_steps + schedule.quench_steps + schedule.equilibrate_steps \
        + schedule.production_steps
    with _progress() as bar:
        task = bar.add_task("LAMMPS Pedone", total=total)
        run = amorphous_lammps(composition, atoms, schedule, seed=seed,
                               progress=lambda stage, done, _total: bar.update(
                                   task, completed=done, description=f"LAMMPS {stage}"),
                               converged=(partial(converged_reason,
                                                  min_production_fs=min_production_ps * 1000)
                                          if until_converged else None),
                               check_every_frames=max(1, round(check_every_ps * 1000 / every)))
    if "converged" in run.metadata:
        typer.echo(f"production ended at {run.metadata['converged']['production_fs'] / 1000:g}"
                   f" ps: {run.metadata['converged']['reason']}")
    elif until_converged and not run.partial:
        typer.echo(f"warning: not converged within {production_ps:g} ps of production",
                   err=True)
    formula = run.metadata["formula"]
    if engine == "lammps":
        sidecar = {"formula": formula, "temperature_K": temperature,
                   "replicate": f"seed{seed}", "phase": "amorphous (melt-quenched)",
                   "potential": "Pedone 2006 (classical)",
                   "potential_version": "J. Phys. Chem. B 110, 11780",
                   "md_engine": "LAMMPS",
                   "md_engine_version": run.metadata["versions"].get("lammps"),
                   "notes": f"ionflux md amorphous, {run.metadata['volume']}"}
        _finish(run, out, sidecar)
        return
    if run.partial:
        raise InputError(f"the classical melt-quench failed before ACE MD: {run.stop_reason}")
    assert pot is not None
    cell = Atoms(run.symbols, positions=run.positions[-1], cell=run.cell, pbc=True)
    settings = AceMDSettings(temperature_K=temperature, steps=production, frame_every=every,
                             gamma_warn=gamma_warn, gamma_stop=gamma_stop, seed=seed)
    with _progress() as bar:
        task = bar.add_task("ACE MD", total=production)
        ace_run = run_ace_md(cell, pot, settings, calculator=_calculator(pot),
                             progress=lambda done, _t: bar.update(task, completed=done))
    side = _ace_sidecar(ace_run, pot, formula, f"seed{seed}", out)
    side["notes"] = (f"amorphous cell from a LAMMPS Pedone melt-quench ({run.metadata['volume']})"
                     f"; {side.get('notes', '')}")
    _finish(ace_run, out, side)


@md_app.command("gamma")
def gamma_command(
    trajectory: Path = typer.Argument(..., help="trajectory file"),
    potential: str = typer.Option(_STANDIN, "--potential"),
    active_set: str | None = typer.Option(None, "--active-set"),
    max_frames: int = typer.Option(200, "--max-frames"),
    warn: float = typer.Option(5.0, "--gamma-warn"),
    stop: float = typer.Option(100.0, "--gamma-stop"),
) -> None:
    """Extrapolation grades of a trajectory's frames under an ACE potential and active set."""
    import json

    from ionflux.errors import InputError
    from ionflux.io import read_trajectory
    from ionflux.md.ace import load_active_set
    from ionflux.md.gamma import trajectory_gamma

    pot = _potential(potential, active_set)
    if pot.active_set_path is None:
        raise InputError("gamma needs an active set (--active-set)")
    traj = read_trajectory(trajectory)
    pot.check_elements(traj.species)
    doc = trajectory_gamma(traj, pot.basis, load_active_set(pot.active_set_path, pot.basis),
                           potential=pot.path.name, potential_sha256=pot.sha256,
                           active_set_sha256=pot.active_set_sha256 or "", warn=warn,
                           stop=stop, max_frames=max_frames)
    typer.echo(json.dumps({"status": doc.status, **doc.statistics}, indent=1))


def register(app: typer.Typer) -> None:
    app.add_typer(md_app, name="md")
