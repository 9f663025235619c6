"""Store locations that cannot be used give one-line errors; status and query only read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ionflux.cli import main
from ionflux.pipeline import Pipeline


def _one_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


def test_data_dir_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture):
    afile = tmp_path / "hostname"
    afile.write_text("box\n")
    for argv in (["status"], ["build"], ["query", "transport", "--formula", "BaO",
                                         "--temperature", "1000"], ["ingest", str(tmp_path)]):
        err = _one_error(capsys, [*argv, "--data-dir", str(afile)])
        assert f"{afile} is a file, not a folder" in err


def test_query_and_status_on_a_missing_store_create_nothing(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture):
    missing = tmp_path / "nowhere"
    err = _one_error(capsys, ["query", "transport", "--formula", "BaTiO3", "--temperature",
                              "1500", "--data-dir", str(missing)])
    assert "no ionflux store" in err
    err = _one_error(capsys, ["status", "--data-dir", str(missing)])
    assert "no ionflux store" in err
    assert not missing.exists()


def test_status_and_query_do_not_write(tmp_path: Path, capsys: pytest.CaptureFixture):
    data = tmp_path / "data"
    with Pipeline.open("local", data_dir=data) as pipe:
        pipe.import_published("Ba-Ti-O")
    files = sorted(data.iterdir())
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in files}
    os.chmod(data, 0o555)  # as a read-only medium would be (root ignores it; the check below
    try:                   # does not)
        assert main(["status", "--data-dir", str(data), "--json"]) == 0
        stages = {s["stage"]: s for s in json.loads(capsys.readouterr().out)["stages"]}
        assert stages["published"]["total"] == 55
        assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                     "--data-dir", str(data), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["group_id"] == "BaTiO3@1500K"
    finally:
        os.chmod(data, 0o755)
    # the database is untouched (SQLite may add its shared-memory files where it can)
    assert {p.name for p in data.iterdir()} - {p.name for p in files} <= {
        "ionflux.sqlite-wal", "ionflux.sqlite-shm"}
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in files} == before


def test_plot_into_a_missing_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "nope" / "kd.png"
    err = _one_error(capsys, ["plot", "kd", "--out", str(out)])
    assert f"folder {out.parent} does not exist" in err
    assert not out.parent.exists()


def test_read_only_pipeline_cannot_write(tmp_path: Path):
    import sqlite3

    from ionflux.errors import StoreError

    with Pipeline.open("local", data_dir=tmp_path) as pipe:
        pipe.import_published("Ba-Ti-O")
    pipe = Pipeline.open("local", data_dir=tmp_path, read_only=True)
    pipe.connect()
    assert pipe.stores.published_transport.count() == 55
    assert pipe.stores.kd.count() == 0  # a collection the file lacks reads as empty
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        pipe.stores.kd._collection.execute("CREATE TABLE x (a)")
    with pytest.raises(StoreError, match="readonly"):
        pipe.stores.kd.update({"kd_id": "x"})
    pipe.close()
