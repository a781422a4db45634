"""Signed JWT access tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from ariadne_core.config import Settings
from ariadne_core.errors import AuthenticationFailed, ConfigurationError


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    role: str


def signing_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept under ARIADNE_HOME."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.home) / "jwt-secret"
    try:
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot keep the token secret in {path} ({exc.strerror}). "
            "Set ARIADNE_JWT_SECRET, or point ARIADNE_HOME at a writable directory."
        ) from None


def issue_token(settings: Settings, *, subject: str, role: str) -> IssuedToken:
    lifetime = settings.access_token_expire_minutes * 60
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
    }
    token = jwt.encode(claims, signing_secret(settings), algorithm=settings.jwt_algorithm)
    return IssuedToken(access_token=token, expires_in=lifetime)


def decode_token(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            signing_secret(settings),
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Your session has expired. Log in again.") from None
    except jwt.PyJWTError:
        raise AuthenticationFailed("The access token is not valid. Log in again.") from None
    return TokenClaims(subject=str(claims["sub"]), role=str(claims["role"]))
