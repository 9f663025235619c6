"""MPContribsAPI (our adapter on mpcontribs.client.Client) with the client replaced by a fake:
the calls it makes, how it reads existing contributions, how errors are classified, and that
the key never leaks."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import ClassVar

import mpcontribs.client as mc
import pytest

from ionflux.publish import (
    AuthError,
    MPContribsAPI,
    Record,
    TransientError,
    build_contribution,
    submit,
    validate,
)

#: the module (``ionflux.publish.submit`` is also the name of its function)
submit_module = importlib.import_module("ionflux.publish.submit")
KEY = "k" * 32


class FakeClient:
    """Stands in for mpcontribs.client.Client: a project held in memory."""

    instances: ClassVar[list[FakeClient]] = []
    fail_submit: ClassVar[list[Exception]] = []

    def __init__(self, apikey=None, host=None):
        if apikey != KEY:
            raise mc.MPContribsClientError(f"Invalid API key: {apikey}")
        self.contributions: dict[str, dict] = {}
        self.columns = None
        self.submitted: list[list[dict]] = []
        FakeClient.instances.append(self)

    def get_project(self, name=None, fields=None):
        return {"unique_identifiers": False, "columns": []}

    def init_columns(self, columns, name=None):
        self.columns = columns

    def query_contributions(self, query=None, fields=None, paginate=False):
        if not self.contributions:
            raise mc.MPContribsClientError("No contributions match the query.")
        return {"data": [{"id": cid, "data": doc["data"]}
                         for cid, doc in self.contributions.items()]}

    def submit_contributions(self, contributions, ignore_dupes=False):
        if FakeClient.fail_submit:
            raise FakeClient.fail_submit.pop(0)
        self.submitted.append(contributions)
        for c in contributions:
            if "id" in c:
                self.contributions[c["id"]].update(c)
            else:
                self.contributions[f"c{len(self.contributions) + 1}"] = c


@pytest.fixture
def fake_client(monkeypatch):
    FakeClient.instances = []
    FakeClient.fail_submit = []
    monkeypatch.setattr(mc, "Client", FakeClient)
    monkeypatch.setattr(submit_module, "healthcheck", lambda url, timeout_s: 200)
    return FakeClient


def test_adapter_publishes_updates_and_skips(fake_client, plain_groups, tmp_path):
    contributions = [build_contribution(g) for g in plain_groups[:3]]
    api = MPContribsAPI(KEY)
    report = submit(api, "ionflux_test", contributions,
                    Record.load(tmp_path / "r.json", "ionflux_test"))
    (client,) = fake_client.instances
    assert len(report.created) == 3 and client.columns["D.Ba"] == "cm**2/s"
    first = client.submitted[0][0]
    assert first["project"] == "ionflux_test" and first["identifier"] == contributions[0].identifier
    assert first["data"]["ionflux"]["fingerprint"] == contributions[0].fingerprint
    assert "structures" not in first  # empty components are left out
    assert [t.attrs["name"] for t in first["tables"]] == ["transport per element",
                                                          "Onsager coefficients"]
    # unchanged: nothing is sent; changed: an update by id without project/identifier
    again = submit(api, "ionflux_test", contributions,
                   Record.load(tmp_path / "r.json", "ionflux_test"))
    assert len(again.unchanged) == 3 and len(client.submitted) == 3
    group = plain_groups[1]
    group.transport = group.transport.model_copy(
        update={"L": [[2 * x for x in row] for row in group.transport.L]})
    contributions[1] = build_contribution(group)
    third = submit(api, "ionflux_test", contributions,
                   Record.load(tmp_path / "r.json", "ionflux_test"))
    assert third.updated == [contributions[1].key]
    update = client.submitted[-1][0]
    assert update["id"] == "c2" and "project" not in update and "identifier" not in update


def test_adapter_classifies_errors_without_the_key(fake_client, plain_groups, tmp_path):
    contributions = [build_contribution(g) for g in plain_groups[:2]]
    limited = Exception("Too Many Requests")
    limited.response = SimpleNamespace(status_code=429)
    fake_client.fail_submit = [limited]
    slept = []
    report = submit(MPContribsAPI(KEY), "ionflux_test", contributions,
                    Record.load(tmp_path / "r.json", "ionflux_test"), sleep=slept.append,
                    secrets=[KEY])
    assert report.retries == 1 and slept == [1.0] and len(report.created) == 2
    # a key the server refuses: one AuthError, the key nowhere
    wrong = "w" * 32
    with pytest.raises(AuthError) as info:
        MPContribsAPI(wrong).project("ionflux_test")
    assert wrong not in str(info.value)
    with pytest.raises(AuthError, match="malformed"):
        MPContribsAPI("too-short")
    down = Exception("Service Unavailable")
    down.response = SimpleNamespace(status_code=503)
    fake_client.fail_submit = [down] * 4
    api = MPContribsAPI(KEY)
    with pytest.raises(TransientError):
        api.create("ionflux_test", contributions[0])


def test_text_that_the_server_would_read_as_a_number_is_refused(plain_groups):
    c = build_contribution(plain_groups[0])
    c.data["ionflux.key"] = "12345"
    text = str(validate([c], "ionflux_test").errors)
    assert "would be read as a number" in text
