"""Publishing to a host that cannot be reached: the connection error is retryable, the total
wait is bounded, and the last error is one line naming the host and the cause. The HTTP layer
is stubbed (no network)."""

from __future__ import annotations

import importlib
import socket

import mpcontribs.client as mc
import pytest
import requests
from urllib3.exceptions import MaxRetryError, NameResolutionError

from ionflux.publish import MPContribsAPI, Record, TransientError, submit
from ionflux.publish.submit import classify

#: the module (``ionflux.publish.submit`` is also the name of its function)
submit_module = importlib.import_module("ionflux.publish.submit")
KEY = "k" * 32
HOST = mc.DEFAULT_HOST  # unreachable here: every answer is stubbed


def _dns_failure() -> requests.ConnectionError:
    """What requests raises for a host name that does not resolve (urllib3 2.x)."""
    reason = NameResolutionError(HOST, None, socket.gaierror(-2, "Name or service not known"))
    return requests.ConnectionError(MaxRetryError(None, "/healthcheck", reason))


@pytest.fixture
def no_client(monkeypatch):
    """The real client would wait 30 s three times on its own health check."""
    def refuse(*_a, **_k):
        raise AssertionError("the client was made for an unreachable host")

    monkeypatch.setattr(mc, "Client", refuse)


def test_unreachable_host_is_retried_briefly_then_named(monkeypatch, no_client, tmp_path):
    checks = []

    def down(url, timeout_s):
        checks.append((url, timeout_s))
        raise _dns_failure()

    monkeypatch.setattr(submit_module, "healthcheck", down)
    slept: list[float] = []
    with pytest.raises(TransientError) as info:
        submit(MPContribsAPI(KEY, host=HOST), "ionflux_test", [],
               Record.load(tmp_path / "r.json", "ionflux_test"), sleep=slept.append,
               secrets=[KEY])
    message = str(info.value)
    assert message == (f"get project: cannot reach MPContribs at {HOST} ([Errno -2] Name or "
                       "service not known); gave up after 4 attempts (7 s of waiting)")
    assert slept == [1.0, 2.0, 4.0] and len(checks) == 4
    assert checks[0] == (f"https://{HOST}", submit_module.CONNECT_TIMEOUT_S)


def test_a_host_that_comes_back_is_used(monkeypatch, tmp_path):
    answers = [_dns_failure(), 503, 200]
    made = []

    def flaky(url, timeout_s):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    class Client:
        def __init__(self, apikey=None, host=None):
            made.append(host)

        def get_project(self, name=None, fields=None):
            return {"unique_identifiers": False, "columns": []}

        def init_columns(self, columns, name=None):
            pass

        def query_contributions(self, **_):
            raise mc.MPContribsClientError("No contributions match the query.")

    monkeypatch.setattr(submit_module, "healthcheck", flaky)
    monkeypatch.setattr(mc, "Client", Client)
    slept: list[float] = []
    report = submit(MPContribsAPI(KEY, host=HOST), "ionflux_test", [],
                    Record.load(tmp_path / "r.json", "ionflux_test"), sleep=slept.append)
    assert report.retries == 2 and slept == [1.0, 2.0] and made == [HOST]


def test_a_host_the_client_refuses_is_named_at_once(monkeypatch, no_client):
    from ionflux.publish import PublishError

    monkeypatch.setattr(submit_module, "healthcheck", lambda *a: pytest.fail("probed"))
    with pytest.raises(PublishError, match=r"typo\.example is not an MPContribs API host"):
        MPContribsAPI(KEY, host="typo.example").project("ionflux_test")


@pytest.mark.parametrize(("exc", "cause"), [
    (ConnectionRefusedError(111, "Connection refused"), "[Errno 111] Connection refused"),
    (requests.ConnectTimeout("HTTPSConnectionPool: connect timeout=10"), "timed out"),
    (type("BravadoConnectionError", (Exception,), {})("reset by peer"),
     "BravadoConnectionError"),
])
def test_connection_errors_mid_run_are_transient_and_named(exc, cause):
    error = classify(exc, "submit", [KEY], HOST)
    assert isinstance(error, TransientError)
    assert str(error) == f"submit: cannot reach MPContribs at {HOST} ({cause})"
