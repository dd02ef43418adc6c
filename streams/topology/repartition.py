"""Input messages that arrived on a partition other than their key's, sent on to it.

An account's state lives in the table partition its key hashes to with
Kafka's default partitioner: murmur2, as Java clients, aiokafka and Faust
use. Producers built on librdkafka (kcat, confluent-kafka for Python, Go and
.NET, node-rdkafka) hash keys with CRC32 by default and put the same key on
another partition; folded where they arrive, an account's events would be
split between two partitions, often two workers, each holding part of its
state.

So, as Kafka Streams does with its repartition topics, such a message is not
folded where it arrived: its key, value and headers are appended to the
internal topic `health.repartition` on the key's own partition, which the
scoring agent reads like an input topic. The copy is one of its batch's
sends, and the batch's offsets are committed only once the broker has all of
them (streams.engine.acks): a crash before then reads the message again.
Messages keep their order on the way (one source partition's copies go, in
offset order, to the same partition).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from faust.types import Message

from models.events import TOPIC_EVENTS
from sinks.metrics import Metrics
from streams.engine.record_batches import RecordBatches
from streams.topics import REPARTITION
from streams.topology.dead_letters import header_pairs

# Where a copy on the repartition topic came from. The topic is the contract
# name (`logins`, …): it says how to read the value.
ORIGIN_TOPIC = "hs.repartition.topic"
ORIGIN_PARTITION = "hs.repartition.partition"
ORIGIN_OFFSET = "hs.repartition.offset"


class Repartition:
    def __init__(
        self,
        batches: RecordBatches,
        topic: str,
        partitions: int,
        inputs: dict[str, str],
        metrics: Metrics,
    ) -> None:
        """`inputs` maps the full names of the input topics to check to their contract
        names; `topic` is the repartition topic's full name."""
        self.batches = batches
        self.topic = topic
        self.partitions = partitions
        self.inputs = inputs
        self.metrics = metrics

    def home(self, key: bytes) -> int:
        """The partition Kafka's default partitioner gives `key`."""
        return self.batches.key_hash(key) % self.partitions

    def keep_home(self, messages: Iterable[Message]) -> list[Message]:
        """The messages that are on their key's partition; the others are appended,
        as they are, to the repartition topic on that partition.

        A message without a key stays: it has no account to route by, and the
        processor sends it to the DLQ.
        """
        home: list[Message] = []
        moved: Counter[str] = Counter()
        for message in messages:
            key = message.key
            name = self.inputs.get(message.topic)
            if name is None or key is None:
                home.append(message)
                continue
            partition = self.home(key)
            if partition == message.partition:
                home.append(message)
                continue
            headers = [
                *header_pairs(message.headers),
                (ORIGIN_TOPIC, name.encode()),
                (ORIGIN_PARTITION, str(message.partition).encode()),
                (ORIGIN_OFFSET, str(message.offset).encode()),
            ]
            self.batches.append(self.topic, partition, key, message.value, headers)
            moved[name] += 1
        for name, number in moved.items():
            self.metrics.repartitioned.labels(name).inc(number)
        return home


def origin_of(headers: list[tuple[str, bytes]]) -> str:
    """The contract name of the topic a copy on the repartition topic was taken from,
    which says how to read its value; REPARTITION itself if the record does not
    say (the processor sends it to the DLQ)."""
    for header, value in reversed(headers):
        if header == ORIGIN_TOPIC:
            origin = value.decode("utf-8", "replace")
            if origin in TOPIC_EVENTS:
                return origin
    return REPARTITION
