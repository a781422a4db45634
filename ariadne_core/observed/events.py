"""OpenLineage events (spec 2.x) as Ariadne accepts them: RunEvent, DatasetEvent and
JobEvent, one or a list, checked against the required fields of the published schema
(https://openlineage.io/spec/2-0-2/OpenLineage.json) and bounded in count, size and
nesting. A bad event is refused whole, with the path of the field that is wrong.

Facets are kept as sent. The ones Ariadne reads are the output datasets'
`columnLineage` facet (field edges) and the job's `sql` facet (given to inference).
"""

from __future__ import annotations

import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from ariadne_core.errors import LimitExceeded, PayloadTooLarge, ValidationFailed

MAX_DEPTH = 32
MAX_DATASETS = 500  # inputs + outputs of one event
MAX_NAME = 1000
MAX_NAMESPACE = 500
MAX_FIELD = 300
EVENT_TYPES = frozenset({"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"})
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


class Dataset(NamedTuple):  # a tuple: hashed and compared in C, millions of times a minute
    namespace: str
    name: str


class FieldEdge(NamedTuple):
    source: Dataset
    source_field: str
    target: Dataset
    target_field: str
    transformation: str | None = None


@dataclass
class Observed:
    """What one event shows: a job's inputs and outputs, and column edges."""

    kind: str  # "run" | "job" | "dataset"
    event_time: datetime
    job_namespace: str | None
    job_name: str | None
    run_id: str | None
    event_type: str | None
    inputs: list[Dataset] = field(default_factory=list)
    outputs: list[Dataset] = field(default_factory=list)
    fields: list[FieldEdge] = field(default_factory=list)
    sql: str | None = None


def decode_body(body: bytes, encoding: str | None, *, max_bytes: int) -> Any:
    """The JSON of a request body, gunzipped or inflated first when the transport
    compressed it (its `compression: gzip` option), never past ``max_bytes``."""
    encoding = (encoding or "identity").strip().lower()
    if encoding in ("gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        inflater = zlib.decompressobj(wbits)
        try:
            body = inflater.decompress(body, max_bytes + 1)
        except zlib.error as exc:
            raise ValidationFailed(
                f"The body says Content-Encoding: {encoding} but does not decompress ({exc}).",
                details={"field": "Content-Encoding", "value": encoding},
            ) from None
        if len(body) > max_bytes or inflater.unconsumed_tail:
            raise PayloadTooLarge(
                f"The decompressed body is larger than {max_bytes} bytes. Send fewer events "
                "per request.",
                details={"max_bytes": max_bytes},
            )
    elif encoding != "identity":
        raise ValidationFailed(
            f"Content-Encoding {encoding!r} is not supported; send gzip, deflate or none.",
            details={"field": "Content-Encoding", "value": encoding},
        )
    if b"\\u0000" in body:
        raise ValidationFailed(
            "The body holds a NUL character (\\u0000), which no catalog field can store. "
            "Remove it from the event.",
            details={"field": "body"},
        )
    try:
        return orjson.loads(body)  # strict JSON: NaN and Infinity are refused too
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise LimitExceeded(
                f"The body nests deeper than {MAX_DEPTH} levels.", details={"limit": MAX_DEPTH}
            ) from None
        raise ValidationFailed(
            f"The body is not JSON: {exc}. Send one OpenLineage event or a list of them.",
            details={"field": "body"},
        ) from None


def as_events(payload: Any, *, max_events: int) -> list[dict[str, Any]]:
    """The events of a body (one event, or a list), each checked; ValidationFailed names
    the first wrong field as `events[i].path` (or `path` for a single event)."""
    single = isinstance(payload, dict)
    events = [payload] if single else payload
    if not isinstance(events, list) or not events:
        raise ValidationFailed(
            "The body must be an OpenLineage event (a JSON object) or a non-empty list of them.",
            details={"field": "body"},
        )
    if len(events) > max_events:
        raise LimitExceeded(
            f"{len(events)} events in one request; at most {max_events}. Send them in batches.",
            details={"limit": max_events, "field": "body"},
        )
    for i, event in enumerate(events):
        check_event(event, "" if single else f"events[{i}]")
    return events


def _fail(where: str, name: str, message: str, value: Any = None) -> ValidationFailed:
    path = f"{where}.{name}" if where else name
    details: dict[str, Any] = {"field": path}
    if value is not None:
        details["value"] = value if isinstance(value, str | int | float | bool) else str(value)
        details["value"] = str(details["value"])[:200]
    return ValidationFailed(f"{path}: {message}", details=details)


def _string(
    obj: dict[str, Any], key: str, where: str, *, limit: int, required: bool = True
) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, key, "is required and must be a non-empty string", value)
    if len(value) > limit:
        raise _fail(where, key, f"is longer than {limit} characters", value)
    return value


def _object(obj: dict[str, Any], key: str, where: str, *, required: bool) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise _fail(where, key, "is required and must be an object", value)
    return value


def _depth_ok(value: Any) -> bool:
    level = [value]
    for _ in range(MAX_DEPTH + 1):
        level = [
            child
            for item in level
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, list | dict)
        ]
        if not level:
            return True
    return False


def event_time(raw: Any) -> datetime:
    """An event's `eventTime` (ISO 8601; a trailing Z is UTC)."""
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def _time(event: dict[str, Any], where: str) -> datetime:
    raw = _string(event, "eventTime", where, limit=64)
    try:
        parsed = event_time(raw)
    except ValueError:
        raise _fail(where, "eventTime", "must be an ISO 8601 date-time", raw) from None
    if parsed.tzinfo is None:
        raise _fail(where, "eventTime", "must carry a time zone offset (Z or +hh:mm)", raw)
    return parsed


def _job(event: dict[str, Any], where: str) -> tuple[str, str]:
    job = _object(event, "job", where, required=True)
    assert job is not None
    jw = f"{where}.job" if where else "job"
    return (
        str(_string(job, "namespace", jw, limit=MAX_NAMESPACE)),
        str(_string(job, "name", jw, limit=MAX_NAME)),
    )


def _datasets(event: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = event.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(where, key, "must be a list of datasets", value)
    for i, dataset in enumerate(value):
        dw = f"{where}.{key}[{i}]" if where else f"{key}[{i}]"
        if not isinstance(dataset, dict):
            raise ValidationFailed(f"{dw}: must be an object", details={"field": dw})
        _string(dataset, "namespace", dw, limit=MAX_NAMESPACE)
        _string(dataset, "name", dw, limit=MAX_NAME)
        for facets in ("facets", "inputFacets", "outputFacets"):
            _object(dataset, facets, dw, required=False)
    return value


def check_event(event: Any, where: str) -> None:
    """ValidationFailed (or LimitExceeded) naming the first field of ``event`` that the
    spec's schema refuses or that passes Ariadne's bounds."""
    if not isinstance(event, dict):
        raise ValidationFailed(
            f"{where or 'body'}: an event must be a JSON object", details={"field": where or "body"}
        )
    if not _depth_ok(event):
        raise LimitExceeded(
            f"{where or 'event'}: nests deeper than {MAX_DEPTH} levels.",
            details={"field": where or "event", "limit": MAX_DEPTH},
        )
    if not any(k in event for k in ("run", "job", "dataset")):
        raise ValidationFailed(
            f"{where or 'body'}: not an OpenLineage event: a RunEvent has `run` and `job`, a "
            "JobEvent `job`, a DatasetEvent `dataset`.",
            details={"field": where or "body"},
        )
    _time(event, where)
    for key in ("producer", "schemaURL"):
        value = _string(event, key, where, limit=2000)
        if not _URI.match(str(value)):
            raise _fail(where, key, "must be a URI", value)
    if "run" in event:
        run = _object(event, "run", where, required=True)
        assert run is not None
        rw = f"{where}.run" if where else "run"
        run_id = _string(run, "runId", rw, limit=64)
        try:
            uuid.UUID(str(run_id))
        except ValueError:
            raise _fail(rw, "runId", "must be a UUID", run_id) from None
        _job(event, where)
        kind = event.get("eventType")
        if kind is not None and kind not in EVENT_TYPES:
            raise _fail(where, "eventType", f"must be one of {sorted(EVENT_TYPES)}", kind)
    elif "dataset" in event:
        dataset = _object(event, "dataset", where, required=True)
        assert dataset is not None
        dw = f"{where}.dataset" if where else "dataset"
        _string(dataset, "namespace", dw, limit=MAX_NAMESPACE)
        _string(dataset, "name", dw, limit=MAX_NAME)
        return
    else:
        _job(event, where)
    count = len(_datasets(event, "inputs", where)) + len(_datasets(event, "outputs", where))
    if count > MAX_DATASETS:
        raise LimitExceeded(
            f"{where or 'event'}: {count} datasets; at most {MAX_DATASETS} inputs and outputs.",
            details={"field": where or "event", "limit": MAX_DATASETS},
        )


def _ds(raw: dict[str, Any]) -> Dataset:
    return Dataset(str(raw["namespace"]).strip(), str(raw["name"]).strip())


# OpenLineage's column transformation subtypes in the words inference uses for the same
# thing (ariadne_core.inference.sql.KINDS); indirect ones (a join key, a filter) keep
# their own name, prefixed, since the field only steers which rows flow.
DIRECT_KINDS = {"IDENTITY": "copy", "TRANSFORMATION": "expression", "AGGREGATION": "aggregate"}


def _transformation(kinds: Any) -> str | None:
    if not isinstance(kinds, list) or not kinds or not isinstance(kinds[0], dict):
        return None
    kind, subtype = kinds[0].get("type"), kinds[0].get("subtype")
    if not isinstance(subtype, str) or not subtype:
        return None
    if kind == "INDIRECT":
        return f"indirect:{subtype.lower()}"[:100]
    return DIRECT_KINDS.get(subtype.upper(), subtype.lower()[:100])


def _column_lineage(output: dict[str, Any]) -> list[FieldEdge]:
    """The `columnLineage` facet of one output: each input field feeding each output field
    (malformed entries are skipped: the facet is optional and facets are kept as sent)."""
    facet = (output.get("facets") or {}).get("columnLineage")
    if not isinstance(facet, dict) or not isinstance(facet.get("fields"), dict):
        return []
    target = _ds(output)
    edges = []
    for target_field, spec in facet["fields"].items():
        if not isinstance(spec, dict) or not isinstance(spec.get("inputFields"), list):
            continue
        if not isinstance(target_field, str) or not 0 < len(target_field) <= MAX_FIELD:
            continue
        for source in spec["inputFields"]:
            if not isinstance(source, dict):
                continue
            ns, name, col = source.get("namespace"), source.get("name"), source.get("field")
            if not (
                isinstance(ns, str)
                and isinstance(name, str)
                and isinstance(col, str)
                and ns
                and 0 < len(name) <= MAX_NAME
                and 0 < len(col) <= MAX_FIELD
            ):
                continue
            transformation = _transformation(source.get("transformations"))
            edges.append(FieldEdge(Dataset(ns, name), col, target, target_field, transformation))
    return edges


def observed(event: dict[str, Any]) -> Observed:
    """What a checked event shows."""
    when = event_time(event["eventTime"])
    if "dataset" in event and "run" not in event:
        return Observed("dataset", when, None, None, None, None, inputs=[_ds(event["dataset"])])
    job = event["job"]
    outputs = [o for o in event.get("outputs") or [] if isinstance(o, dict)]
    sql = ((job.get("facets") or {}).get("sql") or {}).get("query")
    return Observed(
        "run" if "run" in event else "job",
        when,
        str(job["namespace"]),
        str(job["name"]),
        str(event["run"]["runId"]) if "run" in event else None,
        event.get("eventType"),
        inputs=[_ds(i) for i in event.get("inputs") or [] if isinstance(i, dict)],
        outputs=[_ds(o) for o in outputs],
        fields=[e for o in outputs for e in _column_lineage(o)],
        sql=sql if isinstance(sql, str) and sql.strip() else None,
    )
