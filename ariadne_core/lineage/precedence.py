"""Source precedence: the one rule about who may change a lineage edge.

    approved  >  manual  >  inferred

Nothing automatic (harvesting, re-importing inferred data, inference) may overwrite,
downgrade or delete an edge a person declared (`manual`) or a steward approved
(`approved`). Automatic writers may only touch `inferred` edges. People may upgrade an
inferred edge by declaring it; only a steward makes an edge `approved`.
"""

from __future__ import annotations

from ariadne_core.db.models import LineageSource

RANK = {LineageSource.INFERRED: 0, LineageSource.MANUAL: 1, LineageSource.APPROVED: 2}


def automatic_write_allowed(existing: LineageSource) -> bool:
    """May a harvest, an inferred import or inference change or remove this edge?"""
    return existing is LineageSource.INFERRED


def declaration_upgrades(existing: LineageSource, declared: LineageSource) -> bool:
    """Does a person declaring ``declared`` over ``existing`` raise its attribution?"""
    return RANK[declared] > RANK[existing]
