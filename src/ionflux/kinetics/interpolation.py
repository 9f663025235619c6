"""Arrhenius interpolation of rate constants between tabulated temperatures (SCIENCE.md §4)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence

from ionflux.errors import DataNotFoundError


def arrhenius_interpolate(temperatures_K: Sequence[float], values: Sequence[float],
                          temperature_K: float, what: str = "K_D") -> float:
    """Interpolate ``values`` at ``temperature_K``: log(value) linear in 1/T between neighbours.

    Exact (the tabulated number itself) at a tabulated temperature and exact for any
    A exp(-E / kT) input. A zero at either neighbour gives 0 (log K -> -inf); negative values are
    an error. Outside the tabulated range: DataNotFoundError, never extrapolation.
    """
    pairs = sorted(zip((float(t) for t in temperatures_K), (float(v) for v in values),
                       strict=True))
    if not pairs:
        raise DataNotFoundError(f"no tabulated temperatures for {what}")
    temps = [t for t, _ in pairs]
    t = float(temperature_K)
    if not temps[0] <= t <= temps[-1]:
        raise DataNotFoundError(f"{what}: {t:g} K is outside the tabulated range "
                                f"{temps[0]:g}-{temps[-1]:g} K (K_D is never extrapolated)")
    i = bisect.bisect_left(temps, t)
    if temps[i] == t:
        return pairs[i][1]
    (t0, v0), (t1, v1) = pairs[i - 1], pairs[i]
    if v0 < 0 or v1 < 0:
        raise ValueError(f"{what}: cannot interpolate negative values in log space")
    if v0 == 0 or v1 == 0:
        return 0.0
    w = (1.0 / t - 1.0 / t0) / (1.0 / t1 - 1.0 / t0)
    return math.exp(math.log(v0) + w * (math.log(v1) - math.log(v0)))


def interpolate_tabulated(temperatures_K: Sequence[float], value_at: Callable[[float], float],
                          temperature_K: float, what: str = "K_D") -> float:
    """``value_at`` at a tabulated temperature, else :func:`arrhenius_interpolate` between the
    two tabulated neighbours; ``value_at`` is called only at the temperatures it needs."""
    temps = sorted(float(x) for x in temperatures_K)
    t = float(temperature_K)
    if not temps or not temps[0] <= t <= temps[-1]:
        arrhenius_interpolate(temps, [1.0] * len(temps), t, what)  # raises
    if t in temps:
        return value_at(t)
    below = max(x for x in temps if x < t)
    above = min(x for x in temps if x > t)
    return arrhenius_interpolate([below, above], [value_at(below), value_at(above)], t, what)
