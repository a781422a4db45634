"""Role-based access: viewer < editor < steward < admin."""

from __future__ import annotations

from ariadne_core.db.models import UserRole
from ariadne_core.errors import PermissionDenied

ROLE_ORDER: tuple[UserRole, ...] = (
    UserRole.VIEWER,
    UserRole.EDITOR,
    UserRole.STEWARD,
    UserRole.ADMIN,
)


def has_role(actual: UserRole, required: UserRole) -> bool:
    return ROLE_ORDER.index(actual) >= ROLE_ORDER.index(required)


def require_role(actual: UserRole, required: UserRole) -> None:
    if not has_role(actual, required):
        raise PermissionDenied(
            f"This action needs the {required.value} role; you are {actual.value}.",
            details={"required_role": required.value, "your_role": actual.value},
        )
