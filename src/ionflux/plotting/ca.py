"""Plots of automaton predictions: phase fractions vs reaction coordinate, recipe overviews.

Matplotlib with the Agg backend; every function writes a PNG and returns its path. The shaded
band around each line is +-1 standard deviation over realisations (spread of single runs);
the standard error of the mean is that divided by sqrt(realisations).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ionflux.ca.documents import PredictionDoc
from ionflux.plotting.figures import save_figure

#: One fixed colour per Ba-Ti-O phase so that all figures agree; others cycle through tab20.
_PHASE_COLOURS = {
    "BaO": "#1f77b4", "TiO2": "#7f7f7f", "BaTiO3": "#d62728", "Ba2TiO4": "#ff7f0e",
    "BaTi2O5": "#2ca02c", "BaTi4O9": "#9467bd", "BaTi5O11": "#8c564b", "Ba2Ti9O20": "#e377c2",
    "Ba4Ti13O30": "#17becf", "Ba6Ti17O40": "#bcbd22", "Ba3TiO5": "#393b79",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colour(phase: str, index: int) -> str:
    if phase in _PHASE_COLOURS:
        return _PHASE_COLOURS[phase]
    import matplotlib

    return matplotlib.colormaps["tab20"](index % 20)


def _title(doc: PredictionDoc) -> str:
    ratio = ":".join(f"{v:g}" for v in doc.inputs.precursors.values())
    names = " + ".join(doc.inputs.precursors)
    head = f"{doc.inputs.recipe}: " if doc.inputs.recipe else ""
    return f"{head}{names} ({ratio}), {doc.inputs.mode}"


def _sweeps_per_hour(doc: PredictionDoc) -> float | None:
    """Sweeps per profile unit-hour if the document used the calibrated inertia and s."""
    from ionflux.ca.recipes import SWEEPS_PER_HOUR
    from ionflux.ca.settings import CALIBRATED_S, AutomatonSettings

    automaton = doc.inputs.automaton
    if automaton.get("inertia") != AutomatonSettings().inertia:
        return None
    if doc.inputs.mode != "thermo-only" and doc.inputs.scoring.get("s") != CALIBRATED_S:
        return None
    return SWEEPS_PER_HOUR / float(automaton.get("sweeps_per_unit", 1.0))


def _series(doc: PredictionDoc) -> tuple[np.ndarray, np.ndarray, dict, dict]:
    times = np.array([p.time for p in doc.series])
    temps = np.array([p.temperature_K for p in doc.series])
    phases = list(doc.final_mol_fraction)
    mean = {ph: np.array([p.mol_fraction[ph] for p in doc.series]) for ph in phases}
    scale = np.sqrt(doc.inputs.realisations)
    spread = {ph: np.array([(p.mol_fraction_stderr[ph] or 0.0) * scale for p in doc.series])
              for ph in phases}
    return times, temps, mean, spread


def _temperature_steps(doc: PredictionDoc) -> tuple[list[float], list[float]]:
    xs, ys, t0 = [], [], 0.0
    for temp, duration in doc.inputs.profile:
        xs += [t0, t0 + duration]
        ys += [temp, temp]
        t0 += duration
    return xs, ys


def draw_prediction(ax, doc: PredictionDoc, min_fraction: float = 0.01,
                    legend: bool = True) -> None:
    """Phase fractions with spread bands on ``ax`` and the temperature on a twin axis."""
    times, _, mean, spread = _series(doc)
    shown = [ph for ph in mean if mean[ph].max() >= min_fraction]
    for i, ph in enumerate(mean):
        if ph not in shown:
            continue
        colour = _colour(ph, i)
        ax.plot(times, mean[ph], color=colour, lw=1.8, label=ph)
        lo = np.clip(mean[ph] - spread[ph], 0.0, 1.0)
        hi = np.clip(mean[ph] + spread[ph], 0.0, 1.0)
        ax.fill_between(times, lo, hi, color=colour, alpha=0.2, lw=0)
    ax.set_xlim(times[0], times[-1])
    ax.set_ylim(0.0, 1.0)
    per_unit = float(doc.inputs.automaton.get("sweeps_per_unit", 1.0))
    ax.set_xlabel(f"automaton time (1 unit = {per_unit:g} sweep(s) of the grid)")
    per_hour = _sweeps_per_hour(doc)
    if per_hour is not None:
        top = ax.secondary_xaxis("top", functions=(lambda x: x / per_hour,
                                                   lambda h: h * per_hour))
        # the hour mapping is a stated choice (ionflux.ca.recipes), not a calibration
        top.set_xlabel(f"recipe hours (1 h = {per_hour:g} units: a stated choice)", fontsize=8)
        top.tick_params(labelsize=8)
    ax.set_ylabel("mole fraction (formula units)")
    twin = ax.twinx()
    xs, ys = _temperature_steps(doc)
    twin.plot(xs, ys, color="black", ls="--", lw=1.0, alpha=0.7, label="temperature")
    lo_t, hi_t = min(ys), max(ys)
    pad = max(50.0, 0.1 * (hi_t - lo_t))
    twin.set_ylim(lo_t - pad, hi_t + pad)
    twin.set_ylabel("temperature (K)")
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        t_handles, t_labels = twin.get_legend_handles_labels()
        ax.legend(handles + t_handles, labels + t_labels, fontsize=7, loc="upper left",
                  bbox_to_anchor=(1.12, 1.0), borderaxespad=0.0, frameon=False)


def plot_prediction(doc: PredictionDoc, path: str | Path, min_fraction: float = 0.01) -> Path:
    """One prediction: phase fractions vs reaction coordinate, temperature on a twin axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.0, 4.5))
    draw_prediction(ax, doc, min_fraction=min_fraction)
    ax.set_title(_title(doc), fontsize=10)
    fig.text(0.01, 0.01, f"{doc.inputs.realisations} realisations, grid "
             f"{doc.inputs.grid}^3; bands: ±1 s.d. over realisations; phases < "
             f"{min_fraction:.0%} hidden", fontsize=7, color="0.3")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return save_figure(fig, path, dpi=150)


def plot_recipe_grid(docs: Sequence[PredictionDoc], path: str | Path,
                     min_fraction: float = 0.01) -> Path:
    """Rows = recipes, columns = scoring modes (e.g. the output of ``run_recipes``).

    One legend for the whole figure (below the panels), so that no panel is squeezed.
    """
    plt = _pyplot()
    rows = list(dict.fromkeys(d.inputs.recipe or _title(d) for d in docs))
    cols = list(dict.fromkeys(d.inputs.mode for d in docs))
    fig, axes = plt.subplots(len(rows), len(cols), figsize=(5.6 * len(cols), 3.3 * len(rows)),
                             squeeze=False)
    handles: dict[str, object] = {}
    for doc in docs:
        r = rows.index(doc.inputs.recipe or _title(doc))
        c = cols.index(doc.inputs.mode)
        ax = axes[r][c]
        draw_prediction(ax, doc, min_fraction=min_fraction, legend=False)
        ax.set_title(_title(doc), fontsize=9)
        for twin in (a for a in fig.axes if a.get_shared_x_axes().joined(a, ax) and a is not ax):
            for line in twin.get_lines():
                handles.setdefault(line.get_label(), line)
        for line in ax.get_lines():
            handles.setdefault(line.get_label(), line)
    order = [p for p in _PHASE_COLOURS if p in handles]
    order += [k for k in handles if k not in order and k != "temperature"]
    order += ["temperature"] if "temperature" in handles else []
    fig.legend([handles[k] for k in order], order, loc="lower center",
               ncol=min(len(order), 6), fontsize=8, frameon=False)
    legend_rows = -(-len(order) // 6)
    fig.tight_layout(rect=(0, 0.018 * (legend_rows + 1) * 4 / len(rows), 1, 1))
    return save_figure(fig, path, dpi=120)


def plot_final_fractions(docs: Sequence[PredictionDoc], path: str | Path,
                         min_fraction: float = 0.01) -> Path:
    """Grouped bars of the final mole fractions (± standard error), one panel per recipe."""
    plt = _pyplot()
    recipes = list(dict.fromkeys(d.inputs.recipe or _title(d) for d in docs))
    modes = list(dict.fromkeys(d.inputs.mode for d in docs))
    fig, axes = plt.subplots(1, len(recipes), figsize=(4.2 * len(recipes), 3.6), squeeze=False)
    for k, recipe in enumerate(recipes):
        ax = axes[0][k]
        group = [d for d in docs if (d.inputs.recipe or _title(d)) == recipe]
        phases = [ph for ph in group[0].final_mol_fraction
                  if max(d.final_mol_fraction[ph] for d in group) >= min_fraction]
        width = 0.8 / max(1, len(modes))
        x = np.arange(len(phases))
        for j, mode in enumerate(modes):
            doc = next((d for d in group if d.inputs.mode == mode), None)
            if doc is None:
                continue
            vals = [doc.final_mol_fraction[ph] for ph in phases]
            errs = [doc.final_mol_fraction_stderr[ph] or 0.0 for ph in phases]
            ax.bar(x + (j - (len(modes) - 1) / 2) * width, vals, width, yerr=errs,
                   label=mode, capsize=2)
        ax.set_xticks(x, phases, rotation=45, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(recipe, fontsize=10)
        if k == 0:
            ax.set_ylabel("final mole fraction")
        ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return save_figure(fig, path, dpi=130)
