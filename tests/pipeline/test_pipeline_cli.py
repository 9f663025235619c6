"""``ionflux ingest | build | status | query`` and the store configurations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pipeline_data import TEST_SETTINGS, write_run

from ionflux.cli import main
from ionflux.pipeline import Pipeline, load_store_config, open_store
from ionflux.storage.sqlite_store import SQLiteStore
from ionflux.storage.stores import BUILTIN_CONFIGS, ROLES, resolve_data_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("IONFLUX_STORE", raising=False)
    monkeypatch.setenv("IONFLUX_DATA_DIR", str(tmp_path / "env-data"))
    runs = tmp_path / "runs"
    write_run(runs, "a", replicate="a", seed=0)
    write_run(runs, "b", replicate="b", seed=1)
    (runs / "orphan.extxyz").write_text("1\n\nBa 0 0 0\n")
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(TEST_SETTINGS))
    return tmp_path


def _json(capsys: pytest.CaptureFixture) -> object:
    return json.loads(capsys.readouterr().out)


def test_cli_ingest_build_status_query(workspace: Path, capsys: pytest.CaptureFixture):
    data = ["--data-dir", str(workspace / "data")]
    settings = ["--settings", str(workspace / "settings.yaml")]
    # a failed registration (no sidecar) is reported and makes the exit code 1
    assert main(["ingest", str(workspace / "runs"), *data, "--json"]) == 1
    report = _json(capsys)
    assert len(report["new"]) == 2 and report["failed"][0]["path"].endswith("orphan.extxyz")
    assert (workspace / "data" / "ionflux.sqlite").is_file()
    assert not (workspace / "env-data").exists()  # the flag wins over $IONFLUX_DATA_DIR

    assert main(["build", *data, *settings, "--stage", "transport", "--stage",
                 "aggregate"]) == 0
    out = capsys.readouterr().out
    assert "transport  2 processed: 2 built, 0 failed" in out
    assert "aggregate  1 processed: 1 built, 0 failed" in out

    assert main(["status", *data, *settings, "--json"]) == 0
    status = _json(capsys)
    stages = {s["stage"]: s for s in status["stages"]}
    assert (stages["ingest"]["up_to_date"], stages["ingest"]["failed"]) == (2, 1)
    assert (stages["transport"]["up_to_date"], stages["transport"]["pending"]) == (2, 0)
    assert (stages["bonds"]["up_to_date"], stages["bonds"]["pending"]) == (0, 2)
    assert status["failures"][0]["stage"] == "ingest"
    assert "no metadata sidecar" in status["failures"][0]["error"]
    assert main(["status", *data, *settings]) == 0
    assert "failed ingest" in capsys.readouterr().out

    assert main(["query", "transport", "--formula", "Ba2Ti2O6", "--temperature", "1500",
                 *data, "--json"]) == 0
    doc = _json(capsys)
    pipe = Pipeline.open("local", data_dir=workspace / "data")
    stored = pipe.transport("BaTiO3", 1500)
    pipe.close()
    assert doc["n_replicates"] == 2 and doc["L"] == stored["L"]
    assert doc["replicates"] == ["BaTiO3@1500K#a", "BaTiO3@1500K#b"]
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 "--replicates", *data, "--json"]) == 0
    assert [d["traj_id"] for d in _json(capsys)] == ["BaTiO3@1500K#a", "BaTiO3@1500K#b"]
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "1500",
                 *data]) == 0
    assert "BaTiO3@1500K: 2 replicate(s)" in capsys.readouterr().out

    # one-line errors (exit 2) for what is not there
    assert main(["query", "kd", "--formula", "BaTiO3", "--temperature", "1500", *data]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: no K_D document for BaTiO3@1500K in {workspace / 'data' / 'ionflux.sqlite'} "
        "(the store has none; run `ionflux build`)"]
    assert main(["query", "transport", "--formula", "BaTiO3", "--temperature", "900",
                 *data]) == 2
    assert "(available: BaTiO3@1500K)" in capsys.readouterr().err
    assert main(["query", "transport", "--formula", "Qq7", "--temperature", "900",
                 *data]) == 2
    assert capsys.readouterr().err == "error: not a chemical formula: 'Qq7'\n"
    assert main(["build", *data, "--stage", "everything"]) == 2
    assert "unknown stage 'everything'" in capsys.readouterr().err


def test_store_files_equal_builtin_configurations():
    for name, config in BUILTIN_CONFIGS.items():
        from_file = load_store_config(str(REPO / "stores" / f"{name}.yaml"))
        assert from_file == config, name
        assert set(from_file.collections) == set(ROLES)


def test_open_store_and_data_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IONFLUX_DATA_DIR", raising=False)
    local = BUILTIN_CONFIGS["local"]
    assert resolve_data_dir(local) == tmp_path / "ionflux-data"
    monkeypatch.setenv("IONFLUX_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(local) == tmp_path / "env"
    assert resolve_data_dir(local, tmp_path / "flag") == tmp_path / "flag"
    store = open_store("local", "predictions")
    assert isinstance(store, SQLiteStore) and store.key == "prediction_id"
    assert store.path == str(tmp_path / "env" / "ionflux.sqlite")
    store.connect()
    store.update({"prediction_id": "p1", "x": 1})
    store.close()
    again = open_store("local", "predictions")  # same file, reopened
    assert again.path == store.path
    again.connect()
    assert again.query_one({"prediction_id": "p1"})["x"] == 1
    again.close()
    custom = open_store("local", "my_cache", key="hash")
    assert custom.collection_name == "my_cache" and custom.key == "hash"
    bad = tmp_path / "bad.yaml"
    bad.write_text("backend: local\ncollections: {transport: t}\n")
    with pytest.raises(Exception, match="collections must name every role"):
        load_store_config(str(bad))
    with pytest.raises(Exception, match="unknown store 'nowhere'"):
        load_store_config("nowhere")


def test_bad_settings_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture):
    bad = tmp_path / "settings.yaml"
    bad.write_text("kd:\n  precursor_pairs: [[BaO, Xx9]]\n")
    assert main(["build", "--data-dir", str(tmp_path / "d"), "--settings", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: invalid pipeline settings:") and err.count("\n") == 1
    assert "not a chemical formula: 'Xx9'" in err
    bad.write_text("transport:\n  n_blcks: 3\n")
    assert main(["status", "--data-dir", str(tmp_path / "d"), "--settings", str(bad)]) == 2
    assert "n_blcks" in capsys.readouterr().err
