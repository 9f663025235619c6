"""A file named like a system in the working directory never replaces the bundled data."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from ionflux.cli import main
from ionflux.errors import DataNotFoundError
from ionflux.transport.published import load_published

BUNDLED = "ionflux/data/ba-ti-o/transport_tensors_ace_md.json"


@pytest.fixture
def impostor(tmp_path: Path, monkeypatch) -> Path:
    """``./Ba-Ti-O``: two bundled records with every tensor scaled by 1000."""
    records = json.loads((resources.files("ionflux") / "data" / "ba-ti-o"
                          / "transport_tensors_ace_md.json").read_bytes())[:2]
    for record in records:
        for key in ("L_tensor", "L_tensor_dis", "L_tensor_self"):
            record[key] = (1000 * __import__("numpy").asarray(record[key])).tolist()
    path = tmp_path / "Ba-Ti-O"
    path.write_text(json.dumps(records))
    monkeypatch.chdir(tmp_path)
    return path


def test_system_name_reads_bundled_data_not_a_file_of_that_name(impostor: Path):
    docs = load_published("Ba-Ti-O")
    assert len(docs) > 2
    assert {d.provenance.sources[0].path for d in docs} == {BUNDLED}
    # the file is read only when given as a path, and what is read is what is hashed
    for given in ("./Ba-Ti-O", impostor, str(impostor)):
        docs = load_published(given)
        assert len(docs) == 2
        source = docs[0].provenance.sources[0]
        assert source.path == str(given)
        assert source.sha256 == __import__("hashlib").sha256(impostor.read_bytes()).hexdigest()


def test_kd_table_and_its_cache_key_ignore_the_file(impostor: Path, tmp_path: Path,
                                                    monkeypatch):
    from ionflux.kinetics import KDTable

    with_file = KDTable.published("Ba-Ti-O").data_version
    monkeypatch.chdir(tmp_path.parent)
    assert KDTable.published("Ba-Ti-O").data_version == with_file


def test_cli_import_reads_bundled_data_by_name(impostor: Path, capsys):
    assert main(["transport", "import", "Ba-Ti-O", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) > 2
    assert main(["transport", "import", "./Ba-Ti-O", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_names_and_paths():
    from ionflux.transport.published import published_file

    assert published_file("Ba-Ti-O") is None
    assert published_file("Li-Ti-O") is None
    assert published_file("./Ba-Ti-O") == Path("Ba-Ti-O")
    assert published_file("tensors.json") == Path("tensors.json")
    assert published_file(Path("Ba-Ti-O")) == Path("Ba-Ti-O")


def test_unknown_name_and_missing_file_are_one_line_errors(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mytensors").write_text("[]")
    with pytest.raises(DataNotFoundError, match=r"mytensors is not a system .*\./mytensors"):
        load_published("mytensors")
    with pytest.raises(DataNotFoundError, match=r"missing\.json: cannot read"):
        load_published("missing.json")
