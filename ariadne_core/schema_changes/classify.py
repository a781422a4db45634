"""What changed in one table between two harvests, and how much it matters: the one rule
(docs/schema-changes.md has it in words).

**breaking**: a reader downstream fails or reads wrong values: a dropped table or field,
a renamed field, a type narrowed or changed to another kind of type.
**risky**: readers still run, but what they read or who may write changed: a field whose
nulls are now refused or now allowed, a primary key changed, a table that became a view
(or the other way), a type changed in a way the rule cannot order.
**safe**: nothing downstream can notice: an added field, a type widened (`int` to
`bigint`, `varchar(20)` to `varchar(50)` or `text`, `numeric(10,2)` to `numeric(12,2)`),
a field moved.

A dropped and an added field of one table are a rename when they have the same type and
either the same position or similar names; how sure is said: `high` (same type, same
position, similar name), `medium` (same type and position) or `low` (same type, similar
name, moved).
"""

from __future__ import annotations

import difflib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

BREAKING, RISKY, SAFE = "breaking", "risky", "safe"
SEVERITY_RANK = {SAFE: 0, RISKY: 1, BREAKING: 2}
KINDS = (
    "table_dropped",
    "table_type_changed",
    "field_dropped",
    "field_renamed",
    "type_changed",
    "nullability_tightened",
    "nullability_relaxed",
    "primary_key_changed",
    "field_added",
)
RENAME_SIMILARITY = 0.5


@dataclass(frozen=True)
class FieldState:
    id: uuid.UUID
    name: str
    data_type: str | None
    is_nullable: bool | None
    is_primary_key: bool | None
    position: int | None


@dataclass
class TableState:
    id: uuid.UUID
    qualified_name: str
    table_type: str
    fields: dict[str, FieldState] = field(default_factory=dict)  # by name


@dataclass
class Change:
    kind: str
    severity: str
    table_id: uuid.UUID
    table_name: str
    field_id: uuid.UUID | None = None
    field_name: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def classify(before: TableState, after: TableState | None) -> list[Change]:
    """Every change of one table (``after`` None: it was dropped), safe ones included."""
    if after is None:
        return [Change("table_dropped", BREAKING, before.id, before.qualified_name)]
    out: list[Change] = []
    if _table_kind(before.table_type) != _table_kind(after.table_type):
        out.append(
            Change(
                "table_type_changed",
                RISKY,
                after.id,
                after.qualified_name,
                details={"before": before.table_type, "after": after.table_type},
            )
        )
    dropped = [f for name, f in before.fields.items() if name not in after.fields]
    added = [f for name, f in after.fields.items() if name not in before.fields]
    for old, new, sure in _renames(dropped, added):
        dropped.remove(old)
        added.remove(new)
        out.append(
            Change(
                "field_renamed",
                BREAKING,
                after.id,
                after.qualified_name,
                old.id,  # lineage hangs on the field as it was
                old.name,
                {
                    "before": old.name,
                    "after": new.name,
                    "confidence": sure,
                    "new_field_id": str(new.id),
                },
            )
        )
    for old in dropped:
        out.append(
            Change("field_dropped", BREAKING, after.id, after.qualified_name, old.id, old.name)
        )
    for new in added:
        out.append(Change("field_added", SAFE, after.id, after.qualified_name, new.id, new.name))
    key_before = sorted(n for n, f in before.fields.items() if f.is_primary_key)
    key_after = sorted(n for n, f in after.fields.items() if f.is_primary_key)
    if key_before != key_after:
        out.append(
            Change(
                "primary_key_changed",
                RISKY,
                after.id,
                after.qualified_name,
                details={"before": key_before, "after": key_after},
            )
        )
    for name, new in after.fields.items():
        old_state = before.fields.get(name)
        if old_state is None:
            continue
        if normalize_type(old_state.data_type) != normalize_type(new.data_type):
            out.append(
                Change(
                    "type_changed",
                    type_change_severity(old_state.data_type, new.data_type),
                    after.id,
                    after.qualified_name,
                    new.id,
                    name,
                    {"before": old_state.data_type, "after": new.data_type},
                )
            )
        if old_state.is_nullable is not None and new.is_nullable is not None:
            if old_state.is_nullable and not new.is_nullable:
                kind = "nullability_tightened"
            elif not old_state.is_nullable and new.is_nullable:
                kind = "nullability_relaxed"
            else:
                continue
            out.append(
                Change(
                    kind,
                    RISKY,
                    after.id,
                    after.qualified_name,
                    new.id,
                    name,
                    {"before": old_state.is_nullable, "after": new.is_nullable},
                )
            )
    return out


def _table_kind(table_type: str) -> str:
    return "view" if "view" in (table_type or "") else table_type


def _renames(
    dropped: list[FieldState], added: list[FieldState]
) -> list[tuple[FieldState, FieldState, str]]:
    """Pairs (dropped, added, how sure), best first, each field in one pair at most."""
    scored = []
    for old in dropped:
        for new in added:
            if normalize_type(old.data_type) != normalize_type(new.data_type):
                continue
            similar = difflib.SequenceMatcher(None, old.name.lower(), new.name.lower()).ratio()
            same_place = old.position is not None and old.position == new.position
            if same_place and similar >= RENAME_SIMILARITY:
                sure, score = "high", 3 + similar
            elif same_place:
                sure, score = "medium", 2 + similar
            elif similar >= RENAME_SIMILARITY:
                sure, score = "low", 1 + similar
            else:
                continue
            scored.append((score, old.name, new.name, old, new, sure))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    used_old: set[str] = set()
    used_new: set[str] = set()
    out = []
    for _, old_name, new_name, old, new, sure in scored:
        if old_name in used_old or new_name in used_new:
            continue
        used_old.add(old_name)
        used_new.add(new_name)
        out.append((old, new, sure))
    return out


# --- types --------------------------------------------------------------------------------

_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "float": "double precision",
    "double": "double precision",
    "bool": "boolean",
    "decimal": "numeric",
    "number": "numeric",
    "character varying": "varchar",
    "varchar2": "varchar",
    "nvarchar2": "varchar",
    "nvarchar": "varchar",
    "character": "char",
    "bpchar": "char",
    "string": "text",
    "keyword": "text",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "long": "bigint",
    "short": "smallint",
    "byte": "tinyint",
}
# Within a family, a higher rank holds every value of a lower one.
_FAMILIES: dict[str, tuple[str, int]] = {
    "tinyint": ("number", 1),
    "smallint": ("number", 2),
    "integer": ("number", 3),
    "bigint": ("number", 4),
    "numeric": ("number", 5),
    "real": ("float", 1),
    "double precision": ("float", 2),
    "char": ("text", 1),
    "varchar": ("text", 2),
    "text": ("text", 3),
    "clob": ("text", 4),
    "date": ("time", 1),
    "timestamp": ("time", 2),
    "timestamptz": ("time", 3),
}
_TYPE = re.compile(r"^\s*([a-z][a-z0-9_ ]*?)\s*(?:\((.*)\))?\s*(\[\])?\s*$")


def normalize_type(data_type: str | None) -> str:
    """The type as compared: lower case, one spelling per type, arguments kept."""
    if not data_type:
        return ""
    base, args, array = _parse(data_type)
    shown = base + (f"({','.join(str(a) for a in args)})" if args else "")
    return shown + ("[]" if array else "")


def _parse(data_type: str) -> tuple[str, list[int], bool]:
    """(base type, numeric arguments, array?); arguments that are not numbers (PostGIS's
    `geometry(Point)`) stay in the base, so such types compare as written."""
    text = " ".join(data_type.lower().split())
    match = _TYPE.match(text)
    if match is None:
        return text, [], False
    base = _ALIASES.get(match.group(1).strip(), match.group(1).strip())
    raw = [a.strip() for a in (match.group(2) or "").split(",") if a.strip()]
    if raw and not all(a.isdigit() for a in raw):
        return f"{base}({','.join(raw)})", [], bool(match.group(3))
    return base, [int(a) for a in raw], bool(match.group(3))


def type_change_severity(before: str | None, after: str | None) -> str:
    """safe for a widening, breaking for a narrowing or another kind of type, risky when
    the rule cannot order the two (types it does not know, an unknown type before)."""
    if not before or not after:
        return RISKY
    old_base, old_args, old_array = _parse(before)
    new_base, new_args, new_array = _parse(after)
    if old_array != new_array:
        return BREAKING
    old_family, new_family = _FAMILIES.get(old_base), _FAMILIES.get(new_base)
    if old_family is None or new_family is None:
        same = old_base.split("(")[0] == new_base.split("(")[0]
        return RISKY if same else BREAKING
    if old_family[0] == new_family[0] == "time":
        return RISKY  # a date read as a timestamp, a zone added: values shift
    if old_family[0] != new_family[0]:
        if old_family[0] == "number" and new_family[0] == "float":
            return RISKY  # every value fits, big ones lose digits
        return BREAKING
    if new_family[1] < old_family[1]:
        return BREAKING
    if new_family[1] > old_family[1]:
        # a wider type, unless its arguments hold less (numeric(5) after bigint)
        if new_base == "numeric" and new_args and old_base != "numeric":
            digits = {1: 3, 2: 5, 3: 10, 4: 19}[old_family[1]]
            return (
                SAFE
                if new_args[0] - (new_args[1] if len(new_args) > 1 else 0) >= digits
                else (BREAKING)
            )
        if new_base == "varchar" and new_args and old_base == "char" and old_args:
            return SAFE if new_args[0] >= old_args[0] else BREAKING
        if old_base == "varchar" and new_base == "text":
            return SAFE
        return SAFE if not new_args else RISKY
    # the same type, other arguments: lengths and precision may only grow
    if not new_args:
        return SAFE  # varchar(20) -> varchar: no limit now
    if not old_args:
        return BREAKING  # a limit where there was none
    if old_base == "numeric":
        old_scale = old_args[1] if len(old_args) > 1 else 0
        new_scale = new_args[1] if len(new_args) > 1 else 0
        grows = new_scale >= old_scale and new_args[0] - new_scale >= old_args[0] - old_scale
        return SAFE if grows else BREAKING
    return SAFE if new_args[0] >= old_args[0] else BREAKING
