"""Small trajectories with sidecars for the hostile tests (fast diffusion, so that 300 frames of
20 atoms reach the diffusive regime)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml


def write_runs(folder: Path, names: list[str], n_frames: int = 300) -> Path:
    """``folder/NAME.extxyz`` + sidecar per name: BaTiO3 at 1500 K, replicate NAME."""
    from ionflux.io.writers import write_extxyz
    from ionflux.transport.synthetic import SyntheticSystem

    model = SyntheticSystem(counts={"Ba": 4, "Ti": 4, "O": 12},
                            self_diffusion_A2_fs={"Ba": 5e-4, "Ti": 4e-4, "O": 1e-3},
                            collective_modes=({"Ba": 2e-3, "Ti": -2e-3, "O": 2e-3},),
                            temperature_K=1500.0)
    folder.mkdir(parents=True, exist_ok=True)
    for seed, name in enumerate(names):
        traj = model.generate(n_frames, seed=seed)
        bare = replace(traj, temperature_K=None, frame_interval_fs=None, times_fs=None)
        write_extxyz(folder / f"{name}.extxyz", bare)
        (folder / f"{name}.extxyz.yaml").write_text(yaml.safe_dump(
            {"formula": "BaTiO3", "temperature_K": 1500, "replicate": name,
             "frame_interval_fs": traj.frame_interval_fs}))
    return folder


def one_line_error(capsys, args: list[str]) -> str:
    """Run the CLI with ``args``: exit code 2 and exactly one ``error: ...`` line on stderr
    (a progress display may leave an empty line), which is returned."""
    from ionflux.cli import main

    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    return err
