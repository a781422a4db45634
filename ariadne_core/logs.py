"""Structured logs (structlog): JSON lines in production, readable lines in development.

Every line of a request carries its `request_id` (also sent back as `X-Request-ID`); the
API writes one `request` line per request with the user, route, status and duration.
Standard-library loggers (ours, uvicorn's, SQLAlchemy's) go through the same processors.

Secrets never reach a log: values under secret-looking keys are replaced, and bearer
tokens, JWTs and passwords inside URLs are masked in every message, whoever wrote it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

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


# One search says whether any pattern can match: most values (routes, ids, times) have
# none of these, and a log line is written for every request.
_TRIGGER = re.compile(r"(?i)bearer|eyJ|@|password|pwd|secret|token")
# Keys seen so far -> whether their value is a secret (keys repeat: cache the answer).
_SECRET_KEY: dict[str, bool] = {}


def scrub(text: str) -> str:
    """``text`` with bearer tokens, JWTs and URL or key=value passwords masked."""
    if _TRIGGER.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _is_secret_key(key: str) -> bool:
    known = _SECRET_KEY.get(key)
    if known is None:
        known = key != "event" and SECRET_KEYS.search(key) is not None
        if len(_SECRET_KEY) < 10_000:
            _SECRET_KEY[key] = known
    return known


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if _is_secret_key(key):
            event[key] = REDACTED
        elif type(value) is str:
            event[key] = scrub(value)
    return event


class _Sink:
    """Where every line goes (stderr unless told otherwise): one write per line, under one
    lock, for structlog's own loggers and the standard library's alike."""

    def __init__(self) -> None:
        self.target: Any = sys.stderr
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.target.write(text)

    def flush(self) -> None:
        self.target.flush()


_SINK = _Sink()


# The request id of the request being served, added to every line written meanwhile.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ariadne_request_id", default=None
)
_STATE = {"version": 0, "info": True}


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def info_enabled() -> bool:
    """Are info lines written? (the per-request line is skipped, not built, otherwise)"""
    return bool(_STATE["info"])


def configure_logging(settings: Settings, *, stream: Any = None) -> None:
    """Our loggers (structlog) render their lines themselves and write them to the sink:
    below the level a call is a no-op, above it there is no LogRecord and no second pass.
    The standard library's loggers (uvicorn, SQLAlchemy, libraries) go through the same
    processors by a handler on the root logger."""
    _SINK.target = stream or sys.stderr
    level = logging.getLevelNamesMapping()[settings.log_level]
    _STATE["version"] += 1
    _STATE["info"] = level <= logging.INFO
    json_lines = settings.log_format == "json" or (
        settings.log_format == "auto" and not _SINK.target.isatty()
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            _add_request_id,
            structlog.processors.add_log_level,
            stamp,
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _SINK)),
        cache_logger_on_first_use=False,  # reconfiguring (tests, a second app) takes effect
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            _add_request_id,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            stamp,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redact,  # tracebacks too
            renderer,
        ],
    )
    handler = logging.StreamHandler(_SINK)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_ariadne", False):
            root.removeHandler(old)
    handler._ariadne = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)


class _NamedLogger:
    """A structlog logger that names itself in each line (`logger`); rebuilt after each
    `configure_logging`, so a reconfiguration (a test, a second app) takes effect."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._built: tuple[int, Any] = (-1, None)

    def __getattr__(self, level: str) -> Any:
        version, bound = self._built
        if version != _STATE["version"]:
            bound = structlog.get_logger().bind(logger=self._name)
            self._built = (_STATE["version"], bound)
        return getattr(bound, level)


def get_logger(name: str) -> Any:
    return _NamedLogger(name)
