"""Apparent activation energies of self-diffusion between two temperatures.

For one composition at T1 < T2, E_a,i = k_B ln(D_i(T2) / D_i(T1)) / (1/T1 - 1/T2) (eV), with
D_i = k_B T L_ii^self / c_i. At fixed composition and volume per atom c_i cancels, so
D_i(T2)/D_i(T1) = T2 L_ii^self(T2) / (T1 L_ii^self(T1)): no atom count is needed, which lets
published records (that lack one) be compared with our own. The error propagates the two
relative standard errors of L_ii^self in quadrature (None where a document has none).
"""

from __future__ import annotations

import math

from ionflux.errors import InputError
from ionflux.formula import reduced_formula
from ionflux.transport.documents import TransportDoc
from ionflux.units import KB_EV_PER_K


def activation_energies(low: TransportDoc, high: TransportDoc
                        ) -> dict[str, tuple[float, float | None]]:
    """{species: (E_a in eV, standard error or None)} from two documents of one composition."""
    if reduced_formula(low.formula) != reduced_formula(high.formula):
        raise InputError(f"activation energy needs one composition, got {low.formula} and "
                         f"{high.formula}")
    t1, t2 = float(low.temperature_K), float(high.temperature_K)
    if not t1 < t2:
        raise InputError(f"activation energy needs T1 < T2, got {t1:g} and {t2:g} K")
    scale = KB_EV_PER_K / (1.0 / t1 - 1.0 / t2)
    out: dict[str, tuple[float, float | None]] = {}
    for el in low.species:
        if el not in high.species:
            continue
        a = low.L_self[low.species.index(el)]
        b = high.L_self[high.species.index(el)]
        if not (a > 0 and b > 0):
            raise InputError(f"{low.formula} {el}: L_self must be positive at both "
                             f"temperatures ({a:g}, {b:g})")
        energy = scale * math.log(t2 * b / (t1 * a))
        errors = [None if d.L_self_stderr is None else d.L_self_stderr[d.species.index(el)]
                  for d in (low, high)]
        stderr = (None if None in errors else
                  scale * math.hypot(errors[0] / a, errors[1] / b))
        out[el] = (energy, stderr)
    return out
