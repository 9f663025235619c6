"""MongoDB secrets never reach a message: passwords (escaped or not), secret options."""

from __future__ import annotations

import pytest

from ionflux.cli import main
from ionflux.storage.stores import describe_store, redact_uri

SECRETS = ("s3cr", "topsecret", "tok3n", "hunter2")

#: (URI, what its redacted form is)
CASES = [
    ("mongodb://alice:s3cr/et@db.example.org/ionflux", "mongodb://***@db.example.org"),
    ("mongodb://alice:s3cr@et@db.example.org", "mongodb://***@db.example.org"),
    ("mongodb://alice:s3cr%40et@h1,h2:27018/ionflux?replicaSet=rs&"
     "tlsCertificateKeyFilePassword=topsecret&tls=true",
     "mongodb://alice:***@h1,h2:27018/ionflux?replicaSet=rs&"
     "tlsCertificateKeyFilePassword=***&tls=true"),
    ("mongodb://h/ionflux?authMechanism=MONGODB-AWS&"
     "authMechanismProperties=AWS_SESSION_TOKEN:tok3n",
     "mongodb://h/ionflux?authMechanism=MONGODB-AWS&"
     "authMechanismProperties=AWS_SESSION_TOKEN:***"),
    # an unknown option may be a misspelt secret: left out
    ("mongodb://h/x?tlsCertificateKeyFilePasword=hunter2&w=1", "mongodb://h/x?w=1"),
    ("mongodb+srv://alice:hunter2@cluster.example.org/x?retryWrites=true",
     "mongodb+srv://alice:***@cluster.example.org/x?retryWrites=true"),
    ("MONGODB://alice:hunter2@h", "mongodb://***@h"),
    ("mongodb://u:hunter2?x@h", "mongodb://(invalid URI, not shown)"),
    ("mongodb://127.0.0.1:27017/ionflux", "mongodb://127.0.0.1:27017/ionflux"),
]


@pytest.mark.parametrize(("uri", "shown"), CASES)
def test_redact_uri_hides_every_secret(uri: str, shown: str):
    assert redact_uri(uri) == shown
    assert not any(secret in redact_uri(uri) for secret in SECRETS)


def test_other_store_names_are_unchanged():
    assert redact_uri("sqlite:///data/ionflux.sqlite/kd") == "sqlite:///data/ionflux.sqlite/kd"


@pytest.mark.parametrize(("uri", "shown"), CASES)
def test_describe_store_hides_secrets(uri: str, shown: str):
    from maggma.stores import MongoStore

    store = MongoStore(database="x", collection_name="kd", uri=uri)
    assert describe_store(store) == f"collection kd at {shown}"


@pytest.mark.parametrize("uri", [c[0] for c in CASES[:5]] + [
    "mongodb://alice:hunter2@127.0.0.1:1/x?tlsCertificateKeyFilePassword=topsecret"])
def test_cli_messages_hide_secrets(uri: str, monkeypatch, capsys):
    monkeypatch.setenv("IONFLUX_MONGO_URI", uri)
    monkeypatch.setenv("IONFLUX_MONGO_TIMEOUT_MS", "200")
    assert main(["status", "--store", "mongo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not any(secret in err for secret in SECRETS), err


def test_health_serves_no_secret(monkeypatch):
    """/api/health serves the store location to any client."""
    from unittest import mock

    from fastapi.testclient import TestClient

    from ionflux.storage.stores import StoreSet
    from ionflux.web import ServeSettings, create_app

    monkeypatch.setenv("IONFLUX_MONGO_URI", "mongodb://alice:s3cr%2Fet@db.example.org/x"
                       "?tlsCertificateKeyFilePassword=topsecret&authSource=admin")
    with mock.patch.object(StoreSet, "connect", lambda self: self):  # no server needed
        app = create_app(ServeSettings(store="mongo"))
    body = TestClient(app).get("/api/health").json()
    assert body["store"] == ("mongodb://alice:***@db.example.org/x"
                             "?tlsCertificateKeyFilePassword=***&authSource=admin")
