"""Map domain errors, HTTP errors and request-validation errors to the unified body."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ariadne_core.errors import (
    AriadneError,
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    TooManyRequests,
    ValidationFailed,
)

log = logging.getLogger("ariadne.api")

STATUS_FOR: dict[type[AriadneError], int] = {
    NotFound: 404,
    Conflict: 409,
    ValidationFailed: 422,
    AuthenticationFailed: 401,
    PermissionDenied: 403,
    ServiceUnavailable: 503,
    PayloadTooLarge: 413,
    TooManyRequests: 429,
    ConfigurationError: 500,
}

HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "AUTHENTICATION_FAILED",
    403: "PERMISSION_DENIED",
    404: "RESOURCE_NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_FAILED",
    429: "TOO_MANY_REQUESTS",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _status_for(exc: AriadneError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_FOR:
            return STATUS_FOR[cls]  # type: ignore[index]
    return 400


def _describe_location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AriadneError)
    status = _status_for(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status, exc.code, exc.message, exc.details, headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        where = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
        raw = err.get("input")
        not_json = err.get("type") == "json_invalid" or isinstance(raw, bytes | bytearray)
        problem: dict[str, Any] = {
            "location": loc[0] if loc else "body",
            "field": "body" if not_json else _describe_location(where),
            "message": "The request body is not valid JSON; send a JSON object."
            if not_json
            else err.get("msg", "invalid value"),
        }
        if isinstance(raw, str | int | float | bool) and not not_json:
            problem["value"] = raw
        problems.append(problem)
    first = problems[0] if problems else {"field": "body", "message": "invalid request"}
    message = f"{first['field']}: {first['message']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return error_response(422, "VALIDATION_FAILED", message, {"errors": problems})


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").capitalize()
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _database_rejected_value(_: Request, exc: Exception) -> JSONResponse:
    """Values that pass the request schema but not PostgreSQL (NUL characters, overflows)."""
    original = getattr(exc, "orig", None)
    reason = str(original or exc).strip().splitlines()[0] if str(original or exc).strip() else ""
    if "NUL" in reason or "0x00" in reason:
        message = "Text values cannot contain the NUL character (\\u0000). Remove it and try again."
    else:
        message = f"A value was not accepted by the database: {reason}. Check the request values."
    return error_response(422, "VALIDATION_FAILED", message)


async def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    """The database did not answer (down, restarting, or no connection free in time)."""
    log.warning("database unavailable: %s", str(exc).strip().splitlines()[:1])
    return error_response(
        503,
        "SERVICE_UNAVAILABLE",
        "The database is not answering right now. Try again in a moment; if it persists, "
        "check /readyz and the database server.",
    )


async def _constraint_violation(_: Request, exc: Exception) -> JSONResponse:
    """A concurrent write got there first: the checks in core passed, the constraint did not."""
    original = getattr(exc, "orig", None)
    constraint = getattr(getattr(original, "diag", None), "constraint_name", None)
    return error_response(
        409,
        "CONFLICT",
        "The change conflicts with data saved at the same moment. Reload and try again.",
        {"constraint": constraint} if constraint else None,
    )


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(
        500, "INTERNAL_ERROR", "Something went wrong on our side. The error has been logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AriadneError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _database_rejected_value)
    app.add_exception_handler(psycopg.DataError, _database_rejected_value)  # plain-SQL reads
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(IntegrityError, _constraint_violation)
    app.add_exception_handler(Exception, _unexpected_error)
