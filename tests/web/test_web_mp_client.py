"""The Materials Project's own client (mp-api's ``BaseRester``) reads the API as it reads MP:
heartbeat, ``_limit``/``_skip`` paging over chunks, ``_fields``, ``data`` and
``meta.total_doc``."""

from __future__ import annotations

import pytest
from pydantic import BaseModel


class TransportSummary(BaseModel):
    """The fields the client may ask for (it checks ``fields`` against its document model)."""

    ionflux_id: str
    formula_pretty: str
    chemsys: str
    temperature_K: float
    source: str


def test_mp_api_client_pages_filters_and_counts(server):
    rester_module = pytest.importorskip("mp_api.client.core")

    class TransportRester(rester_module.BaseRester):
        suffix = "api/transport"
        document_model = TransportSummary
        primary_key = "ionflux_id"

    rester = TransportRester(api_key="x" * 32, endpoint=server + "/", use_document_model=False,
                             mute_progress_bars=True)
    # chunks of 4: the client pages with _skip/_limit until meta.total_doc documents arrived
    docs = rester._search(formula="BaTiO3", fields=["formula_pretty", "temperature_K"],
                          chunk_size=4)
    assert [d["temperature_K"] for d in docs] == [750.0, 1000.0, 1250.0, 1500.0, 1750.0]
    assert {d["formula_pretty"] for d in docs} == {"BaTiO3"}
    assert set(docs[0]) == {"ionflux_id", "formula_pretty", "temperature_K"}
    assert rester.count({"chemsys": "Ba-O-Ti"}) == 55
    assert rester.count({"chemsys": "Ba-O"}) == 0
