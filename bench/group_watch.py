"""What a consumer group of workers holds: who owns each partition, and how far behind it is.

Read from the broker only (the group's description, its committed offsets and
the partitions' end offsets), so it sees a stalled worker as Kafka does: an
assigned partition whose committed offset stays behind its end.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.consumer.consumer import AIOKafkaConsumer
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment


@dataclass(frozen=True)
class Member:
    member_id: str
    partitions: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class GroupState:
    state: str  # "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"
    members: tuple[Member, ...]

    def owner(self, topic: str, partition: int) -> str | None:
        for member in self.members:
            if (topic, partition) in member.partitions:
                return member.member_id
        return None


class GroupWatch:
    """One admin client and one group-less consumer for looking at a group, kept open."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.group = group
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self.offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)

    async def start(self) -> None:
        await self.admin.start()
        await self.offsets.start()

    async def close(self) -> None:
        await self.offsets.stop()
        await self.admin.close()

    async def describe(self) -> GroupState:
        for response in await self.admin.describe_consumer_groups([self.group]):
            for group in response.groups:
                # (error_code, group_id, state, protocol_type, protocol, members, ...)
                members = []
                for member in group[5]:
                    member_id, assignment = member[0], member[-1]
                    owned: set[tuple[str, int]] = set()
                    if assignment:
                        decoded = ConsumerProtocolMemberAssignment.decode(assignment)
                        for topic, partitions in decoded.assignment:
                            owned.update((topic, p) for p in partitions)
                    members.append(Member(member_id, frozenset(owned)))
                return GroupState(group[2], tuple(members))
        return GroupState("Dead", ())

    async def lag(self, topics: list[str], partitions: int) -> dict[tuple[str, int], int]:
        """Records between each partition's committed offset (0 if none) and its end."""
        tps = [TopicPartition(topic, p) for topic in topics for p in range(partitions)]
        ends = await self.offsets.end_offsets(tps)
        committed = await self.admin.list_consumer_group_offsets(self.group, partitions=tps)
        lag = {}
        for tp in tps:
            meta = committed.get(tp)
            offset = meta.offset if meta is not None and meta.offset >= 0 else 0
            lag[(tp.topic, tp.partition)] = max(ends[tp] - offset, 0)
        return lag
