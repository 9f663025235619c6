"""Bad arguments give one `error: ...` line and exit code 2, before any data loads."""

from __future__ import annotations

import subprocess
import sys
from unittest import mock

import pytest

from ionflux.cli import main


def _error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def no_data_loads():
    """Fail the test if thermodynamic or transport data are loaded."""
    def boom(*_a, **_k):
        raise AssertionError("data loaded before the arguments were checked")

    with mock.patch("ionflux.thermo.data.ThermoData.load", boom), \
            mock.patch("ionflux.thermo.data.ThermoData.bundled", boom), \
            mock.patch("ionflux.transport.published.load_published", boom):
        yield


@pytest.mark.parametrize(("precursors", "bad"), [
    ("Xx2O=1,TiO2=1", "'Xx'"), ("XX=1,TiO2=1", "'XX'"), ("XX=1", "'XX'"),
    ("BaO=1,Ti$O2=1", "'Ti$O2'"), ("BaO=1,TiO2=-1", "-1"), ("BaO=1,TiO2=nan", "nan"),
])
def test_predict_rejects_unknown_precursors_before_loading(capsys, no_data_loads, precursors,
                                                           bad):
    line = _error(capsys, ["predict", "--precursors", precursors, "--profile", "1200K:1",
                           "--no-cache"])
    assert "--precursors" in line and bad in line


def test_predict_rejects_bad_profile_and_options_before_loading(capsys, no_data_loads):
    base = ["predict", "--precursors", "BaO=1,TiO2=1", "--no-cache"]
    assert "temperature" in _error(capsys, [*base, "--profile", "-5K:1"])
    assert "duration" in _error(capsys, [*base, "--profile", "1200K:0"])
    assert "--realisations" in _error(capsys, [*base, "--profile", "1200K:1",
                                               "--realisations", "0"])
    assert "--grid" in _error(capsys, [*base, "--profile", "1200K:1", "--grid", "1"])


def test_kd_unknown_precursor_is_one_error_line(capsys):
    line = _error(capsys, ["kd", "--precursors", "BaO,TiO7"])
    assert line.count("TiO7") == 1 and "no thermodynamic data" in line


def test_kd_and_chempot_check_names_before_loading(capsys, no_data_loads):
    assert _error(capsys, ["kd", "--system", "Foo-Bar"]) == \
        "error: --system 'Foo-Bar': 'Foo' is not an element"
    assert "'Xx'" in _error(capsys, ["kd", "--precursors", "BaO,Xx2O"])
    assert "outside the Ba-Ti-O system" in _error(capsys, ["kd", "--precursors", "BaO,Li2O"])
    assert "'Qq'" in _error(capsys, ["chempot", "distance", "-T", "1000", "BaO", "Qq"])
    assert "--temperature" in _error(capsys, ["chempot", "distance", "-T", "-3", "BaO",
                                              "TiO2"])


def test_kd_precursors_default_to_the_systems_own(capsys, no_data_loads):
    # Li-Ti-O's pair is Li2O,TiO2 (not Ba-Ti-O's BaO, which would be "outside the system");
    # a system without bundled data has no default and must name its pair
    with mock.patch("ionflux.cli.kd.parse_temperatures", side_effect=SystemExit(7)) as seen:
        assert main(["kd", "--system", "Li-Ti-O"]) == 7
        assert main(["kd", "--system", "O-Li-Ti"]) == 7
    assert seen.call_count == 2
    assert _error(capsys, ["kd", "--system", "Na-Ti-O"]) == (
        "error: --precursors: give the precursors of Na-Ti-O (defaults exist only for Ba-Ti-O, "
        "Li-Ti-O)")


def test_bad_arguments_import_no_science_stack():
    # a fresh process, as a user's: the check runs before pymatgen or numba are imported
    code = ("import sys; from ionflux.cli import main; "
            "codes = [main(['predict', '--precursors', 'Xx2O=1,TiO2=1', '--profile', '1200K:1']),"
            " main(['kd', '--precursors', 'BaO,Xx2O']),"
            " main(['chempot', 'distance', '-T', '1000', 'BaO', 'Qq'])]; "
            "print(codes, sorted({m.split('.')[0] for m in sys.modules} & {'pymatgen', 'numba'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[2, 2, 2] []"


def test_predict_plot_into_a_missing_folder_is_refused_first(tmp_path, capsys, no_data_loads):
    line = _error(capsys, ["predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1200K:1",
                           "--no-cache", "--plot", str(tmp_path / "no" / "p.png")])
    assert "does not exist" in line and not (tmp_path / "no").exists()
