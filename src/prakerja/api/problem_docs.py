"""What the OpenAPI document says about errors: each operation's problem responses.

Every problem leaves through :mod:`prakerja.api.problems`; this module tells clients which
ones each operation can give, as Litestar ``responses=`` (:class:`ResponseSpec`) with one
shared schema (:class:`ProblemDetails`) and, per operation and status, the ``code``
values listed as an enum. They come from two places:

- the route itself: a guarded route answers 401 and 403, one with parameters or a body
  400, one with a body 413, one in the rate-limit table 429 (:func:`structural`);
- what its application call can refuse, declared on the route with :func:`raises` from
  the domain's exception classes, so each code's status is the one the error map gives.

A test drives every operation (tests/api) and checks that each problem it is answered is
documented for that operation with that code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any

from litestar import Litestar
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import BodyKwarg
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition
from polyfactory.factories.pydantic_factory import ModelFactory
from pydantic import BaseModel, ConfigDict, Field

from prakerja.api.auth import PUBLIC
from prakerja.api.limits import limits_of
from prakerja.api.problems import PROBLEM_JSON, domain_status
from prakerja.domain.errors import DomainError

_TITLES = {
    400: "The request is malformed",
    401: "No valid credentials",
    403: "Not allowed for this caller",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Too large",
    415: "Unsupported content",
    422: "Refused by a rule",
    429: "Too many attempts",
    502: "An external service broke its contract",
    503: "A service this depends on is not answering",
}


class RefusedField(BaseModel):
    """One refused field of a request (``errors`` of a 400)."""

    key: str | None = Field(default=None, description="the field or parameter")
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, with the service's stable machine-readable ``code``.

    Members beyond these may be added (RFC 9457 extension members); clients ignore what
    they do not know."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://prakerja.example/problems/<code>")
    title: str
    status: int = Field(ge=400, le=599)
    code: str = Field(description="stable; the operation's response lists those it gives")
    detail: str = Field(description="for people; not to be parsed")
    instance: str = Field(description="the path the problem is about")
    errors: list[RefusedField] | None = Field(
        default=None, description="each refused field (invalid_request, invalid_json)"
    )
    retry_after: int | None = Field(
        default=None, description="seconds to wait before trying again (also Retry-After)"
    )
    limit: str | None = Field(default=None, description="the rate limit reached (rate_limited)")
    service: str | None = Field(
        default=None, description="the external service concerned (502, 503)"
    )
    log_head: int | None = Field(
        default=None, description="where the event log ends (position_not_in_log)"
    )
    stage: str | None = Field(default=None, description="the check that closed the case")
    holder: str | None = Field(default=None, description="the reviewer holding the case")
    length: int | None = Field(default=None, description="the digits given (nik_malformed)")
    minimum_age: int | None = Field(default=None, description="in years (under_minimum_age)")


@dataclass(frozen=True, order=True)
class Problem:
    """A problem response an operation can give: its status and ``code``."""

    status: int
    code: str


def domain(kind: type[DomainError], *codes: str) -> tuple[Problem, ...]:
    """The problems an error of this kind answers as: its class's code, or those given
    (the domain raises the generic kinds with a code of their own)."""
    status = domain_status(kind)
    return tuple(Problem(status, code) for code in (codes or (kind.code,)))


def raises(*problems: Problem | Iterable[Problem]) -> dict[str, Any]:
    """Handler ``opt`` declaring what the route's application call can refuse."""
    found: set[Problem] = set()
    for item in problems:
        found.update([item] if isinstance(item, Problem) else item)
    return {"problems": frozenset(found)}


def structural(route: HTTPRoute, handler: HTTPRouteHandler, method: str) -> set[Problem]:
    """The problems the route's shape gives: its guard, its inputs, its rate limits."""
    found: set[Problem] = set()
    if handler.opt.get("roles") != PUBLIC:
        found |= {Problem(401, "unauthorized"), Problem(403, "forbidden")}
    if _TYPED_PARAM.search(route.path):
        found.add(Problem(404, "not_found"))  # a path parameter of the wrong kind matches no route
    signature = handler.parsed_fn_signature.parameters
    dependencies = handler.resolve_dependencies()
    inputs = [name for name in signature if name not in dependencies and name not in _RESERVED]
    if route.path_parameters or inputs:
        found.add(Problem(400, "invalid_request"))
    if "data" in signature or "body" in signature:
        found.add(Problem(413, "payload_too_large"))
    data = signature.get("data")
    if data is not None:
        kwarg = data.kwarg_definition
        multipart = (
            isinstance(kwarg, BodyKwarg) and kwarg.media_type == RequestEncodingType.MULTI_PART
        )
        found.add(Problem(400, "bad_request" if multipart else "invalid_json"))
    if limits_of(f"{method} {_template(route)}"):
        found.add(Problem(429, "rate_limited"))
    return found


_TYPED_PARAM = re.compile(r"\{(\w+):[^}]+\}")
_RESERVED = frozenset(
    {"request", "state", "scope", "headers", "cookies", "query", "body", "socket"}
)


def _template(route: HTTPRoute) -> str:
    """``/v1/applicants/{applicant_id:uuid}`` -> ``/v1/applicants/{applicant_id}``."""
    return "/".join(
        part.split(":")[0] + "}" if ":" in part else part for part in route.path.split("/")
    )


def problems_of(route: HTTPRoute, handler: HTTPRouteHandler, method: str) -> frozenset[Problem]:
    declared: frozenset[Problem] = handler.opt.get("problems", frozenset())
    return frozenset(structural(route, handler, method) | declared)


def document_operations(app: Litestar) -> None:
    """Give each of the app's operations its problem responses and, for a public one,
    ``security: []``, before the document is first built (Litestar builds it on the first
    request for it)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            methods = sorted(handler.http_methods - {"OPTIONS", "HEAD"})
            problems = frozenset().union(*(problems_of(route, handler, m) for m in methods))
            handler.responses = {
                **responses(problems),
                **success_example(handler),
                **(handler.responses or {}),
            }
            if handler.opt.get("roles") == PUBLIC:
                handler.operation_class = PublicOperation


@dataclass
class PublicOperation(Operation):
    """An operation callable without a token: its empty ``security`` overrides the
    document's default (the bearer token), as OpenAPI says."""

    def __post_init__(self) -> None:
        self.security = []


def success_example(handler: HTTPRouteHandler) -> dict[int, ResponseSpec]:
    """The success response with an example built from its model (valid by the model's
    own constraints: it is validated as it is built; the same every time)."""
    returned = handler.parsed_fn_signature.return_type
    items = returned.is_non_string_sequence
    candidates = [returned, *returned.inner_types]
    model = next(
        (c.annotation for c in candidates if c.is_subclass_of(BaseModel)),
        None,
    )
    if model is None:
        return {}
    built = ModelFactory.create_factory(model, __random_seed__=_EXAMPLE_SEED).build()
    value = built.model_dump(mode="json")
    status = handler.status_code
    return {
        status: ResponseSpec(
            data_container=list[model] if items else model,  # type: ignore[valid-type]
            description=HTTPStatus(status).phrase,
            generate_examples=False,
            examples=[Example(summary="An example", value=[value] if items else value)],
        )
    }


_EXAMPLE_SEED = 2020


def responses(problems: Iterable[Problem]) -> dict[int, ResponseSpec]:
    by_status: dict[int, list[str]] = {}
    for problem in sorted(problems):
        by_status.setdefault(problem.status, []).append(problem.code)
    return {
        status: ResponseSpec(
            data_container=problem_codes(tuple(codes)),
            description=f"{_TITLES.get(status, 'Problem')}: {', '.join(codes)}",
            media_type=PROBLEM_JSON,
            generate_examples=False,
            examples=[_example(status, code) for code in codes],
        )
        for status, codes in sorted(by_status.items())
    }


def _example(status: int, code: str) -> Example:
    value = {
        "type": f"https://prakerja.example/problems/{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "code": code,
        "detail": "What went wrong, for people.",
        "instance": "/v1/...",
    }
    if status == 429:
        value.update(retry_after=60, limit="login_per_client")
    if status == 503:
        value.update(retry_after=30)
    return Example(summary=code, value=value)


class ProblemCodes:
    """A problem-details body whose ``code`` is one of :attr:`codes` (a marker type)."""

    codes: tuple[str, ...] = ()


@cache
def problem_codes(codes: tuple[str, ...]) -> type[ProblemCodes]:
    return type("ProblemCodes", (ProblemCodes,), {"codes": codes})


class ProblemSchemaPlugin(OpenAPISchemaPlugin):
    """Writes a :class:`ProblemCodes` body as the shared schema with its codes as an enum:
    ``allOf: [ProblemDetails, {code: {enum: [...]}}]``."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, ProblemCodes)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        codes = list(field_definition.annotation.codes)
        shared = schema_creator.for_field_definition(
            FieldDefinition.from_annotation(ProblemDetails)
        )
        return Schema(
            all_of=[
                shared,
                Schema(
                    type=OpenAPIType.OBJECT,
                    required=["code"],
                    properties={"code": Schema(type=OpenAPIType.STRING, enum=codes)},
                ),
            ]
        )
