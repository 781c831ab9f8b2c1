"""The one settings object, read from ``PRAKERJA_*`` environment variables at the entry point."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from prakerja.clients.training import DEVELOPMENT_SECRET as DEVELOPMENT_TRAINING_SECRET
from prakerja.simulators.config import SimulatorConfig


class Mode(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class StaffRole(StrEnum):
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    OPS = "ops"
    FINANCE = "finance"


class StaffAccount(BaseModel):
    """A configured staff login: the role and an argon2 hash of the password."""

    role: StaffRole
    password_hash: str


class PasswordHashing(BaseModel):
    """argon2id cost parameters; deliberately slow, so they bound registration throughput."""

    time_cost: int = 2
    memory_cost_kib: int = 19_456
    parallelism: int = 1


class FaceSettings(BaseModel):
    policy_version: str = "face-2026.1"
    accept_max_distance: float = 0.50
    review_max_distance: float = 0.60
    photo_retention_days: int = 90
    photo_sweep_interval_s: float = Field(default=600.0, gt=0)
    """How often selfies past their retention are looked for and deleted."""


class ServiceUrls(BaseModel):
    """Where the government services (or their simulators) answer."""

    civil_registry: str = "http://127.0.0.1:8101"
    education: str = "http://127.0.0.1:8102"
    exclusions: str = "http://127.0.0.1:8103"
    sms: str = "http://127.0.0.1:8104"
    email: str = "http://127.0.0.1:8105"
    payments: str = "http://127.0.0.1:8106"
    connect_timeout_s: float = 2.0
    read_timeout_s: float = 5.0
    retry_attempts: int = 2
    breaker_failure_threshold: int = 5
    breaker_reset_s: float = 10.0


class VerificationSettings(BaseModel):
    """How workers retry technical faults before a case is marked delayed."""

    max_retries: int = 4
    min_backoff_ms: int = 500
    max_backoff_ms: int = 10_000
    delay_base_s: float = 30.0
    delay_ceiling_s: float = 1800.0
    redelivery_s: float = 900.0
    worker_threads: int = 8
    time_limit_s: float = 120.0


class LimitSettings(BaseModel):
    """Abuse limits. A rate is ``[count, seconds]``: at most ``count`` attempts per key in a
    window, and the attempt that reaches the count starts a full window of waiting.

    Per-client limits count everyone behind one address (a mobile carrier's NAT can put
    thousands of phones behind one), so they are the generous ones; the per-email,
    per-phone and per-account limits are the tight ones. Counters live in PostgreSQL.
    """

    trusted_clients: list[str] | None = Field(
        default=None,
        description="addresses or networks never rate-limited (the OTP lock still applies);"
        " unset: loopback in development, none in production",
    )
    register_per_client: tuple[int, int] = (60, 3600)
    register_per_email: tuple[int, int] = (5, 3600)
    login_per_client: tuple[int, int] = (300, 900)
    login_per_account: tuple[int, int] = (10, 900)
    otp_request_per_client: tuple[int, int] = (60, 3600)
    otp_request_per_account: tuple[int, int] = (5, 3600)
    otp_request_per_phone: tuple[int, int] = (3, 3600)
    otp_verify_per_client: tuple[int, int] = (300, 3600)
    otp_lock_attempts: int = Field(default=5, ge=1, description="guesses before the lock")
    otp_lock_seconds: int = Field(default=900, ge=1, description="how long the lock holds")
    otp_daily_attempts: int = Field(default=15, ge=1, description="guesses per day, at most")


class ProgrammeSettings(BaseModel):
    """How waves, training webhooks and incentive payments run (amounts are rules, not here)."""

    roster_partitions: int = Field(default=16, ge=1, le=256)
    batch_size: int = Field(default=500, ge=1, description="applicants per save in wave runs")
    scheduler_interval_s: float = 30.0
    webhook_tolerance_s: int = Field(default=300, description="replay window of webhooks")
    training_platforms: dict[str, SecretStr] = Field(
        default_factory=lambda: {"skillhub": SecretStr(DEVELOPMENT_TRAINING_SECRET)},
        description="platform id → shared webhook secret; production refuses the default",
    )
    payment_worker_threads: int = 2
    payment_max_retries: int = 6
    payment_min_backoff_ms: int = 1_000
    payment_max_backoff_ms: int = 60_000
    payment_redelivery_s: float = 600.0


class ProjectionSettings(BaseModel):
    """How read models follow the log and how readers wait for them."""

    page_size: int = Field(default=10_000, ge=1, description="events read per query")
    batch_events: int = Field(
        default=200_000, ge=1, description="events folded before one write while catching up"
    )
    rebuild_page_size: int = Field(default=20_000, ge=1)
    rebuild_max_held: int = Field(
        default=2_000_000, ge=1, description="applicants held in memory before a rebuild writes"
    )
    rebuild_workers: int = Field(
        default=2, ge=1, le=64, description="processes folding the log in a rebuild"
    )
    catch_up_processes: int = Field(
        default=2,
        ge=1,
        le=64,
        description="processes folding a read model's batches while it is far behind",
    )
    catch_up_parallel_lag: int = Field(
        default=200_000, ge=1, description="events behind from which catch-up runs in parallel"
    )
    idle_wait_s: float = 0.2
    read_wait_s: float = Field(
        default=5.0, ge=0, description="longest wait of a read asking for ?after=<position>"
    )
    switch_lock_timeout_s: float = Field(
        default=5.0, gt=0, description="longest time readers queue behind a rebuild's switch"
    )
    horizon_warn_s: float = Field(
        default=30.0,
        gt=0,
        description="a transaction open this long holds the log's followers: /ready degraded",
    )
    stall_warn_s: float = Field(
        default=60.0,
        gt=0,
        description="a follower behind that has not moved for this long: /ready degraded",
    )


class MetricsSettings(BaseModel):
    """Prometheus. The API serves ``/metrics`` on its own port; other processes on ``port``."""

    port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="where a worker, dispatcher or follower serves /metrics; unset: not served",
    )
    host: str = "127.0.0.1"
    state_cache_s: float = Field(
        default=5.0, ge=0, description="how long a scrape's reading of the database is reused"
    )


class TracingSettings(BaseModel):
    """OpenTelemetry traces, sent over OTLP/HTTP; off unless an endpoint is set."""

    otlp_endpoint: str | None = Field(
        default=None, description="e.g. http://collector:4318/v1/traces; unset: no tracing"
    )
    service_name: str = "prakerja"
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


SECRETS_DIR = "PRAKERJA_SECRETS_DIR"


class Settings(BaseSettings):
    """Everything the service can be told. Built once, in the entry point."""

    model_config = SettingsConfigDict(
        env_prefix="PRAKERJA_", env_nested_delimiter="__", extra="ignore"
    )

    mode: Mode = Mode.DEVELOPMENT
    database_url: str | None = Field(
        default=None,
        description="postgresql://… of the server to use; unset: an embedded server in data_dir",
    )
    data_dir: Path = Path("var")
    cipher_key: SecretStr | None = Field(
        default=None, description="base64 of 32 random bytes; generated into data_dir if unset"
    )
    token_secret: SecretStr | None = Field(
        default=None, description="signs bearer tokens; generated into data_dir if unset"
    )
    token_ttl_minutes: int = 60 * 24
    broker_url: str | None = Field(
        default=None, description="amqp://… or redis://…; unset: workers run inside the service"
    )
    broker_queue_type: Literal["quorum", "classic"] = Field(
        default="quorum",
        description="RabbitMQ's queues: quorum (replicated across a cluster's nodes) or classic",
    )
    log_format: Literal["console", "json"] | None = None
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    db_pool_size: int = 20
    db_pool_max_overflow: int = 10
    db_connect_timeout: int = 5
    db_lock_timeout: int = 5
    db_idle_in_transaction_timeout_s: int = Field(
        default=60,
        ge=1,
        description="a session of the service left idle inside a transaction this long is"
        " ended: an open transaction holds every follower of the event log",
    )
    staff: dict[str, StaffAccount] = Field(default_factory=dict)
    password_hashing: PasswordHashing = PasswordHashing()
    selfie_max_bytes: int = 8 * 1024 * 1024
    selfie_max_pixels: int = 40_000_000
    face: FaceSettings = FaceSettings()
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    limits: LimitSettings = LimitSettings()
    email_token_ttl_hours: int = 48
    public_url: str = "http://127.0.0.1:8000"
    services: ServiceUrls = ServiceUrls()
    programme: ProgrammeSettings = ProgrammeSettings()
    verification: VerificationSettings = VerificationSettings()
    projections: ProjectionSettings = ProjectionSettings()
    simulators: SimulatorConfig = SimulatorConfig()
    metrics: MetricsSettings = MetricsSettings()
    tracing: TracingSettings = TracingSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Settings may also be files named after their variable (``prakerja_cipher_key``)
        in the folder ``PRAKERJA_SECRETS_DIR`` names, else in systemd's credentials folder:
        Docker and Kubernetes secrets, ``LoadCredential=``. A variable wins over a file."""
        folder = os.environ.get(SECRETS_DIR) or os.environ.get("CREDENTIALS_DIRECTORY")
        if folder:
            file_secret_settings = SecretsSettingsSource(settings_cls, secrets_dir=folder)
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @property
    def resolved_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.mode is Mode.PRODUCTION else "console"
