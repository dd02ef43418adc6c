"""What a worker does with a batch of input messages and re-evaluation requests.

Framework-free: the Faust agent in streams.topology.pipeline hands batches in, with a
`StateTable` to read and write and `Outputs` to publish through, so the whole
flow (validate → state → score → alerts → population) is one readable place.

Work is coalesced like Kafka Streams' record cache: every event of a batch is
folded into its account's state, then each touched account is scored once and
its alerts evaluated once. Rows are written later, once per account however
many batches changed it: `write_rows` runs before offsets are committed, so a
crash loses nothing that was committed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Protocol

import orjson

from models.alerting.evaluate import evaluate_alerts
from models.alerting.event import AlertEvent
from models.alerting.rules import AlertRules
from models.alerting.state import AccountAlertState, Phase
from models.health import PROFILE_FIELDS, Health, growth_outline
from models.model_config import HealthModel
from models.scoring import ranked_factors, score, score_with_measures
from models.state import apply_events
from models.validation import Rejection, RejectReason, parse_message
from sinks.metrics import HistogramTally, Metrics
from streams.topics import REPARTITION, TICKS
from streams.topology.account_entry import AccountEntry, EntryCache, json_bytes
from streams.topology.population_share import PopulationShare

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


# Not frozen: one is built per input message, and a frozen dataclass sets each
# field through object.__setattr__, at twice the cost. Never changed once built.
@dataclass(slots=True)
class RawMessage:
    """An input record as Kafka delivered it."""

    topic: str  # the contract name, without prefix
    full_topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


class Outputs(Protocol):
    async def publish(
        self, account_id: str, health: tuple[Health, bytes] | None, alerts: list[AlertEvent]
    ) -> None:
        """One evaluation's records: its health (with its JSON, made once for the row
        and the output alike) if it changed, and its alert events. All or none: a
        failure raises before any of them is published."""
        ...

    async def reject(self, message: RawMessage, rejection: Rejection) -> None: ...


class StateTable(Protocol):
    """The per-account state table; `put` writes to the changelog partition given."""

    def get(self, account_id: str) -> bytes | None: ...
    def put(self, account_id: str, partition: int, value: bytes) -> None: ...


def health_changed(before: Health | None, after: Health) -> bool:
    """Whether `after` is worth publishing: a different score, band, confidence, drivers,
    profile, lifecycle, contracts, customer-experience counts or growth."""
    if before is None:
        return True
    return (
        round(before.score, 1) != round(after.score, 1)
        or before.band != after.band
        or round(before.confidence, 2) != round(after.confidence, 2)
        or before.model_version != after.model_version
        or [d.code for d in before.drivers] != [d.code for d in after.drivers]
        # A profile upsert (new owner, segment, ARR…) must reach routing and readers.
        or _profile_of(before) != _profile_of(after)
        # A churn or a resurrection, even one that leaves the score where it was.
        or before.lifecycle != after.lifecycle
        # A renewal record the score does not show must still reach PostgreSQL.
        or before.contracts != after.contracts
        # Every NPS answer and active user counts in the CX figures, moved the score or not.
        or before.experience != after.experience
        # An expansion signal that comes or goes, even one that leaves the score unmoved.
        or growth_outline(before) != growth_outline(after)
    )


_profile_of = attrgetter(*PROFILE_FIELDS)


@dataclass(slots=True)
class _Counts:
    """What a batch's evaluations add to the metrics, added once per batch:
    a counter's inc takes a lock and costs about as much as scoring a small account."""

    scored: Counter[bool] = field(default_factory=Counter)  # by whether events changed the state
    score_changes: int = 0
    alerts: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # kind, severity, status


@dataclass(slots=True)
class Touched:
    """An account this batch touched: where its row lives and whether events changed it."""

    partition: int
    entry: AccountEntry
    state_changed: bool = False


class AccountProcessor:
    def __init__(
        self,
        model: HealthModel,
        table: StateTable,
        outputs: Outputs,
        metrics: Metrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache: EntryCache | None = None,
        on_health: Callable[[Health, int], None] = lambda health, partition: None,
        population: PopulationShare | None = None,
        strict_fields: bool = False,
    ) -> None:
        self.model = model
        # Reject events with fields the contract does not name, rather than ignore them.
        self.strict_fields = strict_fields
        self.table = table
        self.outputs = outputs
        self.metrics = metrics
        self.clock = clock
        self.cache = cache if cache is not None else EntryCache()
        self.on_health = on_health
        # Ranks factors against, and publishes each account's contribution to,
        # the population; only when the model ranks a factor at all.
        self.population = population if population is not None and ranked_factors(model) else None
        self._ranked_in = self.population.population if self.population is not None else None
        # Accounts whose alert state waits on the clock (pending, clearing or
        # escalating): re-evaluated on every scheduled run, not once per pass.
        self.watched: set[str] = set()
        # Entries evaluated since the last `write_rows`, with their partitions:
        # held here (the cache may drop them) until their rows are written.
        self.unwritten: dict[str, tuple[int, AccountEntry]] = {}
        # Accounts whose row this process has written since it got its partitions.
        # A restarted worker's RocksDB can hold rows whose changelog records never
        # left before the crash; re-read events are then duplicates that change
        # nothing, so the first touch of an account re-writes its row anyway.
        self.confirmed: set[str] = set()
        self.max_age = timedelta(days=model.longest_window_days)
        # Labelled children looked up once: labels() costs as much as folding an event.
        self._scored = {
            True: metrics.scores_computed.labels("event"),
            False: metrics.scores_computed.labels("schedule"),
        }
        self._lag: dict[str, HistogramTally] = {}
        self._rules: dict[str | None, AlertRules] = {}

    def forget(self) -> None:
        """Partitions are moving: decoded rows and write confirmations may be stale.

        Rows not yet written are written first: they hold events whose offsets
        may be committed already.
        """
        self.write_rows()
        self.cache.clear()
        self.confirmed.clear()

    def write_rows(self, accounts: Iterable[str] | None = None) -> int:
        """Write the rows of the accounts evaluated since they were last written
        (of those in `accounts`, or all); how many."""
        if accounts is None:
            accounts = list(self.unwritten)
        written = 0
        for account_id in accounts:
            pending = self.unwritten.pop(account_id, None)
            if pending is None:
                continue
            partition, entry = pending
            self.table.put(account_id, partition, entry.dump())
            self.confirmed.add(account_id)
            written += 1
        return written

    def rules_for(self, health: Health) -> AlertRules:
        """Alert rules whose band edges are those of the account's lifecycle stage,
        so hysteresis is measured from the edges the score was banded with."""
        stage = health.lifecycle_stage
        rules = self._rules.get(stage)
        if rules is None:
            bands = self.model.resolved(stage).bands
            rules = self.model.alerts.with_band_edges(bands.healthy, bands.at_risk)
            self._rules[stage] = rules
        return rules

    def entry(self, account_id: str) -> AccountEntry | None:
        """The account's decoded row, from the cache or the table (None if unknown)."""
        pending = self.unwritten.get(account_id)
        if pending is not None:
            return pending[1]
        cached = self.cache.get(account_id)
        if cached is not None:
            return cached
        raw = self.table.get(account_id)
        if raw is None:
            return None
        entry = AccountEntry.load(raw, account_id)
        self.cache.put(account_id, entry)
        return entry

    async def process(self, messages: list[RawMessage]) -> None:
        """Fold a batch into state, then score, alert and store each touched account once."""
        now = self.clock()
        touched: dict[str, Touched] = {}
        outcomes: Counter[tuple[str, str]] = Counter()
        for message in messages:
            if message.topic == TICKS:
                self._take_ticks(message, touched)
                continue
            if message.topic == REPARTITION:  # a copy that does not say where from
                await self._reject_orphan(message)
                outcomes[(message.topic, "rejected")] += 1
                continue
            try:
                await self._fold(message, now, touched, outcomes)
            except Exception as exc:
                await self._dead_letter(message, exc)
                outcomes[(message.topic, "rejected")] += 1
        for (topic, outcome), number in outcomes.items():
            self.metrics.events.labels(topic, outcome).inc(number)
        for tally in self._lag.values():
            tally.add_to_histogram()
        counts = _Counts()
        try:
            for account_id, touch in touched.items():
                try:
                    await self._evaluate(account_id, touch, now, counts)
                except Exception:
                    log.exception("evaluating account %s failed", account_id)
                    if touch.state_changed:  # keep the events even when scoring trips
                        self.unwritten[account_id] = (touch.partition, touch.entry)
        finally:
            self._count(counts)

    def _count(self, counts: _Counts) -> None:
        for by_events, number in counts.scored.items():
            self._scored[by_events].inc(number)
        if counts.score_changes:
            self.metrics.score_changes.inc(counts.score_changes)
        for labels, number in counts.alerts.items():
            self.metrics.alerts.labels(*labels).inc(number)

    def _take_ticks(self, message: RawMessage, touched: dict[str, Touched]) -> None:
        ids = orjson.loads(message.value) if message.value else []
        for account_id in ids:
            account_id = str(account_id)
            if account_id in touched:
                continue
            entry = self.entry(account_id)
            if entry is not None:
                touched[account_id] = Touched(message.partition, entry)

    async def _fold(
        self,
        message: RawMessage,
        now: datetime,
        touched: dict[str, Touched],
        outcomes: Counter[tuple[str, str]],
    ) -> None:
        parsed = parse_message(
            message.topic,
            message.key,
            message.value,
            now,
            self.max_age,
            records=True,
            strict_fields=self.strict_fields,
        )
        if parsed.unknown_fields:
            self.metrics.unknown_fields.labels(message.topic).inc(parsed.unknown_fields)
        for rejection in parsed.rejections:
            await self.outputs.reject(message, rejection)
            self.metrics.dlq_messages.labels(message.topic, rejection.reason.value).inc()
        if parsed.rejections:
            outcomes[(message.topic, "rejected")] += len(parsed.rejections)
        if not parsed.events:
            return
        # Keys were checked against account_id: every event here is the same account's.
        account_id = parsed.events[0].account_id
        touch = touched.get(account_id)
        if touch is None:
            entry = self.entry(account_id) or AccountEntry.load(None, account_id)
            touch = touched[account_id] = Touched(message.partition, entry)
        accepted, newest = apply_events(touch.entry.state, parsed.events, self.model, now)
        if newest is not None:
            # Once per message, not per event: a batch shares one arrival.
            lag = (now - newest).total_seconds()
            lag_of_topic = self._lag.get(message.topic)
            if lag_of_topic is None:
                lag_of_topic = self._lag[message.topic] = HistogramTally(
                    self.metrics.event_lag.labels(message.topic)
                )
            lag_of_topic.observe(max(0.0, lag))
        if accepted:
            touch.state_changed = True
            outcomes[(message.topic, "accepted")] += accepted
        if accepted < len(parsed.events):
            outcomes[(message.topic, "duplicate")] += len(parsed.events) - accepted

    async def _reject_orphan(self, message: RawMessage) -> None:
        detail = "a record on the repartition topic without a header naming its input topic"
        rejection = Rejection(RejectReason.PROCESSING_ERROR, detail, message.value)
        await self.outputs.reject(message, rejection)
        self.metrics.dlq_messages.labels(message.topic, rejection.reason.value).inc()

    async def _dead_letter(self, message: RawMessage, exc: Exception) -> None:
        """A message the worker failed on (a bug) is kept in the DLQ, never fatal.

        Otherwise it would crash the agent, be re-delivered after the restart,
        and stop the partition for good.
        """
        log.exception(
            "processing %s[%d]@%d failed", message.full_topic, message.partition, message.offset
        )
        detail = f"{type(exc).__name__}: {exc}"[:1000]
        rejection = Rejection(RejectReason.PROCESSING_ERROR, detail, message.value)
        await self.outputs.reject(message, rejection)
        self.metrics.dlq_messages.labels(message.topic, rejection.reason.value).inc()

    async def _evaluate(
        self, account_id: str, touch: Touched, now: datetime, counts: _Counts
    ) -> None:
        """Score the account, evaluate its alerts and publish both; the entry takes
        the new alert state and published health only once they are published.
        Then its ranked measures go to the population (when the model ranks any)."""
        entry = touch.entry
        measures: dict[str, float] | None = None
        if self.population is None:
            health = score(entry.state, now, self.model)
        else:  # the ranked factors' measures from the same signals
            health, measures = score_with_measures(entry.state, now, self.model, self._ranked_in)
        counts.scored[touch.state_changed] += 1
        alerts, events = evaluate_alerts(entry.alerts, health, now, self.rules_for(health))
        changed = (health, json_bytes(health)) if health_changed(entry.health, health) else None
        if touch.state_changed or account_id not in self.confirmed:
            self.unwritten[account_id] = (touch.partition, entry)
        self.cache.put(account_id, entry)
        try:
            await self.outputs.publish(account_id, changed, events)
        except Exception:
            # Nothing of this evaluation went out, and the entry says so: the
            # events stay folded, but the alert state and the published health
            # are the old ones, so the next evaluation (soon: the account is
            # watched) raises the same alerts and publishes the health again.
            log.exception("publishing account %s failed; it is evaluated again", account_id)
            self.metrics.publish_failures.inc()
            self.watched.add(account_id)
            return
        alerts_moved = bool(events) or _phases(alerts) != _phases(entry.alerts)
        entry.alerts = alerts
        if _waits_on_the_clock(alerts):
            self.watched.add(account_id)
        else:
            self.watched.discard(account_id)
        if changed is not None:
            entry.published_as(*changed)
            counts.score_changes += 1
        self.on_health(health, touch.partition)
        if changed is not None or alerts_moved:
            self.unwritten[account_id] = (touch.partition, entry)
        for alert in events:
            counts.alerts[(alert.kind.value, alert.severity.value, alert.status.value)] += 1
        if self.population is not None and measures is not None:
            profile = entry.state.profile
            self.population.offer(account_id, profile.segment if profile else None, measures)


def _waits_on_the_clock(state: AccountAlertState) -> bool:
    return any(
        kind.phase is Phase.PENDING
        or kind.clear_since is not None
        or kind.escalating_since is not None
        for kind in state.kinds.values()
    )


def _phases(state: AccountAlertState | None) -> dict[str, str]:
    if state is None:
        return {}
    return {kind: kind_state.phase.value for kind, kind_state in state.kinds.items()}
