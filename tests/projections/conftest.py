"""A population of synthetic applicants, generated once, cloned for each test that needs one.

Generating people through the real application and step runner takes seconds, so it is
done once per session into a template database; each test gets a copy (``CREATE
DATABASE ... TEMPLATE``, a file copy) that it may change freely.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from pydantic import SecretStr

from prakerja.api.app import create_app
from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.db.migrations import upgrade
from prakerja.db.server import DatabaseAddress
from prakerja.security.keys import new_cipher_key
from prakerja.security.passwords import Passwords
from prakerja.settings import ProjectionSettings, Settings, StaffAccount, StaffRole
from prakerja.workers.loops import Part, supervise
from tests.api.documented import DocumentedClient
from tests.helpers import FAST_HASHING, STAFF_PASSWORD, admin_session, create_database
from tests.projections.population import Person, Population

PEOPLE = 48


def staff() -> dict[str, StaffAccount]:
    hashed = Passwords(FAST_HASHING).hash(STAFF_PASSWORD)
    roles = {"rina": StaffRole.REVIEWER, "agus": StaffRole.AUDITOR, "bayu": StaffRole.OPS}
    roles["sari"] = StaffRole.FINANCE
    return {name: StaffAccount(role=role, password_hash=hashed) for name, role in roles.items()}


def url_of(address: DatabaseAddress) -> str:
    return (
        f"postgresql://{address.user}:{address.password}@/{address.dbname}"
        f"?host={address.host}&port={address.port}"
    )


@dataclass(frozen=True)
class Template:
    address: DatabaseAddress
    settings: Settings
    people: list[Person]


def _drop(server: DatabaseAddress, name: str) -> None:
    with admin_session(server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template(
    postgres_server: DatabaseAddress, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    name = f"prakerja_rm_tpl_{uuid.uuid4().hex[:10]}"
    address = create_database(postgres_server, name)
    upgrade(address)
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("rm") / "var",
        password_hashing=FAST_HASHING,
        staff=staff(),
        cipher_key=SecretStr(new_cipher_key()),
        token_secret=SecretStr(new_cipher_key()),
        database_url=url_of(address),
        db_pool_size=12,
        projections=ProjectionSettings(read_wait_s=2.0, idle_wait_s=0.05, page_size=200),
    )
    container = bootstrap(settings)
    people = Population(container).run(PEOPLE)
    container.close()
    yield Template(address, settings, people)
    _drop(postgres_server, name)


@pytest.fixture
def populated(
    template: Template, postgres_server: DatabaseAddress, tmp_path: Path
) -> Iterator[Container]:
    """A copy of the template's database and a service built on it."""
    name = f"prakerja_rm_{uuid.uuid4().hex[:12]}"
    address = create_database(postgres_server, name, template.address.dbname)
    settings = template.settings.model_copy(update={"database_url": url_of(address)})
    container = bootstrap(settings)
    yield container
    container.close()
    _drop(postgres_server, name)


@pytest.fixture
def people(template: Template) -> list[Person]:
    return template.people


@pytest.fixture
def api(populated: Container) -> Iterator[TestClient[Any]]:
    with DocumentedClient(app=create_app(populated), raise_server_exceptions=False) as client:
        yield client


class Running:
    """Every read model's follower in threads, as the service runs them."""

    def __init__(self, container: Container) -> None:
        self.supervisor = supervise(container, {Part.READ_MODELS}, broker_url=None)
        self.supervisor.start()

    def close(self) -> None:
        self.supervisor.stop()


@pytest.fixture
def running(populated: Container) -> Iterator[Running]:
    followers = Running(populated)
    yield followers
    followers.close()
