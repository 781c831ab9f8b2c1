"""structlog set-up: JSON in production, readable in development, personal data masked."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from prakerja.settings import Settings

_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(\+?62|0)8\d{6,10}(\d{2})(?!\d)")
# An address the service accepts has a dotted domain ending in a letter (email-validator
# refuses others), so ``funnel@3``, a read model's name and version, is not one.
_EMAIL = re.compile(r"(?<![\w.%+\-])([\w.%+\-])[\w.%+\-]*@((?:[\w\-]+\.)+[\w\-]*[^\W\d_])")
_SENSITIVE_KEYS = frozenset(
    {
        "nik",
        "kk_number",
        "full_name",
        "name",
        "birth_date",
        "mother_maiden_name",
        "phone",
        "password",
        "token",
        "code",
        "photo",
        "selfie",
        "email",
        "authorization",
    }
)


def mask_text(text: str) -> str:
    """Mask NIK-like numbers, phone numbers and email addresses inside free text."""
    text = _NIK.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1*******\2", text)
    return _EMAIL.sub(r"\1***@\2", text)


def mask_personal_data(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Last line of defence: whatever a caller logs, personal data leaves masked."""
    for key, value in list(event_dict.items()):
        if key in _SENSITIVE_KEYS and value is not None:
            event_dict[key] = "[masked]"
        elif isinstance(value, str):
            event_dict[key] = mask_text(value)
        elif isinstance(value, bytes):
            event_dict[key] = f"<{len(value)} bytes>"
    return event_dict


def configure_logging(settings: Settings) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.resolved_log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=max(level, logging.WARNING),
        stream=sys.stderr,
        format="%(levelname)s %(name)s %(message)s",
    )
    # One line per outgoing request (URL included) at INFO: where a host program such as
    # dramatiq's CLI has already set the root logger to INFO, basicConfig above changes
    # nothing, so the clients' own loggers are held at WARNING here.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
