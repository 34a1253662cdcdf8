"""aiokafka client options from settings: plaintext on loopback by default; SSL and SASL/SCRAM when set."""

import ssl
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.settings import ServiceSettings


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        password = settings.kafka_sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def create_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    # acks=all and idempotence: a record the broker acknowledged is on every in-sync replica, once.
    return AIOKafkaProducer(
        **client_options(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15000,
        compression_type=None,
    )
