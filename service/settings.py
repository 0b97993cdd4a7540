"""Service settings, read from environment variables prefixed OPTISCOPE_ (e.g. OPTISCOPE_MAX_STEPS).

`get_settings()` is cached: `create_app()` builds the app with it unless given settings, and the command
line uses it. Routes read the app's settings through the `SettingsDep` dependency (service/api/deps.py);
tests build an app with `create_app(Settings(...))`, which hands the settings to the routes and the
middleware alike, or override that dependency.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The request schema's cap on a list of optimizers (api.models), whatever the settings: max_optimizers is at most it.
MAX_OPTIMIZER_ITEMS = 10_000

LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPTISCOPE_", extra="ignore")

    # --- server ---
    host: str = Field("127.0.0.1", description="Interface the server binds to (the container sets 0.0.0.0).")
    port: int = Field(8000, ge=1, le=65535, description="TCP port the server listens on.")
    workers: int = Field(1, ge=1, le=1024, description="Server worker processes (scale out by replicas first).")
    shutdown_timeout: float = Field(
        25.0, gt=0, description="Seconds a stopping server waits for requests in flight before closing them."
    )
    log_level: LogLevel = Field("info", description="Log level: debug, info, warning, error, critical.")
    log_format: Literal["json", "text"] = Field("json", description="json: one JSON object per line; text: plain.")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed by CORS, comma-separated; empty turns CORS off."
    )
    api_key: SecretStr | None = Field(
        None, description="When set, every endpoint but /healthz, /readyz and /metrics needs header X-API-Key."
    )
    git_revision: str | None = Field(None, description="Source revision reported by /version (set at image build).")

    # --- limits, checked before any compute ---
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1, description="Largest request body, in bytes (413 above).")
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest wait for the next part of a request body (408 after it), as nginx's client_body_timeout.",
    )
    max_steps: int = Field(1_000_000, ge=1, description="Most steps T one request may simulate.")
    max_dim: int = Field(1_000_000, ge=1, description="Most parameter coordinates D per request.")
    max_values: int = Field(
        10_000_000, ge=1, description="Most numbers a request may send or ask back (gradients plus recorded series)."
    )
    max_optimizers: int = Field(
        64,
        ge=1,
        le=MAX_OPTIMIZER_ITEMS,
        description="Most optimizer runs in one request (at most 10,000, the schema's cap).",
    )
    max_numbers_in_flight: int = Field(
        20_000_000,
        ge=1,
        description="Numbers (as max_values counts them) the large requests in flight may hold together; a "
        "request that would pass it waits for room, then gets a 503 (one request alone always runs).",
    )
    max_evaluation_work: int = Field(
        2_000_000_000,
        ge=1,
        description="Most numbers a request may touch evaluating an objective function: closed-loop runs x steps "
        "x numbers per evaluation (D, times the samples of a data-backed function), or surface points x the same.",
    )
    max_sweep_configs: int = Field(
        10_000, ge=1, description="Most configurations one sweep (or one tune) may run, over all optimizers."
    )
    response_cache_entries: int = Field(
        256,
        ge=0,
        description="Responses of POST /simulate and /sweep kept for repeated identical requests (each up to "
        "1 MiB; 0 turns the cache off).",
    )
    max_surface_points: int = Field(
        1_000_000, ge=4, description="Most grid points (resolution squared) one surface request may evaluate."
    )
    max_work: int = Field(
        200_000_000,
        ge=1,
        description="Most steps x coordinates x runs (or sweep configurations) in one request (T * D * runs).",
    )
    compute_budget_seconds: float = Field(
        10.0, ge=0, description="Wall-clock seconds one simulation may compute before it is stopped; 0 = no limit."
    )
    threads: int | None = Field(
        None,
        description="Threads one request's compiled kernels may use, 1 to 1024 (default: the machine's cores, at "
        "most 8). The engine reads the variable itself; it is checked here, at start, by the engine's own rule.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("threads", mode="before")
    @classmethod
    def _threads(cls, value: Any) -> Any:
        from .engine.batch import parse_threads

        return None if value is None else parse_threads(str(value))

    @field_validator("api_key", "git_revision", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


class SettingsError(ValueError):
    """A bad OPTISCOPE_ environment variable; the message names each one, its value and what is wrong."""


# What only a server reads: a run in the command line's own process (no HTTP) ignores these.
SERVER_ONLY = frozenset(
    {
        "host",
        "port",
        "workers",
        "shutdown_timeout",
        "log_level",
        "log_format",
        "cors_origins",
        "api_key",
        "git_revision",
        "max_body_bytes",
        "body_timeout_seconds",
        "max_numbers_in_flight",
        "response_cache_entries",
    }
)


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError("bad setting: " + "; ".join(map(_problem, exc.errors(include_url=False)))) from None


def local_settings() -> Settings:
    """The settings of a run in this process (the command line without --url): the limits and compute budget
    from the environment, as a server would apply them; a bad server-only variable (OPTISCOPE_PORT=abc) is
    left at its default, since nothing here serves."""
    try:
        return Settings()
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        local = [error for error in errors if error["loc"][0] not in SERVER_ONLY]
        if local:
            raise SettingsError("bad setting: " + "; ".join(map(_problem, local))) from None
        defaults = {name: Settings.model_fields[name].get_default(call_default_factory=True) for name in SERVER_ONLY}
        return Settings(**defaults)  # arguments win over the environment


def _problem(error: Any) -> str:
    return f"OPTISCOPE_{'_'.join(map(str, error['loc'])).upper()}={error['input']!r}: {error['msg']}"
