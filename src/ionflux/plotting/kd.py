"""K_D versus cation ratio, one line per temperature (PNG, matplotlib Agg)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ionflux.errors import InputError
from ionflux.plotting.figures import save_figure


def plot_kd(rows: Sequence, out: str | Path, *, self_only: bool = False,
            title: str | None = None) -> Path:
    """Write a PNG of K_D (log axis, cm^2/s) against the precursors' cation ratio.

    ``rows`` are :class:`ionflux.kinetics.report.KDRow` objects (several temperatures).
    Products are labelled along the top axis; interpolated points are drawn hollow.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter, NullLocator

    usable = [r for r in rows if r.cation_ratio is not None and r.cation_ratio > 0
              and r.cation_ratio != float("inf")]
    if not usable:
        raise InputError("nothing to plot: no product has a finite cation ratio")
    label = usable[0].cation_ratio_label or "cation ratio"
    temps = sorted({r.temperature_K for r in usable})
    cmap = colormaps["plasma"]
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for k, t in enumerate(temps):
        color = cmap(0.1 + 0.75 * k / max(1, len(temps) - 1))
        pts = sorted((r for r in usable if r.temperature_K == t), key=lambda r: r.cation_ratio)
        xs = [r.cation_ratio for r in pts]
        ys = [r.K_D_self_cm2_s if self_only else r.K_D_cm2_s for r in pts]
        positive = [(x, y, r) for x, y, r in zip(xs, ys, pts, strict=True) if y > 0]
        if not positive:
            continue
        ax.plot([p[0] for p in positive], [p[1] for p in positive], "-", color=color, lw=1.5,
                label=f"{t:g} K" + (" (interp.)" if any(p[2].interpolated for p in positive)
                                    else ""))
        for x, y, r in positive:
            ax.plot([x], [y], "o", ms=6, color=color,
                    mfc="white" if r.interpolated else color, mec=color)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(
        lambda v, _: f"{v:g}" if round(v / 10 ** np.floor(np.log10(v))) in (2, 3, 5)
        else ""))
    ax.set_yscale("log")
    ax.set_xlabel(f"{label} ratio of the product")
    ax.set_ylabel(("self-only " if self_only else "") + r"$K_D$ (cm$^2$/s)")
    phases = sorted({(r.cation_ratio, r.phase) for r in usable})
    top = ax.secondary_xaxis("top")
    top.set_xticks([x for x, _ in phases], labels=[p for _, p in phases], rotation=60,
                   fontsize=8, ha="left", rotation_mode="anchor")
    top.xaxis.set_minor_locator(NullLocator())
    top.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(title="temperature", fontsize=8)
    precursors = " + ".join(usable[0].precursors)
    ax.set_title(title or f"K_D for {precursors}" + (" (self-only)" if self_only else ""),
                 fontsize=10)
    return save_figure(fig, out)
