"""Standard Webhooks signatures, through the specification's own Python library (`standardwebhooks`): `v1,` +
base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the secret's decoded bytes."""

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_headers(secret: str, *, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three headers of one attempt: the id is the same on every attempt, the timestamp is the
    attempt's own (Unix seconds)."""
    # The library reads a datetime; an aware UTC one keeps its `.replace(tzinfo=utc)` a no-op.
    signature = Webhook(secret).sign(message_id, datetime.fromtimestamp(timestamp, UTC), body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
