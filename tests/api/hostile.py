"""The table of hostile inputs, and the requests that carry them to each operation.

Every operation of the OpenAPI document gets: its baseline request (valid by the
document, so that a change of one field tests that field); each path and query
parameter replaced by each hostile value of its kind; each field of its JSON body,
at every depth, replaced the same way; whole bodies that cannot be decoded or are the
wrong kind; and hostile headers. A case says whether the service must refuse it (a
4xx problem) or may accept it (anything but a 5xx): a value the document allows, such
as a moment at the edge of the calendar, may be accepted.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from PIL import Image

from tests.api.openapi import Operation, resolve

TEXT = "hostile input test text"
DEEP = "[" * 10_000 + "]" * 10_000
MEGABYTE_TEXT = "x" * 1_000_000
"""Just inside the 1 MB body limit once quoted: the field's own maximum must refuse it."""
URL_TEXT = "x" * 10_000
"""Far past any maximum (and within what servers take in a request line: some 8 KiB to 64 KiB)."""


class Raw(str):
    """JSON text put into a body as it is: what ``json.dumps`` cannot write."""


@dataclass(frozen=True)
class Case:
    operation: str
    family: str
    label: str
    must_refuse: bool
    method: str
    url: str
    content: bytes | None = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    target: str = ""
    """The parameter or field the case is about (``path applicant_id``, ``body.email``)."""

    def describe(self) -> str:
        return f"{self.operation} [{self.family}] {self.target} {self.label}".strip()


def encode(value: Any) -> bytes:
    """JSON as bytes; :class:`Raw` parts are written as they are."""

    def write(item: Any) -> str:
        if isinstance(item, Raw):
            return str(item)
        if isinstance(item, dict):
            return "{" + ",".join(f"{json.dumps(k)}:{write(v)}" for k, v in item.items()) + "}"
        if isinstance(item, list):
            return "[" + ",".join(write(v) for v in item) + "]"
        return json.dumps(item, ensure_ascii=False)

    return write(value).encode("utf-8", "surrogatepass")


# ----------------------------------------------------------------- schemas


def flatten(doc: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema of the value (the non-null branch of a ``oneOf``/``anyOf``, with the
    constraints written beside it), and whether null is allowed too."""
    schema = resolve(doc, schema)
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if branches:
            real = [b for b in branches if resolve(doc, b).get("type") != "null"]
            nullable = len(real) < len(branches)
            outer = {k: v for k, v in schema.items() if k != key}
            inner, inner_nullable = flatten(doc, real[0])
            return {**inner, **outer}, nullable or inner_nullable
    kinds = schema.get("type")
    if isinstance(kinds, list):
        real_kinds = [k for k in kinds if k != "null"]
        return {**schema, "type": real_kinds[0]}, len(real_kinds) < len(kinds)
    return schema, False


def kind(schema: dict[str, Any]) -> str:
    if "enum" in schema or "const" in schema:
        return "enum"
    if schema.get("format") in ("uuid", "date", "date-time", "binary"):
        return str(schema["format"])
    if schema.get("type") == "object" or "properties" in schema:
        return "object"
    return str(schema.get("type", "any"))


SAMPLES = {
    r"^[a-z0-9_-]{1,50}$": "laid_off_workers",
    r"^[0-9a-f]{64}$": "0" * 64,
    r"^[0-9]{2}$": "32",
    r"^[0-9]{1,5}$": "1",
}
"""Valid values of the constrained strings whose pattern a generic text does not match."""


def example(doc: dict[str, Any], schema: dict[str, Any], applicant_id: uuid.UUID) -> Any:
    """A value the document accepts (a request's baseline)."""
    schema, _ = flatten(doc, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    found = kind(schema)
    if found == "enum":
        return schema["enum"][0] if "enum" in schema else schema["const"]
    if found == "uuid":
        return str(applicant_id)
    if found == "date":
        return "2020-04-11"
    if found == "date-time":
        return "2020-04-11T03:00:00+00:00"
    if found == "object":
        properties = schema.get("properties", {})
        required = schema.get("required", list(properties))
        return {name: example(doc, properties[name], applicant_id) for name in required}
    if found == "array":
        minimum = schema.get("minItems", 0)
        return [example(doc, schema["items"], applicant_id) for _ in range(minimum)]
    if found == "integer":
        return max(int(schema.get("minimum", 1)), 1) if schema.get("maximum", 1) >= 1 else 0
    if found == "number":
        return schema.get("minimum", 0.5)
    if found == "boolean":
        return False
    if found == "string":
        text = SAMPLES.get(schema.get("pattern", ""), TEXT)
        return (text * (1 + schema.get("minLength", 0) // len(text)))[: schema.get("maxLength")]
    return TEXT


# ----------------------------------------------------------------- values

Value = tuple[str, Any, bool]
"""A label, the value, and whether the service must refuse it."""


def _out_of_range(schema: dict[str, Any], number: float) -> bool:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    return (low is not None and number < low) or (high is not None and number > high)


def _refused_by_pattern(schema: dict[str, Any], text: str) -> bool:
    pattern = schema.get("pattern")
    return pattern is not None and re.fullmatch(pattern, text) is None


def parameter_values(schema: dict[str, Any]) -> list[Value]:
    """Hostile values of a path or query parameter, as text (bytes: not UTF-8)."""
    common: list[Value] = [
        ("NUL", "a\x00b", True),
        ("a control character", "a\x01b", True),
        ("an escape sequence", "\x1b[2J", True),
        ("10,000 characters", URL_TEXT, True),
    ]
    found = kind(schema)
    if found == "integer":
        return [
            *common,
            ("20 digits", "9" * 20, True),
            ("minus 20 digits", "-" + "9" * 20, True),
            ("5,000 digits", "9" * 5_000, True),
            ("-1", "-1", _out_of_range(schema, -1)),
            ("a word", "abc", True),
            ("a fraction", "1.5", True),
            ("hexadecimal", "0x10", True),
            # Litestar reads a path's integer with int(), which takes any script's digits:
            # the number they spell, within the same bounds.
            ("Arabic-Indic digits", "\u0661\u0662", False),
            ("not UTF-8", b"\xff\xfe", True),
        ]
    if found in ("uuid", "enum", "date"):
        dates: list[Value] = [
            ("month 13", "2020-13-45", True),
            ("year 99999", "99999-01-01", True),
            ("the last day", "9999-12-31", False),
        ]
        return [
            *common,
            ("a word", "abc", True),
            ("20 digits", "9" * 20, True),
            ("not UTF-8", b"\xff\xfe", True),
            *(dates if found == "date" else []),
        ]
    if found == "date-time":
        return [
            *common,
            ("a word", "yesterday", True),
            ("past the calendar in UTC", "9999-12-31T23:59:59-23:59", False),
            ("before the calendar in UTC", "0001-01-01T00:00:00+23:59", False),
            ("a year of six digits", "275760-09-13T00:00:00Z", True),
            ("not UTF-8", b"\xff\xfe", True),
        ]
    return [
        *common,
        ("a trailing newline", "abc\n", True),
        ("DEL", "a\x7f", True),
        ("not UTF-8", b"\xff\xfe", False),
        ("Arabic-Indic digits", "\u0661\u0662", _refused_by_pattern(schema, "\u0661\u0662")),
        ("empty", "", False),
    ]


def body_values(schema: dict[str, Any], nullable: bool) -> list[Value]:
    """Hostile values of a JSON body field, of whatever kind it is."""
    found = kind(schema)
    values: list[Value] = [
        ("null", None, not nullable),
        ("nested 10,000 levels", Raw(DEEP), True),
        ("a lone surrogate", Raw('"\\ud800"'), True),
    ]
    if found in ("string", "enum", "uuid", "date", "date-time"):
        values += [
            ("NUL", "a\x00b", True),
            ("an escape sequence", "\x1b[2J", True),
            ("DEL", "a\x7fb", True),
            ("a C1 control", "a\x85b", True),
            ("1 MB", MEGABYTE_TEXT, True),
            ("a number", 12345, True),
            ("an object", {}, True),
        ]
    if found in ("enum", "uuid"):
        values += [("a word", "abc", True)]
    if found == "date":
        values += [("month 13", "2020-13-45", True), ("the last day", "9999-12-31", False)]
    if found == "date-time":
        values += [
            ("a word", "yesterday", True),
            ("past the calendar in UTC", "9999-12-31T23:59:59-23:59", False),
            ("before the calendar in UTC", "0001-01-01T00:00:00+23:59", False),
        ]
    if found in ("integer", "number"):
        values += [
            ("20 digits", Raw("9" * 20), _out_of_range(schema, 1e20) or "maximum" not in schema),
            ("minus 20 digits", Raw("-" + "9" * 20), True),
            ("5,000 digits", Raw("9" * 5_000), True),
            ("1e400", Raw("1e400"), True),
            ("a word", "abc", True),
            ("a list", [1], True),
        ]
    if found == "integer":
        values += [("a fraction", 1.5, True)]
    if found == "boolean":
        values += [("a word", "yes", True), ("2", 2, True)]
    if found == "array":
        values += [("a word", "abc", True), ("an object", {}, True)]
        if "maxItems" in schema:
            values += [("one item too many", [None] * (schema["maxItems"] + 1), True)]
    if found == "object":
        values += [("a word", "abc", True), ("a list", [], True), ("a number", 1, True)]
    return values


KEY_VALUES: list[Value] = [
    ("NUL", "a\x00b", True),
    ("an escape sequence", "\x1b[2J", True),
    ("10,000 characters", URL_TEXT, True),
]


# ----------------------------------------------------------------- cases


@dataclass(frozen=True)
class Target:
    """What the builder needs about an operation: how to call it and what to send."""

    operation: Operation
    path_values: dict[str, str]
    body_schema: dict[str, Any] | None
    media_type: str | None
    applicant_id: uuid.UUID

    @property
    def method(self) -> str:
        return self.operation.method.upper()

    def url(self, path: dict[str, str] | None = None, query: str = "") -> str:
        values = {**self.path_values, **(path or {})}
        url = self.operation.path.format(**values)
        return f"{url}?{query}" if query else url


def _quoted(value: str | bytes) -> str:
    return quote(value, safe="")


FORM = "multipart/form-data; boundary=b"


def baseline_body(doc: dict[str, Any], target: Target) -> bytes | None:
    """A body the document accepts: an example of its JSON schema, or a form with an
    image in each of its file fields."""
    if target.media_type == "multipart/form-data":
        assert target.body_schema is not None
        fields = resolve(doc, target.body_schema).get("properties", {})
        parts = [_part(f'name="{name}"; filename="a.jpg"'.encode(), jpeg()) for name in fields]
        return b"".join(parts) + b"--b--\r\n"
    if target.body_schema is None:
        return None
    return encode(example(doc, target.body_schema, target.applicant_id))


def baseline(doc: dict[str, Any], target: Target) -> Iterator[Case]:
    content = baseline_body(doc, target)
    yield Case(
        target.operation.key,
        "baseline",
        "valid by the document",
        False,
        target.method,
        target.url(),
        content,
        _media(target),
    )


def _media(target: Target) -> dict[str, str | bytes]:
    if target.media_type == "multipart/form-data":
        return {"content-type": FORM}
    return {"content-type": "application/json"} if target.body_schema is not None else {}


def parameters(doc: dict[str, Any], target: Target, where: str) -> Iterator[Case]:
    content = baseline_body(doc, target)
    for parameter in target.operation.parameters(where):
        schema, _ = flatten(doc, parameter["schema"])
        name = parameter["name"]
        for label, value, refuse in parameter_values(schema):
            if where == "path":
                url = target.url(path={name: _quoted(value)})
            else:
                url = target.url(query=f"{name}={_quoted(value)}")
            yield Case(
                target.operation.key,
                where,
                label,
                refuse,
                target.method,
                url,
                content,
                _media(target),
                f"{where} {name}",
            )


def body_fields(doc: dict[str, Any], target: Target) -> Iterator[Case]:
    if target.body_schema is None or target.media_type != "application/json":
        return
    for where, body, refuse, label in _field_cases(
        doc, target.body_schema, "body", lambda v: v, target.applicant_id
    ):
        yield Case(
            target.operation.key,
            "body field",
            label,
            refuse,
            target.method,
            target.url(),
            encode(body),
            {"content-type": "application/json"},
            where,
        )


def _with_field(build: Callable[[Any], Any], base: Any, name: str) -> Callable[[Any], Any]:
    return lambda value: build({**base, name: value})


def _field_cases(
    doc: dict[str, Any],
    schema: dict[str, Any],
    where: str,
    build: Callable[[Any], Any],
    applicant_id: uuid.UUID,
) -> Iterator[tuple[str, Any, bool, str]]:
    flat, nullable = flatten(doc, schema)
    for label, value, refuse in body_values(flat, nullable):
        yield where, build(value), refuse, label
    found = kind(flat)
    if found == "object" and flat.get("properties"):
        base = example(doc, flat, applicant_id)
        for name, child in flat["properties"].items():
            yield from _field_cases(
                doc,
                child,
                f"{where}.{name}",
                _with_field(build, base, name),
                applicant_id,
            )
    elif found == "array" and isinstance(flat.get("items"), dict):
        yield from _field_cases(
            doc, flat["items"], f"{where}[0]", lambda v: build([v]), applicant_id
        )
    values = flat.get("additionalProperties")
    if found == "object" and isinstance(values, dict):
        names = flat.get("propertyNames", {})
        key = SAMPLES.get(names.get("pattern", ""), "q")
        sample = example(doc, values, applicant_id)
        yield from _field_cases(
            doc, values, f"{where}{{{key}}}", lambda v: build({key: v}), applicant_id
        )
        for label, bad_key, refuse in KEY_VALUES:
            yield f"{where}{{key}}", build({bad_key: sample}), refuse, label


WHOLE_BODIES: list[tuple[str, bytes, str, bool]] = [
    ("not UTF-8", b'{"a": "\xff\xfe"}', "application/json", True),
    ("a key not UTF-8", b'{"\xc3": 1}', "application/json", True),
    ("nested 10,000 levels", DEEP.encode(), "application/json", True),
    ("unclosed 100,000 levels", b"[" * 100_000, "application/json", True),
    ("a number of 5,000 digits", b'{"a": ' + b"9" * 5_000 + b"}", "application/json", True),
    ("over 1 MB", b'{"a": "' + b"x" * (1024 * 1024) + b'"}', "application/json", True),
    ("not JSON", b"email=a&password=b", "application/x-www-form-urlencoded", True),
    ("a list", b"[]", "application/json", True),
    ("a number", b"42", "application/json", True),
    ("a string", b'"x"', "application/json", True),
    ("NUL bytes", b"\x00" * 64, "application/json", True),
    ("multipart without a boundary", b"--x\r\n\r\n--x--", "multipart/form-data", True),
]


def whole_bodies(doc: dict[str, Any], target: Target) -> Iterator[Case]:
    reads_body = target.body_schema is not None or target.media_type is not None
    for label, content, media_type, refuse in WHOLE_BODIES:
        yield Case(
            target.operation.key,
            "whole body",
            label,
            refuse and reads_body,
            target.method,
            target.url(),
            content,
            {"content-type": media_type},
        )


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 140, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def _part(disposition: bytes, content: bytes, content_type: bytes = b"image/jpeg") -> bytes:
    return (
        b"--b\r\nContent-Disposition: form-data; "
        + disposition
        + b"\r\nContent-Type: "
        + content_type
        + b"\r\n\r\n"
        + content
        + b"\r\n"
    )


def multipart(doc: dict[str, Any], target: Target) -> Iterator[Case]:
    """Hostile multipart fields, for the operations whose body is a form."""
    if target.media_type != "multipart/form-data":
        return
    image = jpeg()
    forms: list[tuple[str, bytes, bool]] = [
        ("a name with NUL", _part(b'name="fi\x00le"; filename="a.jpg"', image), False),
        ("a name not UTF-8", _part(b'name="\xff\xfe"; filename="a.jpg"', image), False),
        ("a file name with NUL", _part(b'name="file"; filename="a\x00.jpg"', image), False),
        ("a file name not UTF-8", _part(b'name="file"; filename="\xff.jpg"', image), False),
        (
            "a file name of 10,000 characters",
            _part(b'name="file"; filename="' + URL_TEXT.encode() + b'"', image),
            False,
        ),
        ("a part type with NUL", _part(b'name="file"; filename="a.jpg"', image, b"a\x00"), False),
        ("no file", _part(b'name="file"', b"not a file"), True),
        ("not an image", _part(b'name="file"; filename="a.jpg"', b"\x00" * 1_000), True),
        ("an image cut short", _part(b'name="file"; filename="a.jpg"', image[:100]), True),
        ("no closing boundary", _part(b'name="file"; filename="a.jpg"', image)[:-2], True),
        ("1,000 parts", _part(b'name="x"', b"y") * 1_000, True),
    ]
    for label, body, refuse in forms:
        yield Case(
            target.operation.key,
            "multipart",
            label,
            refuse,
            target.method,
            target.url(),
            body + b"--b--\r\n",
            {"content-type": FORM},
        )


HEADERS: list[tuple[str, str, bytes, bool]] = [
    ("request id with NUL", "x-request-id", b"a\x00b", False),
    ("request id of 10,000 bytes", "x-request-id", URL_TEXT.encode(), False),
    ("request id with an escape sequence", "x-request-id", b"\x1b[2J", False),
    ("accept of nonsense", "accept", b"*/*;q=abc, \x00/\x01", False),
    ("accept with a huge quality", "accept", b"application/json;q=" + b"9" * 400, False),
    ("cookies of nonsense", "cookie", b"\x00=\x01; a; =; " + b"b=" * 1_000, False),
    ("content type with NUL", "content-type", b"application/json; charset=\x00", False),
    ("content type of nonsense", "content-type", b";;;=", False),
]
AUTHORIZATION: list[tuple[str, bytes]] = [
    ("a token with NUL", b"Bearer a\x00b"),
    ("a token of 10,000 bytes", b"Bearer " + URL_TEXT.encode()),
    ("three parts of nonsense", b"Bearer a.b.c"),
    ("another scheme", b"Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("nothing after the scheme", b"Bearer "),
]


def headers(doc: dict[str, Any], target: Target, public: bool) -> Iterator[Case]:
    content = baseline_body(doc, target)
    media = _media(target)
    for label, name, value, refuse in HEADERS:
        yield Case(
            target.operation.key,
            "header",
            label,
            refuse,
            target.method,
            target.url(),
            content,
            {**media, name: value},
            name,
        )
    for label, value in AUTHORIZATION:
        yield Case(
            target.operation.key,
            "header",
            label,
            not public,
            target.method,
            target.url(),
            content,
            {**media, "authorization": value},
            "authorization",
        )
