"""Molecular dynamics of amorphous oxide cells.

- ``lammps``: classical MD of the Pedone model through LAMMPS (production melts);
- ``ace``: ACE potentials through pyace, MD with extrapolation-grade (gamma) QC, linear fits;
- ``gamma``: per-frame gamma of stored trajectories as a document; ``run``: engine-neutral
  run results and their files;
- ``pedone``, ``integrate``, ``meltquench``: the numba Pedone model and integrator, kept as
  the test oracle and benchmark baseline (and to reproduce the bundled snapshot library).

Pedone cells come from a fixed-charge classical potential; they are realistic test data and a
qualitative stand-in for the ACE machine-learned-potential cells of the published study.
"""

from __future__ import annotations

from ionflux.md.meltquench import (
    MeltQuenchResult,
    MeltQuenchSchedule,
    cell_composition,
    melt_quench,
    mp_volume_per_atom,
)
from ionflux.md.pedone import PEDONE_CHARGES, PEDONE_PAIRS, PedoneModel

__all__ = [
    "PEDONE_CHARGES",
    "PEDONE_PAIRS",
    "MeltQuenchResult",
    "MeltQuenchSchedule",
    "PedoneModel",
    "cell_composition",
    "melt_quench",
    "mp_volume_per_atom",
]
