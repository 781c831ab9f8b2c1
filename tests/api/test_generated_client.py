"""A client generated from the live document, as a frontend team would (openapi-python-
client, pinned in constraints.txt; generated into a temporary folder by the test, never
committed): it is generated without a warning, keeps every documented response of every
operation, and works against the app, its errors included."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.openapi import operations
from tests.helpers import register

PACKAGE = "prakerja_generated_client"


@pytest.fixture
def generated(client: TestClient[Any], tmp_path: Path) -> Iterator[tuple[ModuleType, Path]]:
    doc = client.get("/schema/openapi.json").json()
    (tmp_path / "openapi.json").write_text(json.dumps(doc))
    tool = Path(sys.executable).parent / "openapi-python-client"
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = ["generate", "--path", "openapi.json", "--output-path", PACKAGE, "--meta", "none"]
    result = subprocess.run(
        [str(tool), *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    said = result.stdout + result.stderr
    assert result.returncode == 0, said
    assert "Warning" not in said and "Unable to" not in said, said
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE), tmp_path / PACKAGE
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_every_documented_response_of_every_operation_is_in_the_client(
    client: TestClient[Any], generated: tuple[ModuleType, Path]
) -> None:
    _, folder = generated
    doc = client.get("/schema/openapi.json").json()
    modules = {path.read_text(): path for path in (folder / "api").rglob("*.py")}
    for operation in operations(doc):
        method, url = f'"method": "{operation.method}"', f'"url": "{operation.path}"'
        source = next((text for text in modules if method in text and url in text), None)
        assert source is not None, f"{operation.key}: no function in the client"
        handled = {int(s) for s in re.findall(r"response\.status_code == (\d+)", source)}
        assert handled == {int(s) for s in operation.spec["responses"]}, operation.key


def test_the_client_registers_logs_in_and_reads_the_errors(
    client: TestClient[Any], generated: tuple[ModuleType, Path]
) -> None:
    package, _ = generated
    api = importlib.import_module(f"{PACKAGE}.api.sessions.v1_applicants_register")
    login = importlib.import_module(f"{PACKAGE}.api.sessions.v1_auth_token_login")
    status = importlib.import_module(
        f"{PACKAGE}.api.applicants.v1_applicants_applicant_id_status_status"
    )
    models = importlib.import_module(f"{PACKAGE}.models")
    anonymous = package.Client(base_url="http://testserver.local")
    anonymous.set_httpx_client(client)

    created = api.sync_detailed(
        client=anonymous,
        body=models.Registration(email="generated@example.com", password="a long password"),
    )
    assert created.status_code == 201
    assert isinstance(created.parsed, models.Registered)
    token = created.parsed.access_token

    refused = api.sync_detailed(
        client=anonymous, body=models.Registration(email="not an email", password="a long pass")
    )
    assert refused.status_code == 422
    assert refused.parsed.code.value == "invalid_email"
    assert refused.parsed.status == 422

    wrong = login.sync_detailed(
        client=anonymous, body=models.Login(email="generated@example.com", password="wrong one")
    )
    assert wrong.status_code == 401
    assert wrong.parsed.code.value == "invalid_credentials"

    other_id, _ = register(client, "other@example.com")
    mine = package.AuthenticatedClient(base_url="http://testserver.local", token=token)
    mine.set_httpx_client(client)
    client.headers["Authorization"] = f"Bearer {token}"
    try:
        own = status.sync_detailed(applicant_id=created.parsed.applicant_id, client=mine)
        assert own.status_code == 200
        assert own.parsed.applicant_id == created.parsed.applicant_id
        theirs = status.sync_detailed(applicant_id=other_id, client=mine)
        assert theirs.status_code == 403
        assert theirs.parsed.code.value == "forbidden"
    finally:
        del client.headers["Authorization"]
