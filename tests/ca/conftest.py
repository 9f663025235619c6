"""Fixtures of the automaton tests (fakes live in ca_fakes.py)."""

from __future__ import annotations

import pytest
from ca_fakes import TOY, FakeThermo


@pytest.fixture
def toy_thermo() -> FakeThermo:
    return FakeThermo(TOY)
