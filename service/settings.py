"""Service settings, read from environment variables prefixed OPTISCOPE_ (e.g. OPTISCOPE_MAX_STEPS)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPTISCOPE_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port the server listens on.")
    workers: int = Field(1, ge=1, description="Server worker processes.")
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    max_steps: int = Field(1_000_000, ge=1, description="Most steps T one request may simulate.")
    max_dim: int = Field(1_000_000, ge=1, description="Most parameter coordinates D per request.")
    max_values: int = Field(
        10_000_000, ge=1, description="Most numbers a request may send or ask back (gradients plus recorded series)."
    )
    max_optimizers: int = Field(64, ge=1, description="Most optimizer runs in one request.")
    max_evaluation_work: int = Field(
        2_000_000_000,
        ge=1,
        description="Most numbers a request may touch evaluating an objective function: closed-loop runs x steps "
        "x numbers per evaluation (D, times the samples of a data-backed function), or surface points x the same.",
    )
    max_surface_points: int = Field(
        1_000_000, ge=4, description="Most grid points (resolution squared) one surface request may evaluate."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
