"""The settings read IONFLUX_CA_* as pydantic-settings does: the same values and dumps as
pydantic-settings twins of the two models, for the same keywords and environments."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ionflux.ca.settings import AutomatonSettings, ScoringSettings


def _twin(model: type) -> type:
    """``model`` rebuilt on pydantic-settings' BaseSettings (the reference behaviour)."""
    fields = {name: (field.annotation, field) for name, field in model.model_fields.items()}
    namespace = {"__annotations__": {n: a for n, (a, _) in fields.items()},
                 **{n: f for n, (_, f) in fields.items()},
                 "model_config": SettingsConfigDict(env_prefix="IONFLUX_CA_", frozen=True,
                                                    extra="forbid")}
    return type(f"Twin{model.__name__}", (BaseSettings,), namespace)


ENVIRONMENTS = [
    {},
    {"IONFLUX_CA_INERTIA": "5", "IONFLUX_CA_S": "2e5"},
    {"ionflux_ca_cell_swaps": "off", "IONFLUX_CA_SWEEPS_PER_UNIT": "3"},  # any case
    {"IONFLUX_CA_MELTING_POINTS_K": '{"BaO": 2200, "TiO2": 2100.5}'},  # JSON for a mapping
    {"IONFLUX_CA_MAX_MEMORY_BYTES": "1e6", "IONFLUX_CA_NOT_A_FIELD": "x"},  # others ignored
]


@pytest.mark.parametrize("model", [ScoringSettings, AutomatonSettings])
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_same_values_as_pydantic_settings(model, environment, monkeypatch):
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    twin = _twin(model)
    for keywords in ({}, {"inertia": 7.0, "s": 3e7}):
        mine = {k: v for k, v in keywords.items() if k in model.model_fields}
        ours, theirs = model(**mine), twin(**mine)
        assert ours.model_dump() == theirs.model_dump()
        assert ours.model_dump_json() == theirs.model_dump_json()
        if model is AutomatonSettings:  # excluded from dumps
            assert ours.max_memory_bytes == theirs.max_memory_bytes
    if "IONFLUX_CA_INERTIA" in environment and model is AutomatonSettings:
        assert model().inertia == 5.0  # the variable was read


def test_bad_environment_values_are_validation_errors(monkeypatch):
    monkeypatch.setenv("IONFLUX_CA_INERTIA", "-1")
    with pytest.raises(ValidationError, match="inertia"):
        AutomatonSettings()
    assert AutomatonSettings(inertia=2.0).inertia == 2.0  # a keyword wins over the variable


def test_model_validate_does_not_read_the_environment(monkeypatch):
    monkeypatch.setenv("IONFLUX_CA_S", "2e5")
    stored = ScoringSettings(s=1e8).model_dump()
    assert ScoringSettings.model_validate(stored).s == 1e8
    assert ScoringSettings.model_validate({}).s == _twin(ScoringSettings).model_validate({}).s
