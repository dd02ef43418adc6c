"""Connection options shared by every Kafka client the service creates."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.codec import has_zstd

from streams.settings import Settings

MASK = "**********"


class RedactSecrets(logging.Filter):
    """Masks secret values in log records, whichever library logs them.

    aiokafka at DEBUG logs every request it sends, SASL/PLAIN authentication
    (user and password in clear) included.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            # As logged inside a str's or a bytes' repr, too.
            forms.update((secret, repr(secret)[1:-1], repr(secret.encode())[2:-1]))
        self.forms = sorted((form for form in forms if len(form) >= 4), key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.forms:
            return True
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        return True


def protect_logs(settings: Settings) -> None:
    """Install `RedactSecrets` on the root handlers (every propagated record passes
    them) and on aiokafka's connection logger; idempotent."""
    secret_filter = RedactSecrets(settings.secret_values())
    targets: list[logging.Filterer] = [*logging.getLogger().handlers]
    targets.append(logging.getLogger("aiokafka.conn"))
    for target in targets:
        for old in [f for f in target.filters if isinstance(f, RedactSecrets)]:
            target.removeFilter(old)
        target.addFilter(secret_filter)


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context = ssl.create_default_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    )
    if settings.kafka_ssl_certfile:
        context.load_cert_chain(
            str(settings.kafka_ssl_certfile),
            str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
        )
    return context


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for aiokafka producers, consumers and admin clients."""
    protect_logs(settings)
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        password = settings.kafka_sasl_password
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def compression() -> str:
    """zstd where aiokafka can use it (the optional `zstandard` package), else gzip.

    aiokafka's lz4 and zstd need extra packages the service does not install;
    gzip needs none. JSON events compress several times over either way.
    """
    return "zstd" if has_zstd() else "gzip"


def new_producer(settings: Settings) -> AIOKafkaProducer:
    """An idempotent, compressing producer for input events (`healthscore produce`, the demo)."""
    return AIOKafkaProducer(
        **client_options(settings),
        compression_type=compression(),
        linger_ms=20,
        max_batch_size=512 * 1024,
        max_request_size=10 * 1024 * 1024,
        acks="all",
        enable_idempotence=True,
    )
