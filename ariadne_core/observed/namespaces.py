"""Which catalog table an OpenLineage dataset is, by OpenLineage's naming conventions
(https://openlineage.io/docs/spec/naming):

| source type   | namespace                        | name                          |
|---------------|----------------------------------|-------------------------------|
| postgresql    | `postgres://{host}:{port}`       | `{database}.{schema}.{table}` |
| oracle        | `oracle://{host}:{port}`         | `{service_name}.{schema}.{table}` |
| mongodb       | `mongodb://{host}:{port}`        | `{database}.{collection}`     |
| elasticsearch | `elasticsearch://{host}:{port}`  | `{index}`                     |
| any           | `ariadne`                        | the table's qualified name    |

A source also answers to each of its `namespace_aliases` (a job that reaches the
database as `db.internal:5432` while Ariadne harvests `10.0.0.5:5432`; a manual source
for a system Ariadne cannot connect to). Within a namespace a name matches a table by
its last two parts (schema and table) or its last part (a table with no schema); a
leading database or service name must be the source's. Names compare exactly first,
then without regard to case (Oracle reports upper case). An admin's mapping of a
dataset to a table always wins (observed_datasets.mapped_by).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ariadne_core.catalog.naming import normalize_namespace
from ariadne_core.catalog.sources import connection_identity
from ariadne_core.db.models import DataSource, SourceType
from ariadne_core.observed.events import Dataset
from ariadne_core.security.secrets import Keyring

ARIADNE_NAMESPACE = "ariadne"
SCHEMES = {
    SourceType.POSTGRESQL: ("postgres", 5432),
    SourceType.ORACLE: ("oracle", 1521),
    SourceType.MONGODB: ("mongodb", 27017),
    SourceType.ELASTICSEARCH: ("elasticsearch", 9200),
}


def derived_namespace(source_type: SourceType, identity: dict[str, object]) -> str | None:
    """The namespace OpenLineage integrations report this source's datasets under."""
    if source_type not in SCHEMES or not identity.get("host"):
        return None
    scheme, default_port = SCHEMES[source_type]
    return normalize_namespace(
        f"{scheme}://{identity['host']}:{identity.get('port') or default_port}"
    )


@dataclass(frozen=True)
class Home:
    """A source, and the database or service name a dataset name's first part must be."""

    source_id: uuid.UUID
    source_name: str
    source_type: SourceType
    database: str | None


def source_homes(
    session: Session, keyring: Keyring, *, active_only: bool = True
) -> list[tuple[Home, set[str]]]:
    """Each source with the namespaces it answers to (derived and aliases)."""
    query = select(DataSource)
    if active_only:
        query = query.where(DataSource.is_active)
    out = []
    for source in session.scalars(query):
        identity: dict[str, object] = {}
        if source.type in SCHEMES:
            try:
                identity = connection_identity(keyring, source)
            except Exception:  # a config sealed with a lost key: aliases still work
                identity = {}
        database = identity.get("database") or identity.get("service_name")
        home = Home(source.id, source.name, source.type, str(database) if database else None)
        namespaces = {normalize_namespace(a) for a in source.namespace_aliases or []}
        derived = derived_namespace(source.type, identity)
        if derived:
            namespaces.add(derived)
        out.append((home, namespaces))
    return out


Option = tuple[uuid.UUID, str | None, str]  # source, schema (None: any), table name
K = TypeVar("K")


def name_options(name: str, homes: list[Home]) -> list[Option]:
    """Where a dataset name may live in these sources: its last two parts as schema and
    table, or its last part as a table with no schema; a leading database or service
    name must be the source's."""
    parts = name.split(".")
    options: list[Option] = []
    for home in homes:
        if len(parts) >= 3 and home.database and parts[-3].lower() != home.database.lower():
            continue
        if len(parts) >= 2:
            options.append((home.source_id, parts[-2], parts[-1]))
        options.append((home.source_id, None, parts[-1]))
    return options


def match_options(session: Session, wanted: dict[K, list[Option]]) -> dict[K, list[uuid.UUID]]:
    """The tables each key's options name, in the order of its options (an exact name
    first, then the same name without regard to case)."""
    if not wanted:
        return {}
    sources = sorted({o[0] for opts in wanted.values() for o in opts})
    names = sorted({o[2].lower() for opts in wanted.values() for o in opts})
    rows = session.execute(
        text(
            "SELECT id, source_id, schema_name, name FROM metadata_tables WHERE NOT "
            "is_deleted AND source_id = ANY(:s) AND lower(name) = ANY(:n)"
        ),
        {"s": sources, "n": names},
    ).all()
    exact = {(r.source_id, r.schema_name, r.name): r.id for r in rows}
    folded = {
        (r.source_id, (r.schema_name or "").lower() or None, r.name.lower()): r.id for r in rows
    }
    found: dict[K, list[uuid.UUID]] = {}
    for key, options in wanted.items():
        hits: list[uuid.UUID] = []
        for source_id, schema, name in options:
            hit = exact.get((source_id, schema, name)) or folded.get(
                (source_id, schema.lower() if schema else None, name.lower())
            )
            if hit is not None and hit not in hits:
                hits.append(hit)
        if hits:
            found[key] = hits
    return found


class Matcher:
    """Resolves datasets to table ids for one processing batch."""

    def __init__(self, session: Session, keyring: Keyring) -> None:
        self.session = session
        self.homes: dict[str, list[Home]] = defaultdict(list)
        for home, namespaces in source_homes(session, keyring):
            for ns in namespaces:
                self.homes[ns].append(home)

    def resolve(self, datasets: list[Dataset]) -> dict[Dataset, uuid.UUID]:
        """The table of each dataset that names one (the others are left out)."""
        wanted: dict[Dataset, list[Option]] = {}
        qualified: dict[str, Dataset] = {}
        for ds in datasets:
            ns = normalize_namespace(ds.namespace)
            if ns == ARIADNE_NAMESPACE:
                qualified[ds.name] = ds
                continue
            options = name_options(ds.name, self.homes.get(ns, []))
            if options:
                wanted[ds] = options
        found: dict[Dataset, uuid.UUID] = {}
        if qualified:
            for table_id, qname in self.session.execute(
                text(
                    "SELECT id, qualified_name FROM metadata_tables WHERE NOT is_deleted "
                    "AND qualified_name = ANY(:q)"
                ),
                {"q": list(qualified)},
            ):
                found[qualified[qname]] = table_id
        for ds, hits in match_options(self.session, wanted).items():
            found[ds] = hits[0]
        return found
