"""Apparent activation energies from two documents (transport/arrhenius)."""

from __future__ import annotations

import math
import warnings

import pytest

from ionflux.errors import InputError
from ionflux.transport.arrhenius import activation_energies
from ionflux.transport.published import load_published
from ionflux.units import KB_EV_PER_K


@pytest.fixture(scope="module")
def record():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return next(d for d in load_published("Ba-Ti-O")
                    if d.formula == "BaTi2O5" and d.temperature_K == 1500.0)


def _at(doc, temperature_K: float, energies: dict[str, float], rel_err: float | None):
    """``doc`` moved to ``temperature_K`` with D_i = D0 exp(-E_i / kT) at fixed density, so
    L_self_i = c D_i / (k T) scales as exp(-E_i / kT) / T."""
    def factor(el: str) -> float:
        return (math.exp(-energies[el] / (KB_EV_PER_K * temperature_K)) / temperature_K) / (
            math.exp(-energies[el] / (KB_EV_PER_K * doc.temperature_K)) / doc.temperature_K)

    L_self = [v * factor(el) for el, v in zip(doc.species, doc.L_self, strict=True)]
    errors = None if rel_err is None else [rel_err * v for v in L_self]
    return doc.model_copy(update={"temperature_K": temperature_K, "L_self": L_self,
                                  "L_self_stderr": errors})


def test_known_activation_energies_are_recovered_with_their_errors(record):
    energies = {"Ba": 1.2, "Ti": 2.5, "O": 0.7}
    low, high = _at(record, 1750.0, energies, 0.1), _at(record, 2000.0, energies, 0.2)
    got = activation_energies(low, high)
    scale = KB_EV_PER_K / (1 / 1750.0 - 1 / 2000.0)
    for el, energy in energies.items():
        assert got[el][0] == pytest.approx(energy, rel=1e-10)
        assert got[el][1] == pytest.approx(scale * math.hypot(0.1, 0.2), rel=1e-12)
    # published records carry no errors: the energy, and no error
    assert activation_energies(record, _at(record, 1750.0, energies, None))["Ba"][1] is None


def test_bad_pairs_are_refused(record):
    energies = {"Ba": 1.0, "Ti": 1.0, "O": 1.0}
    hot = _at(record, 1750.0, energies, None)
    with pytest.raises(InputError, match="T1 < T2"):
        activation_energies(hot, record)
    with pytest.raises(InputError, match="one composition"):
        activation_energies(record, hot.model_copy(update={"formula": "BaTiO3"}))
    with pytest.raises(InputError, match="must be positive"):
        activation_energies(record, hot.model_copy(update={"L_self": [0.0, 1.0, 1.0]}))
