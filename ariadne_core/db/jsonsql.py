"""Build API JSON inside PostgreSQL for the hot read paths.

Turning rows into Python objects, validating them and serializing them again costs more
CPU than the query on a busy API. For the reads the catalog serves most (table lists,
table details, search) PostgreSQL writes the JSON itself and the API passes the text
through. The shapes match the response models in `ariadne_api.schemas`; the API tests
validate the answers against them.
"""

from __future__ import annotations

from collections.abc import Iterable


def iso_utc(column: str) -> str:
    """A timestamptz as ISO 8601 in UTC with a `Z`, as the API writes datetimes elsewhere."""
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def json_object(
    alias: str,
    columns: Iterable[str],
    *,
    timestamps: Iterable[str] = (),
    extra: dict[str, str] | None = None,
) -> str:
    """`json_build_object(...)` over ``alias``'s columns, timestamps as `iso_utc`, plus
    ``extra`` keys given as SQL expressions."""
    pairs = [f"'{c}', {alias}.{c}" for c in columns]
    pairs += [f"'{c}', {iso_utc(f'{alias}.{c}')}" for c in timestamps]
    pairs += [f"'{key}', {expr}" for key, expr in (extra or {}).items()]
    return "json_build_object(" + ", ".join(pairs) + ")"


def json_array(element: str, order_by: str) -> str:
    """The ordered JSON array of ``element`` over the rows, `[]` when there are none."""
    return f"coalesce(json_agg({element} ORDER BY {order_by}), '[]'::json)"
