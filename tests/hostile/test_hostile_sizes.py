"""Huge grids and realisation counts are refused by a memory and time estimate before anything
is allocated, the same on every path: command line, batch request, web API, Python predict()."""

from __future__ import annotations

import math

import pytest
from hostile_data import one_line_error

from ionflux.ca.request import CELL_BYTES, REALISATION_BYTES, check_size, estimate_memory
from ionflux.ca.settings import AutomatonSettings
from ionflux.errors import InputError


@pytest.fixture
def no_allocation(monkeypatch):
    """Any grid or neighbour table built, or any store opened, fails the test at once (a
    missing check would otherwise allocate tens of GiB)."""
    import ionflux.ca.automaton as automaton
    import ionflux.ca.cache as cache

    def refuse(*_args, **_kwargs):
        raise AssertionError("allocated before the size check")

    monkeypatch.setattr(automaton, "initial_state", refuse)
    monkeypatch.setattr(automaton, "neighbour_table", refuse)
    monkeypatch.setattr(cache.StoreCache, "open", refuse)



@pytest.mark.parametrize(("flags", "message"), [
    # 8e9 cells: a short profile keeps the cell updates under the time limit; memory refuses
    (["--grid", "2000", "--profile", "1200K:0.001"], "request needs ~298 GiB of memory"),
    (["--grid", "3", "--realisations", "100000000", "--profile", "1200K:1"],
     "100000000 realisation(s) x 128 KiB), more than the limit 4 GiB"),
])
def test_predict_refuses_by_memory(capsys, no_allocation, flags: list[str], message: str):
    err = one_line_error(capsys, ["predict", "--precursors", "BaO=1,TiO2=1", *flags])
    assert message in err and "IONFLUX_CA_MAX_MEMORY_BYTES" in err


def test_time_estimate_counts_realisations(monkeypatch):
    """2e5 realisations of a 27-cell grid: few cell updates, but ~20 ms each."""
    monkeypatch.setenv("IONFLUX_CA_MAX_MEMORY_BYTES", "1e15")
    settings = AutomatonSettings()
    with pytest.raises(InputError, match=r"~67 min .* more than the limit 1e\+10 updates"):
        check_size([(1200.0, 0.001)], 27, 200_000, settings)
    assert check_size([(1200.0, 1.0)], 27_000, 8, settings) == 27_000 * 8


def test_memory_estimate_and_setting(monkeypatch):
    assert estimate_memory(30 ** 3, 8) < 2 ** 23  # the default request: a few MiB
    assert estimate_memory(2000 ** 3, 1) == 8e9 * CELL_BYTES + REALISATION_BYTES
    monkeypatch.setenv("IONFLUX_CA_MAX_MEMORY_BYTES", "1e6")
    with pytest.raises(InputError, match="of memory"):
        check_size([(1200.0, 1.0)], 30 ** 3, 8, AutomatonSettings())
    # a limit is not an input of the model: prediction keys do not change with it
    assert "max_memory_bytes" not in AutomatonSettings().model_dump()


def test_batch_request_refuses_before_filing(capsys, no_allocation):
    err = one_line_error(capsys, ["batch", "request", "--precursors", "BaO,TiO2", "--ratios",
                                   "1:1", "--profiles", "1200K:0.001", "--grid", "2000",
                                   "--store", "memory"])
    assert "of memory" in err


def test_python_predict_refuses_before_allocating(no_allocation):
    from ionflux.ca.predict import predict

    with pytest.raises(InputError, match="of memory"):
        predict({"BaO": 1, "TiO2": 1}, [(1200.0, 0.001)], mode="thermo-only", grid=2000,
                cache=False)


def test_web_api_applies_the_same_estimate(web_client_factory, monkeypatch):
    calls = []
    client = web_client_factory(lambda *a: calls.append(a))
    monkeypatch.setenv("IONFLUX_CA_MAX_MEMORY_BYTES", "1e5")
    response = client.post("/api/predict", json={
        "precursors": {"BaO": 1, "TiO2": 1}, "grid": 10, "realisations": 1,
        "profile": [{"temperature_K": 1300, "hours": 0.1}]})
    assert response.status_code == 422
    assert "of memory" in response.json()["detail"] and not calls


@pytest.fixture
def web_client_factory():
    from fastapi.testclient import TestClient

    from ionflux.storage.stores import StoreConfig
    from ionflux.web import ServeSettings, create_app

    def make(predictor):
        config = StoreConfig(backend="memory", memory_name=":memory:ionflux-sizes")
        return TestClient(create_app(ServeSettings(store=config), predictor=predictor),
                          raise_server_exceptions=False)

    return make


def test_huge_ratio_from_python_is_named_not_a_negative_cell_count():
    from ionflux.ca.predict import predict

    with pytest.raises(InputError) as info:
        predict({"BaO": 1e308, "TiO2": 1}, [(1200.0, 1.0)], mode="thermo-only", grid=6,
                realisations=1, cache=False)
    message = str(info.value)
    assert "molar ratio of BaO (1e+308) is too large" in message
    assert "-9223372036854775808" not in message


@pytest.mark.parametrize("field", ["sweeps_per_unit", "inertia"])
@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_settings_refuse_non_finite_numbers(field: str, value: float):
    with pytest.raises(ValueError, match="finite number"):
        AutomatonSettings(**{field: value})
