"""The deployment files, checked without Docker or systemd running here: hadolint on the
Dockerfile, Docker Compose's own ``config`` on the compose file, and every ``prakerja``
command, option and ``PRAKERJA_*`` setting they name checked against the CLI and Settings."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import compose
import pytest
from pydantic import BaseModel

from prakerja.cli import main
from prakerja.settings import SECRETS_DIR, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"
HADOLINT = Path(sys.executable).parent / "hadolint"
PROCESSES = {
    "migrate": ["migrate"],
    "api": ["serve"],
    "verification-worker": ["worker"],
    "face-worker": ["worker", "--face"],
    "dispatcher": ["dispatcher"],
    "projections": ["projections", "run"],
    "review-queue": ["review-queue"],
    "programme": ["programme", "run"],
}
"""Each process of the service, and the command (its start) that runs it."""
SUPPORT = {"postgres", "rabbitmq", "prometheus"}
SECRET = re.compile(r"KEY|TOKEN_SECRET|PASSWORD|DATABASE_URL|BROKER_URL|STAFF|PROGRAMME")
"""Settings that are secrets: never in an image, an environment block or an env file."""


def check_command(args: list[str]) -> None:
    """Parse ``prakerja ARGS`` as the CLI would, down to its options (click raises on an
    unknown command or option)."""
    command: click.Command = main
    context = main.make_context("prakerja", list(args))
    rest = [*context._protected_args, *context.args]
    while isinstance(command, click.Group) and rest:
        name, found, rest = command.resolve_command(context, rest)
        assert found is not None, f"no command {name!r} in prakerja {args}"
        command = found
        context = command.make_context(name or "", list(rest), parent=context)
        rest = [*context._protected_args, *context.args] if isinstance(command, click.Group) else []


def check_setting(variable: str) -> None:
    """``PRAKERJA_A__B`` names the field ``a.b`` of Settings."""
    if variable == SECRETS_DIR:
        return
    assert variable.upper().startswith("PRAKERJA_"), variable
    model: type[BaseModel] = Settings
    parts = variable[len("PRAKERJA_") :].lower().split("__")
    for depth, part in enumerate(parts):
        assert part in model.model_fields, f"{variable}: Settings has no {'.'.join(parts)}"
        annotation = model.model_fields[part].annotation
        if depth < len(parts) - 1:
            assert isinstance(annotation, type) and issubclass(annotation, BaseModel), variable
            model = annotation


@pytest.fixture(scope="module")
def composed() -> dict[str, Any]:
    """``docker compose config``: the file as Docker Compose reads it (merges, anchors,
    interpolation), with every profile."""
    compose_file = str(DEPLOY / "compose.yaml")
    result = subprocess.run(
        [str(DOCKER_COMPOSE), "-f", compose_file, "--profile", "*", "config", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "RABBITMQ_PASSWORD": "only-for-the-check"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "info", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_built_in_stages_and_runs_as_nobody_in_particular() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", dockerfile, re.MULTILINE)
    assert len(stages) >= 2 and stages[-1][1] == "runtime"
    final = dockerfile.split("AS runtime", 1)[1]
    assert "COPY --from=build /opt/prakerja /opt/prakerja" in final
    assert not re.search(r"apt-get|apk |gcc|build-essential|pip install", final), (
        "the final stage installs nothing"
    )
    users = re.findall(r"^USER\s+(\S+)", final, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    env = " ".join(re.findall(r"^ENV (.*(?:\\\n.*)*)", dockerfile, re.MULTILINE))
    assert not SECRET.search(env), "no secret is baked into the image"
    for variable in re.findall(r"\b(PRAKERJA_\w+)=", env):
        check_setting(variable)


def test_the_image_installs_as_the_makefile_does() -> None:
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    (face,) = re.findall(r"--no-deps -c constraints.txt (face_recognition==\S+)", makefile)
    assert re.search(rf"--no-deps -c constraints.txt\s*\\?\s*{re.escape(face)}", dockerfile)
    assert "-c constraints.txt ." in dockerfile
    (pip,) = re.findall(r'"pip==[\d.]+"', makefile)
    assert pip in dockerfile


def test_compose_runs_every_process_and_its_support(composed: dict[str, Any]) -> None:
    services = composed["services"]
    assert set(PROCESSES) | SUPPORT <= set(services)
    for name, start in PROCESSES.items():
        command = services[name]["command"]
        assert command[: len(start)] == start, (name, command)
        check_command(command)
        assert services[name]["environment"]["PRAKERJA_MODE"] == "production"
    assert services["migrate"]["restart"] == "no", "a one-shot job"
    for name in set(PROCESSES) - {"migrate"}:
        needs = services[name]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully", name


def test_compose_names_only_settings_that_exist(composed: dict[str, Any]) -> None:
    for name, service in composed["services"].items():
        if name in SUPPORT:
            continue
        check_command(service["command"])
        for variable in service.get("environment", {}):
            check_setting(variable)
        for secret in service.get("secrets", []):
            check_setting(secret["source"].upper())
            folder = service["environment"][SECRETS_DIR]
            assert secret.get("target", f"/run/secrets/{secret['source']}") == (
                f"{folder}/{secret['source']}"
            ), "read where the service looks"


def test_compose_keeps_secrets_out_of_its_environment(composed: dict[str, Any]) -> None:
    for name, service in composed["services"].items():
        for variable, value in service.get("environment", {}).items():
            if not variable.startswith("PRAKERJA_"):
                continue  # PostgreSQL's and RabbitMQ's own conventions
            assert not SECRET.search(variable), (name, variable, value)


def _units() -> dict[str, dict[str, list[str]]]:
    units = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        keys: dict[str, list[str]] = {}
        for line in path.read_text().splitlines():
            if "=" in line and not line.startswith(("#", "[")):
                key, value = line.split("=", 1)
                keys.setdefault(key, []).append(value)
        units[path.stem] = keys
    return units


def test_systemd_units_run_commands_and_settings_that_exist() -> None:
    units = _units()
    assert {f"prakerja-{name}" for name in PROCESSES} == set(units)
    for name, keys in units.items():
        (exec_start,) = keys["ExecStart"]
        binary, *args = shlex.split(exec_start)
        assert binary == "/opt/prakerja/bin/prakerja"
        assert (
            args[: len(PROCESSES[name.removeprefix("prakerja-")])]
            == PROCESSES[name.removeprefix("prakerja-")]
        )
        check_command(args)
        assert keys["User"] == ["prakerja"]
        for credential in keys.get("LoadCredential", []):
            check_setting(credential.split(":", 1)[0].upper())
    assert units["prakerja-migrate"]["Type"] == ["oneshot"]
    for line in (DEPLOY / "systemd" / "prakerja.env").read_text().splitlines():
        if line and not line.startswith("#"):
            variable = line.split("=", 1)[0]
            check_setting(variable)
            assert not SECRET.search(variable), variable


def test_the_checks_themselves_refuse_what_does_not_exist() -> None:
    with pytest.raises(AssertionError):
        check_setting("PRAKERJA_NO_SUCH_SETTING")
    with pytest.raises(AssertionError):
        check_setting("PRAKERJA_SERVICES__NO_SUCH_SERVICE")
    with pytest.raises(click.UsageError):
        check_command(["worker", "--no-such-option"])
    with pytest.raises((AssertionError, click.UsageError)):
        check_command(["no-such-command"])
