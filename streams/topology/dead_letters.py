"""Dead-letter records for `health.dlq`: the original bytes, plus why and where from.

Kafka Connect's dead-letter queue is the model: key, value and headers as
they were, and headers naming the reason and the source record. Every agent
that gives up on a record (the scoring agent, storage, alert delivery) sends
it here, so nothing it could not use disappears without a trace.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models.validation import Rejection

Headers = list[tuple[str, bytes]]

DETAIL_LIMIT = 1000


def dead_letter_headers(
    original: Iterable[tuple[str, bytes]],
    rejection: Rejection,
    *,
    topic: str,
    partition: int,
    offset: int,
) -> Headers:
    """The record's own headers followed by the `hs.error.*` and `hs.source.*` ones."""
    headers = [
        *original,
        ("hs.error.reason", rejection.reason.value.encode()),
        ("hs.error.detail", rejection.detail[:DETAIL_LIMIT].encode()),
        ("hs.source.topic", topic.encode()),
        ("hs.source.partition", str(partition).encode()),
        ("hs.source.offset", str(offset).encode()),
    ]
    if rejection.batch_index is not None:
        headers.append(("hs.batch.index", str(rejection.batch_index).encode()))
    return headers


def header_pairs(headers: Any) -> Headers:
    """Faust hands headers over as a mapping or as a list of pairs; always pairs."""
    if not headers:
        return []
    return list(headers.items()) if hasattr(headers, "items") else list(headers)
