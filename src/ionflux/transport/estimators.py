"""Named Onsager estimators, their revisions, and how a name pins one revision.

An estimator is named in settings, on the command line and in documents as ``NAME`` (its
current revision) or ``NAME@REVISION`` (that earlier definition exactly, so documents made by it
can be reproduced). Every revision a name ever had stays computable; each one's change is in
:data:`REVISION_CHANGES`, and the revision enters the pipeline's fingerprints, so a new revision
rebuilds the documents of the old one once, explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ionflux.errors import InputError

#: Estimator names and what they do (the window start rule is shared, see ``window.py``).
ESTIMATORS = {
    "scaled-window": "OLS slope over [start, {span:g} x start] of origin-averaged (FFT) "
                     "correlation functions, block means",
    "half-block": "OLS slope over [start, half a block] of origin-averaged (FFT) correlation "
                  "functions, block means",
}
DEFAULT_ESTIMATOR = "scaled-window"
#: Current revision of each estimator's definition.
ESTIMATOR_REVISIONS = {"scaled-window": 3, "half-block": 2}
#: What each revision changed (revision 1: the definition the name was introduced with).
REVISION_CHANGES = {
    "scaled-window": {
        1: "window [start, 8 x start]; slopes and jackknife errors on n_blocks blocks",
        2: "short windows fitted on error blocks (as many as hold 8 window ends, up to 40)",
        3: "standard errors scaled by sqrt(nu / (nu - 2)), nu = blocks - 1 (Student t variance)",
    },
    "half-block": {
        1: "window [start, half a block]; jackknife errors on n_blocks blocks",
        2: "standard errors scaled by sqrt(nu / (nu - 2)), nu = blocks - 1 (Student t variance)",
    },
}
#: First revision of each estimator whose standard errors carry the Student-t variance factor.
_T_SCALED_FROM = {"scaled-window": 3, "half-block": 2}


@dataclass(frozen=True)
class EstimatorSpec:
    """One estimator name at one revision."""

    name: str
    revision: int

    @property
    def uses_error_blocks(self) -> bool:
        """Short windows are fitted on more, shorter blocks (``scaled-window`` from rev. 2)."""
        return self.name == "scaled-window" and self.revision >= 2

    @property
    def scales_stderr(self) -> bool:
        """Jackknife errors are scaled to the variance of a Student t (see
        :func:`ionflux.transport.statistics.t_variance_factor`)."""
        return self.revision >= _T_SCALED_FROM[self.name]

    @property
    def pinned(self) -> str:
        """``NAME@REVISION``: what to pass to recompute exactly this definition."""
        return f"{self.name}@{self.revision}"


def parse_estimator(spec: str) -> EstimatorSpec:
    """``"NAME"`` (current revision) or ``"NAME@REVISION"`` -> :class:`EstimatorSpec`."""
    name, _, revision = spec.partition("@")
    if name not in ESTIMATORS:
        raise InputError(f"unknown estimator {name!r}; choose one of {', '.join(ESTIMATORS)}"
                         " (optionally NAME@REVISION)")
    current = ESTIMATOR_REVISIONS[name]
    if not revision:
        return EstimatorSpec(name, current)
    if not revision.isdigit() or not 1 <= int(revision) <= current:
        raise InputError(f"estimator {spec!r}: {name} has revisions 1..{current}; "
                         f"got {revision!r}")
    return EstimatorSpec(name, int(revision))
