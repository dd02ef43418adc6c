"""All of healthscore's configuration: the only module that reads the environment."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.exceptions import HealthscoreError


class SettingsError(HealthscoreError):
    """A setting is invalid; the message names it in one line."""


class Settings(BaseSettings):
    """Every `HS_*` environment variable the service understands (see docs/operators.md)."""

    model_config = SettingsConfigDict(env_prefix="HS_", extra="ignore", frozen=True)

    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    topic_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$", max_length=100)
    partitions: int = Field(default=8, ge=1, le=1024)
    replication_factor: int = Field(default=1, ge=1, le=16)
    app_id: str = Field(default="healthscore", pattern=r"^[A-Za-z0-9._-]+$")
    data_dir: Path = Path(".local/worker")
    store: Literal["rocksdb", "memory"] = "rocksdb"
    # Warm copies of other workers' table partitions, kept from the changelog so a
    # failover resumes without replaying it; ignored while there is only one worker.
    standby_replicas: int = Field(default=1, ge=0, le=8)

    pg_dsn: SecretStr | None = None
    model: Path | None = None
    routes: Path | None = None

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=6066, ge=1, le=65535)
    api_token: SecretStr | None = None
    public_url: str = "http://127.0.0.1:6066"
    # /readyz answers 503 once an input partition has gone unfetched, has had
    # records waiting with none processed, or processed records not committed,
    # for this long.
    ready_stall_seconds: float = Field(default=60.0, ge=1, le=86400)

    rescore_interval_seconds: float = Field(default=60.0, gt=0, le=86400)
    # Share each account's contribution to the population through health.population
    # and rank against every worker's accounts; off: each worker ranks among its own.
    population_sharing: bool = True
    # Reject input events carrying fields the contract does not name (schema_violation);
    # off: such fields are ignored and the events counted in healthscore_unknown_fields_total.
    strict_fields: bool = False

    slack_webhook_url: SecretStr | None = None
    pagerduty_routing_key: SecretStr | None = None
    pagerduty_url: str = "https://events.pagerduty.com"
    alertmanager_url: str | None = None
    webhook_url: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    # Deliveries in flight per sink; an account's alerts always share one lane.
    sink_concurrency: int = Field(default=4, ge=1, le=64)

    # `healthscore gateway` (docs/gateway.md): webhooks and events over HTTP into the input topics.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=6067, ge=1, le=65535)
    # The largest request body accepted (413 beyond); 8 MiB, the most one input message carries.
    gateway_max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Bearer token of POST /v1/events/{topic}; without it that route is off.
    gateway_token: SecretStr | None = None
    # How long a request waits for Kafka to acknowledge its events before a 503.
    gateway_produce_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # The sources' YAML file (account mapping, field mappings); without it, every source
    # whose signing secret is set is served with its defaults.
    gateway_config: Path | None = None
    # The vendors' signing secrets (several comma-separated during a rotation). Read
    # by gateway/config.py from the environment; fields here so they are validated
    # as secrets and masked in every log like the others.
    gateway_segment_secret: SecretStr | None = None
    gateway_zendesk_secret: SecretStr | None = None
    gateway_stripe_secret: SecretStr | None = None
    gateway_typeform_secret: SecretStr | None = None

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def topic(self, name: str) -> str:
        """A contract topic name with the configured prefix."""
        return f"{self.topic_prefix}{name}"

    def secret_values(self) -> list[str]:
        """Every secret's plain value, and the password inside the PostgreSQL DSN."""
        values = [
            value.get_secret_value()
            for value in self.__dict__.values()
            if isinstance(value, SecretStr) and value.get_secret_value()
        ]
        if self.pg_dsn is not None:
            password = urlsplit(self.pg_dsn.get_secret_value()).password
            if password:
                values.append(unquote(password))
        return values

    def api_open_beyond_loopback(self) -> bool:
        """Whether the HTTP API answers hosts other than this one without a token."""
        if self.api_token is not None and self.api_token.get_secret_value():
            return False
        host = self.web_host.strip("[]")
        if host == "localhost":
            return False
        try:
            return not ipaddress.ip_address(host).is_loopback
        except ValueError:  # a host name: whatever it resolves to may be reachable
            return True

    def alert_sink_settings(self) -> list[str]:
        """The set settings that turn an alert sink on, read as `build_sinks` reads them."""
        given = {
            "HS_SLACK_WEBHOOK_URL": self.slack_webhook_url is not None,
            "HS_PAGERDUTY_ROUTING_KEY": self.pagerduty_routing_key is not None,
            "HS_ALERTMANAGER_URL": bool(self.alertmanager_url),
            "HS_WEBHOOK_URL": self.webhook_url is not None,
        }
        return [name for name, on in given.items() if on]

    def redacted(self) -> dict[str, object]:
        """The settings as a dict that is safe to log: secrets are masked."""
        shown: dict[str, object] = {}
        for name, value in self.model_dump().items():
            shown[name] = "**********" if isinstance(value, SecretStr) else value
        return shown


def load_settings() -> Settings:
    """Read the environment; raise SettingsError naming the first bad `HS_` setting."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        field = str(error["loc"][0]) if error["loc"] else "?"
        raise SettingsError(f"invalid setting HS_{field.upper()}: {error['msg']}") from None


def check_worker_settings(settings: Settings) -> None:
    """Raise SettingsError for what a worker cannot run with, though each setting is valid.

    Delivery history (what was delivered, what failed and is kept for resending,
    what a restarted worker must not send again) lives in PostgreSQL only.
    """
    sinks = settings.alert_sink_settings()
    if sinks and settings.pg_dsn is None:
        raise SettingsError(
            f"invalid setting HS_PG_DSN: required when an alert sink is set ({', '.join(sinks)}),"
            " to keep the delivery history"
        )
