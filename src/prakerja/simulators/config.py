"""Settings of the simulators: the population, where they listen, and the faults to inject."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from prakerja.clients.training import DEVELOPMENT_SECRET
from prakerja.simulators.population import MAX_SIZE, REFERENCE_DATE
from prakerja.simulators.rates import PopulationRates

SERVICES = ("dukcapil", "education", "exclusions", "sms", "email", "payments", "training")


class OutageWindow(BaseModel):
    """A span during which every call gets a 503.

    ``start_s`` counts from when the fault configuration took effect: the simulator's
    start for configured faults, the ``PUT /_admin/faults`` call for run-time ones.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start_s: float = Field(ge=0.0)
    duration_s: float = Field(gt=0.0)


class FaultConfig(BaseModel):
    """Faults injected into one service. They change when an answer comes, never what it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_mean_ms: float = Field(default=0.0, ge=0.0)
    latency_jitter_ms: float = Field(default=0.0, ge=0.0)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of calls answered with a 503."""
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of calls that hang for ``hang_s`` (past any sane client timeout), then get a 504."""
    hang_s: float = Field(default=30.0, ge=0.0)
    outages: tuple[OutageWindow, ...] = ()


class ServicePorts(BaseModel):
    """Where each simulator listens; 0 picks a free port."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dukcapil: int = Field(default=8101, ge=0, le=65535)
    education: int = Field(default=8102, ge=0, le=65535)
    exclusions: int = Field(default=8103, ge=0, le=65535)
    sms: int = Field(default=8104, ge=0, le=65535)
    email: int = Field(default=8105, ge=0, le=65535)
    payments: int = Field(default=8106, ge=0, le=65535)
    training: int = Field(default=8107, ge=0, le=65535)


class ServiceFaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    dukcapil: FaultConfig = FaultConfig()
    education: FaultConfig = FaultConfig()
    exclusions: FaultConfig = FaultConfig()
    sms: FaultConfig = FaultConfig()
    email: FaultConfig = FaultConfig()
    payments: FaultConfig = FaultConfig()
    training: FaultConfig = FaultConfig()


class PaymentBehaviour(BaseModel):
    """How the simulated payment provider misbehaves, beyond the faults every service has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confirm_after_s: float = Field(default=0.0, ge=0.0)
    """A new payment stays ``processing`` this long before it is ``paid`` (late confirmation)."""
    lost_answer_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of new payments that are made, then answered with a 504 after
    ``lost_answer_hang_s``: the money moved but the caller cannot know (a timeout)."""
    lost_answer_hang_s: float = Field(default=0.0, ge=0.0)
    reject_destinations: tuple[str, ...] = ()
    """Destinations (e-wallet numbers) the provider refuses: no such account."""


class TrainingPlatformConfig(BaseModel):
    """The simulated training platform, and where it sends its signed webhooks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str = "skillhub"
    webhook_url: str = "http://127.0.0.1:8000/v1/training/webhooks/skillhub"
    webhook_secret: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Share of events delivered twice (at-least-once delivery, as real platforms do)."""
    delivery_attempts: int = Field(default=5, ge=1)


class SimulatorConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 2020
    population_size: int = Field(default=100_000, gt=0, le=MAX_SIZE)
    rates: PopulationRates = PopulationRates()
    as_of: dt.date = REFERENCE_DATE
    """The day ages are counted on (adults are 18+ then, minors 15-17); fixed by default, so
    the same seed gives the same people on any day."""
    host: str = "127.0.0.1"
    ports: ServicePorts = ServicePorts()
    photos_dir: Path | None = None
    """Folder of registry photos (jpg/png), assigned to NIKs deterministically."""
    faults: ServiceFaults = ServiceFaults()
    payments: PaymentBehaviour = PaymentBehaviour()
    training: TrainingPlatformConfig = TrainingPlatformConfig()
    log_level: str = "warning"
