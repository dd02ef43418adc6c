"""The suite runs against the Kafka release it was started for (KAFKA_VERSION, else the default).

The broker itself answers: its ApiVersions answer shows the release line twice,
in the oldest Fetch version it serves (Kafka 4.0 dropped Fetch v0-v3, KIP-896)
and in the newest `metadata.version` level its software supports, which each
release line raises.
"""

from __future__ import annotations

import pytest

from tests.support.broker_versions import broker_versions
from tests.support.servers import kafka_version

pytestmark = pytest.mark.integration

FETCH = 1
# Kafka's MetadataVersion.LATEST_PRODUCTION of each tested release line: 3.9-IV0 and 4.4-IV2.
NEWEST_METADATA_VERSION = {"3.9": 21, "4.4": 33}


async def test_the_broker_is_the_kafka_release_the_suite_was_started_for(
    kafka_bootstrap: str,
) -> None:
    wanted = kafka_version()
    major, minor, *_ = wanted.split(".")
    broker = await broker_versions(kafka_bootstrap)

    oldest_fetch = broker.apis[FETCH][0]
    assert (oldest_fetch >= 4) == (int(major) >= 4), (
        f"the broker serves Fetch from v{oldest_fetch}: not a Kafka {major}.x broker,"
        f" but the suite was started for Kafka {wanted}"
    )
    line = f"{major}.{minor}"
    if line not in NEWEST_METADATA_VERSION:
        pytest.skip(
            f"Kafka {line} is not a tested release line: only the major version was checked"
        )
    newest = broker.features["metadata.version"][1]
    assert newest == NEWEST_METADATA_VERSION[line], (
        f"the broker supports metadata.version up to level {newest},"
        f" Kafka {line} up to {NEWEST_METADATA_VERSION[line]}: it is not Kafka {wanted}"
    )
