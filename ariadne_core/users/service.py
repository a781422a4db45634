"""Create users and authenticate them; shared by the API, the CLI and `ariadne run`."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.config import Settings
from ariadne_core.db.models import User, UserRole
from ariadne_core.errors import AuthenticationFailed, Conflict, ValidationFailed
from ariadne_core.security.passwords import hash_password, verify_password
from ariadne_core.security.tokens import IssuedToken, issue_token

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Compared against when the user is unknown, so both paths take the same time.
_DUMMY_HASH = hash_password("not-a-real-password")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session, *, email: str, password: str, role: UserRole, full_name: str | None = None
) -> User:
    email = normalize_email(email)
    if not _EMAIL.match(email):
        raise ValidationFailed(
            f"'{email}' is not an e-mail address.", details={"field": "email", "value": email}
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            details={"field": "password"},
        )
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


def authenticate(session: Session, settings: Settings, *, email: str, password: str) -> IssuedToken:
    user = find_user(session, email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        ok = False
    else:
        ok = user.is_active and verify_password(user.password_hash, password)
    if not ok or user is None:
        raise AuthenticationFailed("The e-mail or password is wrong.")
    return issue_token(settings, subject=user.email, role=user.role.value)
