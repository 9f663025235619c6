"""Writing finished matplotlib figures to disk."""

from __future__ import annotations

from pathlib import Path


def save_figure(fig, out: str | Path, dpi: int = 150) -> Path:
    """Write ``fig`` to ``out`` (parent folders created) and free it; return the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    # Figures made through pyplot stay registered (and in memory) until closed.
    if fig.canvas.manager is not None:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return out
