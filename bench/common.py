"""What every benchmark needs: a loaded scratch database, the service built in-process
against it with the run's keys, and the production settings otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from prakerja.bootstrap import bootstrap
from prakerja.container import Container
from prakerja.settings import Settings
from prakerja.simulation.database import ScratchDatabase
from prakerja.simulation.stack import StackKeys


@dataclass(frozen=True)
class Loaded:
    """A scratch database holding ``applicants`` applicants' events."""

    database: ScratchDatabase
    keys: StackKeys
    applicants: int
    events: int
    load_seconds: float
    work_dir: Path


def settings_for(loaded: Loaded, pool: int = 8) -> Settings:
    return Settings(
        database_url=loaded.database.url,
        cipher_key=SecretStr(loaded.keys.cipher_key),
        token_secret=SecretStr(loaded.keys.token_secret),
        data_dir=loaded.work_dir / "var",
        db_pool_size=pool,
        db_pool_max_overflow=2,
        log_level="WARNING",
    )


def container_for(loaded: Loaded, pool: int = 8) -> Container:
    return bootstrap(settings_for(loaded, pool))
