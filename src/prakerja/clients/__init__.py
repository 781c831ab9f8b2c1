"""Clients of the external government services, each behind a small Protocol (its port).

Workers depend on the Protocols; production wires the ``Http*`` clients (one per
service per process), unit tests the in-memory fakes of :mod:`prakerja.clients.fakes`.
"""

from prakerja.clients.breaker import BreakerState
from prakerja.clients.civil_registry import (
    CivilRegistry,
    FieldMatches,
    HttpCivilRegistry,
    IdentityCheck,
    IdentityClaim,
)
from prakerja.clients.config import ClientConfig
from prakerja.clients.education import (
    EducationLevel,
    EducationRegistry,
    Enrollment,
    HttpEducationRegistry,
)
from prakerja.clients.email import DeliveryStatus, EmailReceipt, EmailService, HttpEmailService
from prakerja.clients.errors import (
    CircuitOpen,
    ServiceContractError,
    ServiceError,
    TransientServiceFault,
)
from prakerja.clients.exclusions import ExclusionCheck, ExclusionRegistry, HttpExclusionRegistry
from prakerja.clients.sms import HttpSmsGateway, SmsGateway, SmsReceipt
from prakerja.clients.transport import breaker_states

__all__ = [
    "BreakerState",
    "CircuitOpen",
    "CivilRegistry",
    "ClientConfig",
    "DeliveryStatus",
    "EducationLevel",
    "EducationRegistry",
    "EmailReceipt",
    "EmailService",
    "Enrollment",
    "ExclusionCheck",
    "ExclusionRegistry",
    "FieldMatches",
    "HttpCivilRegistry",
    "HttpEducationRegistry",
    "HttpEmailService",
    "HttpExclusionRegistry",
    "HttpSmsGateway",
    "IdentityCheck",
    "IdentityClaim",
    "ServiceContractError",
    "ServiceError",
    "SmsGateway",
    "SmsReceipt",
    "TransientServiceFault",
    "breaker_states",
]
