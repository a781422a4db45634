"""ASGI middleware: request-size limit, security headers and Prometheus metrics."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ariadne_api.errors import error_body
from ariadne_core.logs import REQUEST_ID, get_logger, info_enabled


class BodySizeLimit:
    """Reject bodies larger than ``max_bytes`` with 413, before the app reads them."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}  # path prefix -> its own limit (file uploads)

    def _limit(self, path: str) -> int:
        for prefix, limit in self.overrides.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(send, limit)
            return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(send, limit)

    async def _reject(self, send: Send, limit: int) -> None:
        import json

        body = json.dumps(
            error_body(
                "PAYLOAD_TOO_LARGE",
                f"The request body is larger than the limit of {limit} bytes. Split the "
                "file into smaller files, or ask an administrator to raise the limit.",
                {"max_bytes": limit},
            )
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class Metrics:
    """Counts requests and their latency per route template."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "ariadne_http_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "ariadne_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 500}

        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)  # type: ignore[arg-type]

        try:
            await self.app(scope, receive, record)  # type: ignore[arg-type]
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            self.requests.labels(scope["method"], template, str(status["code"])).inc()
            self.latency.labels(scope["method"], template).observe(time.perf_counter() - start)


# JSON answers never render; the API documentation pages load Swagger UI and ReDoc from
# their CDN and run one inline script.
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    b"https://cdn.redoc.ly; worker-src blob:; connect-src 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
# The explorer (ariadne_api/explorer.py): its own scripts and styles, and the API.
EXPLORER_CSP = (
    b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
API_HEADERS = (*_COMMON_HEADERS, (b"content-security-policy", API_CSP))
DOCS_HEADERS = (*_COMMON_HEADERS, (b"content-security-policy", DOCS_CSP))
EXPLORER_HEADERS = (*_COMMON_HEADERS, (b"content-security-policy", EXPLORER_CSP))


def _add_headers(message: Message, extra: tuple[tuple[bytes, bytes], ...]) -> Message:
    """The response start ``message`` with ``extra`` headers; other messages as they are."""
    if message["type"] != "http.response.start":
        return message
    return {**message, "headers": [*message.get("headers", []), *extra]}


class SecurityHeaders:
    """Headers every answer carries: no MIME sniffing, no referrer, no framing, and a
    content security policy (a restrictive one; the documentation pages get theirs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith(DOCS_PATHS):
            extra = DOCS_HEADERS
        elif path == "/" or path.startswith("/assets/"):
            extra = EXPLORER_HEADERS
        else:
            extra = API_HEADERS

        async def with_headers(message: Message) -> None:
            await send(_add_headers(message, extra))

        await self.app(scope, receive, with_headers)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
request_log = get_logger("ariadne.request")


class RequestLog:
    """A request id for every request (the caller's X-Request-ID when it is a plain token
    of up to 64 characters, else a new one), bound to every log line written while the
    request runs and sent back as X-Request-ID; then one `request` line with the user,
    the route, the status and the duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})
        bound = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = {"code": 500}

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(_add_headers(message, ((b"x-request-id", request_id.encode()),)))

        try:
            await self.app(scope, receive, with_id)
        finally:
            if info_enabled():
                route = scope.get("route")
                request_log.info(
                    "request",
                    method=scope["method"],
                    route=getattr(route, "path", None) or "unmatched",
                    status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    user=scope["state"].get("user"),
                )
            REQUEST_ID.reset(bound)
