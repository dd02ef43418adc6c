"""health.population records: their format, and a worker publishes one only when an
account's contribution (segment and bins) changed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from models.model_config import HealthModel
from models.population import SLOTS, Population, bin_of
from sinks.metrics import create_metrics
from streams.engine.record_batches import SentBatch
from streams.settings import Settings, SettingsError, load_settings
from streams.topics import topic_specs
from streams.topology.population_reader import PopulationReader
from streams.topology.population_records import decode_contribution, encode_contribution
from streams.topology.population_share import PopulationShare
from streams.topology.processor import AccountProcessor, RawMessage
from tests.support.model_variants import absolute_data, absolute_model

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
TOPIC = "p.health.population"


def ranking_model(min_accounts: int = 3) -> HealthModel:
    """The default model with only engagement.activity weighed and ranked in the population."""
    data = absolute_data()
    data["components"]["engagement"]["factors"]["activity"].update(
        weight=20, percentile_curve=[[0, 0], [1, 100]]
    )
    data["population"] = {"min_accounts": min_accounts}
    return HealthModel.model_validate(data)


class Batches:
    """What PopulationShare uses of RecordBatches; `refuse` makes the broker refuse sends."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, int, bytes | None, bytes | None]] = []
        self.refuse = False
        self.futures: list[asyncio.Future[Any]] = []

    async def partition_for(self, topic: str, key: bytes | None) -> int:
        return 0

    def append(self, topic: str, partition: int, key: bytes | None, value: bytes | None) -> None:
        self.appended.append((topic, partition, key, value))

    async def send(self) -> list[SentBatch]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.refuse:
            future.set_exception(ConnectionError("broker refused the batch"))
        else:
            future.set_result(None)
        self.futures.append(future)
        return [SentBatch(TOPIC, 0, 1, future)]

    def records(self) -> list[tuple[str, dict[str, Any] | None]]:
        return [
            (key.decode() if key else "", orjson.loads(value) if value else None)
            for _, _, key, value in self.appended
        ]


class Dropped:
    def __init__(self) -> None:
        self.healths = 0

    async def publish(self, account_id: str, health: Any, alerts: Any) -> None:
        self.healths += health is not None

    async def reject(self, message: Any, rejection: Any) -> None:
        pass


class Table(dict[str, bytes]):
    def put(self, account_id: str, partition: int, value: bytes) -> None:
        self[account_id] = value


def logins(account: str, users: int, days: int, start: int = 0) -> RawMessage:
    """`users` users of `account` each logging in on the last `days` days."""
    events = [
        {
            "event_id": f"{account}-{user}-{day}-{start}",
            "account_id": account,
            "user_id": f"u{user}",
            "occurred_at": (NOW - timedelta(days=day, hours=start)).isoformat(),
        }
        for user in range(users)
        for day in range(days)
    ]
    return RawMessage("logins", "p.logins", 0, 0, account.encode(), orjson.dumps(events), [])


def profile(account: str, segment: str, hours_ago: float = 2) -> RawMessage:
    event = {
        "event_id": f"{account}-profile-{segment}",
        "account_id": account,
        "name": account,
        "segment": segment,
        "occurred_at": (NOW - timedelta(hours=hours_ago)).isoformat(),
    }
    return RawMessage("accounts", "p.accounts", 0, 0, account.encode(), orjson.dumps(event), [])


def tick(*accounts: str) -> RawMessage:
    return RawMessage("health.ticks", "p.health.ticks", 0, 0, None, orjson.dumps(accounts), [])


def worker(
    model: HealthModel | None = None, topic: str | None = TOPIC
) -> tuple[AccountProcessor, PopulationShare, Batches]:
    batches, metrics = Batches(), create_metrics()
    share = PopulationShare(Population(), metrics, batches, topic)  # type: ignore[arg-type]
    processor = AccountProcessor(
        model or ranking_model(), Table(), Dropped(), metrics, clock=lambda: NOW, population=share
    )
    return processor, share, batches


# --- the record format ---------------------------------------------------------------------


def test_a_record_carries_the_segment_and_each_factors_bin() -> None:
    contribution = Population().contribution("smb", {"engagement.activity": 42.0})
    value = encode_contribution(contribution)
    assert value is not None
    assert orjson.loads(value) == {
        "v": 1,
        "segment": "smb",
        "bins": {"engagement.activity": bin_of(42.0)},
    }
    assert decode_contribution(value) == contribution


def test_an_account_without_segment_is_null_and_reads_back_as_all_accounts() -> None:
    contribution = Population().contribution(None, {"engagement.activity": 3.0})
    value = encode_contribution(contribution)
    assert value is not None and orjson.loads(value)["segment"] is None
    assert decode_contribution(value) == contribution


def test_a_contribution_without_bins_is_a_tombstone() -> None:
    assert encode_contribution(Population().contribution("smb", {})) is None
    assert encode_contribution(None) is None


@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b"[]",
        b'{"segment": "smb", "bins": {"engagement.activity": 3}}',  # no layout
        b'{"v": 2, "segment": "smb", "bins": {"engagement.activity": 3}}',  # unknown layout
        b'{"v": 1, "segment": 7, "bins": {"engagement.activity": 3}}',
        b'{"v": 1, "segment": "smb", "bins": {}}',
        b'{"v": 1, "segment": "smb", "bins": {"engagement.activity": %d}}' % SLOTS,  # no such bin
        b'{"v": 1, "segment": "smb", "bins": {"engagement.activity": -1}}',
        b'{"v": 1, "segment": "smb", "bins": {"engagement.activity": 3.5}}',
        b'{"v": 1, "segment": "smb", "bins": {"engagement.activity": true}}',
    ],
)
def test_a_record_that_is_not_a_contribution_is_not_read(value: bytes) -> None:
    assert decode_contribution(value) is None


# --- publishing only what changed ----------------------------------------------------------


async def test_an_account_is_published_when_scored_then_only_when_its_contribution_changes() -> (
    None
):
    processor, share, batches = worker()
    await processor.process([profile("a", "smb"), logins("a", users=2, days=3)])
    assert await share.send() == 1
    [(key, record)] = batches.records()
    assert key == "a"
    # 2 users x 3 days = 6 active user-days.
    assert record == {"v": 1, "segment": "smb", "bins": {"engagement.activity": bin_of(6)}}

    await processor.process([tick("a")])  # re-scored, nothing changed
    await processor.process([logins("a", users=2, days=3, start=1)])  # same days: same bin
    assert await share.send() == 0
    assert len(batches.records()) == 1, "an unchanged contribution is not published again"

    await processor.process([logins("a", users=20, days=10)])  # many more user-days
    assert await share.send() == 1
    assert batches.records()[-1][1]["bins"] == {"engagement.activity": bin_of(200)}  # type: ignore[index]

    # Same bins, a newer profile with another segment.
    await processor.process([profile("a", "enterprise", hours_ago=1)])
    assert await share.send() == 1
    assert batches.records()[-1][1]["segment"] == "enterprise"  # type: ignore[index]


async def test_accounts_of_one_batch_send_one_record_each() -> None:
    processor, share, batches = worker()
    await processor.process([logins(a, users=1, days=2) for a in ("a", "b", "c")])
    await processor.process([logins("a", users=9, days=9)])
    assert await share.send() == 3
    assert [key for key, _ in batches.records()] == ["a", "b", "c"]
    assert batches.records()[0][1]["bins"] == {"engagement.activity": bin_of(83)}  # type: ignore[index]


async def test_an_account_left_without_ranked_measures_is_published_as_a_tombstone() -> None:
    _, share, batches = worker()
    share.offer("a", "smb", {"engagement.activity": 6.0})
    share.offer("b", "smb", {})  # never in the population: nothing to take out
    assert await share.send() == 1
    share.offer("a", "smb", {})
    assert await share.send() == 1
    assert batches.records() == [
        ("a", {"v": 1, "segment": "smb", "bins": {"engagement.activity": bin_of(6.0)}}),
        ("a", None),
    ]
    assert "a" not in share.population and len(share.population) == 0


async def test_a_model_that_ranks_nothing_publishes_nothing() -> None:
    processor, share, batches = worker(absolute_model())
    await processor.process([logins("a", users=2, days=3)])
    assert await share.send() == 0
    assert batches.appended == [] and len(share.population) == 0
    assert processor.population is None


async def test_without_sharing_the_worker_ranks_among_its_own_accounts_and_publishes_nothing() -> (
    None
):
    processor, share, batches = worker(topic=None)
    await processor.process([logins(a, users=1, days=d) for a, d in (("a", 1), ("b", 2))])
    assert await share.send() == 0
    assert batches.appended == []
    assert len(share.population) == 2


async def test_a_refused_population_record_is_counted_and_health_is_still_published() -> None:
    processor, share, batches = worker()
    batches.refuse = True
    await processor.process([logins("a", users=2, days=3)])
    assert processor.outputs.healths == 1  # type: ignore[attr-defined]
    assert await share.send() == 1
    await asyncio.sleep(0)  # the send's callback
    metrics = processor.metrics
    assert metrics.population_publish_failures._value.get() == 1
    assert metrics.registry.get_sample_value(
        "healthscore_population_records_total", {"direction": "published"}
    ) in (None, 0.0)


async def test_scores_rank_in_the_population_once_it_has_enough_accounts() -> None:
    processor, _, _ = worker(ranking_model(min_accounts=3))
    # Three busy accounts: "quiet" has the least activity of the four.
    await processor.process([logins(a, users=10, days=20) for a in ("x", "y", "z")])
    await processor.process([logins("quiet", users=1, days=20)])
    health = processor.entry("quiet").health  # type: ignore[union-attr]
    assert health is not None
    activity = [d for d in health.drivers if d.code == "engagement.activity"]
    assert activity and "median account" in activity[0].text


# --- reading -------------------------------------------------------------------------------


def record(key: bytes | None, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(TOPIC, 0, 0, 0, 0, key, value, None, 0, 0, [])


def test_the_reader_puts_contributions_removes_tombstones_and_skips_the_rest() -> None:
    metrics, population = create_metrics(), Population()
    reader = PopulationReader(lambda: None, population, metrics)
    contribution = population.contribution("smb", {"engagement.activity": 6.0})
    value = encode_contribution(contribution)
    assert reader.apply([record(b"a", value), record(b"b", value), record(b"", value)]) == 3
    assert len(population) == 2
    assert reader.apply([record(b"a", None), record(b"c", b"junk")]) == 2
    assert len(population) == 1 and "b" in population
    assert metrics.population_unreadable._value.get() == 2
    assert (
        metrics.registry.get_sample_value(
            "healthscore_population_records_total", {"direction": "read"}
        )
        == 5
    )


# --- settings ------------------------------------------------------------------------------


def test_the_population_topic_is_compacted_and_left_out_when_sharing_is_off() -> None:
    specs = {spec.name: spec.config for spec in topic_specs(Settings(topic_prefix="p."))}
    assert specs[TOPIC]["cleanup.policy"] == "compact"
    off = topic_specs(Settings(topic_prefix="p.", population_sharing=False))
    assert TOPIC not in {spec.name for spec in off}


def test_an_invalid_sharing_setting_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HS_POPULATION_SHARING", "perhaps")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith("invalid setting HS_POPULATION_SHARING:")
    assert "\n" not in str(raised.value)
