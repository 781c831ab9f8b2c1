"""Walking the app's own OpenAPI document: its operations and what a request may carry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method.upper()} {self.path}"

    def parameters(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == where]

    def body_schema(self) -> dict[str, Any] | None:
        """The schema of the body, in the (first) media type the operation takes."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return next((media["schema"] for media in content.values()), None)

    def body_media_types(self) -> list[str]:
        return list(self.spec.get("requestBody", {}).get("content", {}))


def operations(doc: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method, path, spec)
        for path, item in doc["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, name = schema["$ref"].split("/")
        schema = doc["components"]["schemas"][name]
    return schema


def _is_bounded(schema: dict[str, Any]) -> bool:
    low = "minimum" in schema or "exclusiveMinimum" in schema
    high = "maximum" in schema or "exclusiveMaximum" in schema
    return low and high


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def unbounded_integers(
    doc: dict[str, Any], schema: dict[str, Any], where: str, bounded: bool = False
) -> Iterator[str]:
    """Where an integer in ``schema`` has no minimum and maximum (bounds beside a
    ``oneOf`` of integer and null, as Litestar writes optional parameters, count)."""
    schema = resolve(doc, schema)
    bounded = bounded or _is_bounded(schema)
    if "integer" in _types(schema) and not bounded:
        yield where
    for name, child in schema.get("properties", {}).items():
        yield from unbounded_integers(doc, child, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from unbounded_integers(doc, schema[key], f"{where}[]")
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            yield from unbounded_integers(doc, child, where, bounded)


def strings(
    doc: dict[str, Any], schema: dict[str, Any], where: str, outer: dict[str, Any] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every free-text string in ``schema`` (no enum, const or format), with the
    constraints that apply to it (those beside a ``oneOf``, as Litestar writes an optional
    parameter, included)."""
    schema = resolve(doc, schema)
    merged = {**(outer or {}), **schema}
    free = not any(key in merged for key in ("enum", "const", "format"))
    if "string" in _types(schema) and free:
        yield where, merged
    for name, child in schema.get("properties", {}).items():
        yield from strings(doc, child, f"{where}.{name}")
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from strings(doc, schema[key], f"{where}[{key}]")
    for key in ("oneOf", "anyOf", "allOf"):
        for child in schema.get(key, []):
            yield from strings(doc, child, where, merged)


def request_schemas(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each parameter's and each JSON body's schema, named by operation and place."""
    for operation in operations(doc):
        for parameter in operation.spec.get("parameters", []):
            yield f"{operation.key} {parameter['in']} {parameter['name']}", parameter["schema"]
        if (body := operation.body_schema()) is not None:
            yield f"{operation.key} body", body
