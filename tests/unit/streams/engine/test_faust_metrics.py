"""faust's own sensor reports into our registry, in base units, under one prefix."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import faust
from faust.sensors.prometheus import PrometheusMonitor
from faust.types import TP
from faust.types.tuples import ConsumerMessage
from prometheus_client import CollectorRegistry, generate_latest

from models.model_config import load_model
from sinks.metrics import create_metrics
from streams.api.web import attach_views
from streams.engine.faust_metrics import FaustMonitor, attach_faust_metrics, faust_metrics


def new_app() -> faust.App:
    return faust.App("faust-metrics-test", broker="kafka://localhost:1", autodiscover=False)


def test_the_sensor_becomes_the_apps_monitor_and_adds_no_route() -> None:
    app = new_app()
    metrics = create_metrics()
    pipeline: Any = SimpleNamespace(
        settings=SimpleNamespace(api_token=None), metrics=metrics, model=load_model()
    )
    reader: Any = SimpleNamespace()
    attach_views(app, pipeline, reader)
    monitor = attach_faust_metrics(app, metrics.registry)
    assert app.monitor is monitor
    assert list(app.web.views).count("/metrics") == 1
    names = {m.name for m in metrics.registry.collect()}
    assert "healthscore_faust_messages_received" in names
    assert "healthscore_events" in names, "our own metrics share the registry"


def test_every_faust_metric_has_our_prefix_and_no_abbreviated_unit() -> None:
    registry = CollectorRegistry()
    attach_faust_metrics(new_app(), registry)
    families = list(registry.collect())
    assert len(families) == 26
    for family in families:
        assert family.name.startswith("healthscore_faust_"), family.name
        parts = family.name.split("_")
        assert not {"ms", "total"} & set(parts), family.name
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
    exposition = generate_latest(registry).decode()
    assert "_total_total" not in exposition


def test_latencies_are_observed_in_seconds() -> None:
    registry = CollectorRegistry()
    monitor = attach_faust_metrics(new_app(), registry)
    monitor.on_send_completed(None, time.monotonic() - 0.25, None)  # type: ignore[arg-type]
    total = registry.get_sample_value("healthscore_faust_producer_send_latency_seconds_sum")
    assert total is not None and 0.2 < total < 1.0
    assert registry.get_sample_value("healthscore_faust_messages_sent_total") == 1.0


def test_rebalance_and_http_latencies_measure_the_whole_span() -> None:
    registry = CollectorRegistry()
    monitor: FaustMonitor = attach_faust_metrics(new_app(), registry)
    app: Any = SimpleNamespace(rebalancing_count=1)
    state = monitor.on_rebalance_start(app)
    state["time_start"] -= 2.0
    monitor.on_rebalance_return(app, state)
    monitor.on_rebalance_end(app, state)
    assigned = registry.get_sample_value(
        "healthscore_faust_rebalance_assignment_latency_seconds_sum"
    )
    done = registry.get_sample_value("healthscore_faust_rebalance_latency_seconds_sum")
    assert assigned is not None and assigned >= 2.0
    assert done is not None and done >= 2.0
    assert registry.get_sample_value("healthscore_faust_rebalances_assigning") == 0.0
    assert registry.get_sample_value("healthscore_faust_rebalances_recovering") == 0.0

    request_state = {"time_start": monitor.time() - 0.5}
    response = SimpleNamespace(status=404)
    monitor.on_web_request_end(app, None, response, request_state)
    http = registry.get_sample_value("healthscore_faust_http_latency_seconds_sum")
    assert http is not None and http >= 0.5
    responses = registry.get_sample_value(
        "healthscore_faust_http_responses_total", {"status_code": "404"}
    )
    assert responses == 1.0


class TaskOwner:
    pass


def test_per_message_hooks_report_what_fausts_own_sensor_reports() -> None:
    """The cached per-message hooks must count exactly like faust's PrometheusMonitor."""
    app = new_app()
    stream: Any = app.topic("logins", "tickets", value_serializer="raw").stream()
    stream.task_owner = TaskOwner()  # faust keys per-task figures by a weak reference
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    monitors = [
        FaustMonitor(metrics=faust_metrics(ours)),
        PrometheusMonitor(metrics=faust_metrics(theirs)),
    ]
    message: Any = SimpleNamespace()
    for monitor in monitors:
        for offset, tp in enumerate([TP("logins", 0), TP("tickets", 1), TP("logins", 0)] * 3):
            monitor.on_message_in(tp, offset, message)
            state = monitor.on_stream_event_in(tp, offset, stream, message)
            monitor.on_stream_event_out(tp, offset, stream, message, state)
            if offset % 2 == 0:  # the others stay in flight
                monitor.on_message_out(tp, offset, message)
            monitor.track_tp_end_offset(tp, 100 + offset)

    def samples(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
        return {
            (s.name, str(sorted(s.labels.items()))): s.value
            for family in registry.collect()
            if "runtime" not in family.name  # latency: measured, so it differs
            for s in family.samples
            if not s.name.endswith("_created")
        }

    assert samples(ours) == samples(theirs)
    assert ours.get_sample_value("healthscore_faust_messages_received_total") == 9.0
    assert ours.get_sample_value("healthscore_faust_active_messages") == 4.0
    read = ours.get_sample_value(
        "healthscore_faust_topic_partition_read_offset", {"topic": "logins", "partition": "0"}
    )
    assert read == 8.0
    end = ours.get_sample_value(
        "healthscore_faust_topic_partition_end_offset", {"topic": "tickets", "partition": "1"}
    )
    assert end == 107.0


def test_batch_hooks_report_what_the_per_message_hooks_report() -> None:
    per_message, per_batch = CollectorRegistry(), CollectorRegistry()
    one_by_one = FaustMonitor(metrics=faust_metrics(per_message))
    batched = FaustMonitor(metrics=faust_metrics(per_batch))

    def batch() -> list[Any]:
        tps = [TP("logins", 0), TP("tickets", 1), TP("logins", 0), TP("logins", 2)] * 3
        return [
            ConsumerMessage(tp.topic, tp.partition, offset, 0.0, 0, [], b"k", b"v", None)
            for offset, tp in enumerate(tps)
        ]

    singles, together = batch(), batch()
    for each in singles:
        one_by_one.on_message_in(each.tp, each.offset, each)
    batched.on_messages_in(together)
    for each in singles[::2]:
        one_by_one.on_message_out(each.tp, each.offset, each)
    batched.on_messages_out(together[::2])

    def samples(registry: CollectorRegistry) -> dict[tuple[str, str], float]:
        return {
            (s.name, str(sorted(s.labels.items()))): s.value
            for family in registry.collect()
            for s in family.samples
            if not s.name.endswith("_created")
        }

    assert samples(per_batch) == samples(per_message)
    assert per_batch.get_sample_value("healthscore_faust_active_messages") == 6.0
    for field_name in ("messages_received_total", "messages_active", "tp_read_offsets"):
        assert getattr(batched, field_name) == getattr(one_by_one, field_name), field_name
    assert batched.messages_received_by_topic == {"logins": 9, "tickets": 3}
    assert all(each.time_total is not None for each in together[::2])


def test_partition_figures_come_back_after_a_rebalance_clears_them() -> None:
    """faust drops every per-partition series when a rebalance ends; the first
    message after it must bring the series back, for partitions seen before too."""
    registry = CollectorRegistry()
    monitor: FaustMonitor = attach_faust_metrics(new_app(), registry)
    app: Any = SimpleNamespace(rebalancing_count=1)
    logins = TP("logins", 0)

    def read_offset() -> float | None:
        return registry.get_sample_value(
            "healthscore_faust_topic_partition_read_offset", {"topic": "logins", "partition": "0"}
        )

    def fetched(offset: int) -> None:
        message = ConsumerMessage("logins", 0, offset, 0.0, 0, [], b"k", b"v", None)
        monitor.track_tp_end_offset(logins, offset + 1)
        monitor.on_messages_in([message])

    fetched(5)
    assert read_offset() == 5.0
    state = monitor.on_rebalance_start(app)
    monitor.on_rebalance_return(app, state)
    monitor.on_rebalance_end(app, state)
    assert read_offset() is None, "faust cleared it"
    fetched(6)
    assert read_offset() == 6.0
    end = registry.get_sample_value(
        "healthscore_faust_topic_partition_end_offset", {"topic": "logins", "partition": "0"}
    )
    assert end == 7.0
    per_topic = registry.get_sample_value(
        "healthscore_faust_topic_messages_received_total", {"topic": "logins"}
    )
    assert per_topic == 1.0
