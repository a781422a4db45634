"""User accounts: create, list, change and log out; shared by the API, the CLI and
`ariadne run`. Logins themselves are in `ariadne_core.users.sessions`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ariadne_core.db.models import User, UserRole
from ariadne_core.errors import Conflict, NotFound, ValidationFailed
from ariadne_core.security.passwords import hash_password

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password must have between {MIN_PASSWORD_LENGTH} and "
            f"{MAX_PASSWORD_LENGTH} characters.",
            details={"field": "password"},
        )


def create_user(
    session: Session, *, email: str, password: str, role: UserRole, full_name: str | None = None
) -> User:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise ValidationFailed(
            f"'{email}' is not an e-mail address.", details={"field": "email", "value": email}
        )
    _check_password(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail '{email}' already exists.", details={"email": email})
    user = User(email=email, password_hash=hash_password(password), role=role, full_name=full_name)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def list_users(session: Session, *, offset: int, limit: int) -> tuple[list[User], int]:
    total = count_users(session)
    rows = session.scalars(select(User).order_by(User.email).offset(offset).limit(limit))
    return list(rows), total


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.", details={"user_id": str(user_id)})
    return user


@dataclass(frozen=True)
class UserChange:
    role: UserRole | None = None
    is_active: bool | None = None
    full_name: str | None = None
    password: str | None = None


def update_user(session: Session, user_id: uuid.UUID, change: UserChange) -> User:
    """Apply ``change``. A new role, deactivation or a new password ends the user's
    sessions (their tokens stop working on the next request). The last active admin can
    be neither demoted nor deactivated."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"No user with id {user_id}.", details={"user_id": str(user_id)})
    loses_admin = (
        user.role == UserRole.ADMIN
        and user.is_active
        and (
            (change.role is not None and change.role != UserRole.ADMIN) or change.is_active is False
        )
    )
    if loses_admin and _other_active_admins(session, user.id) == 0:
        raise Conflict(
            f"'{user.email}' is the last active admin; make another user admin first.",
            details={"user_id": str(user.id)},
        )
    ends_sessions = False
    if change.role is not None and change.role != user.role:
        user.role, ends_sessions = change.role, True
    if change.is_active is not None and change.is_active != user.is_active:
        user.is_active = change.is_active
        ends_sessions = ends_sessions or not change.is_active
    if change.password is not None:
        _check_password(change.password)
        user.password_hash, ends_sessions = hash_password(change.password), True
    if change.full_name is not None:
        user.full_name = change.full_name
    if ends_sessions:
        user.token_version += 1
    session.flush()
    return user


def _other_active_admins(session: Session, user_id: uuid.UUID) -> int:
    # Lock the other admins too, so two concurrent demotions cannot both pass.
    ids = session.scalars(
        select(User.id)
        .where(User.role == UserRole.ADMIN, User.is_active, User.id != user_id)
        .with_for_update()
    )
    return len(list(ids))


def end_sessions(session: Session, email: str) -> None:
    """Log out everywhere: every token issued to ``email`` so far stops working."""
    session.execute(
        update(User)
        .where(User.email == normalize_email(email))
        .values(token_version=User.token_version + 1)
    )
