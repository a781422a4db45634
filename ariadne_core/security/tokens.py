"""Signed JWT access tokens.

A token names its user (`sub`), the role it was issued for (`role`), the user's token
version (`ver`), who issued it and for whom (`iss`, `aud`), and when it expires (`exp`).
Every claim is required. The signature says the token is ours; the version says it is
still good: logging out, a role change and deactivation move the user's version, and the
API compares it on every request (`ariadne_core.users.sessions`).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from ariadne_core.config import Settings
from ariadne_core.errors import AuthenticationFailed, ConfigurationError
from ariadne_core.security.secret_files import read_or_create

MIN_SECRET_BYTES = 32
# Secrets that appear in examples, templates and older versions of our own files.
KNOWN_DEFAULT_SECRETS = frozenset(
    {
        "change-me-to-a-long-random-secret",
        "change-me",
        "changeme",
        "secret",
        "your-secret-key",
        "your-256-bit-secret",
        "supersecret",
        "ariadne",
        "test",
    }
)
REQUIRED_CLAIMS = ("sub", "role", "ver", "iss", "aud", "iat", "exp")
GENERATE_HINT = "generate one with `openssl rand -base64 48`"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    role: str
    version: int


# Secrets that passed `check_secret`, by where they come from (the configured value, or
# the file's path): read and checked once per process, not on every request.
_CHECKED: dict[str | Path, str] = {}
# Tokens whose signature was checked, with their claims and expiry: the HMAC check and
# the parsing cost more than the rest of a cached read, and a token is sent many times.
_VERIFIED: dict[tuple[str, str], tuple[TokenClaims, float]] = {}
_VERIFIED_MAX = 4096


def check_secret(secret: str, where: str) -> str:
    """Refuse a secret that is short or publicly known; ``where`` names its origin."""
    if secret.strip().lower() in KNOWN_DEFAULT_SECRETS:
        raise ConfigurationError(
            f"{where} is a published default, so anyone could sign tokens; {GENERATE_HINT}."
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{where} is {len(secret.encode())} bytes; it must have at least "
            f"{MIN_SECRET_BYTES}: {GENERATE_HINT}."
        )
    return secret


def signing_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept under ARIADNE_HOME."""
    origin: str | Path = settings.jwt_secret or Path(settings.home) / "jwt-secret"
    checked = _CHECKED.get(origin)
    if checked is None:
        if isinstance(origin, str):
            checked = check_secret(origin, "ARIADNE_JWT_SECRET")
        else:
            text = read_or_create(origin, lambda: secrets.token_urlsafe(48)).strip()
            checked = check_secret(text, str(origin))
        _CHECKED[origin] = checked
    return checked


def issue_token(settings: Settings, *, subject: str, role: str, version: int = 1) -> IssuedToken:
    lifetime = settings.access_token_expire_minutes * 60
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role,
        "ver": version,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
    }
    token = jwt.encode(claims, signing_secret(settings), algorithm=settings.jwt_algorithm)
    return IssuedToken(access_token=token, expires_in=lifetime)


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """Check the signature, issuer, audience and expiry; a token checked before is only
    checked for expiry."""
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
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            options={"require": list(REQUIRED_CLAIMS)},
        )
        result = TokenClaims(
            subject=_text(claims["sub"]), role=_text(claims["role"]), version=_int(claims["ver"])
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("Your session has expired. Log in again.") from None
    except (jwt.PyJWTError, ValueError):
        raise AuthenticationFailed("The access token is not valid. Log in again.") from None
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = (result, float(claims["exp"]))
    return result


def check_metrics_access(settings: Settings, authorization: str | None) -> None:
    """/metrics is open unless ARIADNE_METRICS_TOKEN is set; then it needs that token."""
    expected = settings.metrics_token
    if not expected:
        return
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), expected):
        raise AuthenticationFailed(
            "/metrics needs the metrics token: send 'Authorization: Bearer <token>' "
            "(ARIADNE_METRICS_TOKEN)."
        )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("claim must be a non-empty string")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("claim must be an integer")
    return value
