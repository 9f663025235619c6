"""Deliberately simple pure-Python implementation of the automaton's update rule.

It exists to check the compiled kernel (:mod:`ionflux.ca.kernel`): it is written independently
(coordinates instead of a neighbour table, dictionaries instead of index arrays, Python's
``random`` instead of numba's stream) and runs the same rules one update at a time. Use it on small
grids only; it is ~100x slower.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ionflux.ca.table import DECOMPOSITION, CATable


@dataclass
class _Rxn:
    index: int
    reactants: dict[int, float]
    products: list[tuple[int, float]]
    score: float


class ReferenceAutomaton:
    """Cells as Python lists; one :meth:`update` = one randomly chosen cell."""

    def __init__(self, table: CATable, grid: int, phase: list[int], amount: list[float],
                 inertia: float, event_volume: float, seed: int,
                 pair_weight: str = "sum") -> None:
        self.table = table
        self.grid = grid
        self.phase = list(phase)
        self.amount = list(amount)
        self.inertia = inertia
        self.pair_weight = pair_weight
        self.event_volume = event_volume
        self.rng = random.Random(seed)
        self.volume = [float(v) for v in table.molar_volume]
        self.events = [0] * len(table.labels)
        self.swaps = 0
        self.swap_p = [0.0] * table.n_phases
        self.pairs: dict[frozenset, list[_Rxn]] = {}
        self.decompositions: dict[int, list[_Rxn]] = {}

    def use_temperature(self, t_index: int, swap_p: list[float] | None = None) -> None:
        """Offer the reactions with their scores at temperature index ``t_index``; ``swap_p``
        is the probability, per phase, that an update swaps the cell with a neighbour."""
        table = self.table
        self.swap_p = [0.0] * table.n_phases if swap_p is None else [float(p) for p in swap_p]
        self.pairs = {}
        self.decompositions = {}
        for r in range(len(table.labels)):
            score = float(table.scores[t_index, r])
            if score <= 0:
                continue
            products = [(int(table.p1[r]), float(table.c1[r]))]
            if table.p2[r] >= 0:
                products.append((int(table.p2[r]), float(table.c2[r])))
            if table.kind[r] == DECOMPOSITION:
                rxn = _Rxn(r, {int(table.ra[r]): float(table.ca[r])}, products, score)
                self.decompositions.setdefault(int(table.ra[r]), []).append(rxn)
            else:
                reactants = {int(table.ra[r]): float(table.ca[r]),
                             int(table.rb[r]): float(table.cb[r])}
                rxn = _Rxn(r, reactants, products, score)
                self.pairs.setdefault(frozenset(reactants), []).append(rxn)

    def neighbours(self, cell: int) -> list[int]:
        g = self.grid
        x, rest = divmod(cell, g * g)
        y, z = divmod(rest, g)
        out = []
        for dx, dy, dz in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            out.append((((x + dx) % g) * g + (y + dy) % g) * g + (z + dz) % g)
        return out

    def update(self) -> None:
        cell = self.rng.randrange(len(self.phase))
        mine = self.phase[cell]
        if self.rng.random() < self.swap_p[mine]:
            other = self.rng.choice(self.neighbours(cell))
            self.phase[cell], self.phase[other] = self.phase[other], mine
            self.amount[cell], self.amount[other] = self.amount[other], self.amount[cell]
            self.swaps += 1
            return
        options: list[tuple[float, str, int, list[_Rxn]]] = [(self.inertia, "none", -1, [])]
        same = []
        for nb in self.neighbours(cell):
            other = self.phase[nb]
            if other == mine:
                same.append(nb)
                continue
            self._offer(options, "pair", nb, self.pairs.get(frozenset((mine, other)), []))
        if same:
            self._offer(options, "decomposition", -1, self.decompositions.get(mine, []))
        total = sum(o[0] for o in options)
        if total <= 0:
            return
        _, what, nb, rxns = self._choose(options, total)
        if what == "none":
            return
        rxn = rxns[0] if len(rxns) == 1 else self._choose(
            [(r.score, "", -1, r) for r in rxns], sum(r.score for r in rxns))[3]
        if what == "pair":
            self._pair(cell, nb, rxn)
        else:
            self._decompose(cell, self.rng.choice(same), rxn)

    def _offer(self, options: list, what: str, nb: int, rxns: list[_Rxn]) -> None:
        """Every reaction as its own option ('sum'), or the group once at its largest score."""
        if not rxns:
            return
        if self.pair_weight == "sum":
            options.extend((r.score, what, nb, [r]) for r in rxns)
        else:
            options.append((max(r.score for r in rxns), what, nb, rxns))

    def _choose(self, options: list, total: float):
        pick = self.rng.random() * total
        for option in options:
            if pick < option[0]:
                return option
            pick -= option[0]
        return options[-1]

    def _proceeds(self, consumed_volume: float) -> bool:
        if consumed_volume <= self.event_volume:
            return True
        return self.rng.random() < self.event_volume / consumed_volume

    def _pair(self, cell: int, nb: int, rxn: _Rxn) -> None:
        a = rxn.reactants[self.phase[cell]]
        b = rxn.reactants[self.phase[nb]]
        extent_cell = self.amount[cell] / a
        extent_nb = self.amount[nb] / b
        extent = min(extent_cell, extent_nb)
        consumed = extent * (a * self.volume[self.phase[cell]] + b * self.volume[self.phase[nb]])
        if not self._proceeds(consumed):
            return
        self.events[rxn.index] += 1
        product, coeff = rxn.products[0]
        made = coeff * extent
        left_cell = self.amount[cell] - a * extent if extent_nb < extent_cell else 0.0
        left_nb = self.amount[nb] - b * extent if extent_cell < extent_nb else 0.0
        if left_nb > 0:
            self.amount[nb] = left_nb
            self.phase[cell], self.amount[cell] = product, made
        elif left_cell > 0:
            self.amount[cell] = left_cell
            self.phase[nb], self.amount[nb] = product, made
        else:
            v_cell = a * self.volume[self.phase[cell]]
            v_nb = b * self.volume[self.phase[nb]]
            to_cell = made * v_cell / (v_cell + v_nb)
            self.phase[cell], self.amount[cell] = product, to_cell
            self.phase[nb], self.amount[nb] = product, made - to_cell

    def _decompose(self, cell: int, partner: int, rxn: _Rxn) -> None:
        pooled = self.amount[cell] + self.amount[partner]
        if not self._proceeds(pooled * self.volume[self.phase[cell]]):
            return
        self.events[rxn.index] += 1
        extent = pooled / next(iter(rxn.reactants.values()))
        (first_phase, first_c), (second_phase, second_c) = rxn.products
        cells = [cell, partner]
        if self.rng.random() < 0.5:
            cells.reverse()
        self.phase[cells[0]], self.amount[cells[0]] = first_phase, first_c * extent
        self.phase[cells[1]], self.amount[cells[1]] = second_phase, second_c * extent

    def run(self, n_updates: int) -> None:
        for _ in range(n_updates):
            self.update()
