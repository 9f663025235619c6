"""Physical constants and unit conversions used across the package (SCIENCE.md §2, §4)."""

from __future__ import annotations

#: Boltzmann constant in eV/K (CODATA 2018).
KB_EV_PER_K = 8.617333262e-5

#: 1 Å^2/fs expressed in cm^2/s.
A2_PER_FS_TO_CM2_PER_S = 1e-16 / 1e-15

#: 1/(eV Å fs) expressed in 1/(eV cm s).
INV_EV_A_FS_TO_INV_EV_CM_S = 1.0 / (1e-8 * 1e-15)

#: 1 Å^3 expressed in cm^3.
A3_TO_CM3 = 1e-24

#: 1 Å^3 expressed in cm^3 per mole when multiplied by Avogadro's number.
AVOGADRO_PER_MOL = 6.02214076e23
