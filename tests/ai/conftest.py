"""Fixtures for the assistant: a small shop catalog, and the real local embedding model."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from ariadne_core.catalog.fields import FieldInput, create_field
from ariadne_core.catalog.sources import SourceInput, create_source
from ariadne_core.catalog.tables import TableInput, create_table
from ariadne_core.db.models import SourceType
from ariadne_core.embedding.providers import LocalEmbeddings
from ariadne_core.security.secrets import keyring_for

SHOP = {
    # table: (description, tags, owner, [(column, type, description)])
    "customers": (
        "One row per registered customer of the web shop.",
        ["pii"],
        "crm-team@example.com",
        [
            ("customer_id", "integer", None),
            ("email_address", "varchar", "The customer's e-mail address, used for receipts."),
            ("signup_date", "date", None),
        ],
    ),
    "orders": (
        "Orders placed in the web shop, one row per order.",
        [],
        "shop-team@example.com",
        [
            ("order_id", "integer", None),
            ("customer_id", "integer", None),
            ("total", "numeric", "Order value in euros."),
        ],
    ),
    "agg_customer_ltv": (
        None,
        ["finance"],
        "finance@example.com",
        [("customer_id", "integer", None), ("ltv_eur", "numeric", None)],
    ),
    "weather_observations": (
        "Hourly temperature and rainfall readings from weather stations.",
        [],
        None,
        [("station_id", "integer", None), ("temperature_c", "real", None)],
    ),
}


@pytest.fixture(scope="session")
def local_model() -> LocalEmbeddings:
    return LocalEmbeddings()


@pytest.fixture
def shop(db_session: Session, settings: Any) -> dict[str, Any]:
    """shop.public.{customers, orders, agg_customer_ltv, weather_observations} with columns."""
    source = create_source(
        db_session, keyring_for(settings), SourceInput(name="shop", type=SourceType.MANUAL), "seed"
    )
    out: dict[str, Any] = {"source": source}
    for name, (description, tags, owner, columns) in SHOP.items():
        table = create_table(
            db_session,
            TableInput(
                source_id=source.id,
                schema_name="public",
                name=name,
                description=description,
                tags=tags,
                owner=owner,
            ),
            "seed",
        )
        out[name] = table
        for position, (column, data_type, text) in enumerate(columns, start=1):
            field = create_field(
                db_session,
                FieldInput(
                    table_id=table.id,
                    name=column,
                    data_type=data_type,
                    description=text,
                    ordinal_position=position,
                ),
                "seed",
            )
            out[f"{name}.{column}"] = field
    db_session.flush()
    return out
