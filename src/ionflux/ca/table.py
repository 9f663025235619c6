"""The numeric reaction table the automaton consumes: arrays only, no thermodynamics.

Reactions are stored sorted so that the reactions of one unordered phase pair (and the
decompositions of one phase) are contiguous; ``pair_start[p, q]``/``pair_count[p, q]`` and
``dec_start[p]``/``dec_count[p]`` index them. Scores are per profile temperature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.errors import InputError

PAIR = 0
DECOMPOSITION = 1


@dataclass(frozen=True)
class CATable:
    """Phases, reaction stoichiometry and scores at each temperature, as numpy arrays.

    Amounts are reduced formula units; ``molar_volume`` is Å^3 per formula unit.
    """

    phases: tuple[str, ...]
    elements: tuple[str, ...]
    composition: np.ndarray  # (P, E) atoms per formula unit
    molar_volume: np.ndarray  # (P,)
    melting_point: np.ndarray  # (P,) K, for cell swaps (T/T_m of a cell's phase)
    labels: tuple[str, ...]
    kind: np.ndarray  # (R,) PAIR or DECOMPOSITION
    ra: np.ndarray  # (R,) first reactant phase
    rb: np.ndarray  # (R,) second reactant phase (= ra for decompositions)
    ca: np.ndarray  # (R,) coefficient of ra
    cb: np.ndarray  # (R,) coefficient of rb (0 for decompositions)
    p1: np.ndarray  # (R,) first product
    p2: np.ndarray  # (R,) second product or -1
    c1: np.ndarray  # (R,)
    c2: np.ndarray  # (R,)
    temperatures_K: tuple[float, ...]
    scores: np.ndarray  # (n_T, R)
    pair_start: np.ndarray  # (P, P)
    pair_count: np.ndarray  # (P, P)
    dec_start: np.ndarray  # (P,)
    dec_count: np.ndarray  # (P,)
    order: np.ndarray = field(repr=False)  # (R,) position of each row in the reactions given
    pair_weight: np.ndarray = field(repr=False)  # (n_T, P, P) sum of scores of the pair
    dec_weight: np.ndarray = field(repr=False)  # (n_T, P) sum of decomposition scores
    pair_max: np.ndarray = field(repr=False)  # (n_T, P, P) largest score of the pair
    dec_max: np.ndarray = field(repr=False)  # (n_T, P) largest decomposition score

    @property
    def n_phases(self) -> int:
        return len(self.phases)

    def index(self, phase: str) -> int:
        try:
            return self.phases.index(phase)
        except ValueError:
            raise InputError(f"phase {phase!r} is not among the automaton phases "
                             f"({', '.join(self.phases)})") from None

    def temperature_index(self, temperature_K: float) -> int:
        for i, t in enumerate(self.temperatures_K):
            if abs(t - float(temperature_K)) < 1e-9:
                return i
        raise InputError(f"no reaction scores at {temperature_K:g} K in the reaction table "
                         f"(have {', '.join(f'{t:g}' for t in self.temperatures_K)} K)")

    def element_totals(self, moles: np.ndarray) -> np.ndarray:
        """Atoms of each element for phase amounts ``moles`` (formula units, shape (P,))."""
        return np.asarray(moles, float) @ self.composition


def build_table(phases: Mapping[str, PhaseInfo], reactions: Sequence[Reaction],
                scores: Mapping[float, Sequence[float]]) -> CATable:
    """Assemble a :class:`CATable` from phases, reactions and scores (K -> score per reaction).

    Scores must be finite and non-negative; a zero score means "not offered at that T".
    """
    names = list(phases)
    index = {n: i for i, n in enumerate(names)}
    elements = sorted({el for p in phases.values() for el in p.composition})
    comp = np.array([[phases[n].composition.get(el, 0.0) for el in elements] for n in names])
    vol = np.array([phases[n].molar_volume_A3 for n in names], float)
    tm = np.array([phases[n].melting_point_K for n in names], float)

    def sort_key(i: int) -> tuple:
        r = reactions[i]
        ids = sorted(index[f] for f in r.reactants)
        return (r.kind == "decomposition", ids[0], ids[-1], i)

    for r in reactions:
        missing = [f for f in (*r.reactants, *r.products) if f not in index]
        if missing:
            raise InputError(f"reaction {r.label} uses {', '.join(missing)}, which is not "
                             "among the automaton phases")
        if r.kind == "pair" and (len(r.reactants) != 2 or len(r.products) != 1):
            raise InputError(f"pair reaction {r.label} must have two reactants and one product")
        if r.kind == "decomposition" and (len(r.reactants) != 1 or len(r.products) != 2):
            raise InputError(f"decomposition {r.label} must have one reactant, two products")
    order = sorted(range(len(reactions)), key=sort_key)
    n = len(order)
    kind = np.zeros(n, np.int64)
    ra = np.zeros(n, np.int64)
    rb = np.zeros(n, np.int64)
    ca = np.zeros(n)
    cb = np.zeros(n)
    p1 = np.zeros(n, np.int64)
    p2 = np.full(n, -1, np.int64)
    c1 = np.zeros(n)
    c2 = np.zeros(n)
    labels = []
    for j, i in enumerate(order):
        r = reactions[i]
        labels.append(r.label)
        (fa, va), *rest = list(r.reactants.items())
        ra[j], ca[j] = index[fa], va
        if r.kind == "pair":
            (fb, vb), = rest
            rb[j], cb[j] = index[fb], vb
        else:
            kind[j] = DECOMPOSITION
            rb[j] = ra[j]
        prods = list(r.products.items())
        p1[j], c1[j] = index[prods[0][0]], prods[0][1]
        if len(prods) > 1:
            p2[j], c2[j] = index[prods[1][0]], prods[1][1]
    n_p = len(names)
    pair_start = np.zeros((n_p, n_p), np.int64)
    pair_count = np.zeros((n_p, n_p), np.int64)
    dec_start = np.zeros(n_p, np.int64)
    dec_count = np.zeros(n_p, np.int64)
    for j in range(n):
        if kind[j] == PAIR:
            a, b = ra[j], rb[j]
            if pair_count[a, b] == 0:
                pair_start[a, b] = pair_start[b, a] = j
            pair_count[a, b] += 1
            pair_count[b, a] = pair_count[a, b]
        else:
            a = ra[j]
            if dec_count[a] == 0:
                dec_start[a] = j
            dec_count[a] += 1
    structure = CATable(phases=tuple(names), elements=tuple(elements), composition=comp,
                        molar_volume=vol, melting_point=tm, labels=tuple(labels), kind=kind,
                        ra=ra, rb=rb, ca=ca, cb=cb, p1=p1, p2=p2, c1=c1, c2=c2,
                        temperatures_K=(), scores=np.zeros((0, n)), pair_start=pair_start,
                        pair_count=pair_count, dec_start=dec_start, dec_count=dec_count,
                        order=np.array(order, np.int64), pair_weight=np.zeros((0, n_p, n_p)),
                        dec_weight=np.zeros((0, n_p)), pair_max=np.zeros((0, n_p, n_p)),
                        dec_max=np.zeros((0, n_p)))
    return rescored(structure, scores)


def rescored(table: CATable, scores: Mapping[float, Sequence[float]]) -> CATable:
    """``table`` with other scores (K -> score per reaction, in the order of the reactions it
    was built from): the stoichiometry is kept, scores and pair/decomposition weights are new.

    A pair's weight is the sum of its scores in row order (the order the automaton tables
    have always used, so the sums are the same to the last bit).
    """
    n, n_p = len(table.labels), table.n_phases
    temps = tuple(float(t) for t in scores)
    score_arr = np.zeros((len(temps), n))
    for k, t in enumerate(temps):
        row = np.asarray(scores[t], float)
        if row.shape != (n,):
            raise InputError(f"scores at {t:g} K: expected {n} values, got {row.shape}")
        if not np.all(np.isfinite(row)) or np.any(row < 0):
            raise InputError(f"scores at {t:g} K must be finite and >= 0")
        score_arr[k] = row[table.order]
    pair = table.kind == PAIR
    lo = np.minimum(table.ra, table.rb)[pair]
    hi = np.maximum(table.ra, table.rb)[pair]
    at_pair = (slice(None), lo, hi)
    at_dec = (slice(None), table.ra[~pair])
    pair_w = np.zeros((len(temps), n_p, n_p))
    dec_w = np.zeros((len(temps), n_p))
    pair_m = np.zeros((len(temps), n_p, n_p))
    dec_m = np.zeros((len(temps), n_p))
    # ufunc.at applies repeated indices one after another, in row order
    np.add.at(pair_w, at_pair, score_arr[:, pair])
    np.maximum.at(pair_m, at_pair, score_arr[:, pair])
    np.add.at(dec_w, at_dec, score_arr[:, ~pair])
    np.maximum.at(dec_m, at_dec, score_arr[:, ~pair])
    # symmetric: lo < hi, so the lower triangle is still zero and adding it copies exactly
    pair_w += pair_w.transpose(0, 2, 1)
    pair_m += pair_m.transpose(0, 2, 1)
    return replace(table, temperatures_K=temps, scores=score_arr, pair_weight=pair_w,
                   dec_weight=dec_w, pair_max=pair_m, dec_max=dec_m)
