"""One document's Onsager coefficients multiplied by a common factor (pure; no I/O).

Both corrections that change a whole document at once go through here: a wrong time between
frames (every L and D divided by one factor) and an Arrhenius shift to another temperature
(L and D scale differently because L = c D / (k_B T)). Correlation factors are ratios of L
terms and do not change.
"""

from __future__ import annotations

from typing import Any

from ionflux.transport.documents import TransportDoc


def scaled_document(doc: TransportDoc, l_scale: float, d_scale: float | None = None,
                    **update: Any) -> TransportDoc:
    """``doc`` with every L (and its error) times ``l_scale``, every covariance times
    ``l_scale**2`` and every D times ``d_scale`` (default ``l_scale``); ``update`` sets
    further fields (provenance, warnings, temperature...)."""
    d_scale = l_scale if d_scale is None else d_scale

    def matrix(values, scale=l_scale):
        return None if values is None else [[None if v is None else v * scale for v in row]
                                            for row in values]

    def vector(values):
        return None if values is None else [None if v is None else v * l_scale for v in values]

    def by_species(values):
        return None if values is None else {k: None if v is None else v * d_scale
                                            for k, v in values.items()}

    return doc.model_copy(update={
        "L": matrix(doc.L), "L_stderr": matrix(doc.L_stderr),
        "L_covariance": matrix(doc.L_covariance, l_scale * l_scale),
        "L_self": vector(doc.L_self), "L_self_stderr": vector(doc.L_self_stderr),
        "L_self_covariance": matrix(doc.L_self_covariance, l_scale * l_scale),
        "L_distinct": matrix(doc.L_distinct), "L_distinct_stderr": matrix(doc.L_distinct_stderr),
        "D_self_cm2_s": by_species(doc.D_self_cm2_s),
        "D_self_cm2_s_stderr": by_species(doc.D_self_cm2_s_stderr),
        "D_self_upper_bound_cm2_s": by_species(doc.D_self_upper_bound_cm2_s),
        **update})
