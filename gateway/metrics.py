"""The gateway's Prometheus metrics, in a registry of its own (one per process).

`source` is a configured source's name, `events` for POST /v1/events/{topic},
and `none` for a request that named no known source or route: labels never
carry what a client typed, so a scan of made-up paths adds no series.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OWN_EVENTS = "events"
NO_SOURCE = "none"


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "healthscore_gateway_requests_total",
            "Requests answered, by source and outcome (accepted, unauthorized, unmappable, "
            "invalid, invalid_json, too_large, unsupported_media_type, unavailable, "
            "not_found, method_not_allowed, error)",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "healthscore_gateway_events_total",
            "Events Kafka acknowledged, by source and input topic",
            ["source", "topic"],
            registry=self.registry,
        )
        self.ignored = Counter(
            "healthscore_gateway_ignored_total",
            "Payload items of accepted requests a source deliberately does not map",
            ["source"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "healthscore_gateway_request_duration_seconds",
            "Time from a request's arrival to its reply, Kafka's acknowledgement included",
            ["source"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.kafka_up = Gauge(
            "healthscore_gateway_kafka_up",
            "1 while the producer is connected and its last send was acknowledged, else 0",
            registry=self.registry,
        )
