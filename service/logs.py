"""Logging: one line per event, JSON by default, on standard output.

    {"ts": "2026-11-02T10:00:00.123Z", "level": "info", "logger": "optiscope.access", "msg": "request",
     "request_id": "3f2c...", "method": "POST", "path": "/simulate", "route": "/simulate", "status": 200,
     "duration_ms": 3.41}

Structured fields travel in the record's `fields` extra. `logging_config()` is handed to uvicorn, so its
own messages (startup, shutdown, errors) come out in the same format.
"""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

ACCESS = "optiscope.access"
# The request being served, set by the telemetry middleware; every log line written meanwhile carries it.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if (request_id := request_id_var.get()) is not None:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        if (request_id := request_id_var.get()) is not None:
            fields = {"request_id": request_id, **fields}
        line = f"{_timestamp(record)} {record.levelname:<8} {record.name}: {record.getMessage()}"
        if fields:
            line += " " + " ".join(f"{key}={_text_value(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _text_value(value: Any) -> str:
    """A field as logfmt writes it: bare when it is one plain word, else quoted with JSON's escapes, so that a
    client's path (decoded: it may hold a newline) cannot start a forged line or field."""
    text = str(value)
    if text and text.isprintable() and not any(char in text for char in ' "='):
        return text
    return json.dumps(text, ensure_ascii=False)


def logging_config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the server: ours and uvicorn's loggers, one format, stdout."""
    formatter = {"()": f"{__name__}.{'JsonFormatter' if fmt == 'json' else 'TextFormatter'}"}
    handler = {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stdout"}
    logger = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        # uvicorn's access log is off (`access_log=False`): the request line comes from our middleware.
        "loggers": {
            "optiscope": logger,
            "uvicorn": logger,
            "uvicorn.error": {"level": level.upper()},
            "py.warnings": logger,  # the app's lifespan captures Python's warnings
        },
    }
