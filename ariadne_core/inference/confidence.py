"""The one confidence rule for inferred lineage. Nothing else picks a number.

    0.90  the statement parsed cleanly and every column of the edge was resolved
    0.85  as above, but a ``*`` was expanded with the fields Ariadne knows
    -0.10 the statement also has columns that could not be resolved
    -0.15 the statement was cut out of a procedure body or a script the parser had to
          split by hand (the control flow around it is not understood)
    0.90  an Elasticsearch alias over an index; a MongoDB view over its collection
    0.80  a MongoDB $lookup / $unionWith / $graphLookup source
    floor 0.30, ceiling 0.95

Observed lineage (a job seen reading and writing) is more certain than any of these;
a person's declaration is 1.0 and never set here.
"""

from __future__ import annotations

FULL = 0.9
STAR_EXPANDED = 0.85
UNRESOLVED_PENALTY = 0.10
PARTIAL_PARSE_PENALTY = 0.15
DOCUMENT_DEFINITION = 0.9
DOCUMENT_JOIN = 0.8
FLOOR, CEILING = 0.3, 0.95


def sql_confidence(*, star_expanded: bool, unresolved: bool, partial: bool) -> float:
    value = STAR_EXPANDED if star_expanded else FULL
    if unresolved:
        value -= UNRESOLVED_PENALTY
    if partial:
        value -= PARTIAL_PARSE_PENALTY
    return round(min(max(value, FLOOR), CEILING), 2)
