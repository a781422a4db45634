"""Signed JWT access tokens."""

from __future__ import annotations

import secrets
import time
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


# Secrets read from ARIADNE_HOME, by path: read once per process, not on every request.
_SECRET_FILES: dict[Path, str] = {}
# Tokens whose signature was checked, with their claims and expiry: the HMAC check and
# the parsing cost more than the rest of a cached read, and a token is sent many times.
_VERIFIED: dict[tuple[str, str], tuple[TokenClaims, float]] = {}
_VERIFIED_MAX = 4096


def signing_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept under ARIADNE_HOME."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = Path(settings.home) / "jwt-secret"
    if path in _SECRET_FILES:
        return _SECRET_FILES[path]
    try:
        if path.exists():
            _SECRET_FILES[path] = path.read_text().strip()
            return _SECRET_FILES[path]
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
    """Check the signature and expiry; a token checked before is only checked for expiry."""
    key = (signing_secret(settings), token)
    known = _VERIFIED.get(key)
    if known is not None:
        if time.time() < known[1]:
            return known[0]
        _VERIFIED.pop(key, None)
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
    result = TokenClaims(subject=str(claims["sub"]), role=str(claims["role"]))
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (result, float(claims["exp"]))
    return result
