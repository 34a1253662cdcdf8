from pydantic import Field, SecretStr, model_validator

from services.intake.webhooks.domain.targets import DEFAULT_ALLOWED_HOSTS
from shared.settings import DEV_PLACEHOLDER_SECRET, ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    # Keys the HMAC that turns FHIR patient identifiers into pseudonyms; never stored with the data.
    pseudonym_key: SecretStr = SecretStr(DEV_PLACEHOLDER_SECRET)
    idempotency_ttl_hours: int = 24
    # A FHIR Bundle can carry a whole patient record (Synthea's run to several MB); a native case is small.
    max_fhir_body_bytes: int = 16_000_000

    # Webhooks (meetings.md §7). The SSRF guard: hosts a webhook URL may name (names, *.suffixes, IPs, CIDRs).
    webhook_allowed_hosts: str = DEFAULT_ALLOWED_HOSTS
    # Multiplies the retry schedule and the 5-day disabling window alike: 1 in production, small in tests.
    webhook_schedule_scale: float = Field(default=1.0, gt=0, le=1.0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # A claimed delivery belongs to its worker this long; then another instance may take it (a crash).
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.5, gt=0)
    webhook_max_in_flight: int = Field(default=16, ge=1)

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> "IntakeSettings":
        if self.webhook_lease_seconds < self.webhook_timeout_seconds + 5:
            raise ValueError("webhook_lease_seconds must exceed webhook_timeout_seconds by 5 s at least")
        return self

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "pseudonym_key": self.pseudonym_key.get_secret_value()}
