"""Store configurations and the set of stores the pipeline uses, by role.

Three configurations are built in (``stores/*.yaml`` in the repository are copies to edit):

- ``local``: the embedded default, a SQLite file ``ionflux.sqlite`` in the data directory
  (``./ionflux-data``; ``IONFLUX_DATA_DIR`` or ``--data-dir`` override). No server needed.
- ``mongo``: a shared MongoDB from the URI in ``IONFLUX_MONGO_URI``; documents in collections,
  trajectory files' bytes in GridFS so that workers on other machines can read them.
- ``memory``: a process-wide in-memory SQLite database, for tests (gone when the process ends).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote_plus, unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ionflux.errors import InputError, StoreError

if TYPE_CHECKING:  # maggma.core loads pymongo; queries of a local store need neither
    from maggma.core import Store

    from ionflux.storage.blobs import GridFSBlobs

#: Store roles and the key field of each.
ROLE_KEYS: dict[str, str] = {
    "raw_trajectories": "traj_id",
    "gamma": "traj_id",
    "transport": "traj_id",
    "bonds": "traj_id",
    "transport_aggregate": "group_id",
    "published_transport": "group_id",
    "kd": "kd_id",
    "predictions": "prediction_id",
    "failures": "failure_id",
    "retired": "traj_id",
    "settings": "settings_id",
}
ROLES: tuple[str, ...] = tuple(ROLE_KEYS)
_LATER_ROLES = ("gamma", "retired", "settings")
#: Extra fields each role indexes (store key and last_updated always are).
ROLE_INDEXES: dict[str, tuple[str, ...]] = {
    "raw_trajectories": ("fingerprint", "group_id"),
    "gamma": ("input_fingerprint", "group_id"),
    "transport": ("input_fingerprint", "group_id"),
    "bonds": ("input_fingerprint", "group_id"),
    "transport_aggregate": ("input_fingerprint", "formula"),
    "published_transport": ("input_fingerprint", "formula"),
    "kd": ("input_fingerprint", "group_id"),
    "predictions": (),
    "failures": ("stage", "item_key"),
    "retired": ("group_id",),
    "settings": (),
}

DATA_DIR_ENV = "IONFLUX_DATA_DIR"
MONGO_URI_ENV = "IONFLUX_MONGO_URI"
MONGO_TIMEOUT_ENV = "IONFLUX_MONGO_TIMEOUT_MS"
STORE_ENV = "IONFLUX_STORE"
DEFAULT_DATA_DIR = "./ionflux-data"

StoreName = Literal["local", "mongo", "memory"]


class StoreConfig(BaseModel):
    """One store configuration (the schema of ``stores/*.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    backend: StoreName
    description: str = ""
    data_dir: str | None = Field(None, description="local: folder of the database file")
    database_file: str = Field("ionflux.sqlite", description="local: SQLite file name")
    memory_name: str = Field(":memory:ionflux", description="memory: process-wide database name")
    uri_env: str = Field(MONGO_URI_ENV, description="mongo: environment variable with the URI")
    database: str = Field("ionflux", description="mongo: database when the URI names none")
    timeout_ms: int = Field(3000, gt=0, description="mongo: server-selection timeout, ms")
    gridfs_bucket: str = Field("trajectory_files", description="mongo: GridFS bucket for files")
    collections: dict[str, str] = Field(default_factory=lambda: {r: r for r in ROLES})

    def model_post_init(self, _context: Any) -> None:
        # roles added after a configuration was written default to their own name
        for role in _LATER_ROLES:
            self.collections.setdefault(role, role)
        missing = [r for r in ROLES if r not in self.collections]
        unknown = [r for r in self.collections if r not in ROLE_KEYS]
        if missing or unknown:
            raise ValueError(f"collections must name every role {list(ROLES)}; "
                             f"missing {missing}, unknown {unknown}")


BUILTIN_CONFIGS: dict[str, StoreConfig] = {
    "local": StoreConfig(
        backend="local", data_dir=DEFAULT_DATA_DIR,
        description="Embedded default: one SQLite file in the data directory, no server."),
    "mongo": StoreConfig(
        backend="mongo",
        description="Shared MongoDB from $IONFLUX_MONGO_URI; trajectory bytes in GridFS."),
    "memory": StoreConfig(
        backend="memory",
        description="Process-wide in-memory database for tests; lost when the process ends."),
}


def load_store_config(name_or_path: str | StoreConfig) -> StoreConfig:
    """A built-in configuration by name, or one read from a YAML/JSON file."""
    if isinstance(name_or_path, StoreConfig):
        return name_or_path
    if name_or_path in BUILTIN_CONFIGS:
        return BUILTIN_CONFIGS[name_or_path].model_copy(deep=True)
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError(f"unknown store {name_or_path!r}: use one of "
                         f"{', '.join(BUILTIN_CONFIGS)} or a configuration file")
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
        return StoreConfig.model_validate(data)
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        raise InputError(f"{path}: invalid store configuration: "
                         f"{' '.join(str(exc).split())}") from exc


_MONGO_SCHEME = re.compile(r"\s*(mongodb(?:\+srv)?)://", re.IGNORECASE)
#: Option names whose values are secrets even when pymongo does not list them as sensitive.
_SECRET_OPTION = re.compile(r"pass|secret|token|credential", re.IGNORECASE)
_PLAIN_HOSTS = re.compile(r"(?:[A-Za-z0-9._%-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?"
                          r"(?:,(?:[A-Za-z0-9._%-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?)*")


def redact_uri(text: str) -> str:
    """A MongoDB URI without its secrets, for messages and the web API; other text unchanged.

    The URI is split by pymongo's own parser (``pymongo.uri_parser``): the password becomes
    ``***``, so do the values of pymongo's sensitive options (``tlsCertificateKeyFilePassword``,
    ``proxyPassword``, ``proxyUsername``), of any option named like a password, secret, token
    or credential, and of ``authMechanismProperties`` other than the ones pymongo itself shows;
    options pymongo does not accept are left out. A URI pymongo cannot parse shows only its
    scheme and hosts (when those are plain ``host[:port]`` names), never the rest.
    """
    match = _MONGO_SCHEME.match(text)
    if not match:
        return text
    try:
        return _redact_parsed(text.strip())
    except Exception:  # whatever fails to parse is shown without its user info and options
        return _redact_unparsed(text.strip(), match.group(1).lower())


def _redact_parsed(uri: str) -> str:
    import warnings

    from pymongo import common, uri_parser

    scheme, _, scheme_free = uri.partition("://")
    if scheme not in ("mongodb", "mongodb+srv"):
        raise ValueError("scheme")  # pymongo's schemes are lower case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # parse_uri resolves the DNS records of a +srv URI; its text has the grammar of a
        # single-host mongodb:// URI, which is parsed instead (no network)
        parsed = uri_parser.parse_uri("mongodb://" + scheme_free, warn=True, normalize=False)
    # the same split as pymongo's: options after the first "?", the path after the first "/",
    # user info before the last "@"; each part was validated by the parser above
    head, _, opts = scheme_free.partition("?")
    hostinfo, slash, path = head.partition("/")
    _, at, hosts = hostinfo.rpartition("@")
    out = f"{scheme}://"
    if at:
        user = parsed.get("username")
        out += (quote_plus(user) if user else "")
        out += (":***" if parsed.get("password") is not None else "") + "@"
    out += hosts + slash + path
    known = {str(name).lower() for name in parsed.get("options", {})}  # what pymongo accepted
    safe_props = getattr(common, "_SAFE_AUTH_MECHANISM_PROPS_FOR_REPR", frozenset())
    kept = []
    delimiter = ";" if ";" in opts and "&" not in opts else "&"
    for pair in filter(None, opts.split(delimiter)):
        key, _, value = pair.partition("=")
        lower = key.lower()
        if lower not in known:
            continue
        if lower in common.SENSITIVE_OPTIONS_FOR_REPR or _SECRET_OPTION.search(key):
            value = "***"
        elif lower == "authmechanismproperties":
            props = [prop.partition(":") for prop in unquote_plus(value).split(",")]
            value = ",".join(name + sep + (val if name.upper() in safe_props else "***")
                             for name, sep, val in props)
        kept.append(f"{key}={value}")
    return out + ("?" + delimiter.join(kept) if kept else "")


def _redact_unparsed(uri: str, scheme: str) -> str:
    scheme_free = uri.partition("://")[2]
    head = scheme_free.partition("?")[0]
    if "@" not in head and "@" in scheme_free:
        return f"{scheme}://(invalid URI, not shown)"
    _, at, rest = head.rpartition("@")
    hosts = rest.partition("/")[0]
    if not _PLAIN_HOSTS.fullmatch(hosts):
        return f"{scheme}://(invalid URI, not shown)"
    return f"{scheme}://{'***@' if at else ''}{hosts}"


def _uri_error(uri: str, exc: BaseException) -> str:
    """pymongo's reason a URI is invalid, unless it quotes any part that may be a secret."""
    reason = " ".join(str(exc).split())
    scheme_free = uri.partition("://")[2]
    head, _, opts = scheme_free.partition("?")
    fragments = [head.rpartition("@")[0], *head.rpartition("@")[0].split(":")]
    for pair in re.split("[&;]", opts):
        fragments.append(pair.partition("=")[2])
    fragments += [unquote_plus(f) for f in fragments]
    if any(len(f) >= 3 and f in reason for f in fragments):
        return type(exc).__name__
    return reason


def describe_store(store: Store) -> str:
    """A short, password-free name of a store for messages."""
    uri = getattr(store, "uri", None)
    collection = getattr(store, "collection_name", None)
    if uri and collection:
        return f"collection {collection} at {redact_uri(uri)}"
    return redact_uri(store.name)


def resolve_data_dir(config: StoreConfig, data_dir: str | Path | None = None) -> Path:
    """Flag, then ``$IONFLUX_DATA_DIR``, then the configuration, then ``./ionflux-data``."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or config.data_dir or DEFAULT_DATA_DIR
    path = Path(chosen).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise InputError(f"data folder {path}: {path} is a file, not a folder")
    return path


def _with_env(config: StoreConfig) -> StoreConfig:
    """``$IONFLUX_MONGO_TIMEOUT_MS`` overrides the configured server-selection timeout."""
    value = os.environ.get(MONGO_TIMEOUT_ENV)
    if config.backend != "mongo" or not value:
        return config
    try:
        timeout = int(value)
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise InputError(f"${MONGO_TIMEOUT_ENV} must be a positive number of ms, got "
                         f"{value!r}") from None
    return config.model_copy(update={"timeout_ms": timeout})


def _mongo_uri(config: StoreConfig, uri: str | None) -> str:
    uri = uri or os.environ.get(config.uri_env)
    if not uri:
        raise StoreError(f"the mongo store needs a MongoDB URI in ${config.uri_env} "
                         "(e.g. mongodb://host:27017/ionflux)")
    return uri


def _mongo_database(config: StoreConfig, uri: str) -> str:
    from pymongo import uri_parser
    from pymongo.errors import PyMongoError

    try:
        parsed = uri_parser.parse_uri(uri)
    except (PyMongoError, ValueError) as exc:
        raise StoreError(f"invalid MongoDB URI {redact_uri(uri)}: {_uri_error(uri, exc)}"
                         ) from None
    return parsed.get("database") or config.database


def check_mongo(uri: str, timeout_ms: int) -> None:
    """Ping the server once; an unreachable one is a one-line StoreError after ``timeout_ms``."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client: Any = None
    try:
        client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms,
                             connectTimeoutMS=timeout_ms)
        client.admin.command("ping")
    except PyMongoError as exc:
        raise StoreError(f"cannot reach MongoDB at {redact_uri(uri)} within "
                         f"{timeout_ms / 1000:g} s ({type(exc).__name__})") from exc
    finally:
        if client is not None:
            client.close()


def _make_store(config: StoreConfig, role: str, collection: str, *, data_dir: Path | None,
                uri: str | None, key: str | None = None, read_only: bool = False,
                plain: bool = False) -> Store:
    """The store of one collection. SQLite stores opened ``read_only`` (local) or ``plain``
    are :class:`~ionflux.storage.sqlite_collection.SQLiteCollection` (no maggma import)."""
    key = key or ROLE_KEYS.get(role, "key")
    if config.backend == "mongo":
        from maggma.stores import MongoStore

        assert uri is not None
        return MongoStore(database=_mongo_database(config, uri), collection_name=collection,
                          uri=uri, key=key,
                          mongoclient_kwargs={"serverSelectionTimeoutMS": config.timeout_ms,
                                              "connectTimeoutMS": config.timeout_ms})
    if plain or (read_only and config.backend == "local"):
        from ionflux.storage.sqlite_collection import SQLiteCollection as SQLite
    else:
        from ionflux.storage.sqlite_store import SQLiteStore as SQLite

    if config.backend == "memory":
        return SQLite(config.memory_name, collection, key=key)
    assert data_dir is not None
    return SQLite(str(data_dir / config.database_file), collection, key=key,
                  read_only=read_only)


def open_store(name: str | StoreConfig, collection: str, data_dir: str | Path | None = None, *,
               key: str | None = None, uri: str | None = None, plain: bool = False) -> Store:
    """One (unconnected) maggma Store of a configuration.

    Args:
        name: ``local``, ``mongo``, ``memory`` or a configuration file.
        collection: a role (``raw_trajectories``, ``transport``, ``bonds``,
            ``transport_aggregate``, ``kd``, ``predictions``, ``failures``), whose configured
            collection and key are used, or any other collection name (key ``key``).
        data_dir: local backend: folder of the database file.
        key: override the key field.
        uri: mongo backend: URI instead of ``$IONFLUX_MONGO_URI``.
        plain: SQLite backends: a ``SQLiteCollection`` (query and update, no maggma import)
            instead of a maggma ``SQLiteStore``, for callers that only read and write.
    """
    config = _with_env(load_store_config(name))
    coll = config.collections.get(collection, collection)
    return _make_store(config, collection, coll, key=key, plain=plain,
                       data_dir=resolve_data_dir(config, data_dir)
                       if config.backend == "local" else None,
                       uri=_mongo_uri(config, uri) if config.backend == "mongo" else None)


@dataclass
class StoreSet:
    """All stores of the pipeline by role, plus the GridFS file store of a shared MongoDB."""

    config: StoreConfig
    stores: dict[str, Store]
    blobs: GridFSBlobs | None = None
    location: str = ""
    uri: str | None = field(default=None, repr=False)
    _checked: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, name: str | StoreConfig = "local", data_dir: str | Path | None = None,
             uri: str | None = None, read_only: bool = False) -> StoreSet:
        """Stores of a configuration (``local``, ``mongo``, ``memory`` or a file); unconnected.

        ``read_only`` (local backend): open the database file without writing anything (for
        status and queries; works on read-only media); a missing file is an error instead of
        a new empty store.
        """
        config = _with_env(load_store_config(name))
        folder = resolve_data_dir(config, data_dir) if config.backend == "local" else None
        mongo_uri = _mongo_uri(config, uri) if config.backend == "mongo" else None
        stores = {role: _make_store(config, role, config.collections[role], data_dir=folder,
                                    uri=mongo_uri, read_only=read_only) for role in ROLES}
        blobs = None
        if config.backend == "mongo":
            from ionflux.storage.blobs import GridFSBlobs

            assert mongo_uri is not None
            blobs = GridFSBlobs(mongo_uri, _mongo_database(config, mongo_uri),
                                config.gridfs_bucket, config.timeout_ms)
            location = redact_uri(mongo_uri)
        elif config.backend == "local":
            location = str(folder / config.database_file) if folder else ""
        else:
            location = config.memory_name
        return cls(config=config, stores=stores, blobs=blobs, location=location, uri=mongo_uri)

    @property
    def raw_trajectories(self) -> Store:
        return self.stores["raw_trajectories"]

    @property
    def transport(self) -> Store:
        return self.stores["transport"]

    @property
    def gamma(self) -> Store:
        return self.stores["gamma"]

    @property
    def bonds(self) -> Store:
        return self.stores["bonds"]

    @property
    def transport_aggregate(self) -> Store:
        return self.stores["transport_aggregate"]

    @property
    def published_transport(self) -> Store:
        return self.stores["published_transport"]

    @property
    def kd(self) -> Store:
        return self.stores["kd"]

    @property
    def predictions(self) -> Store:
        return self.stores["predictions"]

    @property
    def failures(self) -> Store:
        return self.stores["failures"]

    @property
    def retired(self) -> Store:
        return self.stores["retired"]

    @property
    def settings(self) -> Store:
        """The analysis settings the last build used (one record), for status and queries."""
        return self.stores["settings"]

    def connect(self) -> StoreSet:
        """Connect every store (again, after a builder closed them); the first time, check the
        server and index the fields builders query."""
        first = not self._checked
        if first and self.config.backend == "mongo":
            assert self.uri is not None
            check_mongo(self.uri, self.config.timeout_ms)
        for role, store in self.stores.items():
            store.connect()
            if first and not getattr(store, "read_only", False):
                for index in (store.key, store.last_updated_field, *ROLE_INDEXES[role]):
                    store.ensure_index(index)
        self._checked = True
        return self

    def close(self) -> None:
        for store in self.stores.values():
            try:
                store.close()
            except Exception:  # closing must not mask the real error
                continue
        if self.blobs is not None:
            self.blobs.close()

    def __enter__(self) -> StoreSet:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()
