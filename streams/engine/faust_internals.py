"""Every private name of faust-streaming, mode-streaming and aiokafka that healthscore uses.

faust-streaming hands a consumer's fetches to its streams one message at a
time and commits what its ack books say; healthscore fetches in bulk and
guards those commits (streams.engine.bulk_consumer, streams.engine.commit_guard), writes
table rows without a send each (streams.topology.pipeline) and exports faust's sensor
under its own names (streams.engine.faust_metrics). That takes names no release
promises to keep. They are all here, and nowhere else:

- `INTERNALS` lists each one: where it lives, why it is needed, and the
  version it was read from (`READ_FROM`); `missing()` says which of them the
  installed packages no longer have, or have with other parameters, and
  tests/unit/test_faust_internals.py fails on any.
- The rest of the code reaches them only through this module: the base
  classes below give faust's private attributes and steps public names
  (`ConsumerInternals.acked_offsets` is `Consumer._acked`), and turn the
  private methods healthscore overrides into public hooks
  (`ConsumerInternals.new_offset` is what `Consumer._new_offset` calls);
  small functions cover the rest.

Upgrading faust, mode or aiokafka: docs/upgrading-faust.md.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module, metadata
from operator import attrgetter
from typing import Any
from weakref import WeakSet

import faust
from faust.sensors.prometheus import PrometheusMonitor
from faust.streams import _current_event
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, ConsumerT, EventT, Message
from faust.types.tuples import ack_lock as faust_ack_lock

# The versions every name below was read from; docs/upgrading-faust.md says how to move them.
READ_FROM = {"faust-streaming": "0.15.3", "mode-streaming": "0.7.1", "aiokafka": "0.14.0"}
_DISTRIBUTION = {"faust": "faust-streaming", "mode": "mode-streaming", "aiokafka": "aiokafka"}


@dataclass(frozen=True)
class Internal:
    """One private (or undocumented) name: `owner` is "module" or "module:Class".

    `params` are a callable's parameter names, `self` left out; None for an
    attribute, which is looked for where the owner's classes assign it.
    """

    owner: str
    name: str
    why: str
    params: tuple[str, ...] | None = None

    @property
    def distribution(self) -> str:
        return _DISTRIBUTION[self.owner.split(".", 1)[0]]

    @property
    def read_from(self) -> str:
        return f"{self.distribution} {READ_FROM[self.distribution]}"


CONSUMER = "faust.transport.consumer:Consumer"
BULK = "bulk delivery (streams.engine.bulk_consumer)"
INTERNALS: tuple[Internal, ...] = (
    # The consumer's fetch loop, replaced to deliver a fetch at a time.
    Internal(CONSUMER, "_drain_messages", f"overridden: {BULK}'s fetch loop", ("fetcher",)),
    Internal(CONSUMER, "_wait_next_records", f"{BULK}: one fetch", ("timeout",)),
    Internal(
        "faust.transport.consumer:ThreadDelegateConsumer",
        "_getmany",
        f"overridden: {BULK} lets the consumer thread's fetch outlive a stopped flow",
        ("active_partitions", "timeout"),
    ),
    Internal("faust.transport.drivers.aiokafka:Consumer", "_to_message", BULK, ("tp", "record")),
    Internal(CONSUMER, "_read_offset", f"{BULK}: the last offset delivered per partition"),
    Internal(CONSUMER, "_add_gap", f"{BULK}: a gap in offsets", ("tp", "offset_from", "offset_to")),
    Internal(
        CONSUMER,
        "_buffered_partitions",
        f"{BULK} and streams.engine.fetch_watch: partitions fetched as active",
    ),
    Internal(CONSUMER, "_commit_every", f"{BULK}: the commit-every-n-acks setting"),
    Internal(CONSUMER, "_n_acked", f"{BULK}: acks since the last commit; `ack_all` adds"),
    Internal("mode.services:Service", "_stopped", f"{BULK}: the stop test of its fetch loop"),
    Internal(
        "faust.transport.consumer",
        "CONSUMER_FETCHING",
        f"{BULK}: the diag flag faust's own fetch loop sets (public, undocumented)",
    ),
    # The ack books, kept for a batch at once (`ack_all`) and guarded at commit.
    Internal(CONSUMER, "_acked", "ack_all adds to it; the commit guard reads its lowest"),
    Internal(CONSUMER, "_acked_index", "ack_all adds to it, as Consumer.ack does"),
    Internal(CONSUMER, "_gap", "the commit guard reads the lowest gap"),
    Internal(CONSUMER, "_committed_offset", "ack_all; perform_seek finds those never committed"),
    Internal(CONSUMER, "_unacked_messages", "ack_all removes acked messages, as Consumer.ack does"),
    Internal(CONSUMER, "_waiting_for_ack", "ack_all wakes a commit waiting for acks"),
    Internal(
        "faust.types.tuples",
        "ack_lock",
        "the lock Message.ack and .incref take; a batch takes it once (public, undocumented)",
    ),
    Internal(CONSUMER, "_new_offset", "overridden: the commit guard vetoes a commit", ("tp",)),
    # Commits: rows are written before any offset (streams.topology.pipeline's write_rows).
    Internal(
        CONSUMER,
        "_commit_tps",
        "overridden: the rows are written before offsets are committed",
        ("tps", "start_new_transaction"),
    ),
    Internal(CONSUMER, "_filter_committable_offsets", "the overridden _commit_tps", ("tps",)),
    Internal(CONSUMER, "_handle_attached", "the overridden _commit_tps", ("commit_offsets",)),
    Internal(
        CONSUMER,
        "_commit_offsets",
        "the overridden _commit_tps",
        ("offsets", "start_new_transaction"),
    ),
    # Where each partition stands, for the fetch watch.
    Internal(
        CONSUMER,
        "_active_partitions",
        "streams.engine.fetch_watch finds input partitions left out of it, and logs",
    ),
    Internal(
        CONSUMER, "_paused_partitions", "streams.engine.fetch_watch logs whether it is paused"
    ),
    # Stand-in for the consumer thread in unit tests (seek, position, assignment).
    Internal(
        "faust.transport.drivers.aiokafka:Consumer",
        "_thread",
        "tests/unit replace the consumer thread with a fake",
    ),
    # The app builds our consumer.
    Internal("faust.app.base:App", "_new_consumer", "overridden: the app's consumer is ours", ()),
    Internal(
        "faust.app.base:App",
        "_on_partitions_revoked",
        "the consumer's revoke callback",
        ("revoked",),
    ),
    Internal(
        "faust.app.base:App",
        "_on_partitions_assigned",
        "the consumer's assign callback",
        ("assigned", "generation_id"),
    ),
    # Table rows written as Faust would, changelog records batched (streams.topology.pipeline).
    Internal(
        "faust.streams",
        "_current_event",
        "the store writes to the current event's partition; rows are written outside a stream",
    ),
    Internal("faust.stores.base:Store", "_encode_key", "a row's changelog record key", ("key",)),
    Internal("faust.stores.base:Store", "_encode_value", "a row's changelog value", ("value",)),
    Internal(
        "faust.transport.drivers.aiokafka:Producer",
        "_ensure_producer",
        "record batches go to aiokafka's producer itself (streams.engine.record_batches)",
        (),
    ),
    Internal(
        "faust.channels:Channel",
        "queue",
        "the scoring agent gathers fetches while more wait (public, not in ChannelT)",
    ),
    # faust's Prometheus sensor under our names (streams.engine.faust_metrics).
    Internal("faust.sensors.prometheus:PrometheusMonitor", "_metrics", "the sensor's metrics"),
    Internal(
        "faust.sensors.prometheus:PrometheusMonitor",
        "_stream_label",
        "the per-stream label, cached per stream",
        ("stream",),
    ),
    Internal(
        "faust.sensors.prometheus:PrometheusMonitor",
        "_clear_partition_related_metrics",
        "after a rebalance, as faust's on_rebalance_end does",
        (),
    ),
    # aiokafka's record batch as bytes, to read back in tests/unit/test_record_batches.py.
    Internal("aiokafka.producer.message_accumulator:BatchBuilder", "_build", "tests only", ()),
)


def _owner(internal: Internal) -> Any:
    module, _, qualname = internal.owner.partition(":")
    found: Any = import_module(module)
    for part in filter(None, qualname.split(".")):
        found = getattr(found, part)
    return found


def _assigns(cls: type, name: str) -> bool:
    """Whether a class of `cls`'s MRO declares `name` or assigns `self.name`."""
    pattern = re.compile(rf"(self\.{name}\s*[:=]|^\s+{name}\s*:)", re.MULTILINE)
    for klass in cls.__mro__:
        if name in vars(klass) or name in getattr(klass, "__annotations__", {}):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if pattern.search(source):
            return True
    return False


def missing(internals: tuple[Internal, ...] = INTERNALS) -> list[str]:
    """The listed names the installed packages lack or have with other parameters."""
    problems = []
    for internal in internals:
        where = f"{internal.owner}.{internal.name}"
        try:
            owner = _owner(internal)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{where}: its owner is gone ({exc})")
            continue
        if internal.params is None:
            found = hasattr(owner, internal.name) or (
                isinstance(owner, type) and _assigns(owner, internal.name)
            )
            if not found:
                problems.append(f"{where}: no such attribute")
            continue
        member = getattr(owner, internal.name, None)
        if not callable(member):
            problems.append(f"{where}: no such callable")
            continue
        params = tuple(inspect.signature(member).parameters)
        if isinstance(owner, type) and params[:1] == ("self",):
            params = params[1:]
        if params != internal.params:
            problems.append(f"{where}: parameters {params}, expected {internal.params}")
    return problems


def version_drift() -> dict[str, tuple[str, str]]:
    """Packages installed at another version than the names were read from:
    name -> (read from, installed)."""
    drift = {}
    for name, version in READ_FROM.items():
        installed = metadata.version(name)
        if installed != version:
            drift[name] = (version, installed)
    return drift


def _alias(private: str) -> Any:
    """A public name for the instance's private attribute `private`, read and written."""
    return property(
        attrgetter(private),
        lambda self, value: setattr(self, private, value),
        doc=f"faust's `{private}` (see streams.engine.faust_internals).",
    )


# --- faust's Consumer -------------------------------------------------------------

ack_lock = faust_ack_lock
CONSUMER_FETCHING = faust_consumer.CONSUMER_FETCHING


class ConsumerInternals(faust_aiokafka.Consumer):
    """faust's aiokafka Consumer: its private books and steps under public names, and
    the private methods healthscore overrides as public hooks (each defaults to faust's)."""

    # The ack books.
    acked_offsets: MutableMapping[TP, list[int]] = _alias("_acked")
    acked_index: MutableMapping[TP, set[int]] = _alias("_acked_index")
    gaps: MutableMapping[TP, Any] = _alias("_gap")  # intervaltree.IntervalTree per partition
    committed_offsets: MutableMapping[TP, int | None] = _alias("_committed_offset")
    unacked_messages: WeakSet[Message] = _alias("_unacked_messages")
    waiting_for_ack: asyncio.Future[None] | None = _alias("_waiting_for_ack")
    n_acked: int = _alias("_n_acked")
    commit_every: int | None = _alias("_commit_every")
    # The fetch loop's state.
    read_offsets: MutableMapping[TP, int | None] = _alias("_read_offset")
    buffered_partitions: set[TP] = _alias("_buffered_partitions")
    active_partitions: set[TP] = _alias("_active_partitions")
    paused_partitions: set[TP] = _alias("_paused_partitions")
    consumer_thread: Any = _alias("_thread")
    # Steps of faust's fetch loop and commit.
    wait_next_records: Callable[[float], Awaitable[tuple[Any, set[TP] | None]]] = _alias(
        "_wait_next_records"
    )
    to_message: Callable[[TP, Any], Message] = _alias("_to_message")
    add_gap: Callable[[TP, int, int], Awaitable[None]] = _alias("_add_gap")
    filter_committable_offsets: Callable[[Any], dict[TP, int]] = _alias(
        "_filter_committable_offsets"
    )
    handle_attached: Callable[[Mapping[TP, int]], Awaitable[None]] = _alias("_handle_attached")
    commit_offsets: Callable[..., Awaitable[bool]] = _alias("_commit_offsets")

    # Hooks: faust calls the private method, which calls the public one.
    def _new_offset(self, tp: TP) -> int | None:
        return self.new_offset(tp)

    def new_offset(self, tp: TP) -> int | None:
        """The offset to commit for `tp`, or None (faust's `_new_offset`)."""
        offset: int | None = super()._new_offset(tp)
        return offset

    async def _commit_tps(self, tps: Any, start_new_transaction: bool) -> bool:
        return await self.commit_tps(tps, start_new_transaction)

    async def commit_tps(self, tps: Any, start_new_transaction: bool) -> bool:
        """Commit what `tps` may commit (faust's `_commit_tps`)."""
        done: bool = await super()._commit_tps(tps, start_new_transaction)
        return done

    async def _getmany(self, active_partitions: set[TP] | None, timeout: float) -> Any:  # noqa: ASYNC109 (faust's parameter name)
        return await self.fetch_records(active_partitions, timeout)

    async def fetch_records(self, active_partitions: set[TP] | None, wait_seconds: float) -> Any:
        """One fetch of the consumer thread: the records per partition (faust's `_getmany`)."""
        return await super()._getmany(active_partitions, wait_seconds)

    async def _drain_messages(self, fetcher: Any) -> None:
        await self.drain_messages(fetcher)

    async def drain_messages(self, fetcher: Any) -> None:
        """The fetch loop the fetcher runs (faust's `_drain_messages`)."""
        await super()._drain_messages(fetcher)


def stop_test(service: Any) -> Callable[[], bool]:
    """Whether a mode Service (the consumer, its fetcher) has been told to stop."""
    is_set: Callable[[], bool] = service._stopped.is_set
    return is_set


# --- faust's App ------------------------------------------------------------------


class AppInternals(faust.App):
    """faust's App: the consumer it builds as a public hook, and its partition callbacks."""

    partitions_revoked_callback: Callable[..., Awaitable[None]] = _alias("_on_partitions_revoked")
    partitions_assigned_callback: Callable[..., Awaitable[None]] = _alias("_on_partitions_assigned")

    def _new_consumer(self) -> ConsumerT:
        return self.new_consumer()

    def new_consumer(self) -> ConsumerT:
        """The app's consumer (faust's `_new_consumer`)."""
        consumer: ConsumerT = super()._new_consumer()
        return consumer


# --- faust's Prometheus sensor ----------------------------------------------------


class PrometheusMonitorInternals(PrometheusMonitor):
    """faust's Prometheus sensor with its metrics and helpers under public names."""

    prometheus_metrics: Any = _alias("_metrics")  # faust.sensors.prometheus.FaustMetrics
    stream_label: Callable[[Any], str] = _alias("_stream_label")
    clear_partition_related_metrics: Callable[[], None] = _alias("_clear_partition_related_metrics")


# --- Tables, producer, channels ---------------------------------------------------


@contextmanager
def current_event_as(event: EventT[Any] | None) -> Iterator[None]:
    """Faust's current event set to `event` (or to none) for the duration."""
    token = _current_event.set(weakref.ref(event) if event is not None else None)
    try:
        yield
    finally:
        _current_event.reset(token)


def encode_key(store: Any, key: Any) -> bytes:
    """The changelog record key faust's `store` writes for `key`."""
    encoded: bytes = store._encode_key(key)
    return encoded


def encode_value(store: Any, value: Any) -> bytes | None:
    """The changelog record value faust's `store` writes for `value`."""
    encoded: bytes | None = store._encode_value(value)
    return encoded


def aiokafka_producer(producer: Any) -> Callable[[], Any]:
    """A callable giving the aiokafka producer behind faust's `producer`, started or not."""
    ensure: Callable[[], Any] = producer._ensure_producer
    return ensure


def channel_queue(stream: Any) -> Any:
    """The queue behind a stream's channel (faust.channels.Channel.queue)."""
    return stream.channel.queue


def built_batch(builder: Any) -> bytes:
    """aiokafka's BatchBuilder's records as the bytes it sends (tests only)."""
    return bytes(builder._build())
