"""Preset recipes R1-R4 for BaO + TiO2 (SCIENCE.md §6) and the hour -> sweep mapping they use.

Time mapping. The automaton has no physical clock and the study's figures plot a reaction
coordinate without units. One profile-duration unit is one sweep (the reference's mapping); the
presets write hours as ``SWEEPS_PER_HOUR`` = 10 sweeps. That value is a modelling choice, not
fixed by any source: it was set before the present dynamics (swaps, inertia 4, no hard cut)
were evaluated and is not tuned to any recipe; ``AutomatonSettings.sweeps_per_unit`` scales
every budget, and scripts/bench_fidelity.py shows outcomes at x0.3, x3 and x10.

Heating ramps are written as 100 K steps of ``RAMP_HOURS_PER_100K`` hours (about 8 K/min, a
usual furnace ramp). Ramps start at 1000 K: with the calibrated ``s`` nothing reacts below
~1000 K in these short steps, and the full-mode K_D below 1000 K rests on unreliable 750 K
cross terms. Regrinding between anneals (common in practice) is not modelled: the grid is kept
as it is between steps.

* R1, BaO:TiO2 = 1:1, "heat to 1500 K, short anneal": ramp 1000-1400 K, then 1 h at 1500 K.
* R2, 1:5, "1250 to 1500 K steps": six 2 h anneals at 1250, 1300, ..., 1500 K (50 K apart).
* R3, 2:9, "fast to ~1400 K, 3 h anneal, then ~1700 K for 6 h": fast ramp (0.1 h per 100 K)
  1000-1300 K, 3 h at 1400 K, fast ramp 1500-1600 K, 6 h at 1700 K.
* R4, 1:2, "three anneals at ~1200, 1300, 1400 K": 4 h at each (a typical overnight-free
  laboratory anneal length), no ramp before the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ionflux.errors import InputError

#: Sweeps per hour of annealing (see module docstring for how this was fixed).
SWEEPS_PER_HOUR = 10.0

#: Hours per 100 K ramp step (~8 K/min).
RAMP_HOURS_PER_100K = 0.2


@dataclass(frozen=True)
class Recipe:
    name: str
    precursors: dict[str, float]
    profile: list[tuple[float, float]]  # (temperature K, sweeps)
    description: str


def _hours(steps: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(float(t), round(h * SWEEPS_PER_HOUR, 6)) for t, h in steps]


def _ramp(start_K: float, stop_K: float, hours_per_step: float = RAMP_HOURS_PER_100K
          ) -> list[tuple[float, float]]:
    return [(float(t), hours_per_step) for t in range(int(start_K), int(stop_K) + 1, 100)]


RECIPES: dict[str, Recipe] = {
    "R1": Recipe("R1", {"BaO": 1.0, "TiO2": 1.0},
                 _hours([*_ramp(1000, 1400), (1500, 1.0)]),
                 "BaO:TiO2 1:1, ramp to 1500 K, 1 h anneal"),
    "R2": Recipe("R2", {"BaO": 1.0, "TiO2": 5.0},
                 _hours([(t, 2.0) for t in (1250, 1300, 1350, 1400, 1450, 1500)]),
                 "BaO:TiO2 1:5, 2 h anneals from 1250 to 1500 K in 50 K steps"),
    "R3": Recipe("R3", {"BaO": 2.0, "TiO2": 9.0},
                 _hours([*_ramp(1000, 1300, 0.1), (1400, 3.0), *_ramp(1500, 1600, 0.1),
                         (1700, 6.0)]),
                 "BaO:TiO2 2:9, fast to 1400 K, 3 h, then 1700 K for 6 h"),
    "R4": Recipe("R4", {"BaO": 1.0, "TiO2": 2.0},
                 _hours([(1200, 4.0), (1300, 4.0), (1400, 4.0)]),
                 "BaO:TiO2 1:2, 4 h anneals at 1200, 1300 and 1400 K"),
}


def get_recipe(name: str) -> Recipe:
    """Preset by name (case-insensitive)."""
    try:
        return RECIPES[name.strip().upper()]
    except KeyError:
        raise InputError(f"unknown recipe {name!r}; use one of {', '.join(RECIPES)}") from None
