"""The bundled melt-quench snapshots (``ionflux/data/amorphous``).

See ``ionflux/data/amorphous/PROVENANCE.md``: these are classical Pedone-potential cells, not
the ACE-MD cells of the published transport study.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from ionflux.errors import DataNotFoundError
from ionflux.io.trajectory import Trajectory

_SUFFIX = ".extxyz.gz"


def amorphous_snapshot_files() -> dict[str, Path]:
    """Bundled snapshot files keyed by reduced formula (e.g. ``"BaTiO3"``)."""
    folder = files("ionflux") / "data" / "amorphous"
    found = {}
    if folder.is_dir():
        for item in folder.iterdir():
            if item.name.endswith(_SUFFIX):
                with as_file(item) as path:
                    found[item.name.split("_")[0]] = Path(path)
    if not found:
        raise DataNotFoundError("no bundled amorphous snapshots in ionflux/data/amorphous "
                                "(was the package installed without its data?)")
    return dict(sorted(found.items()))


def load_amorphous_library() -> list[Trajectory]:
    """Every bundled snapshot file as a trajectory, in formula order."""
    from ionflux.io import read_trajectory

    return [read_trajectory(p) for p in amorphous_snapshot_files().values()]
