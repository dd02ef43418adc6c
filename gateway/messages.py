"""What one accepted request sends to Kafka: its events as keyed batch envelopes.

A request's events are grouped per (topic, account) in the order they came,
each group becoming one batch envelope (a JSON array, SPEC §1), or several
where it would exceed the message limit (`models.envelopes.split_encoded`,
the split `healthscore produce` uses). The key is the account id as
UTF-8, so an account's events stay in one partition and in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.source import Encoded, Outgoing
from models.envelopes import split_encoded
from models.events import MAX_BATCH_EVENTS, TOPIC_EVENTS
from models.validation import MAX_MESSAGE_BYTES


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka message; `topic` is the unprefixed input topic."""

    topic: str
    key: bytes
    value: bytes


@dataclass(slots=True)
class Delivery:
    """A request's messages, with how many events each topic gets and how many
    payload items were deliberately not mapped."""

    messages: list[Message] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)
    ignored: int = 0

    @property
    def accepted(self) -> int:
        return sum(self.events.values())


class SourceBug(Exception):
    """A source handed over an event its topic does not carry (a bug, not bad input)."""


def deliver_events(
    events: Iterable[Outgoing | Encoded], ignored: int = 0, limit: int = MAX_MESSAGE_BYTES
) -> Delivery:
    """The messages carrying `events`: one envelope per (topic, account), split under the
    limit. An `Encoded` event is taken as its source encoded it (gateway.source)."""
    groups: dict[tuple[str, str], list[bytes]] = {}
    for outgoing in events:
        if isinstance(outgoing, Encoded):
            topic, account, encoded = outgoing.topic, outgoing.account_id, outgoing.value
            if topic not in TOPIC_EVENTS:
                raise SourceBug(f"an encoded event handed over for topic {topic!r}")
        else:
            topic, event = outgoing.topic, outgoing.event
            model = TOPIC_EVENTS.get(topic)
            if model is None or not isinstance(event, model):
                raise SourceBug(f"{type(event).__name__} handed over for topic {topic!r}")
            account = event.account_id
            # pydantic's own JSON: the bytes orjson makes of model_dump(mode="json").
            encoded = event.model_dump_json(exclude_none=True).encode()
        group = groups.get((topic, account))
        if group is None:
            groups[(topic, account)] = [encoded]
        else:
            group.append(encoded)
    counts: dict[str, int] = {}
    delivery = Delivery(events=counts, ignored=ignored)
    for (topic, account), documents in groups.items():
        counts[topic] = counts.get(topic, 0) + len(documents)
        key = account.encode()
        # The usual group fits one envelope: split_encoded's envelope, without its
        # look at each event (the brackets, the commas, the events).
        size = 1 + len(documents) + sum(map(len, documents))
        if size <= limit and len(documents) <= MAX_BATCH_EVENTS:
            delivery.messages.append(Message(topic, key, b"[" + b",".join(documents) + b"]"))
            continue
        for value in split_encoded(documents, f"{topic} events of account {account!r}", limit):
            delivery.messages.append(Message(topic, key, value))
    return delivery
