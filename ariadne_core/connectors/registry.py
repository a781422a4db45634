"""Which connector reads which source type."""

from __future__ import annotations

from typing import Any

from ariadne_core.connectors.base import Connector
from ariadne_core.connectors.elasticsearch import ElasticsearchConnector
from ariadne_core.connectors.mongodb import MongoConnector
from ariadne_core.connectors.oracle import OracleConnector
from ariadne_core.connectors.postgresql import PostgresConnector
from ariadne_core.db.models import SourceType
from ariadne_core.errors import ValidationFailed

CONNECTORS: dict[SourceType, type[Connector]] = {
    SourceType.POSTGRESQL: PostgresConnector,
    SourceType.ORACLE: OracleConnector,
    SourceType.MONGODB: MongoConnector,
    SourceType.ELASTICSEARCH: ElasticsearchConnector,
}


def connector_for(source_type: SourceType | str, config: dict[str, Any]) -> Connector:
    """A connector for the type, given the decrypted config."""
    kind = SourceType(source_type)
    if kind not in CONNECTORS:
        raise ValidationFailed(
            f"a {kind.value} source has no connector: its tables are declared or imported "
            "by hand, so it cannot be tested or synced.",
            details={"field": "type", "value": kind.value},
        )
    return CONNECTORS[kind](config)
