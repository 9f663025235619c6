"""Messages say what happened: huge ratios, the file a figure went to, devices never written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile_data import one_line_error

from ionflux.cli import main


@pytest.mark.parametrize(("ratios", "message"), [
    ("BaO=1e308,TiO2=1", "ratio of BaO (1e+308) is too large; give ratios up to 1e+06"),
    ("BaO=1e300,TiO2=1e300", "ratio of BaO (1e+300) is too large"),
    ("BaO=1e5,TiO2=1e-3", "the ratio BaO:TiO2 = 1e+08 is too large (at most 1e+06): TiO2 "
                          "would get no cell on any grid"),
])
def test_huge_ratios_are_called_too_large(capsys, ratios: str, message: str):
    err = one_line_error(capsys, ["predict", "--precursors", ratios, "--profile", "1200K:2",
                          "--no-cache"])
    assert message in err and "cell(s)" not in err


def test_batch_ratios_are_checked_the_same_way(capsys):
    err = one_line_error(capsys, ["batch", "request", "--precursors", "BaO,TiO2", "--ratios",
                          "1:1,1e308:1", "--profiles", "1200K:2", "--store", "memory"])
    assert "--ratios 1e308:1: ratio of BaO (1e+308) is too large" in err


def test_plot_names_the_file_it_wrote(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "kd", "--out", "X"]) == 0
    assert "wrote X.png" in capsys.readouterr().out
    assert (tmp_path / "X.png").is_file() and not (tmp_path / "X").exists()
    err = one_line_error(capsys, ["plot", "kd", "--out", "X.v2"])
    assert "matplotlib cannot write '.v2' figures" in err


@pytest.mark.parametrize("args", [
    ["transport", "synthetic", "{dev}", "--frames", "10"],
    ["transport", "synthetic", "{dev}", "--frames", "10", "--replicates", "1"],
    ["plot", "kd", "--out", "{dev}"],
])
def test_devices_are_never_written_to_or_next_to(tmp_path: Path, capsys, args: list[str]):
    """A named pipe stands in for /dev/full (a test must not write into /dev if it fails)."""
    device = tmp_path / "full"
    os.mkfifo(device)
    err = one_line_error(capsys, [a.format(dev=device) for a in args])
    assert f"{device} is not a regular file" in err
    assert list(tmp_path.iterdir()) == [device]


def test_synthetic_into_a_folder_or_a_missing_folder(tmp_path: Path, capsys):
    assert "is a folder" in one_line_error(capsys, ["transport", "synthetic", str(tmp_path)])
    assert "does not exist" in one_line_error(capsys, ["transport", "synthetic",
                                               str(tmp_path / "no" / "x.extxyz")])
    assert list(tmp_path.iterdir()) == []
