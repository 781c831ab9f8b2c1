"""How a client reaches its service and how patient it is."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ClientConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    connect_timeout_s: float = Field(default=2.0, gt=0.0)
    read_timeout_s: float = Field(default=5.0, gt=0.0)
    retry_attempts: int = Field(default=3, ge=0)
    """Retries after the first call, for transient faults only."""
    backoff_base_s: float = Field(default=0.2, ge=0.0)
    backoff_max_s: float = Field(default=5.0, ge=0.0)
    """Longest wait between two attempts; a longer Retry-After ends the retries."""
    breaker_failure_threshold: int = Field(default=5, ge=1)
    """Consecutive transient failures that open the circuit."""
    breaker_reset_s: float = Field(default=30.0, gt=0.0)
    """How long the circuit stays open before one probe call may pass."""
