"""Classical melt-quench generation of amorphous oxide cells (Pedone potential, SCIENCE.md §3).

These cells are made with a fixed-charge classical potential; they are realistic test data and
a qualitative stand-in for the ACE machine-learned-potential cells of the published study.
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
