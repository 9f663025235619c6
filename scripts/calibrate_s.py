"""The rate scale s from the reported onset of BaO + TiO2 (ionflux.ca.calibration), with evidence.

Prints s from the rule K_D(BaO + TiO2 -> BaTiO3, 1100 K) = r0^2 s kB T (full and self-only
K_D), how s moves if the onset were 50 K lower or higher, and, as a diagnostic only, the
conversion of a fresh 1:1 mixture after one hour (the presets' SWEEPS_PER_HOUR sweeps) versus
temperature in every mode. The chosen value is hard-coded in ionflux.ca.settings (CALIBRATED_S).

    python scripts/calibrate_s.py [--grid 24] [--realisations 6]
"""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=24)
    parser.add_argument("--realisations", type=int, default=6)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from ionflux.ca.calibration import (
        CALIBRATION_PRECURSORS,
        ONSET_TEMPERATURE_K,
        conversions,
        onset_s,
        onset_temperature,
        table_for,
    )
    from ionflux.ca.predict import candidate_phase_infos, default_phases, load_kd, load_thermo
    from ionflux.ca.reactions import enumerate_reactions, reaction_energies
    from ionflux.ca.recipes import SWEEPS_PER_HOUR
    from ionflux.ca.scoring import score_reactions
    from ionflux.ca.settings import CALIBRATED_S, AutomatonSettings, ScoringSettings

    system = "Ba-Ti-O"
    thermo, kd = load_thermo(system), load_kd(system)
    base = ScoringSettings()
    print("rule: K_D(BaO + TiO2 -> BaTiO3, T_on) / (r0^2 s kB T_on) = 1 at the reported onset "
          f"T_on = {ONSET_TEMPERATURE_K:g} K (r0 = {base.r0_m:g} m)")
    for t_on in (ONSET_TEMPERATURE_K - 50, ONSET_TEMPERATURE_K, ONSET_TEMPERATURE_K + 50):
        full = onset_s(kd, base, "full", t_on)
        self_only = onset_s(kd, base, "self-only", t_on)
        mark = "  <- the rule" if t_on == ONSET_TEMPERATURE_K else ""
        print(f"  T_on {t_on:6g} K: s = {full:.3g} 1/s (full K_D), {self_only:.3g} 1/s "
              f"(self-only K_D){mark}")
    print(f"chosen (2 significant digits, full-mode K_D, used by every mode): "
          f"CALIBRATED_S = {CALIBRATED_S:.2g} 1/s")

    precursors = dict(CALIBRATION_PRECURSORS)
    phases = default_phases(list(precursors), thermo, system)
    notes: list[str] = []
    infos = candidate_phase_infos(phases, thermo, base, notes)
    reactions = enumerate_reactions({f: p.composition for f, p in infos.items()})
    temps = [float(t) for t in range(900, 1551, 50)]
    energies = reaction_energies(reactions, infos, temps, thermo.gibbs_formation_energy_per_atom)
    automaton = AutomatonSettings()
    print(f"\ndiagnostic: conversion of a fresh 1:1 mixture after {SWEEPS_PER_HOUR:g} sweeps "
          f"(one preset hour), inertia {automaton.inertia:g}, swaps {automaton.cell_swaps}, "
          f"grid {args.grid}^3, {args.realisations} realisations")
    print("T/K         " + "".join(f"{t:>7g}" for t in temps))
    for mode in ("full", "self-only", "thermo-only"):
        scored = score_reactions(reactions, infos, energies, mode, base,
                                 None if mode == "thermo-only" else kd)
        table = table_for(scored, reactions, infos, base)
        conv, _ = conversions(table, precursors, temps, SWEEPS_PER_HOUR, automaton, args.grid,
                              args.realisations, args.seed)
        onset = onset_temperature(temps, conv)
        print(f"{mode:<12}" + "".join(f"{c:7.3f}" for c in conv)
              + f"   5 % reached at {'-' if onset is None else f'{onset:.0f} K'}")
    if notes:
        print("notes: " + "; ".join(notes))


if __name__ == "__main__":
    main()
