"""The schema-change rule (docs/schema-changes.md): breaking, risky or safe, renames and
how sure, and what a webhook may show of its URL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ariadne_core.schema_changes.classify import (
    BREAKING,
    RISKY,
    SAFE,
    FieldState,
    TableState,
    classify,
    normalize_type,
    type_change_severity,
)
from ariadne_core.schema_changes.notify import formatted, shown_url, signature


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("integer", "bigint", SAFE),
        ("int4", "int8", SAFE),
        ("smallint", "integer", SAFE),
        ("bigint", "integer", BREAKING),
        ("integer", "numeric(12,2)", SAFE),
        ("bigint", "numeric(12,2)", BREAKING),  # 10 digits before the point: too few
        ("numeric(10,2)", "numeric(12,2)", SAFE),
        ("numeric(10,2)", "numeric(10,4)", BREAKING),  # fewer digits before the point
        ("numeric(10,2)", "integer", BREAKING),
        ("varchar(20)", "varchar(50)", SAFE),
        ("character varying(50)", "varchar(20)", BREAKING),
        ("varchar(20)", "text", SAFE),
        ("text", "varchar(20)", BREAKING),
        ("varchar", "varchar(20)", BREAKING),  # a limit where there was none
        ("char(3)", "varchar(10)", SAFE),
        ("real", "double precision", SAFE),
        ("double precision", "real", BREAKING),
        ("integer", "double precision", RISKY),
        ("timestamp", "timestamptz", RISKY),
        ("date", "timestamp", RISKY),
        ("integer", "text", BREAKING),
        ("text", "integer", BREAKING),
        ("integer[]", "integer", BREAKING),
        ("geometry", "geography", BREAKING),
        ("geometry(Point)", "geometry", RISKY),
        ("VARCHAR2(20)", "VARCHAR2(40)", SAFE),
        ("NUMBER(10)", "NUMBER(8)", BREAKING),
    ],
)
def test_type_changes_follow_the_rule(before: str, after: str, expected: str) -> None:
    assert type_change_severity(before, after) == expected


def test_spellings_of_one_type_are_no_change() -> None:
    assert normalize_type("INT4") == normalize_type("integer")
    assert normalize_type("character varying(20)") == normalize_type("VARCHAR(20)")
    assert normalize_type("timestamp with time zone") == normalize_type("timestamptz")


def _table(table_type: str = "table", **fields: tuple[str, bool, bool, int]) -> TableState:
    state = TableState(uuid.UUID(int=1), "src.public.t", table_type)
    for name, (kind, nullable, key, position) in fields.items():
        state.fields[name] = FieldState(
            uuid.uuid5(uuid.NAMESPACE_URL, name), name, kind, nullable, key, position
        )
    return state


def test_renames_are_told_with_how_sure() -> None:
    before = _table(
        id=("integer", False, True, 1),
        cust_id=("integer", True, False, 2),
        note=("text", True, False, 3),
        total=("numeric", True, False, 4),
    )
    after = _table(
        id=("integer", False, True, 1),
        customer_id=("integer", True, False, 2),  # same type and place, similar name
        comment=("text", True, False, 3),  # same type and place, another name
        total_amount=("numeric", True, False, 5),  # same type, similar name, moved
    )
    changes = {c.field_name: c for c in classify(before, after)}
    assert {
        n: (c.kind, c.details["after"], c.details["confidence"]) for n, c in changes.items()
    } == {
        "cust_id": ("field_renamed", "customer_id", "high"),
        "note": ("field_renamed", "comment", "medium"),
        "total": ("field_renamed", "total_amount", "low"),
    }
    assert all(c.severity == BREAKING for c in changes.values())
    # the event hangs on the old field, where the lineage is
    assert changes["cust_id"].field_id == before.fields["cust_id"].id


def test_drops_adds_nullability_keys_and_views() -> None:
    before = _table(
        id=("integer", False, True, 1),
        code=("varchar(10)", True, False, 2),
        status=("text", True, False, 3),
        amount=("integer", False, False, 4),
    )
    after = _table(
        "view",
        id=("integer", False, False, 1),
        status=("text", False, False, 3),
        amount=("bigint", True, False, 4),
        added=("date", True, False, 5),
    )
    found = {(c.kind, c.field_name): c.severity for c in classify(before, after)}
    assert found == {
        ("table_type_changed", None): RISKY,
        ("field_dropped", "code"): BREAKING,
        ("field_added", "added"): SAFE,
        ("primary_key_changed", None): RISKY,
        ("nullability_tightened", "status"): RISKY,
        ("nullability_relaxed", "amount"): RISKY,
        ("type_changed", "amount"): SAFE,
    }
    assert [c.kind for c in classify(before, None)] == ["table_dropped"]
    assert classify(before, before) == []


def test_a_webhook_url_is_shown_without_its_token_and_bodies_are_signed() -> None:
    url = "https://hooks.slack.com/services/T000/B000/very-secret-token?x=1"
    shown = shown_url(url)
    assert shown.startswith("https://hooks.slack.com") and "secret" not in shown
    assert signature("k" * 20, "1700000000", b"{}") == signature("k" * 20, "1700000000", b"{}")
    assert signature("k" * 20, "1700000000", b"{}") != signature("k" * 20, "1700000001", b"{}")
    payload = {"summary": "1 breaking schema change in s.", "events": []}
    assert formatted(payload, "json") is payload
    assert formatted(payload, "slack")["text"] == payload["summary"]
    card = formatted(payload, "teams")["attachments"][0]
    assert card["content"]["body"][0]["text"] == payload["summary"]


def test_webhook_subscriptions_refuse_bad_input_plainly(db_session: Any, settings: Any) -> None:
    from ariadne_core.db.models import UserRole
    from ariadne_core.errors import PermissionDenied, ValidationFailed
    from ariadne_core.schema_changes import service
    from ariadne_core.security.secrets import keyring_for

    keyring = keyring_for(settings)

    def create(role: UserRole = UserRole.ADMIN, **changes: Any) -> Any:
        data = service.WebhookInput(name="n", url="https://hooks.example.com/t0ken")
        for key, value in changes.items():
            setattr(data, key, value)
        return service.create_webhook(
            db_session, keyring, data, actor_email="a@example.com", actor_role=role
        )

    with pytest.raises(PermissionDenied):
        create(UserRole.STEWARD)
    for changes in (
        {"url": "ftp://hooks.example.com/x"},
        {"url": "https:///no-host"},
        {"payload_format": "xml"},
        {"min_severity": "bad"},
        {"secret": "short"},
        {"owners": ["x" * 400]},
        {"source_ids": [uuid.uuid4()]},
    ):
        with pytest.raises(ValidationFailed) as refused:
            create(**changes)
        assert "t0ken" not in str(refused.value.details) and "t0ken" not in refused.value.message
    made = create(secret="s" * 20)
    assert made["url"] == "https://hooks.example.com/…"
    assert "t0ken" not in str(made) and "s" * 20 not in str(made)
