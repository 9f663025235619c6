"""A deleted trajectory can be retired (recorded), so `status --check` passes again after the
next build instead of exiting 1 forever."""

from __future__ import annotations

from pathlib import Path

from hostile_data import write_runs

from ionflux.cli import main

SETTINGS = "transport:\n  n_blocks: 5\nbonds:\n  n_frames: 1\nkd:\n  thermo: bundled\n"


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_retire_a_deleted_trajectory(tmp_path: Path, capsys):
    runs = write_runs(tmp_path / "runs", ["a", "b"], n_frames=200)
    store = ["--data-dir", str(tmp_path / "store")]
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS)
    build = ["build", *store, "--settings", str(settings)]
    check = ["status", *store, "--settings", str(settings), "--check"]
    assert _cli(capsys, "ingest", str(runs), *store)[0] == 0
    (runs / "b.extxyz").unlink()  # deleted after ingest: its replicate stages fail every build
    assert _cli(capsys, *build)[0] == 1
    assert _cli(capsys, *build)[0] == 0  # (nothing new to try)
    code, out = _cli(capsys, *check)
    assert code == 1 and "`ionflux retire` unregisters a deleted file" in out

    # a file that still exists, or one never registered, is refused and nothing changes
    code, out = _cli(capsys, "retire", str(runs / "a.extxyz"), *store)
    assert code == 2 and "the file still exists; delete it first" in out
    code, out = _cli(capsys, "retire", str(runs / "zz.extxyz"), *store)
    assert code == 2 and "not a registered trajectory" in out
    assert _cli(capsys, "retire", *store)[0] == 2

    code, out = _cli(capsys, "retire", str(runs / "b.extxyz"), *store, "--reason", "disk lost")
    assert code == 0, out
    assert "retired BaTiO3@1500K#b" in out and "removed 2 failures" in out
    assert "run `ionflux build` to update the aggregates of BaTiO3@1500K" in out
    assert _cli(capsys, *build)[0] == 0
    assert _cli(capsys, *check)[0] == 0
    code, out = _cli(capsys, "query", "transport", "--formula", "BaTiO3", "--temperature",
                     "1500", *store, "--json")
    assert '"replicates": [\n  "BaTiO3@1500K#a"\n ]' in out

    from ionflux.pipeline import Pipeline

    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        [record] = pipe.stores.retired.query()
        assert record["traj_id"] == "BaTiO3@1500K#b" and record["reason"] == "disk lost"
        assert record["path"] == str(runs / "b.extxyz")
        assert record["removed"]["failures"] == ["bonds:BaTiO3@1500K#b",
                                                 "transport:BaTiO3@1500K#b"]
        assert pipe.retire(missing=True).summary() == "nothing to retire"


def test_retire_missing_takes_every_deleted_file(tmp_path: Path, capsys):
    runs = write_runs(tmp_path / "runs", ["a", "b", "c"], n_frames=200)
    store = ["--data-dir", str(tmp_path / "store")]
    assert _cli(capsys, "ingest", str(runs), *store)[0] == 0
    assert _cli(capsys, "build", "--stage", "transport", *store)[0] == 0
    (runs / "a.extxyz").unlink()
    (runs / "c.extxyz").unlink()
    code, out = _cli(capsys, "retire", "--missing", *store)
    assert code == 0 and "retired 2 trajectory(ies)" in out
    assert "retired BaTiO3@1500K#a (" in out and "removed 1 transport" in out
    from ionflux.pipeline import Pipeline

    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        assert [d["traj_id"] for d in pipe.stores.raw_trajectories.query()] == \
            ["BaTiO3@1500K#b"]
        assert sorted(d["traj_id"] for d in pipe.stores.retired.query()) == \
            ["BaTiO3@1500K#a", "BaTiO3@1500K#c"]
        assert [d["traj_id"] for d in pipe.stores.transport.query()] == ["BaTiO3@1500K#b"]
