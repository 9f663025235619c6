"""Local structure of amorphous cells: CrystalNN bond counts per atom (SCIENCE.md §3)."""

from __future__ import annotations

from ionflux.structure.bonds import DEFAULT_CUTOFF_A, bond_counts, sample_frames
from ionflux.structure.documents import BondCountDoc, CrystalNNSettings, PairBondCount

__all__ = [
    "DEFAULT_CUTOFF_A",
    "BondCountDoc",
    "CrystalNNSettings",
    "PairBondCount",
    "bond_counts",
    "sample_frames",
]
