"""Import published Onsager tensor sets (the ReactCA ``transport_db`` JSON layout).

Each record has ``reduced_formula``, ``temperature`` (K), ``species``, ``mapping`` (element ->
tensor index), ``L_tensor`` (total), ``L_tensor_self`` (diagonal matrix), ``L_tensor_dis``
(total - self), all in 1/(eV cm s), ``volume`` (MD cell, Å^3) and ``metadata`` (a label). The
tensor index of an element is taken from ``mapping``; the documents use ionflux's species order
(cations first, by electronegativity) and reorder the matrices accordingly.

What the files do not hold, and how the documents deal with it (recorded in ``assumptions``):
no uncertainties (stderr fields None); no replicate count (``n_replicates`` = 1, the values are
replicate means); no atom count. The atom count is estimated as formula units
N_fu = round(V_cell / (v_MP * atoms per formula unit)) with the Materials Project crystal volume
per atom v_MP when thermo data for the system is available (composition None otherwise).
Melt-quenched cells are less dense than crystals, so this tends to overestimate the count; it
is therefore *not* used to derive D_self (left None) nor anywhere in K_D.

Quality flags (``quality``): symmetric, distinct_consistent (L_dis == L - diag(L_self)),
self_diagonal, self_positive, positive_semidefinite, mass_weighted_rows_vanish
(sum_i m_i L_ij = 0, exact in the centre-of-mass frame), correlation_factor_range (|f_i| <= 1)
and cross_terms_reliable (False for records the source marks as unreliable: 750 K in the ACE-MD
Ba-Ti-O set). Without published uncertainties the PSD and mass-balance checks use fixed
relative tolerances (PSD_MIN_RATIO, COM_MAX_RATIO), looser than the MD analysis uses.

Physics checks (:mod:`ionflux.transport.physics_checks`, issue 23): every loaded set carries
``physics_flags`` (free-particle bound at the ACE-MD study's Langevin gamma = 0.01 1/fs with D
from L_self and a crystal-density atom count, centre-of-mass residual, D monotonic in T, MSD
floor) and the evidence in ``provenance.physics_checks``. The numbers stay as published unless
a time-axis factor is asked for (``load_published(..., time_axis_factor=F)``), which divides
every L by F and is recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ionflux.errors import DataNotFoundError, InputError
from ionflux.transport.documents import Provenance, QualityFlag, SourceRecord, TransportDoc

#: File name of the bundled published tensors in ``ionflux/data/<system>/``.
PUBLISHED_FILE = "transport_tensors_ace_md.json"

#: Bundled systems with published tensors: system name -> the precursor pair of its K_D
#: (the two binary oxides the study reacts).
BUNDLED_PRECURSORS: dict[str, tuple[str, str]] = {"Ba-Ti-O": ("BaO", "TiO2"),
                                                  "Li-Ti-O": ("Li2O", "TiO2")}

#: (metadata label, temperature K) pairs whose cross terms the source calls unreliable.
UNRELIABLE_CROSS_TERMS: dict[str, set[float]] = {"ACE_PBEsol_nospin_MDSetGenerator": {750.0}}

#: Metadata labels of the published ACE-MD study (Langevin gamma = 0.01 1/fs).
ACE_MD_LABELS = frozenset({"ACE_PBEsol_nospin_MDSetGenerator"})

#: Relative tolerances of the quality checks (relative to max |L_ij| of the record).
SYMMETRY_RTOL = 1e-6
DISTINCT_RTOL = 1e-6
#: Smallest accepted eigenvalue of sym(L) relative to the largest (noise allows small negatives).
PSD_MIN_RATIO = -0.05
#: Largest accepted |sum_i m_i L_ij| / sum_i m_i |L_ij| (zero in the centre-of-mass frame).
COM_MAX_RATIO = 0.1

_SOURCE_LABELS = {
    "ba-ti-o": "ACE-MD Onsager tensors published with ReactCA (mcgalcode/rxn-ca, "
               "src/rxn_ca/phases/transport_db/Ba-Ti-O.json)",
    "li-ti-o": "ACE-MD Onsager tensors published with ReactCA (mcgalcode/rxn-ca, "
               "src/rxn_ca/phases/transport_db/Li-Ti-O.json)",
}


def _bundled_path(system: str) -> tuple[Any, str] | None:
    from ionflux.thermo.system import parse_system

    try:
        wanted = set(parse_system(system))
    except InputError:
        return None
    root = resources.files("ionflux") / "data"
    for folder in root.iterdir():
        candidate = folder / PUBLISHED_FILE
        if folder.is_dir() and candidate.is_file():
            elements = {p.capitalize() for p in folder.name.split("-")}
            if elements == wanted:
                return candidate, folder.name
    return None


def _load_thermo_for(elements: set[str]):
    """Bundled or cached thermo data covering ``elements``, or None."""
    from ionflux.thermo.data import ThermoData

    system = "-".join(sorted(elements))
    for loader in (ThermoData.cached, ThermoData.bundled):
        try:
            return loader(system)
        except (DataNotFoundError, InputError):
            continue
    return None


def _matrix(record: dict, key: str, n: int, where: str) -> np.ndarray:
    try:
        value = np.array(record[key], dtype=float)
    except KeyError:
        raise InputError(f"{where}: missing '{key}'") from None
    except (TypeError, ValueError):
        raise InputError(f"{where}: '{key}' is not a numeric matrix") from None
    if key == "L_tensor_self" and value.shape == (n,):
        value = np.diag(value)
    if value.shape != (n, n):
        raise InputError(f"{where}: '{key}' has shape {value.shape}, expected ({n}, {n})")
    if not np.all(np.isfinite(value)):
        raise InputError(f"{where}: '{key}' contains non-finite values")
    return value


def _flag(passed: bool, value: float | None, threshold: float | None, reason: str) -> QualityFlag:
    return QualityFlag(passed=bool(passed), value=None if value is None else float(value),
                       threshold=threshold, reason=reason)


def quality_flags(L: np.ndarray, L_self_matrix: np.ndarray, L_dis: np.ndarray,
                  species: list[str], temperature_K: float, label: str | None
                  ) -> dict[str, QualityFlag]:
    """Quality checks of one published record (matrices in ``species`` order)."""
    from ionflux.formula import element

    scale = float(np.max(np.abs(L))) or 1.0
    flags: dict[str, QualityFlag] = {}
    asym = float(np.max(np.abs(L - L.T))) / scale
    flags["symmetric"] = _flag(asym <= SYMMETRY_RTOL, asym, SYMMETRY_RTOL,
                               "max |L_ij - L_ji| / max |L|")
    self_diag = np.diag(np.diag(L_self_matrix))
    dis_err = float(np.max(np.abs(L_dis - (L - self_diag)))) / scale
    flags["distinct_consistent"] = _flag(dis_err <= DISTINCT_RTOL, dis_err, DISTINCT_RTOL,
                                         "max |L_dis - (L - diag(L_self))| / max |L|")
    off = float(np.max(np.abs(L_self_matrix - self_diag))) / scale
    flags["self_diagonal"] = _flag(off <= DISTINCT_RTOL, off, DISTINCT_RTOL,
                                   "max off-diagonal |L_self| / max |L| (self part is diagonal)")
    smin = float(np.min(np.diag(L_self_matrix)))
    flags["self_positive"] = _flag(smin > 0, smin, 0.0, "smallest L_ii^self, 1/(eV cm s)")
    eig = np.linalg.eigvalsh(0.5 * (L + L.T))
    ratio = float(eig[0] / eig[-1]) if eig[-1] > 0 else float("-inf")
    flags["positive_semidefinite"] = _flag(
        ratio >= PSD_MIN_RATIO, ratio, PSD_MIN_RATIO,
        "smallest / largest eigenvalue of sym(L); L must be positive semi-definite")
    masses = np.array([element(s).atomic_mass for s in species])
    com = np.abs(masses @ L) / np.maximum(masses @ np.abs(L), 1e-300)
    com_max = float(np.max(com))
    flags["mass_weighted_rows_vanish"] = _flag(
        com_max <= COM_MAX_RATIO, com_max, COM_MAX_RATIO,
        "max_j |sum_i m_i L_ij| / sum_i m_i |L_ij|; exactly 0 for tensors from the "
        "centre-of-mass frame")
    diag_self = np.diag(L_self_matrix)
    f = np.diag(L_dis) / np.where(diag_self != 0, diag_self, np.nan)
    fmax = float(np.nanmax(np.abs(f))) if np.any(np.isfinite(f)) else float("nan")
    flags["correlation_factor_range"] = _flag(
        bool(np.isfinite(fmax) and fmax <= 1.0), fmax, 1.0,
        "max |f_i| (correlation factors are typically within [-1, 1])")
    unreliable = temperature_K in UNRELIABLE_CROSS_TERMS.get(label or "", set())
    flags["cross_terms_reliable"] = _flag(
        not unreliable, None, None,
        f"the source marks {temperature_K:g} K cross terms (L_ij, i != j, and distinct parts) as "
        "unreliable" if unreliable else "no known problem with the cross terms")
    return flags


def record_to_doc(record: dict, index: int, *, source: SourceRecord, source_label: str,
                  thermo=None) -> TransportDoc:
    """One published record as a TransportDoc (pure; ``thermo`` only estimates atom counts)."""
    from ionflux import __version__
    from ionflux.formula import Composition
    from ionflux.io.trajectory import species_order

    where = f"{source.path or 'published data'} record {index}"
    if not isinstance(record, dict):
        raise InputError(f"{where}: not a JSON object")
    try:
        formula_raw = record["reduced_formula"]
        temperature = float(record["temperature"])
        mapping = {str(k): int(v) for k, v in dict(record["mapping"]).items()}
        volume = float(record["volume"])
    except KeyError as exc:
        raise InputError(f"{where}: missing {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: bad value ({exc})") from None
    where = f"{source.path or 'published data'} record {index} ({formula_raw} at {temperature:g} K)"
    try:
        comp = Composition(formula_raw)
        formula = comp.reduced_formula
    except Exception:
        raise InputError(f"{where}: reduced_formula is not a formula") from None
    n = len(mapping)
    if sorted(mapping.values()) != list(range(n)):
        raise InputError(f"{where}: mapping {mapping} is not a permutation of 0..{n - 1}")
    listed = [str(s) for s in record.get("species", list(mapping))]
    if set(listed) != set(mapping):
        raise InputError(f"{where}: species {listed} and mapping keys {sorted(mapping)} differ")
    missing = sorted({el.symbol for el in comp.elements} - set(mapping))
    if missing:
        raise InputError(f"{where}: no tensor entries for {', '.join(missing)} of {formula}")
    L_raw = _matrix(record, "L_tensor", n, where)
    S_raw = _matrix(record, "L_tensor_self", n, where)
    assumptions: list[str] = []
    if "L_tensor_dis" in record:
        D_raw = _matrix(record, "L_tensor_dis", n, where)
    else:
        D_raw = L_raw - np.diag(np.diag(S_raw))
        assumptions.append("L_tensor_dis not stored: computed as L - diag(L_self)")
    if volume <= 0 or not np.isfinite(volume):
        raise InputError(f"{where}: volume must be a positive number of Å^3, got {volume}")

    species = species_order(list(mapping))
    idx = [mapping[s] for s in species]
    L = L_raw[np.ix_(idx, idx)]
    S = S_raw[np.ix_(idx, idx)]
    D = D_raw[np.ix_(idx, idx)]
    if [s for s, _ in sorted(mapping.items(), key=lambda kv: kv[1])] != listed:
        assumptions.append(f"species list {listed} is not in tensor-index order; the mapping "
                           f"{mapping} was used")
    label = record.get("metadata")
    flags = quality_flags(L, S, D, species, temperature, label)
    L_self = [float(v) for v in np.diag(S)]
    f = {s: (float(D[i, i] / L_self[i]) if L_self[i] != 0 else None)
         for i, s in enumerate(species)}

    composition = None
    if thermo is not None:
        try:
            v_atom = thermo.volume_per_atom_A3(formula)
            n_fu_raw = volume / (v_atom * comp.reduced_composition.num_atoms)
            n_fu = max(1, round(n_fu_raw))
            composition = {el.symbol: round(amt * n_fu)
                           for el, amt in comp.reduced_composition.items()}
            entry = thermo.entry(formula)
            assumptions.append(
                f"atom count not stored: estimated {n_fu} formula units (V_cell / (v_MP x atoms "
                f"per formula unit) = {n_fu_raw:.2f}) from the crystal volume per atom "
                f"{v_atom:.3f} Å^3 of {entry.material_id if entry else formula}; amorphous cells "
                "are less dense, so this is likely an overestimate")
        except DataNotFoundError:
            composition = None
    if composition is None:
        assumptions.append("atom count not stored and no crystal volume available to estimate "
                           "it: composition is None")
    assumptions += [
        "no uncertainties published: stderr fields are None",
        "replicate count not stored (values are replicate means): n_replicates set to 1",
        "D_self not filled: it needs the atom count, which the file does not hold (the "
        "physics checks derive D from a crystal-density count, an upper bound of N: see "
        "provenance.physics_checks)",
    ]
    warnings = [f"quality check {name} failed: {flag.reason} = {flag.value}"
                if flag.value is not None else f"quality check {name} failed: {flag.reason}"
                for name, flag in flags.items() if not flag.passed]
    provenance = Provenance(
        sources=[source.model_copy(update={"temperature_K": temperature, "volume_A3": volume})],
        ionflux_version=__version__,
        method={"source_label": source_label, "metadata_label": label, "record_index": index})
    return TransportDoc(
        formula=formula, species=species, composition=composition, temperature_K=temperature,
        volume_A3=volume, L=L.tolist(), L_self=L_self, L_distinct=D.tolist(),
        correlation_factor=f, D_self_cm2_s={s: None for s in species},
        fit_window_source="published", quality=flags, provenance=provenance,
        warnings=warnings, assumptions=assumptions)


def published_file(path_or_system: str | os.PathLike) -> Path | None:
    """The file ``path_or_system`` names, or None when it is a system name.

    A system name ("Ba-Ti-O") is never a path, whatever files the working directory holds: a
    file is given as a ``Path``, or as text with a path separator or a suffix ("./Ba-Ti-O",
    "tensors.json"). What is read is then what is hashed, so a stray file cannot stand in
    for the bundled data under its cache keys.
    """
    if isinstance(path_or_system, os.PathLike):
        return Path(path_or_system)
    text = str(path_or_system)
    if "/" in text or os.sep in text or (os.altsep and os.altsep in text) \
            or Path(text).suffix:
        return Path(text)
    return None


def load_published(path_or_system: str | os.PathLike, thermo=None, *,
                   time_axis_factor: float | str | None = None) -> list[TransportDoc]:
    """TransportDocs from a published tensor JSON file, or the bundled set of a system.

    ``path_or_system`` is a system name with bundled data ("Ba-Ti-O", "Li-Ti-O"), or a file
    given as a path (see :func:`published_file`). ``thermo`` (ThermoData) is used only to
    estimate atom counts (for ``composition`` and the physics checks); by default the bundled
    or cached thermo data of the records' elements is used when there is one.

    Every document carries the physics checks of :mod:`ionflux.transport.physics_checks`
    (``physics_flags``, evidence in ``provenance.physics_checks``); the numbers are the
    published ones unless ``time_axis_factor`` F is given: then every L is divided by F
    (recorded in the provenance, assumptions and warnings, and so in every hash of the
    numbers), and the checks judge the corrected numbers. ``time_axis_factor="reference"``
    divides each composition's records by its own factor, measured against the system's
    bundled reference documents (:mod:`ionflux.transport.time_axis`), each recorded with its
    origin.
    """
    path = published_file(path_or_system)
    if path is not None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataNotFoundError(f"{path}: cannot read the published tensor file "
                                    f"({exc.strerror or type(exc).__name__})") from None
        shown = os.fspath(path_or_system)  # as given: "./Ba-Ti-O" is not the system
        label = "published Onsager tensor file"
    else:
        found = _bundled_path(str(path_or_system))
        if found is None:
            raise DataNotFoundError(f"{path_or_system!s} is not a system with bundled published "
                                    "tensors (Ba-Ti-O, Li-Ti-O); give a file as a path "
                                    f"(./{path_or_system!s} or a name ending in .json)")
        resource, folder = found
        raw = resource.read_bytes()
        shown = f"ionflux/data/{folder}/{PUBLISHED_FILE}"
        label = _SOURCE_LABELS.get(folder, "bundled published Onsager tensors")
    try:
        records = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"{shown}: not valid JSON ({exc})") from None
    if isinstance(records, dict):
        records = records.get("docs", records.get("records"))
    if not isinstance(records, list) or not records:
        raise InputError(f"{shown}: expected a non-empty list of tensor records")
    source = SourceRecord(path=shown, sha256=hashlib.sha256(raw).hexdigest(),
                          reader="published-json")
    if thermo is None:
        elements = {str(k) for r in records if isinstance(r, dict)
                    for k in dict(r.get("mapping", {}))}
        thermo = _load_thermo_for(elements) if elements else None
    from ionflux.transport.physics_checks import (
        PUBLISHED_EVIDENCE,
        apply_time_axis_factor,
        check_published_documents,
    )

    docs = [record_to_doc(r, i, source=source, source_label=label, thermo=thermo)
            for i, r in enumerate(records)]
    if time_axis_factor == "reference":
        docs = _with_reference_factors(docs, str(path_or_system))
    elif isinstance(time_axis_factor, str):
        raise InputError(f"time-axis factor must be a positive number or 'reference', got "
                         f"{time_axis_factor!r}")
    elif time_axis_factor is not None and time_axis_factor != 1.0:
        docs = [apply_time_axis_factor(d, time_axis_factor) for d in docs]
    # the study's Langevin friction and the evidence on the set hold for the ACE-MD sets; a
    # file given as a path is another set: its thermostat is unknown
    ace = path is None or any(d.provenance.method.get("metadata_label") in ACE_MD_LABELS
                              for d in docs)
    if ace:
        return check_published_documents(docs, thermo, notes=PUBLISHED_EVIDENCE)
    return check_published_documents(docs, thermo, gamma_per_fs=None)


def _with_reference_factors(docs: list[TransportDoc], system: str) -> list[TransportDoc]:
    """``docs`` each divided by its composition's factor against the bundled reference."""
    from ionflux.formula import reduced_formula
    from ionflux.transport.physics_checks import apply_time_axis_factor
    from ionflux.transport.time_axis import load_reference, time_axis_factors

    if published_file(system) is not None:
        raise InputError("time-axis factors from a reference need a bundled system "
                         "(Ba-Ti-O), not a file")
    factors = time_axis_factors(docs, load_reference(system))
    out = []
    for doc in docs:
        factor = factors[reduced_formula(doc.formula)]
        out.append(apply_time_axis_factor(
            doc, factor.factor, why=factor.describe(),
            assumption="applied at every temperature of the composition (a time-axis error "
                       "belongs to how its runs were analysed)"))
    return out
