"""Which runs a melt document uses (ionflux.md.selection): synthetic replicates whose cations
are random (a liquid) or sit on a lattice from a known time, and runs that stopped early."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ionflux.errors import InputError
from ionflux.md.run import MDRun
from ionflux.md.selection import (
    cation_order,
    measure_order,
    order_flag,
    ordering_changed,
    select_runs,
)

FRAME_FS = 10.0
N_FRAMES = 400  # 4 ps: four 1-ps windows
WINDOW = {"window_ps": 1.0, "frames": 5}
GRID = np.array([(i, j, k) for i in range(4) for j in range(4) for k in range(4)]) * 3.0


def _replicate(seed: int, orders_from_fs: float | None = None, stop_at: int | None = None,
               cell_A: float = 12.0) -> MDRun:
    """40 Ba + 24 O at random in a cubic cell; with ``orders_from_fs``, the Ba atoms sit on a
    simple-cubic lattice (18 Ba within 4.6 Å: solid-like 1) from that time on. ``stop_at``:
    the run left the potential's domain at that frame (a partial run, as the MD writes it)."""
    rng = np.random.default_rng(seed)
    n = N_FRAMES if stop_at is None else stop_at
    times = [FRAME_FS * k for k in range(n)]
    positions = [np.vstack([GRID[:40] + rng.normal(scale=0.05, size=(40, 3))
                            if orders_from_fs is not None and t >= orders_from_fs
                            else rng.uniform(0, cell_A, size=(40, 3)),
                            rng.uniform(0, cell_A, size=(24, 3))]) for t in times]
    return MDRun(symbols=["Ba"] * 40 + ["O"] * 24, cell=np.eye(3) * cell_A,
                 positions=positions, times_fs=times, temperature_K=1000.0,
                 kinetic_temperatures_K=[1000.0] * n, potential_energies_eV=[0.0] * n,
                 partial=stop_at is not None,
                 stop_reason=None if stop_at is None else
                 "step 9: extrapolation grade above 100: the melt left the distilled potential's "
                 "training domain", metadata={"settings": {"seed": seed}})


def _measured(*runs: MDRun):
    return [measure_order(run, **WINDOW) for run in runs]


def test_cation_order_flags_the_replicate_and_window_that_crystallise():
    """Whole runs: the flag fails with a solid-like fraction of 1 and names seed 2 and the
    window where its Ba order (2 ps); the liquid alone passes near 0. O, the anion, is not part
    of the sublattice; a cutoff beyond half the cell is refused."""
    liquid, ordered = _replicate(1), _replicate(2, orders_from_fs=2000.0)
    flag = cation_order([liquid, ordered], **WINDOW)
    assert not flag.passed and flag.value > 0.9
    assert "seed 2, window from 2 ps" in flag.reason and "Ba sublattice" in flag.reason
    alone = cation_order([liquid], **WINDOW)
    assert alone.passed and alone.value < 0.05
    with pytest.raises(InputError, match="half the cell"):
        cation_order([liquid], cutoff=6.5, window_ps=1.0)


def test_a_liquid_run_replaces_one_that_orders_and_the_flag_says_so():
    liquid, ordered = _replicate(1), _replicate(2, orders_from_fs=2000.0)
    chosen = select_runs(_measured(liquid, ordered), level=0.1)
    assert chosen.runs == [liquid] and [(u.end, u.source) for u in chosen.used] == [
        ("finished", 0)]
    assert [left.why for left in chosen.left_out] == [
        "seed 2 not used: cations order from 2 ps (solid-like fraction above 0.1)"]
    flag = order_flag(chosen)
    assert flag.passed and flag.value < 0.05
    assert "frames used" in flag.reason
    assert "seed 2 not used: cations order from 2 ps" in flag.reason
    assert chosen.left_out[0].ordered and chosen.used[0].cut_ps is None
    # the seed is the runner's record; a run without one is named "?", not dropped
    unnamed = dataclasses.replace(ordered, metadata={})
    assert (liquid.seed, unnamed.seed) == (1, None)
    assert [left.why for left in select_runs(_measured(liquid, unnamed), level=0.1).left_out] == [
        "seed ? not used: cations order from 2 ps (solid-like fraction above 0.1)"]
    # the flag reads which runs ordered from the selection, not from its notes' wording
    chosen.left_out[0].ordered = False
    assert "seed 2" not in order_flag(chosen).reason


def test_left_out_entries_are_the_entries_as_worded():
    """runs_not_used split into one entry per run: an entry holding "; " stays whole, an
    unnumbered seed is an entry of its own, and nothing else comes back (the seed numbers
    once did, from the pattern's group)."""
    from ionflux.md.selection import left_out_entries

    two_reasons = ("seed 2 not used: cations order from 80 ps (solid-like fraction above 0.1); "
                   "stopped early (72500 of 100000 steps done) after 144.0 ps")
    entries = [two_reasons, "seed ? not used: left the domain after 3.0 ps",
               "seed 11 not used: cations order from 60 ps (first realisation; not remade)"]
    assert left_out_entries("; ".join(entries)) == entries
    assert left_out_entries(None) == [] and left_out_entries("") == []
    assert left_out_entries("free text; seed 3 not used: x") == ["free text", "seed 3 not used: x"]


def test_without_a_liquid_run_each_run_is_cut_where_it_orders():
    """Orders from 2 and 3 ps: each is used over the frames before its first ordered window,
    whose windows are all liquid."""
    early, late = _replicate(1, orders_from_fs=2000.0), _replicate(2, orders_from_fs=3000.0)
    chosen = select_runs(_measured(early, late), level=0.1)
    assert [run.times_fs[-1] for run in chosen.runs] == [1990.0, 2990.0]
    assert [u.end for u in chosen.used] == ["cut where its cations order (2 ps)",
                                           "cut where its cations order (3 ps)"]
    assert chosen.left_out == [] and [(u.source, u.cut_ps) for u in chosen.used] == [
        (0, 2.0), (1, 3.0)]
    assert [[start for start, _ in u.windows] for u in chosen.used] == [[0.0, 1.0],
                                                                      [0.0, 1.0, 2.0]]
    flag = order_flag(chosen)
    assert flag.passed and "seed 1 cut where its cations order (2 ps)" in flag.reason
    # the sensitivity that keeps ordered frames: both whole, and the flag fails
    kept = select_runs(_measured(early, late), level=None)
    assert [run.n_frames for run in kept.runs] == [N_FRAMES, N_FRAMES]
    assert not order_flag(kept).passed


def test_a_run_that_left_the_domain_is_used_only_without_a_finished_one():
    exited, finished = _replicate(1, stop_at=250), _replicate(2)
    chosen = select_runs(_measured(exited, finished))
    assert chosen.runs == [finished] and chosen.used[0].source == 1
    assert [left.why for left in chosen.left_out] == [
        "seed 1 not used: left the domain after 2.5 ps"]
    assert not chosen.left_out[0].ordered and chosen.used[0].cut_ps is None
    alone = select_runs(_measured(exited))
    assert alone.runs == [exited] and alone.used[0].end == "left the domain"
    # a level above every window's fraction orders nothing: the choice moves with the level
    ordered = _replicate(3, orders_from_fs=2000.0)
    assert select_runs(_measured(finished, ordered), level=1.0).runs == [finished, ordered]


def test_order_that_cannot_be_measured_is_said_not_guessed():
    """A 9-Å cell cannot hold the 4.6-Å cutoff: the run is used (nothing says it ordered),
    the selection says why its order is unmeasured and no flag is made."""
    small = _replicate(1, cell_A=9.0)
    chosen = select_runs([measure_order(small, **WINDOW)])
    assert chosen.runs == [small] and chosen.used[0].windows is None
    assert "seed 1:" in chosen.unmeasured[0] and "half the cell" in chosen.unmeasured[0]
    assert order_flag(chosen) is None
    with pytest.raises(Exception, match="no runs"):
        select_runs([])


def test_a_document_says_whether_ordering_changed_its_runs():
    """``ordering_changed`` reads back what ``select_runs`` wrote into a document's method
    (runs_not_used, run_ends): true for a run left out or cut for ordering, false for a run
    that only left the domain or for runs all used whole."""
    def method(chosen):
        return {"run_ends": "; ".join(u.end for u in chosen.used),
                **({"runs_not_used": "; ".join(left.why for left in chosen.left_out)}
                   if chosen.left_out else {})}

    liquid, ordered = _replicate(1), _replicate(2, orders_from_fs=2000.0)
    late = _replicate(3, orders_from_fs=3000.0)
    assert ordering_changed(method(select_runs(_measured(liquid, ordered), level=0.1)))
    assert ordering_changed(method(select_runs(_measured(ordered, late), level=0.1)))
    assert not ordering_changed(method(select_runs(_measured(liquid, ordered), level=None)))
    exited = _replicate(4, stop_at=250)
    assert not ordering_changed(method(select_runs(_measured(exited, liquid))))
