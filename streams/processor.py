"""What a worker does with each input message and each re-evaluation request.

Framework-free: the Faust agents in streams.pipeline hand messages in and give
it a table to read and write and an `Outputs` to publish through, so the whole
flow (validate → state → score → alerts) is one readable place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from models.alert_event import AlertEvent
from models.alert_rules import AlertRules
from models.alert_state import AccountAlertState
from models.alerting import evaluate_alerts
from models.health import Health
from models.model_config import HealthModel
from models.scoring import score
from models.state import AccountState, apply_event, new_state
from models.validation import Rejection, RejectReason, parse_message
from sinks.metrics import Metrics

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
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
    async def score(self, health: Health) -> None: ...
    async def alert(self, alert: AlertEvent) -> None: ...
    async def reject(self, message: RawMessage, rejection: Rejection) -> None: ...


@dataclass(slots=True)
class AccountEntry:
    """One account's row in the state table: events folded so far, alerts, last health."""

    state: AccountState
    alerts: AccountAlertState | None
    health: Health | None

    @classmethod
    def load(cls, raw: dict[str, Any] | None, account_id: str) -> AccountEntry:
        if raw is None:
            return cls(new_state(account_id), None, None)
        alerts, health = raw.get("alerts"), raw.get("health")
        return cls(
            AccountState.model_validate(raw["state"]),
            AccountAlertState.model_validate(alerts) if alerts else None,
            Health.model_validate(health) if health else None,
        )

    def dump(self) -> dict[str, Any]:
        return {
            "state": self.state.model_dump(mode="json"),
            "alerts": self.alerts.model_dump(mode="json") if self.alerts else None,
            "health": self.health.model_dump(mode="json") if self.health else None,
        }


def health_changed(before: Health | None, after: Health) -> bool:
    """Whether `after` is worth publishing: a different score, band, or confidence."""
    if before is None:
        return True
    return (
        round(before.score, 1) != round(after.score, 1)
        or before.band != after.band
        or round(before.confidence, 2) != round(after.confidence, 2)
        or before.model_version != after.model_version
        or [d.code for d in before.drivers] != [d.code for d in after.drivers]
    )


class AccountProcessor:
    def __init__(
        self,
        model: HealthModel,
        table: MutableMapping[str, Any],
        outputs: Outputs,
        metrics: Metrics,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.model = model
        self.table = table
        self.outputs = outputs
        self.metrics = metrics
        self.clock = clock
        self.max_age = timedelta(days=model.longest_window_days)
        self._rules: dict[str | None, AlertRules] = {}

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

    async def on_message_safely(self, message: RawMessage) -> None:
        """Process a message; a failure is dead-lettered with the message, never fatal.

        Otherwise one message that trips a bug would crash the agent, be
        re-delivered after the restart, and stop the partition for good.
        """
        try:
            await self.on_message(message)
        except Exception as exc:
            log.exception(
                "processing %s[%d]@%d failed", message.full_topic, message.partition, message.offset
            )
            detail = f"{type(exc).__name__}: {exc}"[:1000]
            rejection = Rejection(RejectReason.PROCESSING_ERROR, detail, message.value)
            await self.outputs.reject(message, rejection)
            self.metrics.dlq_messages.labels(message.topic, rejection.reason.value).inc()
            self.metrics.events.labels(message.topic, "rejected").inc()

    async def on_message(self, message: RawMessage) -> None:
        now = self.clock()
        parsed = parse_message(message.topic, message.key, message.value, now, self.max_age)
        for rejection in parsed.rejections:
            await self.outputs.reject(message, rejection)
            self.metrics.dlq_messages.labels(message.topic, rejection.reason.value).inc()
        if parsed.rejections:
            self.metrics.events.labels(message.topic, "rejected").inc(len(parsed.rejections))
        if not parsed.events:
            return
        # Keys were checked against account_id: every event here is the same account's.
        account_id = parsed.events[0].account_id
        entry = AccountEntry.load(self.table.get(account_id), account_id)
        accepted = 0
        lag = self.metrics.event_lag.labels(message.topic)
        for event in parsed.events:
            if apply_event(entry.state, event, self.model, now):
                accepted += 1
                lag.observe(max(0.0, (now - event.occurred_at).total_seconds()))
        duplicates = len(parsed.events) - accepted
        if accepted:
            self.metrics.events.labels(message.topic, "accepted").inc(accepted)
        if duplicates:
            self.metrics.events.labels(message.topic, "duplicate").inc(duplicates)
        if accepted:
            await self._evaluate(entry, now, "event", state_changed=True)

    async def rescore(self, account_ids: list[str]) -> int:
        """Re-evaluate accounts without new events (silence decays); return how many changed."""
        now = self.clock()
        changed = 0
        for account_id in account_ids:
            raw = self.table.get(account_id)
            if raw is None:
                continue
            entry = AccountEntry.load(raw, account_id)
            if await self._evaluate(entry, now, "schedule", state_changed=False):
                changed += 1
        return changed

    def needs_rescore(self, raw: dict[str, Any], account_id: str, now: datetime) -> bool:
        """Read-only check used by the scheduler: would a re-evaluation change anything?"""
        entry = AccountEntry.load(raw, account_id)
        health = score(entry.state, now, self.model)
        if health_changed(entry.health, health):
            return True
        alerts, events = evaluate_alerts(entry.alerts, health, now, self.rules_for(health))
        return bool(events) or _phases(alerts) != _phases(entry.alerts)

    async def _evaluate(
        self, entry: AccountEntry, now: datetime, trigger: str, *, state_changed: bool
    ) -> bool:
        health = score(entry.state, now, self.model)
        self.metrics.scores_computed.labels(trigger).inc()
        alerts, events = evaluate_alerts(entry.alerts, health, now, self.rules_for(health))
        publish = health_changed(entry.health, health)
        alerts_moved = bool(events) or _phases(alerts) != _phases(entry.alerts)
        entry.alerts = alerts
        if publish:
            entry.health = health
        if state_changed or publish or alerts_moved:
            self.table[entry.state.account_id] = entry.dump()
        if publish:
            await self.outputs.score(health)
            self.metrics.score_changes.inc()
        for alert in events:
            await self.outputs.alert(alert)
            self.metrics.alerts.labels(
                alert.kind.value, alert.severity.value, alert.status.value
            ).inc()
        return publish or alerts_moved


def _phases(state: AccountAlertState | None) -> dict[str, str]:
    if state is None:
        return {}
    return {kind: kind_state.phase.value for kind, kind_state in state.kinds.items()}
