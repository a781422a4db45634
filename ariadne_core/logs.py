"""Structured logs (structlog): JSON lines in production, readable lines in development.

Every line of a request carries its `request_id` (also sent back as `X-Request-ID`); the
API writes one `request` line per request with the user, route, status and duration.
Standard-library loggers (ours, uvicorn's, SQLAlchemy's) go through the same processors.

Secrets never reach a log: values under secret-looking keys are replaced, and bearer
tokens, JWTs and passwords inside URLs are masked in every message, whoever wrote it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from ariadne_core.config import Settings

REDACTED = "[redacted]"
SECRET_KEYS = re.compile(
    r"(password|passwd|secret|token|authorization|api_key|apikey|cookie|credential)", re.I
)
_PATTERNS = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1" + REDACTED),
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)((?:password|pwd|secret|token)\s*[=:]\s*)[^\s,;&'\"]+"), r"\1" + REDACTED),
)


def scrub(text: str) -> str:
    """``text`` with bearer tokens, JWTs and URL or key=value passwords masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key != "event" and SECRET_KEYS.search(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = scrub(value)
    return event


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Route structlog and the standard library through one set of processors."""
    json_lines = settings.log_format == "json" or (
        settings.log_format == "auto" and not (stream or sys.stderr).isatty()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,  # tracebacks too
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_ariadne", False):
            root.removeHandler(old)
    handler._ariadne = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
