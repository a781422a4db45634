"""MongoDB (and wire-compatible servers such as FerretDB): collections and views, with
a schema inferred from a sample of documents.

The sample is the newest ``sample_size`` documents by ``_id`` (default 1,000), so a
collection is never read whole and an unchanged collection gives the same schema on
every sync. Nested documents become dotted fields (``address.city``); documents inside
arrays add their keys under the array's path. Each field records how often each BSON
type was seen and the share of sampled documents that had it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ariadne_core.connectors.base import (
    AuthenticationError,
    Connector,
    ConnectorError,
    HarvestedField,
    HarvestedObject,
    HostUnreachable,
    MissingPrivilege,
    ProgressCallback,
    SourceTimeout,
)

SYSTEM_DATABASES = frozenset({"admin", "local", "config"})
MAX_DEPTH = 20
READ_TIMEOUT_MS = 60_000  # the server stops a read after this (maxTimeMS), and so do we


def bson_type(value: Any) -> str:
    """The BSON type name of a decoded value; unknown types keep their class name."""
    from bson import Binary, Decimal128, Int64, ObjectId, Timestamp

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, dt.datetime):
        return "date"
    if isinstance(value, Decimal128 | Decimal):
        return "decimal"
    if isinstance(value, Binary | bytes):
        return "binData"
    if isinstance(value, Timestamp):
        return "timestamp"
    return type(value).__name__


class SchemaSampler:
    """Accumulates paths, type counts and presence over sampled documents."""

    def __init__(self) -> None:
        self.documents = 0
        self.order: dict[str, int] = {}
        self.types: dict[str, Counter[str]] = {}
        self.present: Counter[str] = Counter()

    def add(self, document: dict[str, Any]) -> None:
        self.documents += 1
        seen: set[str] = set()
        self._walk(document, "", seen, 0)
        self.present.update(seen)

    def _walk(self, value: dict[str, Any], prefix: str, seen: set[str], depth: int) -> None:
        for key, item in value.items():
            path = f"{prefix}{key}"
            self._see(path, item, seen)
            if depth >= MAX_DEPTH:
                continue
            if isinstance(item, dict):
                self._walk(item, path + ".", seen, depth + 1)
            elif isinstance(item, list):
                for element in item:
                    if isinstance(element, dict):
                        self._walk(element, path + ".", seen, depth + 1)

    def _see(self, path: str, value: Any, seen: set[str]) -> None:
        if path not in self.order:
            self.order[path] = len(self.order) + 1
            self.types[path] = Counter()
        self.types[path][bson_type(value)] += 1
        seen.add(path)

    def fields(self) -> list[HarvestedField]:
        out = []
        for path, position in self.order.items():
            counts = self.types[path]
            total = sum(counts.values())
            ranked = [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
            presence = self.present[path] / self.documents if self.documents else 0.0
            non_null = [name for name in ranked if name != "null"] or ["null"]
            out.append(
                HarvestedField(
                    name=path,
                    data_type=non_null[0]
                    if len(non_null) == 1
                    else "mixed(" + ",".join(non_null) + ")",
                    is_nullable=presence < 1.0 or "null" in counts,
                    is_primary_key=path == "_id",
                    ordinal_position=position,
                    properties={
                        "types": {name: round(counts[name] / total, 3) for name in ranked},
                        "presence": round(presence, 3),
                    },
                )
            )
        return out


class MongoConnector(Connector):
    source_type = "mongodb"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._client: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            from pymongo import MongoClient

            cfg = self._config
            kwargs: dict[str, Any] = {
                "host": cfg["host"],
                "port": cfg.get("port", 27017),
                "serverSelectionTimeoutMS": 5000,
                "connectTimeoutMS": 5000,
                "socketTimeoutMS": 60000,
                "timeoutMS": READ_TIMEOUT_MS,  # every operation, retries included
                "appname": "ariadne-harvester",
            }
            if cfg.get("username"):
                kwargs.update(
                    username=cfg["username"],
                    password=cfg.get("password"),
                    authSource=cfg.get("auth_source") or cfg.get("database") or "admin",
                )
            self._client = MongoClient(**kwargs)
        return self._client

    def _translate(self, exc: Exception) -> ConnectorError:
        from pymongo import errors

        host = f"{self._config['host']}:{self._config.get('port', 27017)}"
        user = self._config.get("username") or "(none)"
        if isinstance(exc, errors.OperationFailure) and exc.code == 18:
            return AuthenticationError(
                f"authentication failed for user {user}",
                hint="Check connection_config.username, password and auth_source.",
            )
        if isinstance(exc, errors.OperationFailure) and exc.code == 13:
            return MissingPrivilege(
                f"user {user} lacks a privilege the harvest needs: {exc.details or exc}",
                hint="Grant the read role (listCollections and find) on the databases.",
            )
        if isinstance(exc, errors.ExecutionTimeout | errors.NetworkTimeout):
            return SourceTimeout(f"{host} did not answer in time", hint="The sync is retried.")
        if isinstance(exc, errors.ServerSelectionTimeoutError | errors.ConnectionFailure):
            return HostUnreachable(
                f"host unreachable: {host}",
                hint="Check connection_config.host and port, and that the server is running.",
            )
        return ConnectorError(f"MongoDB at {host} refused the harvest: {exc}")

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from pymongo import errors

        try:
            return fn(*args, **kwargs)
        except errors.PyMongoError as exc:
            raise self._translate(exc) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def server_version(self) -> str:
        info = self._call(self._get_client().server_info)
        version = str(info.get("version", "unknown"))
        if "ferretdbVersion" in info:
            version += f" (FerretDB {info['ferretdbVersion']})"
        return version

    def list_namespaces(self) -> list[str]:
        if self._config.get("database"):
            return [self._config["database"]]
        names = self._call(self._get_client().list_database_names)
        return sorted(name for name in names if name not in SYSTEM_DATABASES)

    def _collections(self, database: str) -> list[dict[str, Any]]:
        db = self._get_client()[database]
        infos = self._call(lambda: list(db.list_collections()))
        return sorted(
            (info for info in infos if not str(info["name"]).startswith("system.")),
            key=lambda info: str(info["name"]),
        )

    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        out: list[tuple[str | None, str, str]] = []
        for database in [namespace] if namespace else self.list_namespaces():
            for info in self._collections(database):
                out.append((database, info["name"], info.get("type", "collection")))
        return out

    def harvest(self, progress: ProgressCallback | None = None) -> Iterator[HarvestedObject]:
        sample_size = int(self._config.get("sample_size", 1000))
        databases = self.list_namespaces()
        for database in databases:
            db = self._get_client()[database]
            for info in self._collections(database):
                name = info["name"]
                kind = info.get("type", "collection")
                options = info.get("options", {})
                collection = db[name]
                sampler = SchemaSampler()
                cursor = (
                    collection.find()
                    .sort("_id", -1)
                    .limit(sample_size)
                    .max_time_ms(READ_TIMEOUT_MS)
                )
                for document in self._call(list, cursor):
                    sampler.add(document)
                estimate = (
                    self._call(collection.estimated_document_count)
                    if kind == "collection"
                    else None
                )
                indexes = (
                    sorted(self._call(collection.index_information)) if kind == "collection" else []
                )
                definition = None
                if kind == "view":
                    import json

                    definition = json.dumps(
                        {"viewOn": options.get("viewOn"), "pipeline": options.get("pipeline", [])},
                        default=str,
                    )
                yield HarvestedObject(
                    schema_name=database,
                    name=name,
                    table_type="view" if kind == "view" else "collection",
                    row_count_estimate=estimate,
                    view_definition=definition,
                    fields=sampler.fields(),
                    properties={"indexes": indexes, "sample_size": sample_size},
                )
                if progress:
                    progress(0, None, f"sampled {database}.{name}")
