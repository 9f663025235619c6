"""Writing finished matplotlib figures to disk."""

from __future__ import annotations

from pathlib import Path

from ionflux.errors import InputError


def figure_path(out: str | Path, option: str = "--out") -> Path:
    """The file a figure asked for as ``out`` is written to, so messages name the real one.

    A name without a suffix gets ``.png`` (matplotlib's default format); a suffix matplotlib
    cannot write is a one-line InputError (it would otherwise fail after all the work).
    """
    from matplotlib.backend_bases import FigureCanvasBase

    out = Path(out)
    suffix = out.suffix.lower().lstrip(".")
    if not suffix:
        return out.with_name(out.name + ".png")
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise InputError(f"{option} {out}: matplotlib cannot write '.{suffix}' figures; end "
                         f"the name with one of {', '.join('.' + f for f in sorted(formats))}")
    return out


def save_figure(fig, out: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` to :func:`figure_path` of ``out`` (parent folders created) and free it;
    return the path written. The file appears complete or not at all (an OSError is a
    one-line OutputError)."""
    from ionflux.io.atomic import atomic_output

    out = figure_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        # under a temporary name until complete: a full disk leaves no truncated figure
        with atomic_output(out, "wb") as handle:
            fig.savefig(handle, dpi=dpi, format=out.suffix.lstrip(".").lower())
    finally:
        # Figures made through pyplot stay registered (and in memory) until closed.
        if fig.canvas.manager is not None:
            import matplotlib.pyplot as plt

            plt.close(fig)
    return out
