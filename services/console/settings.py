"""The console's settings: where the three services answer, and the secret that signs the session cookie."""

from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DEV_PLACEHOLDER_SECRET, Environment

MIN_SECRET_LENGTH = 32


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    environment: Environment = Environment.development
    intake_url: str = "http://127.0.0.1:8001"
    eligibility_url: str = "http://127.0.0.1:8002"
    scheduler_url: str = "http://127.0.0.1:8003"
    api_tokens: SecretStr = SecretStr("")
    console_session_secret: SecretStr = SecretStr(DEV_PLACEHOLDER_SECRET)
    # Set when the console is served over https (anything but loopback): the cookie then never travels in clear.
    console_secure_cookie: bool = False
    console_session_max_age_seconds: int = 12 * 3600
    console_timezone: str = "Europe/London"
    upstream_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _real_secret_outside_development(self) -> Self:
        if self.environment != Environment.development:
            secret = self.console_session_secret.get_secret_value()
            if secret == DEV_PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"CONSOLE_SESSION_SECRET must be a real secret of {MIN_SECRET_LENGTH}+ characters "
                    f"when environment={self.environment.value}"
                )
        return self
