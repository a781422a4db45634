"""Elasticsearch (and OpenSearch): indices, aliases and data streams, with mappings
flattened to dotted fields.

It speaks the REST API over httpx rather than the `elasticsearch` client: the 8.x and
9.x clients refuse servers older than 7.14 or of another flavour (OpenSearch, OSS
builds), while ``/_mapping``, ``/_alias``, ``/_data_stream`` and ``/_cat/indices`` are
the same on all of them. Only mappings and counts are read, never documents, so an
index of any size costs the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

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

MAX_DEPTH = 20


def flatten_mapping(properties: dict[str, Any]) -> list[HarvestedField]:
    """Mapping properties as dotted fields: objects and nested types keep their own row,
    their children follow as ``parent.child``, and multi-fields become ``name.keyword``."""
    out: list[HarvestedField] = []

    def add(name: str, data_type: str, props: dict[str, Any]) -> None:
        out.append(
            HarvestedField(
                name=name,
                data_type=data_type,
                is_nullable=True,
                ordinal_position=len(out) + 1,
                properties=props,
            )
        )

    def walk(props: dict[str, Any], prefix: str, depth: int) -> None:
        for key in props:
            spec = props[key] or {}
            path = f"{prefix}{key}"
            data_type = str(spec.get("type") or "object")  # objects have no explicit type
            extra = {
                k: spec[k]
                for k in ("analyzer", "format", "index", "doc_values", "enabled", "path")
                if k in spec
            }
            add(path, data_type, extra)
            for sub, sub_spec in (spec.get("fields") or {}).items():
                add(
                    f"{path}.{sub}",
                    str((sub_spec or {}).get("type", "object")),
                    {"multi_field_of": path},
                )
            if "properties" in spec and depth < MAX_DEPTH:
                walk(spec["properties"], path + ".", depth + 1)

    walk(properties, "", 0)
    return out


class ElasticsearchConnector(Connector):
    source_type = "elasticsearch"

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._client: httpx.Client | None = None

    @property
    def _base(self) -> str:
        cfg = self._config
        return f"{cfg.get('scheme', 'http')}://{cfg['host']}:{cfg.get('port', 9200)}"

    def _http(self) -> httpx.Client:
        if self._client is None:
            cfg = self._config
            headers = {"Accept": "application/json", "User-Agent": "ariadne-harvester"}
            auth = None
            if cfg.get("api_key"):
                headers["Authorization"] = f"ApiKey {cfg['api_key']}"
            elif cfg.get("username"):
                auth = httpx.BasicAuth(cfg["username"], cfg.get("password") or "")
            self._client = httpx.Client(
                base_url=self._base,
                headers=headers,
                auth=auth,
                verify=bool(cfg.get("verify_certs", True)),
                timeout=httpx.Timeout(60.0, connect=5.0),
            )
        return self._client

    def _get(self, path: str, *, missing_ok: bool = False) -> Any:
        user = self._config.get("username") or "(api key)"
        try:
            response = self._http().get(path)
        except httpx.TimeoutException:
            raise SourceTimeout(
                f"{self._base} did not answer in time", hint="The sync is retried."
            ) from None
        except httpx.TransportError:
            raise HostUnreachable(
                f"host unreachable: {self._base}",
                hint="Check connection_config.host, port and scheme.",
            ) from None
        if response.status_code == 401:
            raise AuthenticationError(
                f"authentication failed for user {user}",
                hint="Check connection_config.username and password, or api_key.",
            )
        if response.status_code == 403:
            raise MissingPrivilege(
                f"user {user} lacks the privilege to read {path.split('?')[0]}",
                hint="Grant the monitor cluster privilege and view_index_metadata on the indices.",
            )
        if missing_ok and response.status_code in (400, 404, 405):
            return None
        if response.status_code >= 400:
            raise ConnectorError(
                f"Elasticsearch at {self._base} answered {response.status_code} to {path}: "
                f"{response.text[:300]}"
            )
        return response.json()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def server_version(self) -> str:
        info = self._get("/")
        version = info.get("version", {})
        flavour = version.get("distribution", "elasticsearch")
        return f"{flavour} {version.get('number', 'unknown')}"

    def list_namespaces(self) -> list[str]:
        return ["indices", "aliases", "data_streams"]

    def _data_streams(self) -> list[dict[str, Any]]:
        body = self._get("/_data_stream", missing_ok=True)  # absent on OSS builds
        return list((body or {}).get("data_streams", []))

    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        out: list[tuple[str | None, str, str]] = []
        streams = self._data_streams()
        backing = {idx["index_name"] for ds in streams for idx in ds.get("indices", [])}
        aliases = self._get("/_alias")
        if namespace in (None, "indices"):
            out += [(None, name, "index") for name in sorted(aliases) if name not in backing]
        if namespace in (None, "aliases"):
            names = {alias for body in aliases.values() for alias in body.get("aliases", {})}
            out += [(None, name, "alias") for name in sorted(names)]
        if namespace in (None, "data_streams"):
            out += [(None, ds["name"], "data_stream") for ds in streams]
        return out

    def harvest(self, progress: ProgressCallback | None = None) -> Iterator[HarvestedObject]:
        mappings = self._get("/_mapping")
        counts = {
            row["index"]: row
            for row in self._get("/_cat/indices?format=json&h=index,docs.count,health,pri,rep")
        }
        aliases = self._get("/_alias")
        streams = self._data_streams()
        backing = {idx["index_name"]: ds["name"] for ds in streams for idx in ds.get("indices", [])}

        def fields_of(index: str) -> list[HarvestedField]:
            mapping = mappings.get(index, {}).get("mappings", {})
            return flatten_mapping(mapping.get("properties", {}))

        def count_of(index: str) -> int | None:
            value = counts.get(index, {}).get("docs.count")
            return int(value) if value not in (None, "") else None

        alias_targets: dict[str, list[str]] = {}
        for index in sorted(mappings):
            if index in backing:
                continue
            mapping = mappings[index].get("mappings", {})
            index_aliases = sorted(aliases.get(index, {}).get("aliases", {}))
            for alias in index_aliases:
                alias_targets.setdefault(alias, []).append(index)
            row = counts.get(index, {})
            yield HarvestedObject(
                schema_name=None,
                name=index,
                table_type="index",
                description=(mapping.get("_meta") or {}).get("description"),
                row_count_estimate=count_of(index),
                fields=fields_of(index),
                properties={
                    "aliases": index_aliases,
                    "primary_shards": row.get("pri"),
                    "replicas": row.get("rep"),
                },
            )
        for alias, targets in sorted(alias_targets.items()):
            merged: dict[str, HarvestedField] = {}
            for index in targets:
                for column in fields_of(index):
                    merged.setdefault(column.name, column)
            yield HarvestedObject(
                schema_name=None,
                name=alias,
                table_type="alias",
                row_count_estimate=sum(count_of(i) or 0 for i in targets),
                fields=list(merged.values()),
                properties={"indices": targets},
            )
        for ds in streams:
            indices = [idx["index_name"] for idx in ds.get("indices", [])]
            latest = indices[-1] if indices else None
            yield HarvestedObject(
                schema_name=None,
                name=ds["name"],
                table_type="data_stream",
                row_count_estimate=sum(count_of(i) or 0 for i in indices),
                fields=fields_of(latest) if latest else [],
                properties={
                    "backing_indices": len(indices),
                    "template": ds.get("template"),
                    "timestamp_field": (ds.get("timestamp_field") or {}).get("name"),
                },
            )
        if progress:
            progress(len(mappings), len(mappings), "read mappings")
