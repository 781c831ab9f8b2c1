"""A test client that holds the app to its OpenAPI document: every answer a test gets is
checked against the operation's documented responses, so the document cannot leave out
a problem (status and ``code``) or a success status the service really gives."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from litestar.testing import TestClient

from tests.api.openapi import METHODS, resolve

PROBLEM_JSON = "application/problem+json"


@dataclass
class Documented:
    """The document's operations, found by method and path."""

    doc: dict[str, Any]
    _paths: list[tuple[re.Pattern[str], str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for template in self.doc["paths"]:
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
            self._paths.append((re.compile(f"^{pattern}$"), template))
        # A literal segment wins over a parameter (/v1/reviews/queue over /{review_id}).
        self._paths.sort(key=lambda item: item[1].count("{"))

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self._paths:
            if pattern.match(path):
                spec = self.doc["paths"][template].get(method.lower())
                return (f"{method.upper()} {template}", spec) if spec else None
        return None

    def codes(self, spec: dict[str, Any], status: int) -> set[str] | None:
        """The codes documented for a problem of this status, None if it is not one."""
        media = spec.get("responses", {}).get(str(status), {}).get("content", {})
        if PROBLEM_JSON not in media:
            return None
        schema = resolve(self.doc, media[PROBLEM_JSON]["schema"])
        found: set[str] = set()
        for part in schema.get("allOf", [schema]):
            found |= set(
                resolve(self.doc, part).get("properties", {}).get("code", {}).get("enum", [])
            )
        return found

    def fault(self, method: str, url: str, response: httpx.Response) -> str | None:
        """What the document fails to say about this answer, if anything."""
        if method.lower() not in METHODS:
            return None
        found = self.operation(method, urlsplit(url).path)
        if found is None:
            return None  # not an operation of the document (a wrong path or method)
        key, spec = found
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        if content_type.startswith(PROBLEM_JSON):
            code = response.json().get("code")
            documented = self.codes(spec, status)
            if documented is None:
                return f"{key}: {status} {code} is not documented"
            if code not in documented:
                return f"{key}: {status} documents {sorted(documented)}, not {code!r}"
        elif 200 <= status < 300 and str(status) not in spec.get("responses", {}):
            return f"{key}: {status} is not documented"
        return None


class DocumentedClient(TestClient[Any]):
    """:class:`TestClient` failing the test on an answer its operation does not document."""

    _documented: Documented | None = None

    def __init__(self, *args: Any, strict: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.strict = strict
        """Off: the caller checks each answer itself (:meth:`Documented.fault`)."""

    def request(self, method: str, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        response = super().request(method, url, **kwargs)
        documented = self.documented()
        if self.strict and documented is not None and not str(url).startswith("/schema"):
            fault = documented.fault(method, str(url), response)
            assert fault is None, fault
        return response

    def documented(self) -> Documented | None:
        if self._documented is None:
            answer = super().request("GET", "/schema/openapi.json")
            if answer.status_code != 200:
                return None
            self._documented = Documented(answer.json())
        return self._documented
