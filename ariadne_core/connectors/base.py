"""What every connector gives back, and the errors a person can act on.

A connector reads one source's metadata. It gets the decrypted connection config from
the harvester and keeps it to itself: configs and secrets are never logged or put in an
error message. Everything a harvest needs comes out of ``harvest()`` as plain
dataclasses, so the sync logic in ``ariadne_core.harvest`` is the same for every type.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ariadne_core.errors import AriadneError

log = logging.getLogger("ariadne.connectors")


class ConnectorError(AriadneError):
    """The source could not be read; ``message`` says why and what to do."""

    code = "CONNECTOR_ERROR"
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, details={"kind": self.kind, **({"hint": hint} if hint else {})})
        self.hint = hint


class HostUnreachable(ConnectorError):
    kind = "host_unreachable"


class AuthenticationError(ConnectorError):
    kind = "authentication_failed"


class MissingPrivilege(ConnectorError):
    kind = "missing_privilege"


class SourceTimeout(ConnectorError):
    """Transient: the harvester retries these."""

    kind = "timeout"


@dataclass(frozen=True)
class ConnectionCheck:
    success: bool
    message: str
    latency_ms: float
    server_version: str | None = None


@dataclass
class HarvestedField:
    name: str
    data_type: str | None
    is_nullable: bool = True
    is_primary_key: bool = False
    ordinal_position: int | None = None
    description: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class ForeignKey:
    name: str
    columns: list[str]
    referenced_schema: str | None
    referenced_table: str
    referenced_columns: list[str]


@dataclass
class HarvestedObject:
    """A table, view, collection or index, with everything harvested about it."""

    schema_name: str | None
    name: str
    table_type: str  # table | view | materialized_view | collection | index | ...
    description: str | None = None
    row_count_estimate: int | None = None
    view_definition: str | None = None
    fields: list[HarvestedField] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    def key(self) -> tuple[str | None, str]:
        return (self.schema_name, self.name)

    def fingerprint(self) -> str:
        """A digest of the object's definition; equal digests mean nothing changed.

        The row-count estimate is left out: it is a statistic that moves on every load,
        refreshed by each sync without a history row (see docs/harvesting.md).
        """
        definition = asdict(self)
        definition.pop("row_count_estimate")
        payload = json.dumps(definition, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()


ProgressCallback = Callable[[int, int | None, str], None]


class Connector(ABC):
    """One source type. Subclasses register themselves in ``connectors.registry``."""

    source_type: ClassVar[str]

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = dict(config)

    def __repr__(self) -> str:  # never shows the config
        return f"<{type(self).__name__}>"

    def test_connection(self) -> ConnectionCheck:
        """Connect, read the server version, and say how long it took."""
        started = time.perf_counter()
        try:
            version = self.server_version()
        except ConnectorError as exc:
            return ConnectionCheck(False, exc.message, _ms(started))
        except Exception as exc:  # a driver's own error for odd input: still an answer
            log.info("connection test failed: %s", type(exc).__name__)
            return ConnectionCheck(
                False, f"could not connect: {type(exc).__name__}: {exc}", _ms(started)
            )
        return ConnectionCheck(True, "Connection successful", _ms(started), version)

    @abstractmethod
    def server_version(self) -> str:
        """The server's version string; raises ConnectorError when it cannot connect."""

    @abstractmethod
    def list_namespaces(self) -> list[str]:
        """Schemas, owners, databases: whatever groups objects in this source type."""

    @abstractmethod
    def list_objects(self, namespace: str | None = None) -> list[tuple[str | None, str, str]]:
        """(namespace, name, type) of every table, view, collection or index."""

    @abstractmethod
    def harvest(self, progress: ProgressCallback | None = None) -> Iterator[HarvestedObject]:
        """Every object with its fields, keys, comments, view SQL and row estimate."""

    def close(self) -> None:
        """Release pools and clients; the harvester calls it when done."""
        return None  # connectors without a pool or client have nothing to release

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
