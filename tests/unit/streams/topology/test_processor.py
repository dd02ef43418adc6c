"""The worker's batch processing, without Kafka: coalescing, duplicates, profile changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from models.alerting.event import AlertEvent
from models.health import Driver, Growth, Health
from models.model_config import load_model
from models.validation import Rejection
from sinks.metrics import create_metrics
from streams.topics import REPARTITION
from streams.topology.account_entry import AccountEntry, EntryCache
from streams.topology.processor import AccountProcessor, RawMessage, health_changed

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


class MemoryTable:
    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}
        self.writes: list[tuple[str, int]] = []

    def get(self, account_id: str) -> bytes | None:
        return self.rows.get(account_id)

    def put(self, account_id: str, partition: int, value: bytes) -> None:
        self.rows[account_id] = value
        self.writes.append((account_id, partition))


class Collected:
    def __init__(self) -> None:
        self.scores: list[Health] = []
        self.alerts: list[AlertEvent] = []
        self.rejected: list[Rejection] = []
        self.failing = False  # the next publishes raise, as a producer error would

    async def publish(
        self, account_id: str, health: tuple[Health, bytes] | None, alerts: list[AlertEvent]
    ) -> None:
        if self.failing:
            raise ConnectionError("broker unavailable")
        if health is not None:
            self.scores.append(health[0])
        self.alerts += alerts

    async def reject(self, message: RawMessage, rejection: Rejection) -> None:
        self.rejected.append(rejection)


def message(
    topic: str, event: dict[str, Any] | list[dict[str, Any]], offset: int = 0
) -> RawMessage:
    first = event[0] if isinstance(event, list) else event
    return RawMessage(
        topic, topic, 3, offset, first["account_id"].encode(), orjson.dumps(event), []
    )


def login(account: str, n: int, days_ago: float = 1) -> dict[str, Any]:
    return {
        "event_id": f"{account}-{n}",
        "account_id": account,
        "user_id": f"u{n % 4}",
        "occurred_at": (NOW - timedelta(days=days_ago)).isoformat(),
    }


def profile(account: str, n: int, owner: str) -> dict[str, Any]:
    return {
        "event_id": f"{account}-p{n}",
        "account_id": account,
        "name": "Acme",
        "csm_owner": owner,
        "occurred_at": (NOW - timedelta(hours=10 - n)).isoformat(),
    }


def processor() -> tuple[AccountProcessor, MemoryTable, Collected]:
    table, out = MemoryTable(), Collected()
    return (
        AccountProcessor(load_model(), table, out, create_metrics(), clock=lambda: NOW),
        table,
        out,
    )


async def test_a_batch_writes_each_account_once_and_scores_it_once() -> None:
    proc, table, out = processor()
    batch = [message("logins", login("a", n), n) for n in range(20)]
    batch += [message("logins", login("b", n), 20 + n) for n in range(5)]
    await proc.process(batch)
    assert sorted(h.account_id for h in out.scores) == ["a", "b"]
    assert table.writes == [], "rows wait for write_rows (before the offsets are committed)"
    assert proc.write_rows() == 2
    assert sorted(table.writes) == [("a", 3), ("b", 3)]


async def test_batches_between_two_commits_write_each_account_once() -> None:
    proc, table, out = processor()
    for n in range(4):
        await proc.process([message("logins", login("a", n), n), message("logins", login("b", n))])
        if n == 0:
            assert {h.account_id for h in out.scores} == {"a", "b"}, "published at once"
    proc.write_rows()
    assert sorted(table.writes) == [("a", 3), ("b", 3)]
    stored = AccountEntry.load(table.rows["a"], "a")
    assert len(stored.state.users) == 4, "the row holds what every batch folded"
    assert stored.health == [h for h in out.scores if h.account_id == "a"][-1]
    assert proc.write_rows() == 0, "nothing new: nothing written"


async def test_rows_written_in_turns_keep_what_batches_in_between_changed() -> None:
    proc, table, _ = processor()
    await proc.process([message("logins", login(a, 1)) for a in ("a", "b", "c")])
    turns = list(proc.unwritten)
    assert proc.write_rows(turns[:1]) == 1
    # A batch runs between two turns, changing an account already written and one not yet.
    await proc.process([message("logins", login("a", 2)), message("logins", login("b", 2))])
    assert proc.write_rows(turns[1:]) == 2
    assert len(AccountEntry.load(table.rows["b"], "b").state.users) == 2, "written with its news"
    assert len(AccountEntry.load(table.rows["a"], "a").state.users) == 1
    assert list(proc.unwritten) == ["a"], "the change after its turn waits for the next commit"
    assert proc.write_rows() == 1
    assert len(AccountEntry.load(table.rows["a"], "a").state.users) == 2


async def test_an_unwritten_account_survives_the_cache_dropping_it() -> None:
    proc, table, _ = processor()
    proc.cache = EntryCache(capacity=1)
    await proc.process([message("logins", login("a", 1)), message("logins", login("b", 1))])
    await proc.process([message("logins", login("a", 2))])
    proc.write_rows()
    assert len(AccountEntry.load(table.rows["a"], "a").state.users) == 2


async def test_a_replayed_batch_changes_nothing() -> None:
    proc, table, out = processor()
    batch = [message("logins", login("a", n), n) for n in range(10)]
    await proc.process(batch)
    proc.write_rows()
    rows, published = dict(table.rows), len(out.scores)
    await proc.process(batch)
    proc.write_rows()
    assert table.rows == rows
    assert len(out.scores) == published


async def test_partitions_moving_away_write_the_rows_first() -> None:
    proc, table, _ = processor()
    await proc.process([message("logins", login("a", 1))])
    proc.forget()
    assert table.writes == [("a", 3)]
    assert proc.unwritten == {}


async def test_a_new_owner_is_published_even_when_the_score_stands_still() -> None:
    proc, _, out = processor()
    await proc.process(
        [message("accounts", profile("a", 1, "dana")), message("logins", login("a", 1))]
    )
    await proc.process([message("accounts", profile("a", 2, "lee"))])
    assert out.scores[-1].csm_owner == "lee"


async def test_a_renewal_record_is_published_even_when_the_score_stands_still() -> None:
    proc, _, out = processor()
    contract = {
        "account_id": "a",
        "contract_id": "c1",
        "renewal_date": "2026-09-01",
        "arr": 10_000.0,
        "occurred_at": (NOW - timedelta(days=2)).isoformat(),
    }
    await proc.process([message("renewals", {**contract, "event_id": "r1", "status": "upcoming"})])
    # Announced again with the same date: the score cannot move, the record does.
    again = {**contract, "event_id": "r2", "status": "upcoming", "occurred_at": NOW.isoformat()}
    await proc.process([message("renewals", again)])
    assert [h.score for h in out.scores] == [out.scores[0].score] * 2
    decided = [c.decided_at for h in out.scores for c in h.contracts or ()]
    assert decided == [NOW - timedelta(days=2), NOW]


async def test_an_nps_answer_is_published_even_when_the_score_stands_still() -> None:
    proc, _, out = processor()
    answer = {"account_id": "a", "score": 8, "occurred_at": NOW.isoformat()}
    await proc.process([message("nps", {**answer, "event_id": "n1", "respondent_id": "r1"})])
    # A second passive: the NPS stays 0, the score with it; the CX counts move.
    await proc.process([message("nps", {**answer, "event_id": "n2", "respondent_id": "r2"})])
    assert [h.score for h in out.scores] == [out.scores[0].score] * 2
    passives = [h.experience.personas["no_role"].passives for h in out.scores if h.experience]
    assert passives == [1, 2]


async def test_a_growth_signal_that_comes_or_goes_is_published_but_not_its_day_count() -> None:
    proc, _, out = processor()
    await proc.process([message("logins", login("a", 1))])
    before = out.scores[-1]

    def renewing_in(days: int, candidate: bool = False) -> Health:
        text = f"Renewal in {days} days: the moment to propose more"
        signal = Driver(code="growth.renewal_approaching", text=text, impact=20, component="g")
        growth = Growth(candidate=candidate, strength=20, drivers=[signal])
        return before.model_copy(update={"growth": growth})

    assert health_changed(before, renewing_in(40))
    assert not health_changed(renewing_in(40), renewing_in(39))
    assert health_changed(renewing_in(40), renewing_in(40, candidate=True))


async def test_bad_messages_are_rejected_without_stopping_the_batch() -> None:
    proc, table, out = processor()
    broken = RawMessage("logins", "logins", 0, 1, b"a", b"{nope", [])
    await proc.process([broken, message("logins", login("a", 1))])
    assert [r.reason.value for r in out.rejected] == ["invalid_json"]
    proc.write_rows()
    assert "a" in table.rows


async def test_a_repartitioned_copy_that_does_not_say_its_topic_goes_to_the_dlq() -> None:
    proc, table, out = processor()
    orphan = RawMessage(
        REPARTITION, "p.health.repartition", 1, 4, b"a", orjson.dumps(login("a", 1)), []
    )
    await proc.process([orphan, message("logins", login("b", 1))])
    assert [r.reason.value for r in out.rejected] == ["processing_error"]
    assert [h.account_id for h in out.scores] == ["b"]
    proc.write_rows()
    assert "a" not in table.rows


async def test_the_state_survives_the_cache_being_dropped() -> None:
    proc, _, _ = processor()
    await proc.process([message("logins", login("a", n)) for n in range(3)])
    proc.write_rows()
    proc.cache.clear()
    await proc.process([message("logins", login("a", 1))])  # a duplicate, read back from the table
    assert proc.metrics.events.labels("logins", "duplicate")._value.get() == 1


async def test_an_account_with_a_pending_alert_is_watched_until_it_fires() -> None:
    clock = [NOW]
    table, out = MemoryTable(), Collected()
    proc = AccountProcessor(load_model(), table, out, create_metrics(), clock=lambda: clock[0])
    await proc.process([message("logins", login("a", 1, days_ago=60))])
    assert out.alerts == []
    assert proc.watched == {"a"}, "pending for 15 minutes: re-evaluate on every scheduled run"

    clock[0] = NOW + timedelta(minutes=16)
    tick = RawMessage("health.ticks", "p.health.ticks", 3, 0, None, orjson.dumps(["a"]), [])
    await proc.process([tick])
    assert [(a.kind.value, a.status.value) for a in out.alerts] == [("band_entered", "firing")]
    assert proc.watched == set()


async def test_a_restarted_worker_rewrites_a_row_it_finds_even_when_events_are_duplicates() -> None:
    first, table, _ = processor()
    events = [message("logins", login("a", n)) for n in range(3)]
    await first.process(events)
    first.write_rows()
    # After a crash the local store can hold a row whose changelog record never left:
    # the re-read events are duplicates, yet the row must reach the changelog again.
    restarted = AccountProcessor(
        load_model(), table, Collected(), create_metrics(), clock=lambda: NOW
    )
    table.writes.clear()
    await restarted.process(events)
    restarted.write_rows()
    assert table.writes == [("a", 3)]
    await restarted.process(events)
    restarted.write_rows()
    assert table.writes == [("a", 3)], "once per account, not on every replay"


async def test_a_failed_publish_leaves_the_alert_unfired_until_the_next_evaluation() -> None:
    clock = [NOW]
    table, out = MemoryTable(), Collected()
    proc = AccountProcessor(load_model(), table, out, create_metrics(), clock=lambda: clock[0])
    await proc.process([message("logins", login("a", 1, days_ago=60))])  # pending 15 minutes
    tick = RawMessage("health.ticks", "p.health.ticks", 3, 0, None, orjson.dumps(["a"]), [])

    out.failing = True
    clock[0] = NOW + timedelta(minutes=16)
    await proc.process([tick])  # the alert is due, but publishing fails
    assert out.alerts == []
    assert proc.metrics.publish_failures._value.get() == 1
    assert proc.watched == {"a"}, "evaluated again at the next scheduled run"
    proc.write_rows()
    stored = AccountEntry.load(table.rows["a"], "a")
    assert stored.alerts is not None
    assert all(kind.phase.value != "firing" for kind in stored.alerts.kinds.values())

    out.failing = False
    clock[0] = NOW + timedelta(minutes=17)
    await proc.process([tick])
    assert [(a.kind.value, a.status.value) for a in out.alerts] == [("band_entered", "firing")]


async def test_events_with_unknown_fields_are_folded_and_counted_per_topic() -> None:
    proc, _table, out = processor()
    batch = [login("a", n) | {"plan": "enterprise"} for n in range(3)]
    await proc.process([message("logins", batch), message("logins", login("a", 9), 1)])
    assert [h.account_id for h in out.scores] == ["a"] and not out.rejected
    registry = proc.metrics.registry
    assert registry.get_sample_value("healthscore_unknown_fields_total", {"topic": "logins"}) == 3
    accepted = {"topic": "logins", "outcome": "accepted"}
    assert registry.get_sample_value("healthscore_events_total", accepted) == 4


async def test_strict_fields_dead_letters_events_with_unknown_fields() -> None:
    table, out = MemoryTable(), Collected()
    metrics = create_metrics()
    proc = AccountProcessor(
        load_model(), table, out, metrics, clock=lambda: NOW, strict_fields=True
    )
    await proc.process([message("logins", login("a", 1) | {"plan": "enterprise"})])
    assert not out.scores
    assert [r.detail for r in out.rejected] == ["plan: Extra inputs are not permitted"]
    assert (
        metrics.registry.get_sample_value("healthscore_unknown_fields_total", {"topic": "logins"})
        is None
    )
