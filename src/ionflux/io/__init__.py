"""Reading MD trajectories into :class:`~ionflux.io.trajectory.Trajectory`.

``read_trajectory(path)`` reads extended XYZ, LAMMPS text dumps, VASP XDATCAR and ASE ``.traj``
files (optionally gzip-compressed); ``from_structures(objs)`` converts pymatgen and ASE objects.
Text formats are parsed by compiled passes over the file bytes (see
:mod:`ionflux.io.textscan`), so large trajectories read at disk speed.
"""

from __future__ import annotations

from ionflux.io.reader import FORMATS, apply_metadata, detect_format, read_trajectory
from ionflux.io.structures import from_structures
from ionflux.io.trajectory import Trajectory, TrajectorySource, file_sha256, species_order
from ionflux.io.unwrap import unwrap_positions

__all__ = [
    "FORMATS",
    "Trajectory",
    "TrajectorySource",
    "apply_metadata",
    "detect_format",
    "file_sha256",
    "from_structures",
    "read_trajectory",
    "species_order",
    "unwrap_positions",
]
