"""The precedence rule: automatic writers never touch manual or approved edges."""

from __future__ import annotations

import pytest

from ariadne_core.db.models import LineageSource
from ariadne_core.lineage.precedence import automatic_write_allowed, declaration_upgrades

INF, MAN, APP = LineageSource.INFERRED, LineageSource.MANUAL, LineageSource.APPROVED


@pytest.mark.parametrize("existing,allowed", [(INF, True), (MAN, False), (APP, False)])
def test_automatic_writers_only_touch_inferred_edges(
    existing: LineageSource, allowed: bool
) -> None:
    assert automatic_write_allowed(existing) is allowed


@pytest.mark.parametrize(
    "existing,declared,upgrades",
    [
        (INF, MAN, True),
        (INF, APP, True),
        (MAN, APP, True),
        (MAN, MAN, False),
        (APP, MAN, False),
        (APP, APP, False),
        (MAN, INF, False),
        (APP, INF, False),
        (INF, INF, False),
    ],
)
def test_declarations_only_raise_attribution(
    existing: LineageSource, declared: LineageSource, upgrades: bool
) -> None:
    assert declaration_upgrades(existing, declared) is upgrades
