"""The gateway's throughput per process, against a bare handler producing the same bytes.

    python -m bench.gateway_load [--smoke] [--out FILE]

One `healthscore gateway` process and one ceiling process
(bench.gateway_ceiling: read the body, produce the messages the gateway would
produce for it with the same producer settings, answer 202 once acknowledged)
serve the same requests, sent by a closed-loop load generator in this process
(bench.http_load). Three shapes of traffic:

- `segment_batch`: signed Segment `{"batch": [...]}` requests of 100 track
  calls over 10 accounts (the gateway produces 10 envelopes of ~10 logins);
- `segment_single`: one signed Segment track call per request;
- `own_event`: one login per `POST /v1/events/logins` (bearer token).

The messages the ceiling produces are computed here by the gateway's own code
(the Segment source's mapping and `deliver_events`, `deliver_own_events`), so
both put the same keys and values on their topics. The two are measured in
turns, gateway then ceiling then ceiling then gateway…, each for a warm-up and
a window, so the machine's drift weighs on both alike. The figure that
matters is the ratio gateway / ceiling of each shape (the target is 0.8); the
CPU each server used per request says the same without the load generator
and the broker in it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.http_load import Window, closed_loop
from bench.kafka_io import drop_topics
from bench.worker_process import CLOCK_TICKS, free_port
from bench.workload import FEATURES, ROLES
from gateway.config import load_sources
from gateway.messages import deliver_events
from gateway.own_events import deliver_own_events
from gateway.signatures import sign_segment
from models.model_config import load_model

ROOT = Path(__file__).resolve().parents[1]
SIZES: dict[str, dict[str, Any]] = {
    # Distinct requests of each shape (sent round-robin), rounds of gateway and
    # ceiling, and each turn's warm-up and measured window in seconds.
    "full": {"batches": 300, "singles": 3_000, "rounds": 3, "warmup": 1.5, "seconds": 5.0},
    "smoke": {"batches": 10, "singles": 100, "rounds": 1, "warmup": 1.0, "seconds": 1.5},
}
SHAPES = ("segment_batch", "segment_single", "own_event")
# Connections kept busy: enough that the producer's 20 ms linger does not bound
# the rate (a request waits for its acknowledgement), as many for both servers.
CONNECTIONS = {"segment_batch": 32, "segment_single": 256, "own_event": 256}
BATCH_CALLS, BATCH_ACCOUNTS, ACCOUNTS = 100, 10, 2_000
PARTITIONS = 4
SEGMENT_SECRET = "bench-segment-secret"
TOKEN = "bench-gateway-token"

Produced = list[tuple[str, bytes, bytes]]


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


@dataclass
class Traffic:
    """One shape's requests: the whole HTTP request, its body, its events and the
    messages the gateway produces for it."""

    requests: list[bytes] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    produced: list[Produced] = field(default_factory=list)

    def add(self, path: str, headers: dict[str, str], body: bytes, produced: Produced) -> None:
        lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
        lines += [f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in headers.items())]
        self.requests.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        self.bodies.append(body)
        self.events.append(sum(len(orjson.loads(value)) for _, _, value in produced))
        self.produced.append(produced)


def segment_track(rng: random.Random, account: str, now: datetime) -> dict[str, Any]:
    """A track call as Segment's Webhooks destination sends it (its documented fields)."""
    at = now - timedelta(seconds=rng.randrange(3_600))
    user = f"{account}-u{rng.randrange(40)}"
    return {
        "type": "track",
        "event": rng.choice(FEATURES),
        "messageId": f"bench-{uuid.UUID(int=rng.getrandbits(128))}",
        "userId": user,
        "anonymousId": f"anon-{rng.getrandbits(48):012x}",
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "sentAt": at.isoformat().replace("+00:00", "Z"),
        "receivedAt": at.isoformat().replace("+00:00", "Z"),
        "properties": {"plan": "enterprise", "page": f"/{rng.choice(FEATURES)}", "count": 3},
        "context": {
            "groupId": account,
            "traits": {"role": rng.choice(ROLES), "email": f"{user}@example.com"},
            "library": {"name": "analytics.js", "version": "2.11.1"},
            "ip": "203.0.113.7",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0",
            "page": {"path": "/reports", "url": "https://app.example.com/reports"},
        },
        "integrations": {},
        "version": 2,
    }


def build_traffic(sizes: dict[str, Any], seed: int = 24) -> dict[str, Traffic]:
    """Every shape's requests, with what the gateway's own code produces for each."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    segment = load_sources(None, {"HS_GATEWAY_SEGMENT_SECRET": SEGMENT_SECRET})["segment"]
    max_age = timedelta(days=load_model(None).longest_window_days)

    def segment_request(traffic: Traffic, document: dict[str, Any]) -> None:
        body = orjson.dumps(document)
        mapped = segment.map(orjson.loads(body), now)
        messages = deliver_events(mapped.events, mapped.ignored).messages
        signature = sign_segment(body, SEGMENT_SECRET.encode())
        produced = [(m.topic, m.key, m.value) for m in messages]
        traffic.add("/v1/sources/segment", signature, body, produced)

    traffic = {shape: Traffic() for shape in SHAPES}
    for _ in range(sizes["batches"]):
        accounts = [f"acct-{rng.randrange(ACCOUNTS):05d}" for _ in range(BATCH_ACCOUNTS)]
        calls = [segment_track(rng, rng.choice(accounts), now) for _ in range(BATCH_CALLS)]
        segment_request(traffic["segment_batch"], {"batch": calls})
    for _ in range(sizes["singles"]):
        account = f"acct-{rng.randrange(ACCOUNTS):05d}"
        segment_request(traffic["segment_single"], segment_track(rng, account, now))
    for n in range(sizes["singles"]):
        event = {
            "event_id": f"bench-own-{seed}-{n}",
            "account_id": f"acct-{rng.randrange(ACCOUNTS):05d}",
            "occurred_at": (now - timedelta(seconds=rng.randrange(3_600))).isoformat(),
            "user_id": f"u{rng.randrange(40)}",
            "role": rng.choice(ROLES),
            "feature": rng.choice(FEATURES),
        }
        body = orjson.dumps(event)
        delivery = deliver_own_events("logins", orjson.loads(body), now, max_age, False)
        produced = [(m.topic, m.key, m.value) for m in delivery.messages]
        auth = {"Authorization": f"Bearer {TOKEN}"}
        traffic["own_event"].add("/v1/events/logins", auth, body, produced)
    return traffic


@dataclass
class Server:
    """A server process under test: the gateway or the ceiling."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not ready in {timeout} s; see {self.log_path}")

    def cpu_seconds(self) -> float:
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / CLOCK_TICKS

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def servers(bootstrap: str, topics: str, workdir: Path, table: Path) -> tuple[Server, Server]:
    """The gateway and the ceiling, each producing to topics of its own under `topics`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("HS_")}
    base |= {"HS_KAFKA_BOOTSTRAP": bootstrap, "HS_PARTITIONS": str(PARTITIONS)}
    base |= {"HS_LOG_LEVEL": "WARNING", "HS_GATEWAY_HOST": "127.0.0.1"}
    gateway = Server(
        "gateway",
        [sys.executable, "-m", "streams", "gateway"],
        base | {"HS_TOPIC_PREFIX": f"{topics}.gateway.", "HS_GATEWAY_TOKEN": TOKEN},
        workdir / "gateway.log",
    )
    gateway.env |= {"HS_GATEWAY_SEGMENT_SECRET": SEGMENT_SECRET}
    gateway.env |= {"HS_GATEWAY_PORT": str(gateway.port)}
    ceiling = Server(
        "ceiling", [], base | {"HS_TOPIC_PREFIX": f"{topics}.ceiling."}, workdir / "ceiling.log"
    )
    ceiling.argv = [sys.executable, "-m", "bench.gateway_ceiling", str(table), str(ceiling.port)]
    return gateway, ceiling


def measure(bootstrap: str, topics: str, workdir: Path, sizes: dict[str, Any]) -> dict[str, Any]:
    """Every shape's figures for the gateway and its ceiling, and their ratios."""
    log("gateway: building the requests and what the gateway produces for each")
    traffic = build_traffic(sizes)
    table = {b: p for t in traffic.values() for b, p in zip(t.bodies, t.produced, strict=True)}
    table_path = workdir / "ceiling-messages.pickle"
    table_path.write_bytes(pickle.dumps(table))
    gateway, ceiling = servers(bootstrap, topics, workdir, table_path)
    results: dict[str, Any] = {}
    try:
        for server in (gateway, ceiling):
            server.launch()
        for server in (gateway, ceiling):
            server.wait_ready()
        for shape in SHAPES:
            log(f"gateway vs ceiling: {shape} ({CONNECTIONS[shape]} connections)")
            results[shape] = compare(traffic[shape], CONNECTIONS[shape], gateway, ceiling, sizes)
            figures = results[shape]
            log(
                f"  {figures['gateway']['requests_per_second']:,.0f} / "
                f"{figures['ceiling']['requests_per_second']:,.0f} requests/s, "
                f"ratio {_show(figures['ratio'])} (per round "
                + ", ".join(_show(r) for r in figures["round_ratios"])
                + f"); CPU per request ratio {_show(figures['cpu_ratio'])}"
            )
    finally:
        for server in (gateway, ceiling):
            server.stop()
    return results


def compare(
    traffic: Traffic, connections: int, gateway: Server, ceiling: Server, sizes: dict[str, Any]
) -> dict[str, Any]:
    windows: dict[str, list[Window]] = {"gateway": [], "ceiling": []}
    for turn in range(sizes["rounds"]):
        order = (gateway, ceiling) if turn % 2 == 0 else (ceiling, gateway)
        for server in order:
            window = asyncio.run(
                closed_loop(
                    server.port,
                    traffic.requests,
                    traffic.events,
                    connections,
                    sizes["warmup"],
                    sizes["seconds"],
                    server.cpu_seconds,
                )
            )
            windows[server.name].append(window)
    figures: dict[str, Any] = {
        "events_per_request": sum(traffic.events) / len(traffic.events),
        "messages_per_request": sum(map(len, traffic.produced)) / len(traffic.produced),
        "bytes_per_request": sum(map(len, traffic.bodies)) / len(traffic.bodies),
        "connections": connections,
    }
    for name, measured in windows.items():
        figures[name] = _totals(measured)
    figures["ratio"] = _ratio(
        figures["gateway"]["requests_per_second"], figures["ceiling"]["requests_per_second"]
    )
    figures["round_ratios"] = [
        _ratio(g.requests, c.requests)
        for g, c in zip(windows["gateway"], windows["ceiling"], strict=True)
    ]
    # The clock's resolution can leave a tiny (--smoke) run with no CPU seen.
    figures["cpu_ratio"] = _ratio(
        figures["ceiling"]["cpu_seconds_per_request"],
        figures["gateway"]["cpu_seconds_per_request"],
    )
    return figures


def _ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def _show(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}"


def _totals(windows: list[Window]) -> dict[str, float]:
    seconds = sum(w.seconds for w in windows)
    requests = sum(w.requests for w in windows)
    server_cpu = sum(w.server_cpu_seconds for w in windows)
    return {
        "requests": requests,
        "seconds": seconds,
        "requests_per_second": requests / seconds,
        "events_per_second": sum(w.events for w in windows) / seconds,
        # The server's busy share (1.0 is one core: saturated) and its CPU per request.
        "cpu_seconds_per_second": server_cpu / seconds,
        "cpu_seconds_per_request": server_cpu / requests if requests else 0.0,
        "load_generator_cpu_seconds_per_second": sum(w.load_cpu_seconds for w in windows) / seconds,
    }


def table(results: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for a report: requests/s and events/s of gateway and ceiling, and the ratio."""
    rows = []
    for shape in SHAPES:
        r = results[shape]
        g, c = r["gateway"], r["ceiling"]
        rows.append(
            (
                f"gateway {shape}: requests/s gateway / ceiling",
                f"{g['requests_per_second']:,.0f} / {c['requests_per_second']:,.0f}",
            )
        )
        rows.append(
            (
                f"gateway {shape}: events/s gateway / ceiling",
                f"{g['events_per_second']:,.0f} / {c['events_per_second']:,.0f}",
            )
        )
        rows.append((f"gateway {shape} / ceiling", _show(r["ratio"])))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness works")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    topics = f"benchgw{uuid.uuid4().hex[:6]}"
    workdir = Path(tempfile.mkdtemp(prefix="hs-bench-gateway-"))
    try:
        results = measure(bootstrap, topics, workdir, SIZES["smoke" if args.smoke else "full"])
    except Exception:
        log(f"failed; server logs kept in {workdir}")
        raise
    finally:
        asyncio.run(drop_topics(bootstrap, topics))
    shutil.rmtree(workdir, ignore_errors=True)
    results["topics"] = topics
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    width = max(len(name) for name, _ in table(results))
    print("\n".join(f"{name:<{width}}  {value:>20}" for name, value in table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
