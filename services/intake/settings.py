from pydantic import SecretStr

from shared.settings import DEV_PLACEHOLDER_SECRET, ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    # Keys the HMAC that turns FHIR patient identifiers into pseudonyms; never stored with the data.
    pseudonym_key: SecretStr = SecretStr(DEV_PLACEHOLDER_SECRET)
    idempotency_ttl_hours: int = 24
    # A FHIR Bundle can carry a whole patient record (Synthea's run to several MB); a native case is small.
    max_fhir_body_bytes: int = 16_000_000

    def _secrets(self) -> dict[str, str]:
        return {**super()._secrets(), "pseudonym_key": self.pseudonym_key.get_secret_value()}
