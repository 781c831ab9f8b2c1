"""The OpenAPI document tells the truth about errors, examples and security.

Each operation documents its problem responses as ``application/problem+json`` with the
one shared schema and its codes as an enum (what the service really answers is checked
by :class:`tests.api.documented.DocumentedClient`, which every API test uses); no code is
documented that the source cannot give; security follows the role table."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

import prakerja
from prakerja.api.endpoints_doc import endpoints
from prakerja.api.limits import limits_of
from prakerja.api.problems import PROBLEM_JSON, domain_status
from prakerja.domain.errors import DomainError
from prakerja.security.counters import LimitExceeded
from tests.api.openapi import operations, resolve

SOURCE = Path(prakerja.__file__).parent
BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]


@pytest.fixture
def doc(client: TestClient[Any]) -> dict[str, Any]:
    answer = client.get("/schema/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def problem_responses(spec: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(s): r for s, r in spec["responses"].items() if int(s) >= 400}


def enum_of(doc: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    (shared, codes) = schema["allOf"]
    assert shared == {"$ref": "#/components/schemas/ProblemDetails"}
    enum: list[str] = resolve(doc, codes)["properties"]["code"]["enum"]
    return enum


def test_every_problem_response_is_problem_json_with_the_shared_schema(
    doc: dict[str, Any],
) -> None:
    for operation in operations(doc):
        for status, response in problem_responses(operation.spec).items():
            where = f"{operation.key} {status}"
            assert list(response["content"]) == [PROBLEM_JSON], where
            media = response["content"][PROBLEM_JSON]
            codes = enum_of(doc, media["schema"])
            assert codes == sorted(set(codes)) and codes, where
            examples = list(media["examples"].values())
            assert [e["summary"] for e in examples] == codes, f"{where}: one example per code"
            for code, example in zip(codes, examples, strict=True):
                assert (example["value"]["status"], example["value"]["code"]) == (status, code)


def test_litestar_default_error_body_is_gone(doc: dict[str, Any]) -> None:
    """Its 400 schema (``status_code``, ``detail``, ``extra``) is nowhere in the document."""
    for name, schema in doc["components"]["schemas"].items():
        assert "status_code" not in schema.get("properties", {}), name
    for operation in operations(doc):
        for status, response in problem_responses(operation.spec).items():
            schema = str(response["content"][PROBLEM_JSON]["schema"])
            assert "status_code" not in schema, f"{operation.key} {status}"


def test_the_shared_schema_has_rfc_9457_members_and_the_code(doc: dict[str, Any]) -> None:
    schema = doc["components"]["schemas"]["ProblemDetails"]
    assert {"type", "title", "status", "detail", "instance", "code"} <= set(schema["required"])
    assert {"errors", "retry_after", "limit", "service"} <= set(schema["properties"])


def test_the_route_shape_is_documented(client: TestClient[Any], doc: dict[str, Any]) -> None:
    """Guarded routes document 401 and 403, rate-limited ones 429, typed paths 404."""
    for endpoint in endpoints(client.app):
        spec = doc["paths"][endpoint.path][endpoint.method.lower()]
        problems = {
            s: set(enum_of(doc, r["content"][PROBLEM_JSON]["schema"]))
            for s, r in problem_responses(spec).items()
        }
        key = f"{endpoint.method} {endpoint.path}"
        if not endpoint.is_public:
            assert "unauthorized" in problems[401] and "forbidden" in problems[403], key
        if limits_of(key):
            assert "rate_limited" in problems[429], key
        if ":" in endpoint.template:
            assert "not_found" in problems[404], key


def test_security_follows_the_role_table(client: TestClient[Any], doc: dict[str, Any]) -> None:
    assert doc["security"] == BEARER
    assert doc["components"]["securitySchemes"]["BearerToken"]["type"] == "http"
    for endpoint in endpoints(client.app):
        spec = doc["paths"][endpoint.path][endpoint.method.lower()]
        effective = spec.get("security", doc["security"])
        key = f"{endpoint.method} {endpoint.path}"
        assert effective == ([] if endpoint.is_public else BEARER), key


def test_every_operation_has_examples(doc: dict[str, Any]) -> None:
    def has_example(schema: dict[str, Any]) -> bool:
        schema = resolve(doc, schema)
        fields = schema.get("properties", {}).values()
        if fields and all(resolve(doc, f).get("format") == "binary" for f in fields):
            return True  # a form of files: nothing to show but a file
        if "enum" in schema or "const" in schema:
            return True  # its values are its examples
        fields = schema.get("properties", {})
        needed = [fields[name] for name in schema.get("required", []) if name in fields]
        if fields and all(map(has_example, needed)) and any(map(has_example, fields.values())):
            return True  # an example of each field it needs
        return bool(schema.get("examples")) or any(
            has_example(part) for part in schema.get("allOf", []) + schema.get("oneOf", [])
        )

    for operation in operations(doc):
        for media in operation.spec.get("requestBody", {}).get("content", {}).values():
            assert has_example(media["schema"]), f"{operation.key} request"
        for status, response in operation.spec["responses"].items():
            for media in response.get("content", {}).values():
                if media["schema"] == {"type": "string"}:
                    continue  # the bytes of a photo
                assert media.get("examples") or has_example(media["schema"]), (
                    f"{operation.key} {status}"
                )


def _codes_in_source() -> set[str]:
    """Every problem code the source can give: error classes' ``code``, ``code=`` given
    to an error, the code argument of a ``ProblemError`` and the HTTP fallbacks."""
    found: set[object] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "code" for t in node.targets
            ):
                found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
            if isinstance(node, ast.keyword) and node.arg == "code":
                found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant)}
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                "ProblemError",
                "problem",
            ):
                found |= {node.args[1].value} if isinstance(node.args[1], ast.Constant) else set()
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
                if keys and all(isinstance(k, int) and 400 <= k < 600 for k in keys):
                    found |= {v.value for v in node.values if isinstance(v, ast.Constant)}
    # f"{kind}_taken" (prakerja.domain.uniqueness): one code per kind of unique key.
    from prakerja.domain.uniqueness import KeyKind

    return {c for c in found if isinstance(c, str)} | {f"{k.value}_taken" for k in KeyKind}


def test_no_documented_code_is_one_the_source_cannot_give(doc: dict[str, Any]) -> None:
    source = _codes_in_source()
    documented = {
        code
        for operation in operations(doc)
        for response in problem_responses(operation.spec).values()
        for code in enum_of(doc, response["content"][PROBLEM_JSON]["schema"])
    }
    assert documented - source == set()


def _domain_errors() -> list[type[DomainError]]:
    import prakerja.api.app  # noqa: F401 - imports every error class the API can meet

    found, todo = [], [DomainError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo.extend(kind.__subclasses__())
    return found


@pytest.mark.parametrize("kind", _domain_errors(), ids=lambda k: k.__name__)
def test_each_domain_error_answers_with_the_status_the_document_gives_it(
    client: TestClient[Any], kind: type[DomainError]
) -> None:
    """The documented status of a domain error (``domain_status``) is what its handler
    in the app answers."""

    @get("/raise")
    async def raising() -> None:
        if issubclass(kind, LimitExceeded):
            raise kind("refused", retry_after=1, limit="login_per_client")
        error = kind.__new__(kind)
        DomainError.__init__(error, "refused")
        raise error

    handlers = client.app.exception_handlers
    with TestClient[Any](app=Litestar([raising], exception_handlers=handlers)) as raw:
        answer = raw.get("/raise")
    assert answer.status_code == domain_status(kind)
    assert answer.json()["code"] == kind.code
