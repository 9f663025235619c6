"""Submitting contributions: idempotent, resumable, retried, and never leaking the API key.

The HTTP layer sits behind :class:`ContribsAPI` (a handful of calls); :class:`MPContribsAPI`
implements it with ``mpcontribs.client`` and tests use a fake. A run:

1. checks the project (exists, not keyed by unique identifiers, columns whose units agree);
2. initialises the columns with their units before any contribution (so the server keeps
   them instead of guessing);
3. per contribution: skips it when the server already holds our fingerprint, updates the
   contribution that holds our key with another fingerprint, creates it otherwise;
4. writes the record file after every contribution (key -> fingerprint, id, state), so a run
   that stops half-way is completed by the next one, which skips what is already there.

Transient failures (rate limits, 5xx, connection errors) are retried with exponential backoff;
an authentication failure stops the run at once; any other failure is recorded for that
contribution and the run goes on. Messages pass through :func:`scrub` so the key never appears.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ionflux.errors import InputError, IonfluxError
from ionflux.publish.payload import Contribution, project_columns

API_KEY_ENVS = ("MPCONTRIBS_API_KEY", "MP_API_KEY", "PMG_MAPI_KEY")


class PublishError(IonfluxError):
    """A failure talking to MPContribs."""


class TransientError(PublishError):
    """Worth retrying: rate limit (429), server errors (5xx), connection problems."""


class AuthError(PublishError):
    """The API key is missing, malformed or refused (401/403): nothing more is sent."""


@dataclass
class Existing:
    """A contribution the server holds for one of our keys."""

    id: str
    fingerprint: str | None


@dataclass
class ProjectInfo:
    unique_identifiers: bool
    columns: dict[str, str | None]  # "data.<path>" -> unit ("NaN" or None for text)


class ContribsAPI(Protocol):
    """What publishing needs from MPContribs."""

    def project(self, name: str) -> ProjectInfo: ...

    def init_columns(self, name: str, columns: dict[str, str | None]) -> None: ...

    def existing(self, name: str) -> dict[str, Existing]: ...

    def create(self, name: str, contribution: Contribution) -> str: ...

    def update(self, name: str, cid: str, contribution: Contribution) -> None: ...


def scrub(text: str, secrets: Sequence[str | None]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def find_api_key(explicit: str | None = None) -> str | None:
    if explicit:
        return explicit
    for env in API_KEY_ENVS:
        if os.environ.get(env):
            return os.environ[env]
    return None


def check_api_key(key: str) -> None:
    """MPContribs keys are 32 characters; say so without echoing the key."""
    if len(key) != 32 or not key.isalnum():
        raise AuthError(f"the MPContribs API key is malformed ({len(key)} characters; keys are "
                        "32 letters and digits); check $MPCONTRIBS_API_KEY")


# ------------------------------------------------------------------ record
@dataclass
class Record:
    """What has been published, per our key: fingerprint, contribution id, state, time."""

    path: Path
    project: str
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, project: str) -> Record:
        if not path.is_file():
            return cls(path, project)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: unreadable publish record ({exc}); move it away to "
                             "start afresh") from exc
        if data.get("project") != project:
            raise InputError(f"{path} records project {data.get('project')!r}, not "
                             f"{project!r}; use --record to choose another file")
        return cls(path, project, dict(data.get("entries", {})))

    def set(self, key: str, **values: Any) -> None:
        entry = self.entries.setdefault(key, {})
        entry.update(values, time=datetime.now(UTC).isoformat(timespec="seconds"))
        self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps({"project": self.project, "entries": self.entries},
                                  indent=1, sort_keys=True))
        os.replace(tmp, self.path)  # atomic: a kill never leaves half a record

    def published(self, key: str, fingerprint: str) -> bool:
        entry = self.entries.get(key, {})
        return entry.get("state") == "published" and entry.get("fingerprint") == fingerprint


# ------------------------------------------------------------------ run
@dataclass
class SubmitReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_attempted: list[str] = field(default_factory=list)
    retries: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed and not self.not_attempted


def with_retries(call: Callable[[], Any], *, attempts: int = 4, base_delay_s: float = 1.0,
                 sleep: Callable[[float], Any] = time.sleep,
                 on_retry: Callable[[], Any] | None = None) -> Any:
    """``call()``, retried on TransientError with delays base, 2 base, 4 base, ... (at most
    ``base (2^(attempts-1) - 1)`` of waiting in all); the last error says how long it tried."""
    waited = 0.0
    for attempt in range(attempts):
        try:
            return call()
        except TransientError as exc:
            if attempt == attempts - 1:
                raise TransientError(f"{exc}; gave up after {attempts} attempts "
                                     f"({waited:g} s of waiting)") from None
            if on_retry:
                on_retry()
            delay = base_delay_s * 2 ** attempt
            sleep(delay)
            waited += delay
    raise AssertionError("unreachable")  # pragma: no cover


def check_project(info: ProjectInfo, columns: dict[str, str | None], name: str) -> None:
    if info.unique_identifiers:
        raise PublishError(f"project {name} has unique identifiers; ionflux publishes one "
                           "contribution per (formula, temperature, data source) with the "
                           "formula as identifier: switch unique_identifiers off for the "
                           "project")
    from ionflux.publish.client import client_module

    ureg = client_module().ureg
    for path, unit in columns.items():
        old = info.columns.get(f"data.{path}")
        if old in (None, "NaN") or unit in (None, "") or old == unit:
            continue
        try:
            factor = ureg.convert(1, ureg.Unit(old), ureg.Unit(unit))
        except Exception:
            raise PublishError(f"column {path}: the project has unit {old!r}, we publish "
                               f"{unit!r} (not convertible)") from None
        if abs(factor - 1) > 1e-9:
            raise PublishError(f"column {path}: the project has unit {old!r}, we publish "
                               f"{unit!r}; MPContribs cannot change a column's unit")


def submit(api: ContribsAPI, project: str, contributions: Sequence[Contribution],
           record: Record, *, secrets: Sequence[str | None] = (), attempts: int = 4,
           base_delay_s: float = 1.0, sleep: Callable[[float], Any] = time.sleep,
           progress: Callable[[str, str], Any] | None = None) -> SubmitReport:
    """Publish ``contributions`` to ``project`` (see the module docstring)."""
    report = SubmitReport()

    def bump() -> None:
        report.retries += 1

    def retry(call: Callable[[], Any]) -> Any:
        return with_retries(call, attempts=attempts, base_delay_s=base_delay_s, sleep=sleep,
                            on_retry=bump)

    columns = project_columns(contributions)
    try:
        info = retry(lambda: api.project(project))
        check_project(info, columns, project)
        retry(lambda: api.init_columns(project, columns))
        existing = retry(lambda: api.existing(project))
    except PublishError as exc:
        raise type(exc)(scrub(str(exc), secrets)) from None
    pending = list(contributions)
    while pending:
        c = pending.pop(0)
        old = existing.get(c.key)
        try:
            if old is not None and old.fingerprint == c.fingerprint:
                report.unchanged.append(c.key)
                record.set(c.key, fingerprint=c.fingerprint, id=old.id, state="published")
                continue
            if old is not None:
                retry(lambda c=c, old=old: api.update(project, old.id, c))
                report.updated.append(c.key)
                cid = old.id
            else:
                cid = retry(lambda c=c: api.create(project, c))
                report.created.append(c.key)
            record.set(c.key, fingerprint=c.fingerprint, id=cid, state="published")
            if progress:
                progress(c.key, "updated" if old is not None else "created")
        except AuthError as exc:
            report.failed[c.key] = scrub(str(exc), secrets)
            record.set(c.key, fingerprint=c.fingerprint, state="failed",
                       error=report.failed[c.key])
            report.not_attempted = [p.key for p in pending]
            break
        except PublishError as exc:
            report.failed[c.key] = scrub(str(exc), secrets)
            record.set(c.key, fingerprint=c.fingerprint, state="failed",
                       error=report.failed[c.key])
    return report


# ------------------------------------------------------------------ mpcontribs-client
#: Seconds to wait for MPContribs to answer its health check before the client is made (the
#: client's own check waits 30 s three times and then fails without naming the cause).
CONNECT_TIMEOUT_S = 10.0


def api_url(host: str | None) -> tuple[str, str]:
    """(host, base URL) as mpcontribs.client.Client forms them."""
    from mpcontribs.client import DEFAULT_HOST

    host = host or os.environ.get("MPCONTRIBS_API_HOST") or DEFAULT_HOST
    ssl = host.endswith(".materialsproject.org") and not host.startswith("localhost.")
    return host, f"{'https' if ssl else 'http'}://{host}"


def healthcheck(url: str, timeout_s: float) -> int:
    """HTTP status of ``url/healthcheck`` (errors of the HTTP stack propagate)."""
    import requests

    return requests.get(f"{url}/healthcheck", timeout=timeout_s).status_code


_CONNECTION_NAMES = frozenset({
    "ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout", "MaxRetryError",
    "NewConnectionError", "NameResolutionError", "ProtocolError", "BravadoConnectionError",
    "BravadoTimeoutError", "RemoteDisconnected"})


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception behind it (causes, contexts, urllib3 reasons, args)."""
    seen: list[BaseException] = []
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        seen.append(e)
        stack.extend([e.__cause__, e.__context__, getattr(e, "reason", None), *e.args])
    return seen


def connection_cause(exc: BaseException) -> str | None:
    """The cause of a failed connection in a few words ('[Errno -2] Name or service not
    known', 'timed out', ...), or None when ``exc`` is not a connection problem."""
    chain = _chain(exc)
    if not any(isinstance(e, ConnectionError | TimeoutError | socket.gaierror)
               or type(e).__name__ in _CONNECTION_NAMES for e in chain):
        return None
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    found = re.search(r"\[Errno -?\d+\] [^'\")\]]+", text)
    if found:
        return found.group(0).strip()
    if re.search(r"time[ds]? ?out|Timeout", text, re.IGNORECASE):
        return "timed out"
    return type(chain[-1]).__name__


class MPContribsAPI:
    """:class:`ContribsAPI` on ``mpcontribs.client.Client`` (needs the network and a key).

    The host's health check is asked first, with a timeout: an unreachable host is a
    TransientError that names the host and the cause (retried by :func:`submit`), and the
    client is made only once the host answers.
    """

    def __init__(self, apikey: str, host: str | None = None) -> None:
        check_api_key(apikey)
        self._key = apikey
        self._host = host
        self._client: Any = None

    def _reach(self, what: str) -> None:
        from mpcontribs.client import DEFAULT_HOST, VALID_URLS

        host, url = api_url(self._host)
        if url not in VALID_URLS:
            raise PublishError(f"{what}: {host} is not an MPContribs API host that "
                               f"mpcontribs-client accepts (e.g. {DEFAULT_HOST})")
        try:
            status = healthcheck(url, CONNECT_TIMEOUT_S)
        except Exception as exc:
            raise classify(exc, what, [self._key], host) from None
        if status == 429 or status >= 500:
            raise TransientError(f"{what}: MPContribs at {host} answered {status} to its "
                                 "health check")
        if status not in (200, 403):
            raise PublishError(f"{what}: {url}/healthcheck answered {status}: is {host} an "
                               "MPContribs API host? (--host)")

    def _call(self, what: str, func: Callable[[], Any]) -> Any:
        try:
            if self._client is None:
                from mpcontribs.client import Client

                self._reach(what)
                self._client = Client(apikey=self._key, host=self._host)
            return func()
        except IonfluxError:
            raise
        except Exception as exc:  # bravado/requests/client errors: classify, never echo the key
            raise classify(exc, what, [self._key], api_url(self._host)[0]) from None

    def project(self, name: str) -> ProjectInfo:
        resp = self._call("get project", lambda: self._client.get_project(
            name=name, fields=["unique_identifiers", "columns"]))
        columns = {c["path"]: c.get("unit") for c in resp.get("columns", [])}
        return ProjectInfo(bool(resp.get("unique_identifiers")), columns)

    def init_columns(self, name: str, columns: dict[str, str | None]) -> None:
        self._call("init columns", lambda: self._client.init_columns(columns, name=name))

    def _query(self, name: str) -> dict:
        from mpcontribs.client import MPContribsClientError

        try:
            return self._client.query_contributions(query={"project": name},
                                                    fields=["id", "data"], paginate=True)
        except MPContribsClientError as exc:
            if "No contributions match" in str(exc):  # an empty project
                return {"data": []}
            raise

    def existing(self, name: str) -> dict[str, Existing]:
        result = self._call("query contributions", lambda: self._query(name))
        out = {}
        for doc in result.get("data", []):
            meta = doc.get("data", {}).get("ionflux", {})
            key = meta.get("key")
            if key:
                out[key] = Existing(str(doc["id"]), meta.get("fingerprint"))
        return out

    def create(self, name: str, contribution: Contribution) -> str:
        self._call("submit", lambda: self._client.submit_contributions(
            [contribution.payload(name)], ignore_dupes=False))
        found = self.existing(name).get(contribution.key)
        if found is None:
            raise PublishError(f"{contribution.key}: submitted but not found on the server")
        return found.id

    def update(self, name: str, cid: str, contribution: Contribution) -> None:
        payload = contribution.payload(name)
        payload.pop("project")
        payload.pop("identifier")
        payload["id"] = cid
        self._call("update", lambda: self._client.submit_contributions([payload],
                                                                       ignore_dupes=True))


def classify(exc: BaseException, what: str, secrets: Sequence[str | None],
             host: str | None = None) -> PublishError:
    """An exception of the HTTP stack as Transient/Auth/PublishError with a scrubbed message;
    a connection problem anywhere in its chain is transient and named with ``host``."""
    cause = connection_cause(exc)
    if cause is not None:
        return TransientError(scrub(f"{what}: cannot reach MPContribs at {host or 'its host'} "
                                    f"({cause})", secrets))
    status = getattr(getattr(exc, "response", None), "status_code", None) or \
        getattr(exc, "status_code", None)
    text = scrub(" ".join(str(exc).split()) or type(exc).__name__, secrets)[:300]
    name = type(exc).__name__
    if status in (401, 403) or "Invalid API key" in text:
        return AuthError(f"{what}: MPContribs refused the API key ({status or name})")
    if status == 429 or (isinstance(status, int) and status >= 500) or \
            name in ("ConnectionError", "Timeout", "ReadTimeout", "ConnectTimeout"):
        return TransientError(f"{what}: {name} {status or ''} {text}".strip())
    return PublishError(f"{what}: {text}")
