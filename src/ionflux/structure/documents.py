"""Pydantic documents for local-structure results (SCIENCE.md §3).

Bond counts are per atom of the centre element: ``pairs["Ba-O"].mean`` is the average number of
CrystalNN bonds from one Ba to O atoms (dimensionless), averaged over atoms and frames.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ionflux.transport.documents import Provenance, utcnow


class CrystalNNSettings(BaseModel):
    """The pymatgen ``CrystalNN`` parameters of a bond count (see ionflux.structure.bonds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    search_cutoff: float = Field(5.0, description="Voronoi neighbour search radius, Å")
    cation_anion: bool = False
    distance_cutoffs: tuple[float, float] | None = Field(
        (0.5, 1.0), description="tolerances (Å) added to the sum of covalent radii")
    x_diff_weight: float = 0.0
    porous_adjustment: bool = True
    weighted_cn: bool = True
    oxidation_states: bool = Field(
        False, description="decorate sites with oxidation states (ionic instead of covalent "
        "radii in the distance cutoffs)")


class PairBondCount(BaseModel):
    """Bonds from one ``center`` atom to ``neighbor`` atoms: mean and spread over frames."""

    center: str
    neighbor: str
    mean: float = Field(description="bonds per centre atom, averaged over atoms and frames")
    std: float | None = Field(None, description="standard deviation of the per-frame values")
    stderr: float | None = Field(None, description="std / sqrt(frames), frames independent")
    per_frame: list[float] = Field(default_factory=list)


class BondCountDoc(BaseModel):
    """CrystalNN bond counts per atom and ordered element pair for one amorphous cell."""

    model_config = ConfigDict(extra="forbid")

    doc_type: Literal["bond_counts"] = "bond_counts"
    formula: str = Field(description="reduced formula of the cell")
    species: list[str] = Field(description="elements in electronegativity order")
    composition: dict[str, int] = Field(description="atoms of each element in the cell")
    temperature_K: float | None = None
    frames: list[int] = Field(description="indices of the frames analysed")
    skipped_frames: dict[str, str] = Field(
        default_factory=dict,
        description="sampled frames CrystalNN could not analyse (frame index -> reason); "
                    "left out of the averages")
    n_frames_total: int
    cutoff_A: float = Field(description="neighbour search radius, Å")
    crystalnn: CrystalNNSettings
    pairs: dict[str, PairBondCount] = Field(
        description='ordered pairs keyed "center-neighbor", e.g. "Ba-O"')
    coordination: dict[str, PairBondCount] = Field(
        description="all bonds per atom of each element (neighbor = '*')")
    provenance: Provenance
    warnings: list[str] = Field(default_factory=list)
    last_updated: datetime = Field(default_factory=utcnow)

    def bonds_per_atom(self, center: str, neighbor: str) -> PairBondCount:
        """The count for one ordered pair, e.g. ``bonds_per_atom("Ba", "Ba")``."""
        key = f"{center}-{neighbor}"
        if key not in self.pairs:
            raise KeyError(f"{key} is not a pair of {self.formula} (pairs: {list(self.pairs)})")
        return self.pairs[key]

    def ratio(self, numerator: str, denominator: str) -> float:
        """Atom ratio of two elements in the cell, e.g. Ba:Ti."""
        return self.composition.get(numerator, 0) / self.composition[denominator]

    def key(self) -> str:
        t = "?" if self.temperature_K is None else f"{self.temperature_K:g}"
        return f"{self.formula}@{t}K"

    def table(self) -> list[tuple[str, float, float | None, float | None]]:
        """Rows (pair, mean, std, stderr) in species order, for printing."""
        return [(k, p.mean, p.std, p.stderr) for k, p in self.pairs.items()]
