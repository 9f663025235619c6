"""Physics checks on transport documents (issue 23 item 1; SCIENCE.md §2).

Four checks, each a pure function of the documents; a violation becomes a
:class:`~ionflux.transport.documents.PhysicsFlag` on the document, the numbers behind every
check go to ``provenance.physics_checks``. The numbers of a document are never changed here
(the one exception, :func:`apply_time_axis_factor`, is explicit and recorded).

1. **Free-particle (Langevin) bound** ``above_free_particle_bound``. Under a Langevin bath of
   friction gamma no ion diffuses faster than a free particle: D_i <= kB T / (m_i gamma)
   (interactions only add friction). Checked where gamma is known: the sidecar field
   ``thermostat_gamma_per_fs`` of MD runs, and gamma = 0.01 1/fs for the published ACE-MD sets
   (the study thermostatted with Langevin gamma = 0.01 1/fs; :data:`PUBLISHED_GAMMA_PER_FS`).
   Published records store L_self, not D: D_i = L_ii^self kB T / c_i with c_i = N_i / V. The
   atom count is not stored; it is derived from the crystal density, N = V_cell / v_atom with
   the phase's volume per atom from the thermo data (``volume_per_atom_A3``), N_i = x_i N,
   unrounded. A melt is less dense than its crystal, so this N is an upper bound of the true
   count and the derived D a lower bound of the implied one: the conservative choice (a
   flag survives any melt density). Without a crystal volume the bound is not checked (said
   so in the evidence).
2. **Centre-of-mass constraint** ``com_constraint_violated``. In the COM frame
   sum_i m_i L_ij = 0 for every j. Residual r = max_j |sum_i m_i L_ij| / max_i |m_i L_ij|.
   Published records (no errors): flagged above :data:`COM_MAX_RESIDUAL` = 0.2. MD documents:
   flagged when a column sum lies more than 3 standard errors from zero (from ``L_covariance``,
   else ``L_stderr`` as independent errors; without either, the 0.2 rule).
3. **D monotonic in T** ``D_falls_with_T``. Per (formula, species) across a set of documents
   of one source: a document is flagged when its D is below that of a colder document by more
   than 3 combined standard errors; without errors (published) any fall is flagged. For
   published records D is the derived one; without an atom count, L_self x T (proportional to
   D at the crystal density, whatever its value) is compared.
4. **MSD floor for "diffusive"** ``not_diffusive``. MD documents: the analysis' own
   ``diffusive_<el>`` quality check (per-atom MSD at the longest usable lag above
   ``min_msd_A2`` = 1 Å^2 and linear over the window). Published records: the MSD 6 D t implied
   over an assumed run length t = :data:`ASSUMED_RUN_LENGTH_FS` (2 ns, the trajectory length
   the reference study of SCIENCE.md §2 needed; the longest plausible, so the floor is the
   lowest) must reach :data:`MSD_FLOOR_A2` = 1 Å^2, i.e. D >= 8.3e-9 cm^2/s.

Measured on the bundled published sets (``ionflux transport import Ba-Ti-O``; revision 1,
bundled thermo data):

- Ba-Ti-O, 55 records; the bound is checked on 50 (Ba4TiO6 has no crystal volume in the
  bundled thermo data). 15 records break the free-particle bound (23 species flags): every
  Ba:Ti <= 1 melt (8 phases) at 1750 K for Ba, D_Ba / bound = 1.79-5.45 (bound 1.06e-4 cm^2/s;
  with whole formula units instead of the unrounded count, as issue 23 counted, 1.9-6.0), and
  7 of them for Ti (1.06-1.53x) and BaTi6O13 for O (1.05x); at 1500 K, Ba in 7 of the 8
  (1.16-3.36x; BaTi5O11 0.54x). No Ba-rich record is near it (Ba2TiO4, Ba3TiO5 <= 0.21x).
  Centre-of-mass residual: median 0.37 (0.05-1.38), 50 of 55 records above 0.2. D falls with T
  in 6 (record, species) cases on 4 records, all Ba-rich: Ba3TiO5 (Ti 750 -> 1000 -> 1250 K,
  Ba 1000 -> 1250 K and 1500 -> 1750 K, Ti 1500 -> 1750 K, 0.45x) and Ba2TiO4 (Ba 1000 ->
  1250 K, 0.46x): D ~ 5e-7 - 5e-6 cm^2/s flat or falling, a noise floor. MSD floor: nothing
  flagged (lowest D 1.4e-7 cm^2/s moves an ion 17 Å^2 in the assumed 2 ns).
- Li-Ti-O, 28 records; the bound is checked on the 16 with bundled thermo data (Li2Ti6O13,
  Li6Ti2O7 and Li8TiO6 have no crystal volume): 4 flags on 3 records, Li above it in Li4TiO4 at
  1500 and 1750 K (1.98x, 1.90x) and Li2Ti3O7 at 1750 K, Ti in Li2Ti3O7 at 1750 K (1.19x).
  Centre-of-mass residual: median 0.48 (0.04-1.28), 23 of 28 above 0.2. L_self x T falls with
  T in 7 cases on 4 records (Li4TiO4 1500 -> 1750 K: O 0.03x, Ti 0.19x; Li4Ti5O12, Li2Ti6O13).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ionflux.transport.documents import PhysicsFlag, TransportDoc
from ionflux.transport.scaling import scaled_document
from ionflux.units import A3_TO_CM3, KB_EV_PER_K

#: Bumped whenever a check or a threshold changes (enters the import fingerprint).
REVISION = 1

#: The codes a :class:`PhysicsFlag` can carry, one per check, in the order of the checks.
FLAG_CODES = ("above_free_particle_bound", "com_constraint_violated", "D_falls_with_T",
              "not_diffusive")

#: Langevin friction of the published ACE-MD study (1/fs) and where that is recorded.
PUBLISHED_GAMMA_PER_FS = 0.01
PUBLISHED_GAMMA_SOURCE = ("the published ACE-MD study thermostatted with Langevin gamma = 0.01 "
                          "1/fs (issue 23)")
#: Largest accepted centre-of-mass residual without standard errors.
COM_MAX_RESIDUAL = 0.2
#: Relative residual that is rounding, not a violation, whatever the standard errors.
COM_ROUNDING_RTOL = 1e-6
#: Significance (standard errors) beyond which a statistical check fails.
N_SIGMA = 3.0
#: The MSD a diffusing ion must reach (Å^2), as the MD analysis' ``min_msd_A2``.
MSD_FLOOR_A2 = 1.0
#: Run length assumed for published records (fs): 2 ns.
ASSUMED_RUN_LENGTH_FS = 2.0e6

#: Evidence on the published ACE-MD sets recorded in their provenance (issue 23).
PUBLISHED_EVIDENCE = [
    "The free-particle bound D <= kB T / (m gamma) of the study's Langevin bath (gamma = 0.01 "
    "1/fs) is broken by the Ti-rich records at 1500-1750 K (atom count from the crystal "
    "density, the conservative choice): see physics_flags.",
    "The authors' example trajectory (py-OATS examples/Li2Ti3O7_1750.0K.XDATCAR, same volume as "
    "the published Li2Ti3O7 1750 K record) has a one-frame MSD of 2.78/0.43/0.84 Å^2 "
    "(Li/Ti/O), so its frames are >= 56-69 fs apart; the published record implies ~10 fs per "
    "frame for all three species. The analysis code takes the time axis from time_step x "
    "step_skip metadata defaulting to 2 fs and 1: a time-axis error of >= 6x (up to ~100x) is "
    "likely. The numbers are kept as published; `ionflux transport import --time-axis-factor "
    "F` divides every L by F, recorded.",
    "The published total tensors break the centre-of-mass constraint: mass-weighted row sums "
    "are a median 37 % of the largest term.",
    "The Ba-rich records look like a noise floor (non-monotonic in T, ~1e-6 cm^2/s at 750 K).",
]

#: Relative fall below which equal values (up to rounding) are not a fall.
_FALL_RTOL = 1e-9
_AMU_KG = 1.66053906660e-27
_KB_J_PER_K = 1.380649e-23


def _mass(element: str) -> float:
    from ionflux.formula import element as element_data

    return element_data(element).atomic_mass


def free_particle_bound_cm2_s(mass_amu: float, temperature_K: float,
                              gamma_per_fs: float) -> float:
    """kB T / (m gamma) in cm^2/s: D of a free particle under a Langevin bath of friction
    ``gamma_per_fs`` (1/fs), the largest any ion can reach."""
    if not (mass_amu > 0 and temperature_K > 0 and gamma_per_fs > 0):
        raise ValueError("mass, temperature and friction must be positive")
    m2_per_s = _KB_J_PER_K * temperature_K / (mass_amu * _AMU_KG * gamma_per_fs * 1e15)
    return m2_per_s * 1e4


def diffusion_from_L_self(L_self: float, temperature_K: float, n_atoms: float,
                          volume_A3: float) -> float:
    """D_i = L_ii^self kB T / c_i (cm^2/s) with c_i = N_i / V; L_self in 1/(eV cm s)."""
    concentration = n_atoms / (volume_A3 * A3_TO_CM3)
    return L_self * KB_EV_PER_K * temperature_K / concentration


def atom_counts_from_density(formula: str, volume_A3: float,
                             volume_per_atom_A3: float) -> dict[str, float]:
    """N_i = x_i V / v_atom (unrounded): the atoms of each element a cell of ``volume_A3``
    holds at the crystal density."""
    from ionflux.formula import Composition

    comp = Composition(formula)
    total = volume_A3 / volume_per_atom_A3
    return {el.symbol: comp.get_atomic_fraction(el) * total for el in comp.elements}


def com_residuals(species: Sequence[str], L: np.ndarray) -> np.ndarray:
    """|sum_i m_i L_ij| / max_i |m_i L_ij| for every column j."""
    masses = np.array([_mass(s) for s in species])
    weighted = masses[:, None] * np.asarray(L, dtype=float)
    scale = np.abs(weighted).max(axis=0)
    sums = np.abs(weighted.sum(axis=0))
    return np.divide(sums, scale, out=np.zeros_like(sums), where=scale > 0)


def _com_column_stderr(doc: TransportDoc, masses: np.ndarray) -> np.ndarray | None:
    n = len(doc.species)
    if doc.L_covariance is not None:
        cov = np.array(doc.L_covariance, dtype=float).reshape(n, n, n, n)
        # var(sum_i m_i L_ij) = sum_ik m_i m_k cov(L_ij, L_kj)
        var = np.einsum("i,k,ijkj->j", masses, masses, cov)
        return np.sqrt(np.maximum(var, 0.0))
    if doc.L_stderr is not None and all(v is not None for row in doc.L_stderr for v in row):
        se = np.array(doc.L_stderr, dtype=float)
        return np.sqrt(((masses[:, None] * se) ** 2).sum(axis=0))
    return None


def com_check(doc: TransportDoc, statistical: bool = True
              ) -> tuple[PhysicsFlag | None, dict[str, Any]]:
    """The centre-of-mass constraint of one document: (flag or None, evidence)."""
    L = doc.matrix("L")
    residuals = com_residuals(doc.species, L)
    residual = float(residuals.max())
    masses = np.array([_mass(s) for s in doc.species])
    se = _com_column_stderr(doc, masses) if statistical else None
    evidence: dict[str, Any] = {"com_residual": residual}
    if se is not None and np.all(np.isfinite(se)):
        sums = np.abs(masses @ L)
        # rounding-level sums (a centre-of-mass-frame analysis gives ~1e-16) are zero
        sums = np.where(residuals <= COM_ROUNDING_RTOL, 0.0, sums)
        z = np.divide(sums, se, out=np.full_like(sums, np.inf), where=se > 0)
        z = np.where(sums == 0, 0.0, z)
        z_max = float(z.max())
        evidence.update(com_z=z_max if math.isfinite(z_max) else None,
                        com_rule=f"column sums within {N_SIGMA:g} standard errors (or below "
                                 f"{COM_ROUNDING_RTOL:g} relative)")
        if z_max > N_SIGMA:
            return PhysicsFlag(code="com_constraint_violated", value=residual, z=z_max,
                               detail=f"max_j |sum_i m_i L_ij| = {z_max:.1f} standard errors "
                                      f"from 0 (relative {residual:.2g})"), evidence
        return None, evidence
    evidence.update(com_threshold=COM_MAX_RESIDUAL,
                    com_rule=f"relative residual below {COM_MAX_RESIDUAL:g} (no errors)")
    if residual > COM_MAX_RESIDUAL:
        return PhysicsFlag(code="com_constraint_violated", value=residual,
                           limit=COM_MAX_RESIDUAL, ratio=residual / COM_MAX_RESIDUAL,
                           detail=f"max_j |sum_i m_i L_ij| / max_i |m_i L_ij| = "
                                  f"{residual:.2f} > {COM_MAX_RESIDUAL:g}"), evidence
    return None, evidence


def bound_flags(species: Sequence[str], D: dict[str, float | None], temperature_K: float,
                gamma_per_fs: float, D_stderr: dict[str, float | None] | None = None
                ) -> tuple[list[PhysicsFlag], dict[str, float]]:
    """Species whose D exceeds the free-particle bound (beyond 3 standard errors where
    known); returns the flags and the bound of every species (cm^2/s)."""
    flags, bounds = [], {}
    for el in species:
        bound = free_particle_bound_cm2_s(_mass(el), temperature_K, gamma_per_fs)
        bounds[el] = bound
        value = D.get(el)
        if value is None or not math.isfinite(value):
            continue
        err = (D_stderr or {}).get(el)
        err = err if err is not None and math.isfinite(err) else 0.0
        if value - N_SIGMA * err > bound:
            flags.append(PhysicsFlag(
                code="above_free_particle_bound", species=el, value=value, limit=bound,
                ratio=value / bound, z=(value - bound) / err if err > 0 else None,
                detail=f"D_{el} = {value:.3g} cm^2/s is {value / bound:.2f}x kB T/(m gamma) = "
                       f"{bound:.3g} cm^2/s (gamma = {gamma_per_fs:g} 1/fs)"))
    return flags, bounds


def msd_floor_flags_published(D: dict[str, float | None],
                              run_length_fs: float = ASSUMED_RUN_LENGTH_FS
                              ) -> tuple[list[PhysicsFlag], dict[str, float]]:
    """Species whose implied MSD 6 D t over ``run_length_fs`` stays below 1 Å^2."""
    flags, msd = [], {}
    for el, value in D.items():
        if value is None or not math.isfinite(value):
            continue
        implied = 6.0 * value * 10.0 * run_length_fs  # 1 cm^2/s = 10 Å^2/fs
        msd[el] = implied
        if implied < MSD_FLOOR_A2:
            flags.append(PhysicsFlag(
                code="not_diffusive", species=el, value=implied, limit=MSD_FLOOR_A2,
                ratio=implied / MSD_FLOOR_A2,
                detail=f"D_{el} = {value:.3g} cm^2/s moves an ion {implied:.2g} Å^2 in "
                       f"{run_length_fs / 1e6:g} ns (assumed run length): not diffusive"))
    return flags, msd


def msd_floor_flags_md(doc: TransportDoc) -> list[PhysicsFlag]:
    """The MD analysis' own ``diffusive_<el>`` checks, as flags."""
    flags = []
    for el in doc.species:
        check = doc.quality.get(f"diffusive_{el}")
        if check is not None and not check.passed:
            ratio = (check.value / check.threshold if check.value is not None
                     and check.threshold else None)
            flags.append(PhysicsFlag(code="not_diffusive", species=el, value=check.value,
                                     limit=check.threshold, ratio=ratio, detail=check.reason))
    return flags


def _with(doc: TransportDoc, flags: list[PhysicsFlag], evidence: dict[str, Any]
          ) -> TransportDoc:
    provenance = doc.provenance.model_copy(update={"physics_checks": evidence})
    return doc.model_copy(update={"physics_flags": flags, "provenance": provenance})


def check_md_document(doc: TransportDoc, thermostat_gamma_per_fs: float | None = None,
                      gamma_source: str = "sidecar thermostat_gamma_per_fs") -> TransportDoc:
    """``doc`` (from MD trajectories) with its per-document physics flags and evidence:
    bound (when the friction is known), COM residual (statistical), MSD floor."""
    flags: list[PhysicsFlag] = []
    evidence: dict[str, Any] = {"revision": REVISION, "source": "md"}
    D = {el: v for el, v in doc.D_self_cm2_s.items()}
    if thermostat_gamma_per_fs is not None:
        found, bounds = bound_flags(doc.species, D, doc.temperature_K, thermostat_gamma_per_fs,
                                    doc.D_self_cm2_s_stderr)
        flags += found
        evidence.update(thermostat_gamma_per_fs=thermostat_gamma_per_fs,
                        thermostat_source=gamma_source, D_bound_cm2_s=bounds)
    else:
        evidence["free_particle_bound"] = ("not checked: the thermostat friction is unknown "
                                           "(sidecar thermostat_gamma_per_fs)")
    flag, com = com_check(doc, statistical=True)
    evidence.update(com)
    if flag is not None:
        flags.append(flag)
    flags += msd_floor_flags_md(doc)
    evidence["msd_floor"] = "the analysis' diffusive_<el> quality checks"
    doc = withhold_nondiffusive_D(doc, {f.species for f in flags
                                        if f.code == "not_diffusive" and f.species})
    evidence["D_cm2_s"] = dict(doc.D_self_cm2_s)
    return _with(doc, flags, evidence)


def withhold_nondiffusive_D(doc: TransportDoc, species: set[str]) -> TransportDoc:
    """``doc`` without D (and its error) for ``species``, flagged not diffusive, and with an
    upper bound instead, cm^2/s.

    The fitted slope of such a species is that of a vibration, not a diffusion coefficient.
    Bound: an MSD that grows as a + 6 D t with a >= 0 gives D <= MSD(t) / (6 t); with the MSD
    at the longest usable lag (the ``diffusive_<el>`` check's value) over the fit window's end,
    which is no later than that lag, the bound is conservative. None when either is missing.
    """
    if not species:
        return doc
    end = (doc.fit_window_fs or [None, None])[-1]
    bounds: dict[str, float | None] = {}
    for el in sorted(species):
        check = doc.quality.get(f"diffusive_{el}")
        msd = check.value if check is not None else None
        bounds[el] = 0.1 * msd / (6.0 * end) if msd is not None and end else None  # Å^2/fs
    errors = doc.D_self_cm2_s_stderr
    return doc.model_copy(update={
        "D_self_cm2_s": {el: None if el in species else v for el, v in doc.D_self_cm2_s.items()},
        "D_self_cm2_s_stderr": None if errors is None else
        {el: None if el in species else v for el, v in errors.items()},
        "D_self_upper_bound_cm2_s": bounds})


def published_D(doc: TransportDoc, thermo: Any = None
                ) -> tuple[dict[str, float] | None, dict[str, Any]]:
    """D_i derived from L_self with the crystal-density atom count, and how N was obtained
    (None when there is no crystal volume for the phase)."""
    if thermo is None:
        return None, {"atom_count": "not derived: no thermo data with crystal volumes"}
    from ionflux.errors import DataNotFoundError

    try:
        v_atom = float(thermo.volume_per_atom_A3(doc.formula))
    except DataNotFoundError:
        return None, {"atom_count": f"not derived: no crystal volume for {doc.formula} in the "
                                    "thermo data"}
    entry = thermo.entry(doc.formula)
    where = getattr(entry, "material_id", None) or doc.formula
    counts = atom_counts_from_density(doc.formula, doc.volume_A3, v_atom)
    D = {el: diffusion_from_L_self(doc.L_self[i], doc.temperature_K, counts[el], doc.volume_A3)
         for i, el in enumerate(doc.species) if counts.get(el)}
    return D, {
        "atom_count": (f"crystal density: N = V_cell / v_atom = {doc.volume_A3:.1f} / "
                       f"{v_atom:.3f} Å^3 ({where}), N_i = x_i N unrounded; a melt is less "
                       "dense, so N is an upper bound and D a lower bound (conservative)"),
        "volume_per_atom_A3": v_atom, "N_atoms": sum(counts.values()), "N_by_element": counts,
        "D_cm2_s": D}


def check_published_documents(docs: Sequence[TransportDoc], thermo: Any = None, *,
                              gamma_per_fs: float | None = PUBLISHED_GAMMA_PER_FS,
                              gamma_source: str = PUBLISHED_GAMMA_SOURCE,
                              run_length_fs: float = ASSUMED_RUN_LENGTH_FS,
                              notes: Sequence[str] = ()) -> list[TransportDoc]:
    """Published records with their physics flags (all four checks, monotonicity across
    ``docs``) and the evidence in their provenance; numbers unchanged. ``gamma_per_fs`` None:
    the thermostat is unknown and the free-particle bound is not checked."""
    derived: dict[int, dict[str, float] | None] = {}
    out: list[TransportDoc] = []
    for k, doc in enumerate(docs):
        flags: list[PhysicsFlag] = []
        D, evidence = published_D(doc, thermo)
        derived[k] = D
        evidence = {"revision": REVISION, "source": "published", **evidence}
        if D is not None and gamma_per_fs is None:
            evidence["free_particle_bound"] = "not checked: the thermostat friction is unknown"
        if D is not None and gamma_per_fs is not None:
            found, bounds = bound_flags(doc.species, D, doc.temperature_K, gamma_per_fs)
            flags += found
            evidence.update(thermostat_gamma_per_fs=gamma_per_fs, thermostat_source=gamma_source,
                            D_bound_cm2_s=bounds)
        if D is not None:
            floor, msd = msd_floor_flags_published(D, run_length_fs)
            flags += floor
            evidence.update(assumed_run_length_fs=run_length_fs, implied_msd_A2=msd,
                            msd_floor_A2=MSD_FLOOR_A2)
        else:
            evidence["free_particle_bound"] = "not checked: no atom count, so no D"
            evidence["msd_floor"] = "not checked: no atom count, so no D"
        flag, com = com_check(doc, statistical=False)
        evidence.update(com)
        if flag is not None:
            flags.append(flag)
        if notes:
            evidence["notes"] = list(notes)
        out.append(_with(doc, flags, evidence))

    def d_of(k: int, doc: TransportDoc) -> tuple[dict[str, float], dict[str, float], str]:
        if derived[k] is not None:
            return derived[k], {}, "D"  # type: ignore[return-value]
        return ({el: doc.L_self[i] * doc.temperature_K for i, el in enumerate(doc.species)},
                {}, "L_self x T")

    falls = monotonic_flags(out, d_of)
    result = []
    for k, doc in enumerate(out):
        method = "derived D" if derived[k] is not None else \
            "L_self x T (proportional to D at the crystal density)"
        evidence = {**(doc.provenance.physics_checks or {}), "monotonic_in_T": method}
        result.append(_with(doc, [*doc.physics_flags, *falls.get(k, [])], evidence))
    return result


def monotonic_flags(docs: Sequence[TransportDoc], d_of=None) -> dict[int, list[PhysicsFlag]]:
    """``D_falls_with_T`` flags by position in ``docs``: per (formula, species), a document
    whose D lies below a colder document's by more than 3 combined standard errors (any fall
    without errors). ``d_of(k, doc)`` gives (D, stderr, label); by default the documents'
    ``D_self_cm2_s`` and its stderr."""
    if d_of is None:
        def d_of(k: int, doc: TransportDoc):
            return (doc.D_self_cm2_s, doc.D_self_cm2_s_stderr or {}, "D")
    values = [d_of(k, doc) for k, doc in enumerate(docs)]
    by_formula: dict[str, list[int]] = {}
    for k, doc in enumerate(docs):
        by_formula.setdefault(doc.formula, []).append(k)
    flags: dict[int, list[PhysicsFlag]] = {}
    for members in by_formula.values():
        members.sort(key=lambda k: docs[k].temperature_K)
        species = {el for k in members for el in docs[k].species}
        for el in sorted(species):
            for pos, hot in enumerate(members):
                worst: PhysicsFlag | None = None
                d_hot, se_hot, label = values[hot]
                v_hot = d_hot.get(el)
                if v_hot is None or not math.isfinite(v_hot):
                    continue
                for cold in members[:pos]:
                    if docs[cold].temperature_K >= docs[hot].temperature_K:
                        continue
                    d_cold, se_cold, _ = values[cold]
                    v_cold = d_cold.get(el)
                    if v_cold is None or not math.isfinite(v_cold) \
                            or v_hot >= v_cold * (1.0 - _FALL_RTOL):
                        continue
                    errs = [e for e in (se_hot.get(el), se_cold.get(el))
                            if e is not None and math.isfinite(e)]
                    combined = math.sqrt(sum(e * e for e in errs)) if len(errs) == 2 else None
                    z = (v_cold - v_hot) / combined if combined else None
                    if combined is not None and z is not None and z <= N_SIGMA:
                        continue
                    ratio = v_hot / v_cold if v_cold else None
                    if worst is None or (ratio is not None and worst.ratio is not None
                                         and ratio < worst.ratio):
                        errors = (f", {z:.1f} combined standard errors" if z is not None
                                  else " (no standard errors: any fall is flagged)")
                        worst = PhysicsFlag(
                            code="D_falls_with_T", species=el, value=v_hot, limit=v_cold,
                            ratio=ratio, z=z,
                            detail=f"{label} of {el} falls from {v_cold:.3g} at "
                                   f"{docs[cold].temperature_K:g} K to {v_hot:.3g} at "
                                   f"{docs[hot].temperature_K:g} K{errors}")
                if worst is not None:
                    flags.setdefault(hot, []).append(worst)
    return flags


#: Fields of a stored record the read-time monotonicity check needs.
MONOTONIC_PROPERTIES = ["group_id", "formula", "temperature_K", "species", "D_self_cm2_s",
                        "D_self_cm2_s_stderr"]


def _record_key(record: dict) -> str:
    return record.get("group_id") or f"{record['formula']}@{float(record['temperature_K']):g}K"


def monotonic_flags_for_records(records: Sequence[dict], siblings: Iterable[dict]
                                ) -> list[list[dict]]:
    """``D_falls_with_T`` flags (as dicts) for stored records, judged against ``siblings``
    (stored records of the same source, e.g. every MD aggregate of the same formulas; may
    include ``records``). Only :data:`MONOTONIC_PROPERTIES` are read."""
    from types import SimpleNamespace

    pool = {_record_key(r): r for r in siblings}
    for r in records:
        pool.setdefault(_record_key(r), r)
    keys = sorted(pool)
    docs = [SimpleNamespace(formula=pool[k]["formula"],
                            temperature_K=float(pool[k]["temperature_K"]),
                            species=list(pool[k].get("species") or []),
                            D_self_cm2_s=pool[k].get("D_self_cm2_s") or {},
                            D_self_cm2_s_stderr=pool[k].get("D_self_cm2_s_stderr") or {})
            for k in keys]
    flags = monotonic_flags(docs)  # type: ignore[arg-type]
    return [[f.model_dump(mode="json") for f in flags.get(keys.index(_record_key(r)), [])]
            for r in records]


def with_monotonic_flags(records: list[dict], store: Any) -> list[dict]:
    """``records`` (stored MD aggregates) with ``D_falls_with_T`` flags judged at read time
    against every record of the same formulas in ``store``: the check spans documents that
    are built one at a time, so it is made where they are read (query, API, publish)."""
    formulas = sorted({r["formula"] for r in records if r.get("formula")})
    if not formulas:
        return records
    siblings = list(store.query({"formula": {"$in": formulas}}, properties=MONOTONIC_PROPERTIES))
    extra = monotonic_flags_for_records(records, siblings)
    out = []
    for record, flags in zip(records, extra, strict=True):
        kept = [f for f in record.get("physics_flags") or [] if f.get("code") != "D_falls_with_T"]
        out.append({**record, "physics_flags": kept + flags})
    return out


def flag_codes(text: str | None) -> tuple[str, ...] | None:
    """The flag codes of a comma-separated ``text`` (``any``: every code); None for no text.
    An unknown code is an InputError naming the known ones."""
    names = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not names:
        return None
    if names == ["any"]:
        return FLAG_CODES
    unknown = [n for n in names if n not in FLAG_CODES]
    if unknown:
        from ionflux.errors import InputError

        raise InputError(f"unknown physics flag {', '.join(unknown)}; use any or "
                         f"{', '.join(FLAG_CODES)}")
    return tuple(names)


def apply_time_axis_factor(doc: TransportDoc, factor: float, why: str | None = None,
                           assumption: str | None = None) -> TransportDoc:
    """``doc`` with every Onsager coefficient divided by ``factor``: the correction when the
    true time between frames is ``factor`` times the one the analysis assumed (slopes scale as
    1 / time). Recorded in ``provenance.method['time_axis_factor']`` (and ``why``, where the
    factor comes from, in ``time_axis_origin``), the assumptions and the warnings (with
    ``assumption``, how the factor was applied); correlation factors are unchanged. Never
    applied unless asked for."""
    if not (isinstance(factor, int | float) and math.isfinite(factor) and factor > 0):
        from ionflux.errors import InputError

        raise InputError(f"time-axis factor must be a positive number, got {factor!r}")
    method = {**doc.provenance.method, "time_axis_factor": float(factor)}
    if why:
        method["time_axis_origin"] = why
    provenance = doc.provenance.model_copy(update={"method": method})
    note = (f"time-axis correction applied on request: every L (and D) divided by {factor:g} "
            "(true frame spacing taken as that multiple of the stated one); not the published "
            "numbers" + (f"; factor {why}" if why else "")
            + (f"; {assumption}" if assumption else ""))
    return scaled_document(doc, 1.0 / float(factor), provenance=provenance,
                           assumptions=[*doc.assumptions, note], warnings=[*doc.warnings, note])


def summary(docs: Sequence[TransportDoc], worst: int = 3) -> dict[str, Any]:
    """Counts per flag code, the worst cases, and how many records each check covered."""
    counts: dict[str, int] = {}
    records: dict[str, set[str]] = {}
    cases: dict[str, list[tuple[float, str]]] = {}
    residuals = []
    checked_bound = 0
    for doc in docs:
        evidence = doc.provenance.physics_checks or {}
        if "D_bound_cm2_s" in evidence:
            checked_bound += 1
        if evidence.get("com_residual") is not None:
            residuals.append(float(evidence["com_residual"]))
        for flag in doc.physics_flags:
            counts[flag.code] = counts.get(flag.code, 0) + 1
            records.setdefault(flag.code, set()).add(doc.key())
            severity = flag.ratio if flag.ratio is not None else (flag.value or 0.0)
            if flag.code in ("D_falls_with_T", "not_diffusive") and flag.ratio:
                severity = 1.0 / flag.ratio  # smaller ratio is worse
            where = f"{doc.key()}" + (f" {flag.species}" if flag.species else "")
            cases.setdefault(flag.code, []).append((severity, f"{where}: {flag.detail}"))
    return {
        "n_documents": len(docs),
        "n_bound_checked": checked_bound,
        "com_residual_median": float(np.median(residuals)) if residuals else None,
        "com_residual_range": [min(residuals), max(residuals)] if residuals else None,
        "flags": {code: {"count": counts[code], "documents": len(records[code]),
                         "worst": [text for _, text in sorted(cases[code], reverse=True)[:worst]]}
                  for code in sorted(counts)},
    }


def summary_lines(docs: Sequence[TransportDoc], worst: int = 3) -> list[str]:
    """:func:`summary` as text for the terminal."""
    s = summary(docs, worst)
    lines = [f"physics checks on {s['n_documents']} documents (free-particle bound checked on "
             f"{s['n_bound_checked']}):"]
    if s["com_residual_median"] is not None:
        lo, hi = s["com_residual_range"]
        lines.append(f"  centre-of-mass residual max_j |sum_i m_i L_ij| / max_i |m_i L_ij|: "
                     f"median {s['com_residual_median']:.2f} (range {lo:.2f}-{hi:.2f})")
    if not s["flags"]:
        lines.append("  no flags")
    for code, item in s["flags"].items():
        lines.append(f"  {code}: {item['count']} flag(s) on {item['documents']} document(s); "
                     "worst:")
        lines += [f"    {text}" for text in item["worst"]]
    return lines
