"""What a Kafka broker says about its own software: its ApiVersions answer (v3).

The answer lists every API the broker serves with its oldest and newest version,
and (since v3, as tagged fields) the features its software supports, such as
the newest `metadata.version` level. aiokafka asks only up to v2, which has no
features, so the request is written here; the answer is read with aiokafka's
protocol types.
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from io import BytesIO

from aiokafka.protocol.types import (
    CompactArray,
    CompactString,
    Int16,
    Int32,
    Schema,
    TaggedFields,
    UnsignedVarInt32,
)

API_VERSIONS = 18
CLIENT_ID = b"healthscore-tests"

# Request header v2: api key, api version, correlation id, client id, no tagged fields;
# body: client software name and version (compact strings), no tagged fields.
REQUEST = (
    struct.pack(">hhih", API_VERSIONS, 3, 1, len(CLIENT_ID))
    + CLIENT_ID
    + UnsignedVarInt32.encode(0)
    + CompactString().encode("healthscore-tests")
    + CompactString().encode("1")
    + UnsignedVarInt32.encode(0)
)
# ApiVersions answers with response header v0 (the correlation id alone), then this body.
RESPONSE = Schema(
    ("error_code", Int16),
    (
        "api_keys",
        CompactArray(
            ("api_key", Int16),
            ("min_version", Int16),
            ("max_version", Int16),
            ("tags", TaggedFields),
        ),
    ),
    ("throttle_time_ms", Int32),
    ("tags", TaggedFields),
)
SUPPORTED_FEATURES_TAG = 0
SUPPORTED_FEATURES = CompactArray(
    ("name", CompactString()),
    ("min_version", Int16),
    ("max_version", Int16),
    ("tags", TaggedFields),
)


@dataclass(frozen=True)
class BrokerVersions:
    apis: dict[int, tuple[int, int]]
    """API key -> (oldest, newest) version the broker serves."""
    features: dict[str, tuple[int, int]]
    """Feature name -> (lowest, highest) level the broker's software supports."""


async def broker_versions(bootstrap: str) -> BrokerVersions:
    host, port = bootstrap.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(struct.pack(">i", len(REQUEST)) + REQUEST)
        await writer.drain()
        (size,) = struct.unpack(">i", await reader.readexactly(4))
        answer = BytesIO(await reader.readexactly(size))
    finally:
        writer.close()
        await writer.wait_closed()
    Int32.decode(answer)  # the correlation id
    error_code, apis, _, tags = RESPONSE.decode(answer)
    if error_code:
        raise RuntimeError(f"the broker answered ApiVersions v3 with error code {error_code}")
    features = SUPPORTED_FEATURES.decode(BytesIO(tags.get(SUPPORTED_FEATURES_TAG, b"\x01"))) or []
    return BrokerVersions(
        apis={key: (low, high) for key, low, high, _ in apis},
        features={name: (low, high) for name, low, high, _ in features},
    )
