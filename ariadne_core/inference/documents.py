"""Lineage that document stores declare themselves: MongoDB views and Elasticsearch aliases.

A MongoDB view reads its ``viewOn`` collection and whatever its pipeline pulls in with
``$lookup``, ``$unionWith`` and ``$graphLookup``. Its fields are followed through
``$project``, ``$addFields``/``$set``, ``$unset`` and ``$group``: a field kept or renamed
is a copy, a field computed from others an expression, a group's accumulator an
aggregate. After a stage that replaces the document (``$replaceRoot``,
``$replaceWith``), only table lineage is proposed.

An Elasticsearch alias reads its indices; a field of the alias comes from the field of
the same name in each index.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

from ariadne_core.inference import confidence as rule

if TYPE_CHECKING:
    from ariadne_core.inference.service import CatalogIndex, OriginResult, _Table

Mapping_ = dict[str, tuple[set[str], str]]  # view field -> (source fields, kind)


def _fingerprint(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _refs(value: Any) -> set[str]:
    """Field paths an aggregation expression reads (``"$field.sub"`` → ``field``)."""
    if isinstance(value, str):
        if value.startswith("$") and not value.startswith("$$"):
            return {value[1:].split(".")[0]}
        return set()
    if isinstance(value, dict):
        return {r for v in value.values() for r in _refs(v)}
    if isinstance(value, list):
        return {r for v in value for r in _refs(v)}
    return set()


def _stage_sources(stage: dict[str, Any]) -> list[str]:
    name, body = next(iter(stage.items()), (None, None))
    if name in ("$lookup", "$graphLookup") and isinstance(body, dict):
        found = [body["from"]] if isinstance(body.get("from"), str) else []
        return found + [s for inner in body.get("pipeline") or [] for s in _stage_sources(inner)]
    if name == "$unionWith":
        if isinstance(body, str):
            return [body]
        if isinstance(body, dict) and isinstance(body.get("coll"), str):
            return [body["coll"]] + [
                s for inner in body.get("pipeline") or [] for s in _stage_sources(inner)
            ]
    if name == "$facet" and isinstance(body, dict):
        return [s for sub in body.values() for inner in sub or [] for s in _stage_sources(inner)]
    return []


def _follow_fields(pipeline: list[Any], start: list[str]) -> Mapping_ | None:
    """The view's fields in terms of the ``viewOn`` collection's, or None once a stage
    makes that impossible to say."""
    fields: Mapping_ = {f: ({f}, "copy") for f in start}
    for stage in pipeline:
        if not isinstance(stage, dict) or not stage:
            continue
        name, body = next(iter(stage.items()))
        if name == "$project" and isinstance(body, dict):
            inclusive = any(v not in (0, False) for k, v in body.items() if k != "_id")
            if not inclusive:
                for key in body:
                    fields.pop(key, None)
                continue
            out: Mapping_ = {}
            if body.get("_id", 1) not in (0, False) and "_id" in fields:
                out["_id"] = fields["_id"]
            for key, value in body.items():
                if value in (1, True) and key in fields:
                    out[key] = fields[key]
                elif value not in (0, False, 1, True):
                    out[key] = _computed(value, fields)
            fields = out
        elif name in ("$addFields", "$set") and isinstance(body, dict):
            for key, value in body.items():
                fields[key] = _computed(value, fields)
        elif name == "$unset":
            for key in [body] if isinstance(body, str) else body or []:
                fields.pop(key, None)
        elif name == "$group" and isinstance(body, dict):
            grouped: Mapping_ = {}
            for key, value in body.items():
                sources, kind = _computed(value, fields)
                grouped[key] = (sources, "copy" if key == "_id" and kind == "copy" else "aggregate")
            fields = grouped
        elif name in ("$replaceRoot", "$replaceWith", "$bucket", "$bucketAuto", "$facet"):
            return None
    return fields


def _computed(value: Any, fields: Mapping_) -> tuple[set[str], str]:
    refs = _refs(value)
    sources = {s for r in refs for s in fields.get(r, (set(), ""))[0]}
    plain = isinstance(value, str) and value.startswith("$") and "." not in value
    return sources, "copy" if plain else "expression"


def _definition(row: Any) -> dict[str, Any]:
    try:
        value = json.loads(row.view_definition)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def mongo_fingerprint(row: Any) -> str:
    return _fingerprint(_definition(row))


def _indices(row: Any) -> list[str]:
    properties = row.properties or {}
    return sorted(properties.get("harvest", properties).get("indices") or [])


def alias_fingerprint(row: Any) -> str:
    return _fingerprint(_indices(row))


def mongo_view_lineage(
    index: CatalogIndex, row: Any, *, where: dict[str, Any], source_id: uuid.UUID
) -> OriginResult:
    from ariadne_core.inference.service import OriginResult, Proposal, evidence_base

    definition = _definition(row)
    pipeline = definition.get("pipeline") or []
    result = OriginResult(f"mongo-view:{row.id}", source_id, _fingerprint(definition))
    result.statements = 1
    view = index.by_key.get(
        (index.default_source, (row.schema_name or "").lower(), row.name.lower())
    )
    view_on = definition.get("viewOn")
    if view is None or not isinstance(view_on, str):
        result.problems.append({"line": None, "statement": "", "message": "no viewOn collection"})
        return result
    evidence = evidence_base(where, result.origin, "mongodb-pipeline", result.fingerprint)

    def collection(name: str) -> _Table | None:
        found = index.by_key.get(
            (index.default_source, (row.schema_name or "").lower(), name.lower())
        )
        if found is None:
            result.unresolved.append(f"{row.schema_name}.{name}")
        return found

    main = collection(view_on)
    joined = [
        collection(n)
        for n in _unique(s for st in pipeline if isinstance(st, dict) for s in _stage_sources(st))
    ]
    for table, confidence in [(main, rule.DOCUMENT_DEFINITION)] + [
        (t, rule.DOCUMENT_JOIN) for t in joined
    ]:
        if table is None or table.id == view.id:
            continue
        result.proposals.append(
            Proposal(
                "table",
                table.id,
                view.id,
                table.qualified_name,
                view.qualified_name,
                None,
                None,
                confidence,
                {**evidence, "statement_kind": "view"},
            )
        )
    if main is None:
        return result
    mapping = _follow_fields(pipeline, [n for n, _, _ in index.fields(main)])
    for target_name, (sources, kind) in (mapping or {}).items():
        target = index.field(view, target_name)
        if target is None:
            continue
        for source_name in sorted(sources):
            source = index.field(main, source_name)
            if source is None:
                continue
            result.proposals.append(
                Proposal(
                    "field",
                    source[0],
                    target[0],
                    source[1],
                    target[1],
                    kind,
                    None,
                    rule.DOCUMENT_DEFINITION,
                    {**evidence, "statement_kind": "view"},
                    (main.id, view.id),
                )
            )
    return result


def alias_lineage(
    index: CatalogIndex, row: Any, *, where: dict[str, Any], source_id: uuid.UUID
) -> OriginResult:
    from ariadne_core.inference.service import OriginResult, Proposal, evidence_base

    indices = sorted(
        (row.properties or {}).get("harvest", row.properties or {}).get("indices") or []
    )
    result = OriginResult(f"alias:{row.id}", source_id, _fingerprint(indices))
    result.statements = 1
    alias = index.by_key.get((index.default_source, "", row.name.lower()))
    if alias is None:
        return result
    evidence = {
        **evidence_base(where, result.origin, "elasticsearch-alias", result.fingerprint),
        "statement_kind": "alias",
    }
    for name in indices:
        table = index.by_key.get((index.default_source, "", name.lower()))
        if table is None:
            result.unresolved.append(name)
            continue
        result.proposals.append(
            Proposal(
                "table",
                table.id,
                alias.id,
                table.qualified_name,
                alias.qualified_name,
                "copy",
                None,
                rule.DOCUMENT_DEFINITION,
                evidence,
            )
        )
        for field_name, field_id, qualified in index.fields(table):
            target = index.field(alias, field_name)
            if target is not None:
                result.proposals.append(
                    Proposal(
                        "field",
                        field_id,
                        target[0],
                        qualified,
                        target[1],
                        "copy",
                        None,
                        rule.DOCUMENT_DEFINITION,
                        evidence,
                        (table.id, alias.id),
                    )
                )
    return result


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))
