"""A species flagged not diffusive gets no stored D, only the flag and an upper bound; query
prints every value with its error."""

from __future__ import annotations

from pathlib import Path

import yaml
from pipeline_data import FAST_D, write_extxyz

from ionflux.cli import main
from ionflux.pipeline import Pipeline
from ionflux.transport.synthetic import SyntheticSystem

#: Ba's self-diffusion, Å^2/fs: 6 D t over the 15 ps run is 0.09 Å^2, below the 1 Å^2 floor
SLOW_BA = 1e-6


def _run(folder: Path) -> None:
    folder.mkdir(parents=True)
    model = SyntheticSystem(counts={"Ba": 4, "Ti": 4, "O": 12},
                            self_diffusion_A2_fs={"Ba": SLOW_BA, "Ti": FAST_D["Ti"],
                                                  "O": FAST_D["O"]},
                            collective_modes=(), temperature_K=1500.0)
    traj = model.generate(300, seed=3)
    write_extxyz(folder / "slow.extxyz", traj)
    (folder / "slow.extxyz.yaml").write_text(yaml.safe_dump({
        "formula": "BaTiO3", "temperature_K": 1500.0, "replicate": "a",
        "frame_interval_fs": traj.frame_interval_fs}))


def test_no_d_for_a_non_diffusive_species(tmp_path: Path, memory_pipeline: Pipeline, capsys):
    _run(tmp_path / "runs")
    memory_pipeline.ingest(tmp_path / "runs")
    memory_pipeline.build(["transport", "aggregate"])
    for doc in (memory_pipeline.transport("BaTiO3", 1500),
                memory_pipeline.transport("BaTiO3", 1500, replicates=True)[0]):
        assert ("not_diffusive", "Ba") in {(f["code"], f["species"])
                                           for f in doc["physics_flags"]}
        assert doc["D_self_cm2_s"]["Ba"] is None
        assert doc["D_self_cm2_s_stderr"]["Ba"] is None
        assert "Ba" not in doc["provenance"]["physics_checks"]["D_cm2_s"] or \
            doc["provenance"]["physics_checks"]["D_cm2_s"]["Ba"] is None
        bound = doc["D_self_upper_bound_cm2_s"]["Ba"]
        # an upper bound: above the true D (1 Å^2/fs = 0.1 cm^2/s), and below the mobile ones
        assert 0.1 * SLOW_BA < bound < doc["D_self_cm2_s"]["Ti"]
        assert doc["D_self_cm2_s"]["O"] > 0 and "O" not in doc["D_self_upper_bound_cm2_s"]

    # the text output gives every value with its error, and the bound instead of D
    memory_pipeline.close()
    code = main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 "--store", str(_config(tmp_path, memory_pipeline))])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    row = next(line for line in lines if line.strip().startswith("Ti ") and "±" in line)
    assert row.count("±") == 3
    assert next(line for line in lines if line.strip().startswith("Ba: D_self")).startswith(
        f"  Ba: D_self = not given: not diffusive, D < {bound:.1e} cm^2/s, f = ")
    o_line = next(line for line in lines if line.strip().startswith("O: D_self"))
    assert o_line.count("±") == 2


def _config(tmp_path: Path, pipe: Pipeline) -> Path:
    path = tmp_path / "memory.yaml"
    path.write_text(yaml.safe_dump(pipe.stores.config.model_dump(mode="json")))
    return path
