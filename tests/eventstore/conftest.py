"""A migrated database with the service built on it (the recorder under test)."""

from __future__ import annotations

import pytest
from psycopg_pool import ConnectionPool

from prakerja.application.applicants import Applicants
from prakerja.container import Container
from prakerja.settings import Settings


@pytest.fixture
def pg_settings(pg_settings: Settings) -> Settings:
    """Smaller pools than the service's: the test server is shared. The library's grows
    from 8 to 22 connections as the 16 writers of a test need them."""
    return pg_settings.model_copy(update={"db_pool_size": 8, "db_pool_max_overflow": 14})


@pytest.fixture
def applicants(pg_container: Container) -> Applicants:
    return pg_container.applicants


@pytest.fixture
def pool(pg_container: Container) -> ConnectionPool:
    assert pg_container.pool is not None
    return pg_container.pool
