"""Submission against a fake MPContribs (the HTTP layer stubbed): idempotent, updates by
fingerprint, resumable after a failure half-way, retries with backoff, no secret in messages."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ionflux.cli import main
from ionflux.publish import (
    AuthError,
    Existing,
    ProjectInfo,
    PublishError,
    Record,
    TransientError,
    build_contribution,
    submit,
)
from ionflux.publish.submit import classify

KEY = "A" * 16 + "b" * 16  # a well-formed (fake) 32-character key


class FakeServer:
    """Holds contributions by our key; can fail on chosen calls."""

    def __init__(self, unique=False, columns=None):
        self.info = ProjectInfo(unique, columns or {})
        self.docs: dict[str, dict] = {}
        self.calls: list[str] = []
        self.fail: dict[str, list[Exception]] = {}
        self.next_id = 0

    def _maybe_fail(self, what):
        queue = self.fail.get(what)
        if queue:
            raise queue.pop(0)

    def project(self, name):
        self.calls.append("project")
        return self.info

    def init_columns(self, name, columns):
        self.calls.append("init_columns")
        self.columns = dict(columns)

    def existing(self, name):
        self.calls.append("existing")
        return {k: Existing(d["id"], d["fingerprint"]) for k, d in self.docs.items()}

    def create(self, name, c):
        self.calls.append(f"create {c.key}")
        self._maybe_fail(f"create {c.key}")
        self.next_id += 1
        self.docs[c.key] = {"id": f"id{self.next_id}", "fingerprint": c.fingerprint,
                            "payload": c.payload(name)}
        return f"id{self.next_id}"

    def update(self, name, cid, c):
        self.calls.append(f"update {c.key}")
        self._maybe_fail(f"update {c.key}")
        self.docs[c.key].update(fingerprint=c.fingerprint, payload=c.payload(name))


@pytest.fixture
def contributions(plain_groups):
    return [build_contribution(g) for g in plain_groups]


def test_submit_is_idempotent_and_updates_changed(tmp_path, contributions, plain_groups):
    server = FakeServer()
    record = Record.load(tmp_path / "r.json", "ionflux_test")
    first = submit(server, "ionflux_test", contributions, record, sleep=lambda s: None)
    assert sorted(first.created) == sorted(c.key for c in contributions) and first.complete
    # columns are initialised before any contribution is created
    assert server.calls.index("init_columns") < server.calls.index(f"create "
                                                                    f"{contributions[0].key}")
    assert server.columns["D.Ba"] == "cm**2/s"
    again = submit(server, "ionflux_test", contributions, Record.load(tmp_path / "r.json",
                                                                      "ionflux_test"))
    assert again.unchanged == [c.key for c in contributions] and not again.created
    # one changed document: only it is updated, in place (same id)
    group = plain_groups[2]
    group.transport = group.transport.model_copy(update={"L": [[2 * x for x in row]
                                                               for row in group.transport.L]})
    changed = list(contributions)
    changed[2] = build_contribution(group)
    old_id = server.docs[changed[2].key]["id"]
    third = submit(server, "ionflux_test", changed, Record.load(tmp_path / "r.json",
                                                                "ionflux_test"))
    assert third.updated == [changed[2].key] and len(third.unchanged) == 4
    assert server.docs[changed[2].key]["id"] == old_id
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["entries"][changed[2].key]["fingerprint"] == changed[2].fingerprint


def test_failure_half_way_is_completed_by_a_rerun(tmp_path, contributions):
    server = FakeServer()
    bad = contributions[2].key
    server.fail[f"create {bad}"] = [PublishError("400: server says no")]
    report = submit(server, "ionflux_test", contributions,
                    Record.load(tmp_path / "r.json", "ionflux_test"), sleep=lambda s: None)
    assert list(report.failed) == [bad] and len(report.created) == 4 and not report.complete
    saved = json.loads((tmp_path / "r.json").read_text())["entries"]
    assert saved[bad]["state"] == "failed" and "server says no" in saved[bad]["error"]
    server.calls.clear()
    rerun = submit(server, "ionflux_test", contributions,
                   Record.load(tmp_path / "r.json", "ionflux_test"))
    assert rerun.created == [bad] and len(rerun.unchanged) == 4 and rerun.complete
    assert [c for c in server.calls if c.startswith("create")] == [f"create {bad}"]
    assert len(server.docs) == len(contributions)


def test_transient_errors_are_retried_with_backoff(tmp_path, contributions):
    server = FakeServer()
    key = contributions[0].key
    server.fail[f"create {key}"] = [TransientError("429 rate limit"),
                                    TransientError("502 bad gateway")]
    slept: list[float] = []
    report = submit(server, "ionflux_test", contributions[:1],
                    Record.load(tmp_path / "r.json", "ionflux_test"), sleep=slept.append,
                    base_delay_s=0.5)
    assert report.created == [key] and report.retries == 2 and slept == [0.5, 1.0]
    server.fail[f"create {contributions[1].key}"] = [TransientError("503")] * 4
    report = submit(server, "ionflux_test", contributions[1:2],
                    Record.load(tmp_path / "r.json", "ionflux_test"), sleep=slept.append)
    assert list(report.failed) == [contributions[1].key] and report.retries == 3


def test_auth_failure_stops_and_never_shows_the_key(tmp_path, contributions):
    server = FakeServer()
    server.fail[f"create {contributions[1].key}"] = [AuthError(f"refused key {KEY}")]
    report = submit(server, "ionflux_test", contributions,
                    Record.load(tmp_path / "r.json", "ionflux_test"), secrets=[KEY])
    assert report.created == [contributions[0].key]
    assert report.not_attempted == [c.key for c in contributions[2:]]
    assert KEY not in json.dumps(report.failed) and "***" in json.dumps(report.failed)
    assert KEY not in (tmp_path / "r.json").read_text()


def test_project_checks_before_anything_is_sent(tmp_path, contributions):
    unique = FakeServer(unique=True)
    with pytest.raises(PublishError, match="unique identifiers"):
        submit(unique, "ionflux_test", contributions, Record.load(tmp_path / "r.json", "p"))
    assert "init_columns" not in unique.calls
    # a column whose unit differs from the project's (m^2/s vs cm^2/s) cannot be changed
    other = FakeServer(columns={"data.D.Ba": "m**2/s"})
    with pytest.raises(PublishError, match="cannot change a column's unit"):
        submit(other, "ionflux_test", contributions, Record.load(tmp_path / "r2.json", "p"))
    assert not any(c.startswith("create") for c in other.calls)
    # an equivalent spelling is fine
    same = FakeServer(columns={"data.D.Ba": "cm*cm/s"})
    assert submit(same, "ionflux_test", contributions,
                  Record.load(tmp_path / "r3.json", "p")).complete


def test_http_errors_are_classified_and_scrubbed():
    def http(status, text):
        exc = Exception(text)
        exc.response = SimpleNamespace(status_code=status)
        return exc

    assert isinstance(classify(http(429, "slow down"), "submit", [KEY]), TransientError)
    assert isinstance(classify(http(503, "down"), "submit", [KEY]), TransientError)
    auth = classify(http(401, f"bad key {KEY}"), "submit", [KEY])
    assert isinstance(auth, AuthError) and KEY not in str(auth)
    other = classify(http(400, f"Invalid column for {KEY}"), "submit", [KEY])
    assert type(other) is PublishError and KEY not in str(other) and "***" in str(other)


def test_record_of_another_project_is_refused(tmp_path):
    Record.load(tmp_path / "r.json", "one").set("k", state="published", fingerprint="f")
    with pytest.raises(Exception, match="records project 'one'"):
        Record.load(tmp_path / "r.json", "two")


def test_cli_submit_without_or_with_bad_key(monkeypatch, capsys):
    for env in ("MPCONTRIBS_API_KEY", "MP_API_KEY", "PMG_MAPI_KEY"):
        monkeypatch.delenv(env, raising=False)
    assert main(["publish", "--project", "ionflux_test", "--submit"]) == 2
    assert "needs an API key" in capsys.readouterr().err
    secret = "short-secret-123"
    monkeypatch.setenv("MPCONTRIBS_API_KEY", secret)
    assert main(["publish", "--project", "ionflux_test", "--submit"]) == 2
    captured = capsys.readouterr()
    assert "malformed" in captured.err and secret not in captured.err + captured.out


def _no_key(monkeypatch, tmp_path):
    for env in ("MPCONTRIBS_API_KEY", "MP_API_KEY", "PMG_MAPI_KEY"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("IONFLUX_DATA_DIR", str(tmp_path))  # an empty store: bundled data


def test_cli_dry_run_validates_bundled_data(monkeypatch, capsys, tmp_path):
    _no_key(monkeypatch, tmp_path)
    assert main(["publish", "--project", "ionflux_test", "--formula", "BaTiO3",
                 "--no-bonds", "--json", "--show", "6"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dry_run"] and summary["valid"] and summary["contributions"] == 6
    # five temperatures of published tensors, one classical cell: never in one contribution
    assert summary["sources"] == "1 meltquench, 5 published"
    assert summary["structures"] == 1
    shown = summary["shown"]
    assert len(shown) == 6 and shown[0]["identifier"] == "BaTiO3"
    data = shown[0]["data"]
    assert data["source"] == "published" and data["mpid"] == "mp-5020"
    assert data["D"]["Ba"].endswith(" cm**2/s") and data["Kd"]["precursors"] == "BaO + TiO2"
    assert {t["name"] for t in shown[0]["tables"]} == {"transport per element",
                                                       "Onsager coefficients", "K_D"}
    # the classical cell: structure and method only, no transport numbers
    cell = shown[5]
    assert cell["data"]["source"] == "meltquench" and "D" not in cell["data"]
    assert cell["data"]["method"]["potential"].startswith("Pedone")
    assert cell["data"]["method"]["atoms"] == "100" and len(cell["structures"]) == 1
    assert all(not s["structures"] for s in shown[:5])
    assert main(["publish", "--project", "no spaces", "--formula", "BaTiO3",
                 "--no-bonds"]) == 2
    assert "project name" in capsys.readouterr().err


def test_cli_dry_run_shows_contributions_as_text(monkeypatch, capsys, tmp_path):
    _no_key(monkeypatch, tmp_path)
    assert main(["publish", "--project", "ionflux_test", "--formula", "Li2TiO3",
                 "--show", "1", "--source", "bundled"]) == 0
    out = capsys.readouterr().out
    assert "contribution Li2TiO3@1000K:published (identifier Li2TiO3" in out
    assert "table 'Onsager coefficients'" in out and "Li.O" in out
    assert "method.reference" in out and "dry run (nothing sent): 4 contributions" in out
