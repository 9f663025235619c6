"""Plot CrystalNN bond counts per atom against the cation ratio (e.g. Ba:Ti)."""

from __future__ import annotations

from collections.abc import Sequence

from ionflux.errors import InputError
from ionflux.plotting.figures import save_figure
from ionflux.structure.documents import BondCountDoc


def cation_ratio_axis(docs: Sequence[BondCountDoc]) -> tuple[str, str]:
    """The two cations every document shares, least electronegative first (Ba, Ti)."""
    cations: list[str] | None = None
    for doc in docs:
        # species are in electronegativity order; the anion (O) comes last
        these = [el for el in doc.species if el != "O"]
        cations = these if cations is None else [c for c in cations if c in these]
    if not cations or len(cations) < 2:
        raise InputError("bond plot: the documents do not share two cations to form a ratio")
    return cations[0], cations[1]


def plot_bonds(docs: list[BondCountDoc], out: str, pairs: Sequence[str] | None = None,
               title: str | None = None) -> None:
    """Bonds per atom versus cation ratio, one line per ordered pair, error bars = std.

    The left panel shows pairs with oxygen, the right panel cation-cation pairs. ``pairs``
    restricts the lines (keys such as ``"Ba-Ba"``). Writes a PNG (matplotlib Agg) to ``out``.
    """
    if not docs:
        raise InputError("bond plot: no bond-count documents to plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    num, den = cation_ratio_axis(docs)
    ordered = sorted(docs, key=lambda d: d.ratio(num, den))
    x = [d.ratio(num, den) for d in ordered]
    keys = list(pairs) if pairs is not None else [k for k in ordered[0].pairs]
    missing = [k for k in keys if any(k not in d.pairs for d in ordered)]
    if missing:
        raise InputError(f"bond plot: pairs {missing} are missing from some documents")
    anion_keys = [k for k in keys if "O" in k.split("-")]
    cation_keys = [k for k in keys if "O" not in k.split("-")]

    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10) if min(x) / 1.2 <= t <= max(x) * 1.2]
    for ax, group, name in ((axes[0], anion_keys, "pairs with O"),
                            (axes[1], cation_keys, "cation-cation pairs")):
        for key in group:
            y = [d.pairs[key].mean for d in ordered]
            err = [d.pairs[key].std or 0.0 for d in ordered]
            center, neighbor = key.split("-")
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3,
                        label=f"{center}-{neighbor} per {center}")
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(f"{num}:{den} atom ratio")
        ax.set_ylabel("CrystalNN bonds per atom")
        ax.grid(alpha=0.3)
        if group:
            ax.legend(fontsize=8)
        # formulas on a top axis, so they never collide with the data
        top = ax.secondary_xaxis("top")
        top.set_xticks(x, [d.formula for d in ordered], rotation=60, fontsize=6, ha="left")
        top.xaxis.set_minor_locator(NullLocator())
        top.set_xlabel(name)
    temps = {d.temperature_K for d in ordered}
    frames = sorted({len(d.frames) for d in ordered})
    fig.suptitle(title or (f"CrystalNN bonds within {ordered[0].cutoff_A:g} Å"
                           + (f" at {temps.pop():g} K" if len(temps) == 1 and None not in temps
                              else "")
                           + f" (mean ± std over {'/'.join(map(str, frames))} frames)"))
    save_figure(fig, out)
