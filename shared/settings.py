"""Configuration: one pydantic-settings class, read from the environment once at start-up.

Every service builds its own subclass; nothing else in the code reads os.environ.
"""

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PLACEHOLDER_SECRET = "dev-only-change-me"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class DatabaseSettings(BaseSettings):
    """What a tool that only talks to the database needs (migrations): no tokens, no Kafka."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = "postgresql+asyncpg://bonemets:bonemets@127.0.0.1:5432/bonemets"
    database_pool_size: int = 10
    database_sslmode: str | None = Field(
        default=None, description="disable|require|verify-ca|verify-full; None keeps the URL's own"
    )


class ProcessSettings(BaseSettings):
    """How many processes run one service (shared/serve.py): API workers share its port; consumer processes
    are members of its consumer groups (each with its outbox relay). With one of each, a single process does
    both, as one uvicorn process always did."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    api_workers: int = Field(default=1, ge=1, le=64)
    consumer_processes: int = Field(default=1, ge=1, le=64)


class ServiceSettings(DatabaseSettings):
    environment: Environment = Environment.development
    service_name: str = "bonemets"

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: str = "PLAINTEXT"  # PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
    kafka_sasl_mechanism: str | None = None  # SCRAM-SHA-256, SCRAM-SHA-512, PLAIN
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # Prefixes every topic and consumer group: lets test runs share one broker without seeing each other.
    kafka_topic_prefix: str = ""

    api_tokens: SecretStr = SecretStr("")
    outbox_poll_seconds: float = 0.2
    outbox_batch_size: int = 200
    consumer_batch_size: int = 200
    # False in API workers when the service runs separate consumer processes (shared/serve.py sets it).
    run_consumers: bool = True
    max_body_bytes: int = 1_000_000

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def consumer_group(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service_name}"

    @model_validator(mode="after")
    def _no_placeholder_secrets_in_production(self) -> Self:
        if self.environment == Environment.production:
            for name, value in self._secrets().items():
                if not value or value == DEV_PLACEHOLDER_SECRET:
                    raise ValueError(f"{name} must be set to a real secret when environment=production")
        return self

    def _secrets(self) -> dict[str, str]:
        return {"api_tokens": self.api_tokens.get_secret_value()}
