"""Correlation factors f_i = L_ii^distinct / L_ii^self versus cation ratio (PNG, Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ionflux.errors import InputError
from ionflux.plotting.figures import save_figure


def correlation_points(docs: Sequence, cation_a: str, cation_b: str
                       ) -> list[tuple[str, float, float, dict[str, float | None], bool]]:
    """(formula, n_a/n_b, T, f by element, cross terms reliable) for docs containing both."""
    from pymatgen.core import Composition

    points = []
    for doc in docs:
        comp = Composition(doc.formula)
        if comp[cation_a] <= 0 or comp[cation_b] <= 0:
            continue
        reliable = doc.quality.get("cross_terms_reliable")
        points.append((doc.formula, float(comp[cation_a] / comp[cation_b]), doc.temperature_K,
                       dict(doc.correlation_factor), reliable is None or reliable.passed))
    return points


def plot_correlation(docs: Sequence, out: str | Path, *, cations: tuple[str, str] = ("Ba", "Ti"),
                     title: str | None = None) -> Path:
    """Write a PNG with one panel per cation: f_i against the n_a:n_b ratio, one line per T.

    Temperatures whose cross terms are flagged unreliable are drawn dashed with hollow markers.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator

    a, b = cations
    points = correlation_points(docs, a, b)
    if not points:
        raise InputError(f"no transport documents contain both {a} and {b}")
    temps = sorted({p[2] for p in points})
    cmap = colormaps["viridis"]
    fig = Figure(figsize=(10.0, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, element in zip(axes, cations, strict=True):
        for k, t in enumerate(temps):
            color = cmap(0.05 + 0.85 * k / max(1, len(temps) - 1))
            pts = sorted((p for p in points if p[2] == t and p[3].get(element) is not None),
                         key=lambda p: p[1])
            if not pts:
                continue
            reliable = all(p[4] for p in pts)
            ax.plot([p[1] for p in pts], [p[3][element] for p in pts],
                    "-" if reliable else "--", marker="o", color=color, lw=1.3, ms=5,
                    mfc=color if reliable else "white",
                    label=f"{t:g} K" + ("" if reliable else " (cross terms unreliable)"))
        ax.axhline(0.0, color="0.4", lw=0.8)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(
            lambda v, _: f"{v:g}" if round(v / 10 ** np.floor(np.log10(v))) in (2, 3, 5)
            else ""))
        ax.set_xlabel(f"{a}:{b} ratio")
        ax.set_ylabel(rf"$f_{{\mathrm{{{element}}}}} = L^{{dist}}_{{ii}} / L^{{self}}_{{ii}}$")
        ax.set_title(f"{element} correlation factor", fontsize=10)
        ax.grid(True, alpha=0.3)
        phases = sorted({(p[1], p[0]) for p in points})
        top = ax.secondary_xaxis("top")
        top.set_xticks([x for x, _ in phases], labels=[f for _, f in phases], rotation=60,
                       fontsize=7, ha="left", rotation_mode="anchor")
        top.xaxis.set_minor_locator(NullLocator())
        top.xaxis.set_minor_formatter(NullFormatter())
    axes[1].legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    return save_figure(fig, out)
