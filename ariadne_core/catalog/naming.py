"""Qualified names and tags: the rules every write path shares."""

from __future__ import annotations

import re

from ariadne_core.errors import ValidationFailed

TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-:.]{0,99}$")
NAME_PATTERN = re.compile(r"^[^.\s][^.]*$")  # no dots: they separate the parts of a qualified name


def table_qualified_name(source_name: str, schema_name: str | None, name: str) -> str:
    return ".".join(part for part in (source_name, schema_name, name) if part)


def field_qualified_name(table_qualified: str, field_name: str) -> str:
    return f"{table_qualified}.{field_name}"


def check_name(value: str, field: str) -> str:
    value = value.strip()
    if not value or not NAME_PATTERN.match(value):
        raise ValidationFailed(
            f"{field} '{value}' is not a valid name: it must not be empty or contain dots, "
            "because dots separate the parts of a qualified name.",
            details={"field": field, "value": value},
        )
    return value


def normalize_tags(tags: list[str] | None, field: str = "tags") -> list[str]:
    """Tags are trimmed, de-duplicated in order, and must match TAG_PATTERN."""
    out: list[str] = []
    for raw in tags or []:
        tag = raw.strip()
        if not TAG_PATTERN.match(tag):
            raise ValidationFailed(
                f"Tag '{raw}' is not valid: use up to 100 letters, digits and _ - : . "
                "starting with a letter or digit.",
                details={"field": field, "value": raw},
            )
        if tag not in out:
            out.append(tag)
    return out


def normalize_namespace(namespace: str) -> str:
    """Scheme and host compare without case; a trailing slash does not count;
    `postgresql://` is `postgres://`."""
    ns = namespace.strip().rstrip("/")
    scheme, sep, rest = ns.partition("://")
    if not sep:
        return ns.lower()
    scheme = scheme.lower()
    if scheme == "postgresql":
        scheme = "postgres"
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.lower()}{slash}{path}"
