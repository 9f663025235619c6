"""CrystalNN bond counts per atom and element pair for amorphous cells (SCIENCE.md §3).

What is counted
---------------
For every atom of every sampled frame, pymatgen's ``CrystalNN`` finds its neighbours; each
neighbour contributes its bond weight to the ordered pair (centre element, neighbour element).
Dividing by the number of centre atoms gives bonds per atom, e.g. Ba-Ba bonds per Ba. Counts are
not symmetric: N_Ba * (Ba-O per Ba) need not equal N_O * (O-Ba per O), because each atom's
coordination is decided from its own Voronoi cell.

How CrystalNN works (pymatgen ``core.local_env``): a Voronoi tessellation of the atoms within
``search_cutoff`` of the centre gives candidate neighbours weighted by the solid angle of the
shared face (times solid angle / face area if ``porous_adjustment``), multiplied by
1 + ``x_diff_weight`` * sqrt(|Delta chi| / 3.3) (electronegativity preference), normalised to the
largest, and multiplied by a distance factor that is 1 up to r_i + r_j + ``distance_cutoffs[0]``
and falls smoothly (cosine) to 0 at r_i + r_j + ``distance_cutoffs[1]``. The distinct weights
define nested candidate shells (coordination numbers); each gets a probability from a
semicircle integral. Unweighted CrystalNN returns the most probable shell with weight 1 per
neighbour; ``weighted_cn`` returns every candidate with the summed probability of the shells
that contain it.

Choices for "geometrically feasible bonds" within 5 Å, including cation-cation pairs
------------------------------------------------------------------------------------
* ``search_cutoff = 5`` Å: the radius of SCIENCE §3. It bounds the tessellation, so no neighbour
  beyond 5 Å can be counted. (If pymatgen must enlarge it to close a Voronoi cell, neighbours
  beyond 5 Å are dropped and the document says so.)
* ``cation_anion = False``: with True, CrystalNN only allows bonds between oppositely charged
  sites, which would forbid the Ba-Ba and Ti-Ti pairs we are asked to measure.
* No oxidation states on the sites, so the distance cutoffs use covalent radii (Ba 2.15,
  Ti 1.60, O 0.66 Å). With the default tolerances (0.5, 1.0) Å a Ba-Ba contact is feasible up to
  4.8 Å at full weight (5.3 Å at zero), Ba-Ti up to 4.25 (4.75), Ti-Ti up to 3.7 (4.2), Ba-O up
  to 3.31 (3.81), Ti-O up to 2.76 (3.26) and O-O up to 1.82 (2.32) Å. These windows admit the
  second-shell cation-cation contacts through bridging oxygens (Ti-Ti about 2.9-3.9 Å for edge-
  and corner-sharing polyhedra, Ba-Ba about 3.9-4.6 Å) and exclude O-O contacts (>= 2.4 Å in
  oxides). With oxidation states pymatgen
  would use ionic radii (Ba2+ 1.49, Ti4+ 0.75 Å), which caps Ba-Ba at 3.98 Å and Ti-Ti at
  2.49 Å: that removes cation-cation contacts at crystal-like distances (Ba-Ba 3.9-4.4 Å in
  BaO and BaTiO3) and keeps only unusually close ones; ``oxidation_states=True`` is available
  for comparison.
* ``x_diff_weight = 0`` (pymatgen's default is 3): the electronegativity factor up-weights
  Ba-O and Ti-O faces by 3.3-3.6 relative to like-element faces. That is a chemical prior that
  hides cation-cation contacts by construction; with 0 a contact's weight is purely geometric
  (solid angle and distance), as the CrystalNN docstring recommends for geometric neighbour
  finding, while the covalent-radius distance window still rejects unphysical contacts.
* ``porous_adjustment = True`` (default): the amorphous cells are dense; the adjustment only
  favours close faces over distant ones of equal solid angle.
* ``weighted_cn = True``: in a disordered cell the most probable shell jumps between integer
  values under small displacements and drops every contact that is not in it, typically the
  weaker cation-cation faces. The probability-weighted count is the expected number of bonds,
  a smooth function of the structure that converges faster when averaged over atoms and frames.
  In a perfect crystal all faces of a shell have equal weight and the count is an integer
  (rock-salt BaO: 6 Ba-O per Ba; cubic perovskite BaTiO3: 6 Ti-O per Ti, 12 Ba-O per Ba, no
  cation-cation bonds, because those Voronoi faces degenerate to points).

What comes out: a cation-cation contact still needs a Voronoi face of its own, so only contacts
not screened by oxygen count. In the bundled Pedone melt-quench cells (``ionflux.md``) Ba-Ba per
Ba is 0.05-0.9 and rises with Ba:Ti, Ba-Ti per Ba is about 0.1, and Ti-Ti per Ti is below 0.01:
Ti-Ti pairs at 3-4 Å are separated by their shared O atoms and share no face. Those cells have
Ba-Ba contacts as close as 2.9 Å (the Pedone model repels cations by Coulomb only, with +1.2
charges), so their absolute Ba-Ba counts are likely higher than a more accurate potential
would give.

Weighted counts are computed from ``CrystalNN.get_nn_data`` (the shells and their
probabilities), which gives exactly what ``get_nn_info`` returns with ``weighted_cn=True`` but
without its quadratic site comparison; the tests check the two agree.

Frames are analysed in parallel (one process per frame); the spread is the standard deviation
of the per-frame, per-atom averages, and the standard error divides it by sqrt(frames), which
assumes frames far enough apart to be independent.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from ionflux.errors import AnalysisError, InputError
from ionflux.io.trajectory import Trajectory, species_order
from ionflux.structure.documents import BondCountDoc, CrystalNNSettings, PairBondCount
from ionflux.transport.documents import Provenance, SourceRecord
from ionflux.versions import package_versions

if TYPE_CHECKING:
    from pymatgen.core import Structure

try:  # pymatgen >= 2025 moved local_env into core; the old path is a re-export stub
    from pymatgen.core.local_env import CrystalNN
except ImportError:  # pragma: no cover - older pymatgen
    from pymatgen.analysis.local_env import CrystalNN

#: SCIENCE.md §3: neighbours within 5 Å (first and second shells).
DEFAULT_CUTOFF_A = 5.0
#: Tolerance when deciding whether a neighbour lies beyond the search cutoff (Å).
_CUTOFF_SLACK_A = 1e-6


def sample_frames(n_total: int, n_frames: int, label: str = "trajectory") -> list[int]:
    """``n_frames`` frame indices spread evenly from the first to the last frame."""
    if n_frames <= 0:
        raise InputError(f"{label}: number of frames must be positive, got {n_frames}")
    if n_frames > n_total:
        raise InputError(f"{label}: asked for {n_frames} frames but the file has {n_total}")
    return sorted({int(i) for i in np.linspace(0, n_total - 1, n_frames).round()})


def make_crystalnn(settings: CrystalNNSettings) -> CrystalNN:
    """A pymatgen ``CrystalNN`` configured by ``settings``."""
    return CrystalNN(weighted_cn=settings.weighted_cn, cation_anion=settings.cation_anion,
                     distance_cutoffs=settings.distance_cutoffs,
                     x_diff_weight=settings.x_diff_weight,
                     porous_adjustment=settings.porous_adjustment,
                     search_cutoff=settings.search_cutoff)


def frame_structure(positions: np.ndarray, cell: np.ndarray, species: list[str] | tuple[str, ...],
                    oxidation_states: bool = False) -> Structure:
    """A pymatgen ``Structure`` of one frame with positions wrapped into the cell."""
    from pymatgen.core import Lattice, Structure

    frac = np.asarray(positions, dtype=float) @ np.linalg.inv(cell)
    frac -= np.floor(frac)
    # floor can leave exactly 1.0 after round-off; pymatgen wants [0, 1).
    frac[frac >= 1.0] = 0.0
    structure = Structure(Lattice(cell), list(species), frac)
    if oxidation_states:
        structure.add_oxidation_state_by_guess()
    return structure


def site_bond_weights(structure: Structure,
                      settings: CrystalNNSettings) -> list[dict[str, float]]:
    """For each site, the summed bond weight to each neighbour element.

    Returns one ``{element: weight}`` dict per site, plus the count of neighbours dropped for
    lying beyond the search cutoff under the key ``"__beyond_cutoff__"`` when there are any.
    """
    cnn = make_crystalnn(settings)
    result = []
    with warnings.catch_warnings():
        # Without oxidation states pymatgen warns on every site that it uses covalent radii,
        # which is the intended behaviour here (see the module docstring).
        warnings.simplefilter("ignore")
        for n in range(len(structure)):
            if settings.weighted_cn:
                nn_data = cnn.get_nn_data(structure, n)
                weights: dict[int, float] = {}
                entries: dict[int, dict] = {}
                for cn, shell in nn_data.cn_nninfo.items():
                    for entry in shell:
                        weights[id(entry)] = weights.get(id(entry), 0.0) + nn_data.cn_weights[cn]
                        entries[id(entry)] = entry
                neighbours = [(entries[k], w) for k, w in weights.items()]
            else:
                neighbours = [(e, 1.0) for e in cnn.get_nn_info(structure, n)]
            per_element: dict[str, float] = {}
            center = structure[n].coords
            for entry, w in neighbours:
                site = entry["site"]
                if np.linalg.norm(site.coords - center) > settings.search_cutoff + _CUTOFF_SLACK_A:
                    per_element["__beyond_cutoff__"] = per_element.get("__beyond_cutoff__", 0) + 1
                    continue
                el = site.specie.symbol
                per_element[el] = per_element.get(el, 0.0) + w
            result.append(per_element)
    return result


def _frame_counts_or_reason(args: tuple) -> tuple[dict[str, float], int] | str:
    """Worker: :func:`_frame_counts`, or the one-line reason CrystalNN failed on the frame."""
    try:
        return _frame_counts(args)
    except AnalysisError as exc:
        return str(exc)


def _frame_counts(args: tuple) -> tuple[dict[str, float], int]:
    """Worker: bonds per centre atom for every ordered pair of one frame, and dropped count."""
    frame, positions, cell, species, settings_json = args
    settings = CrystalNNSettings.model_validate_json(settings_json)
    try:
        structure = frame_structure(positions, cell, species, settings.oxidation_states)
        per_site = site_bond_weights(structure, settings)
    except (ValueError, RuntimeError) as exc:
        raise AnalysisError(f"frame {frame}: CrystalNN failed: {exc}") from None
    elements = species_order(species)
    n_of = Counter(species)
    totals = {f"{a}-{b}": 0.0 for a in elements for b in elements}
    dropped = 0
    for el, site in zip(species, per_site, strict=True):
        dropped += int(site.pop("__beyond_cutoff__", 0))
        for nb, w in site.items():
            totals[f"{el}-{nb}"] += w
    return {k: v / n_of[k.split("-")[0]] for k, v in totals.items()}, dropped


def _stats(center: str, neighbor: str, values: list[float]) -> PairBondCount:
    arr = np.asarray(values, dtype=float)
    std = float(arr.std(ddof=1)) if arr.size > 1 else None
    stderr = std / math.sqrt(arr.size) if std is not None else None
    return PairBondCount(center=center, neighbor=neighbor, mean=float(arr.mean()), std=std,
                         stderr=stderr, per_frame=[float(v) for v in arr])


def bond_counts(trajectory: Trajectory, n_frames: int = 10, workers: int | None = None,
                settings: CrystalNNSettings | None = None,
                progress: Callable[[int, int], Any] | None = None) -> BondCountDoc:
    """CrystalNN bonds per atom for every ordered element pair, averaged over frames.

    Args:
        trajectory: positions in Å and per-frame cells (wrapped or unwrapped).
        n_frames: number of frames, spread evenly over the trajectory.
        workers: processes to use (default: ``min(frames, CPUs)``); 1 runs in this process.
        settings: CrystalNN parameters; the defaults are justified in the module docstring.
        progress: called with (frames done, frames) after each frame.

    Raises:
        InputError: no atoms, or a frame count that is not in 1..n_frames.
        AnalysisError: CrystalNN cannot analyse most of the sampled frames (fewer failing
            frames are skipped, listed in ``skipped_frames`` and a warning).
    """
    from pymatgen.core import Composition

    from ionflux import __version__

    settings = settings or CrystalNNSettings()
    label = trajectory.label
    if trajectory.n_atoms == 0:
        raise InputError(f"{label}: the cell holds no atoms")
    frames = sample_frames(trajectory.n_frames, n_frames, label)
    if workers is not None and workers < 1:
        raise InputError(f"workers must be >= 1, got {workers}")
    n_workers = min(len(frames), workers or os.cpu_count() or 1)
    tasks = [(f, trajectory.positions[f], trajectory.cells[f], trajectory.species,
              settings.model_dump_json()) for f in frames]
    outcomes = []
    with contextlib.ExitStack() as stack:
        if n_workers == 1:
            results_iter = map(_frame_counts_or_reason, tasks)
        else:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=n_workers))
            results_iter = pool.map(_frame_counts_or_reason, tasks)
        for outcome in results_iter:
            outcomes.append(outcome)
            if progress is not None:
                progress(len(outcomes), len(tasks))
    # a disordered frame can defeat the Voronoi search (no neighbours for a site): such frames
    # are left out and counted; a cell where most frames fail has no trustworthy count
    skipped = {str(f): o.split(": CrystalNN failed: ", 1)[-1]
               for f, o in zip(frames, outcomes, strict=True) if isinstance(o, str)}
    if len(skipped) * 2 > len(frames):
        first = next(iter(skipped.values()))
        raise AnalysisError(f"{label}: CrystalNN failed on {len(skipped)} of {len(frames)} "
                            f"frames (first: {first})")
    results = [o for o in outcomes if not isinstance(o, str)]
    sampled = frames
    frames = [f for f in frames if str(f) not in skipped]

    elements = trajectory.elements
    pairs = {f"{a}-{b}": _stats(a, b, [r[0][f"{a}-{b}"] for r in results])
             for a in elements for b in elements}
    coordination = {a: _stats(a, "*", [sum(r[0][f"{a}-{b}"] for b in elements) for r in results])
                    for a in elements}
    doc_warnings = []
    dropped = sum(r[1] for r in results)
    if dropped:
        doc_warnings.append(f"{dropped} CrystalNN neighbours beyond {settings.search_cutoff} Å "
                            "(pymatgen enlarged the Voronoi search to close a cell) were not "
                            "counted")
    if skipped:
        doc_warnings.append(f"{len(skipped)} of {len(sampled)} frames skipped: CrystalNN "
                            f"failed on frame(s) {', '.join(skipped)} "
                            f"({next(iter(skipped.values()))})")
    if len(frames) == 1:
        doc_warnings.append("one frame analysed: no spread across frames")
    composition = trajectory.element_counts
    source = SourceRecord(path=trajectory.source.path, sha256=trajectory.source.sha256,
                          reader=trajectory.source.reader, n_frames=trajectory.n_frames,
                          n_atoms=trajectory.n_atoms,
                          frame_interval_fs=trajectory.frame_interval_fs,
                          temperature_K=trajectory.temperature_K,
                          volume_A3=trajectory.mean_volume_A3)
    provenance = Provenance(
        sources=[source], ionflux_version=__version__,
        package_versions=package_versions("pymatgen", "numpy", "scipy"),
        method={"analysis": "CrystalNN bond counts", "n_frames": len(frames),
                "workers": n_workers, "radii": "ionic" if settings.oxidation_states
                else "covalent"})
    return BondCountDoc(
        formula=Composition(composition).reduced_formula, species=elements,
        composition=composition, temperature_K=trajectory.temperature_K, frames=frames,
        skipped_frames=skipped,
        n_frames_total=trajectory.n_frames, cutoff_A=settings.search_cutoff, crystalnn=settings,
        pairs=pairs, coordination=coordination, provenance=provenance,
        warnings=doc_warnings)
