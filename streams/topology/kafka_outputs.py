"""The processor's `Outputs` on Kafka: health, alerts and dead letters."""

from __future__ import annotations

from models.alerting.event import AlertEvent
from models.health import Health
from models.validation import Rejection
from streams.engine.record_batches import Headers, RecordBatches
from streams.topics import ALERTS, DLQ, SCORES
from streams.topology.account_entry import json_bytes
from streams.topology.dead_letters import dead_letter_headers
from streams.topology.processor import RawMessage


class KafkaOutputs:
    """Publishes what the processor decides, to the contract's output topics.

    Records go into the batch's record batches (see streams.engine.record_batches):
    values are bytes already, the topics exist, and a send per record through
    Faust or aiokafka costs about as much as scoring a small account.
    """

    def __init__(self, batches: RecordBatches, topics: dict[str, str]) -> None:
        self.batches = batches
        self.topics = topics

    async def _append(
        self, name: str, key: bytes | None, value: bytes | None, headers: Headers = ()
    ) -> None:
        topic = self.topics[name]
        partition = await self.batches.partition_for(topic, key)
        self.batches.append(topic, partition, key, value, headers)

    async def publish(
        self, account_id: str, health: tuple[Health, bytes] | None, alerts: list[AlertEvent]
    ) -> None:
        key = account_id.encode()
        records = [(SCORES, health[1])] if health is not None else []
        records += [(ALERTS, json_bytes(alert)) for alert in alerts]
        # Every record placed first: only then is any of them appended.
        placed = [
            (self.topics[name], await self.batches.partition_for(self.topics[name], key), value)
            for name, value in records
        ]
        for topic, partition, value in placed:
            self.batches.append(topic, partition, key, value, ())

    async def reject(self, message: RawMessage, rejection: Rejection) -> None:
        headers = dead_letter_headers(
            message.headers,
            rejection,
            topic=message.full_topic,
            partition=message.partition,
            offset=message.offset,
        )
        await self._append(DLQ, message.key, rejection.value, headers)
