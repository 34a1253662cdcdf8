"""Signatures per the Standard Webhooks specification, checked against its published test vector (the
reference library's own test, `test_sign_function` in standard-webhooks/libraries/python) and by an
independent HMAC computation; the receiver's side verifies with the reference library."""

import base64
import hashlib
import hmac
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from services.intake.webhooks.domain.signing import SECRET_PREFIX, new_secret, signature_headers

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector() -> None:
    headers = signature_headers(
        VECTOR_SECRET, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body=VECTOR_BODY
    )
    assert headers == {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_a_changed_byte_changes_the_signature() -> None:
    changed = signature_headers(
        VECTOR_SECRET, message_id=VECTOR_ID, timestamp=VECTOR_TIMESTAMP, body='{"test": 2432232315}'
    )
    assert changed["webhook-signature"] != VECTOR_SIGNATURE


def test_secrets_are_whsec_and_base64_of_at_least_24_random_bytes() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)) >= 24


@given(
    body=st.text(), message_id=st.text(min_size=1, alphabet=st.characters(codec="ascii", min_codepoint=33))
)
def test_every_signature_is_the_hmac_of_id_timestamp_body_keyed_with_the_decoded_secret(
    body: str, message_id: str
) -> None:
    secret = new_secret()
    timestamp = int(time.time())
    headers = signature_headers(secret, message_id=message_id, timestamp=timestamp, body=body)
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    expected = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()


def test_the_reference_library_verifies_a_fresh_signature_and_refuses_another_secret() -> None:
    secret = new_secret()
    body = '{"type": "booking.confirmed", "data": {}}'
    headers = signature_headers(secret, message_id="evt-1", timestamp=int(time.time()), body=body)
    assert Webhook(secret).verify(body, headers) == {"type": "booking.confirmed", "data": {}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
