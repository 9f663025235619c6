"""Reading MD trajectories into :class:`~ionflux.io.trajectory.Trajectory`.

``read_trajectory(path)`` reads extended XYZ, LAMMPS text dumps, VASP XDATCAR and ASE ``.traj``
files (optionally gzip-compressed); ``from_structures(objs)`` converts pymatgen and ASE objects.
Text formats are read piece by piece (:mod:`ionflux.io.stream`) and parsed by compiled passes
over the bytes (:mod:`ionflux.io.textscan`), so large trajectories read at disk speed in little
more memory than their positions array. Names are imported on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Public names and the submodule holding each, imported on first use: code that only needs
#: ``ionflux.io.trajectory`` (species order, the Trajectory type) does not load numba.
_WHERE = {
    "FORMATS": "reader", "apply_metadata": "reader", "detect_format": "reader",
    "read_trajectory": "reader", "from_structures": "structures", "Trajectory": "trajectory",
    "TrajectorySource": "trajectory", "file_sha256": "trajectory",
    "species_order": "trajectory", "unwrap_positions": "unwrap",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
