"""Domain errors raised by core services.

The API maps each one to the unified error body; the CLI prints its message as one line.
"""

from __future__ import annotations

from typing import Any


class AriadneError(Exception):
    """Base of every error a person is meant to read."""

    code = "ARIADNE_ERROR"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(AriadneError):
    code = "RESOURCE_NOT_FOUND"


class Conflict(AriadneError):
    code = "CONFLICT"


class ValidationFailed(AriadneError):
    code = "VALIDATION_FAILED"


class AuthenticationFailed(AriadneError):
    code = "AUTHENTICATION_FAILED"


class PermissionDenied(AriadneError):
    code = "PERMISSION_DENIED"


class ConfigurationError(AriadneError):
    """A setting is wrong: the message says which one and how to fix it."""

    code = "CONFIGURATION_ERROR"


class PayloadTooLarge(AriadneError):
    """An input is larger than a limit; the message names the limit."""

    code = "PAYLOAD_TOO_LARGE"


class LimitExceeded(ValidationFailed):
    """An input is too complex (nested, wide, repetitive) to be processed safely."""

    code = "LIMIT_EXCEEDED"


class ServiceUnavailable(AriadneError):
    code = "SERVICE_UNAVAILABLE"


class TooManyRequests(AriadneError):
    """A limit was reached; ``retry_after`` says in how many seconds to try again."""

    code = "TOO_MANY_REQUESTS"

    def __init__(
        self, message: str, *, retry_after: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details={**(details or {}), "retry_after_seconds": retry_after})
        self.retry_after = max(1, int(retry_after))
