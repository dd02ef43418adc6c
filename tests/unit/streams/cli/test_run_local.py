"""`make run` (streams/cli/run_local.py) with fake processes: the workers, one gateway on
:6067 with this run's signing secrets and make run's config, then the demo sending through
it; every process stopped at the end; the secrets in no output."""

from __future__ import annotations

import argparse
import signal

import pytest

from gateway.config import load_sources
from streams.cli import run_local
from streams.cli.run_local import (
    GATEWAY_CONFIG,
    GATEWAY_URL,
    SECRET_VARIABLES,
    Launch,
    Runner,
)

ENVIRON = {"HS_KAFKA_BOOTSTRAP": "127.0.0.1:9092", "PATH": "/usr/bin"}


class FakeProcess:
    def __init__(self, code: int | None = None) -> None:
        self.code = code
        self.signals: list[int] = []

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.code = -sig

    def wait(self, timeout: float | None = None) -> int:
        assert self.code is not None
        return self.code

    def kill(self) -> None:
        self.code = -signal.SIGKILL


class Recorder:
    def __init__(self, ready: set[str] | None = None, exited: dict[str, int] | None = None):
        self.launches: list[Launch] = []
        self.processes: dict[str, FakeProcess] = {}
        self.probed: list[str] = []
        self.ready_urls = (
            {f"http://127.0.0.1:{run_local.BASE_PORT}", GATEWAY_URL} if ready is None else ready
        )
        self.exited = exited or {}

    def start(self, launch: Launch) -> FakeProcess:
        self.launches.append(launch)
        process = FakeProcess(self.exited.get(launch.name))
        self.processes[launch.name] = process
        return process

    def ready(self, url: str, process: object) -> bool:
        self.probed.append(url)
        return url in self.ready_urls

    def runner(self) -> Runner:
        return Runner(start=self.start, ready=self.ready, show=lambda url: 0, settle=0)

    def launch(self, name: str) -> Launch:
        return next(launch for launch in self.launches if launch.name == name)


def args(workers: int = 1) -> argparse.Namespace:
    return argparse.Namespace(workers=workers, accounts=40)


def test_make_run_starts_the_workers_a_gateway_then_the_demo_through_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()
    assert recorder.runner().run(args(workers=2), ENVIRON) == 0
    assert [launch.name for launch in recorder.launches] == [
        "worker-0",
        "worker-1",
        "gateway",
        "demo",
    ]
    # Both waited for, the gateway on its /readyz, before the demo starts.
    assert recorder.probed == ["http://127.0.0.1:6066", GATEWAY_URL]
    # The workers skip the gateway's port.
    assert [recorder.launch(f"worker-{n}").env["HS_WEB_PORT"] for n in (0, 1)] == ["6066", "6068"]

    gateway, demo = recorder.launch("gateway"), recorder.launch("demo")
    assert gateway.args == ["gateway"]
    assert gateway.env["HS_GATEWAY_PORT"] == "6067" and GATEWAY_URL == "http://127.0.0.1:6067"
    assert gateway.env["HS_GATEWAY_HOST"] == "127.0.0.1"
    assert gateway.env["HS_GATEWAY_CONFIG"] == str(GATEWAY_CONFIG)
    assert gateway.env["HS_KAFKA_BOOTSTRAP"] == ENVIRON["HS_KAFKA_BOOTSTRAP"]
    assert demo.args == ["demo", "--accounts", "40", "--gateway", GATEWAY_URL]
    run_secrets = {name: gateway.env[name] for name in SECRET_VARIABLES}
    assert all(len(secret) >= 32 for secret in run_secrets.values())
    assert {name: demo.env[name] for name in SECRET_VARIABLES} == run_secrets
    for worker in ("worker-0", "worker-1"):
        assert not set(SECRET_VARIABLES) & set(recorder.launch(worker).env)
    # The gateway serves exactly the demo's two sources with them.
    assert sorted(load_sources(str(GATEWAY_CONFIG), gateway.env)) == ["stripe", "zendesk"]

    assert all(p.signals == [signal.SIGTERM] for p in recorder.processes.values())
    output = capsys.readouterr()
    assert "gateway on http://127.0.0.1:6067" in output.err
    for secret in run_secrets.values():
        assert secret not in output.out + output.err


def test_each_run_has_secrets_of_its_own() -> None:
    first, second = Recorder(), Recorder()
    first.runner().run(args(), ENVIRON)
    second.runner().run(args(), ENVIRON)
    for name in SECRET_VARIABLES:
        assert first.launch("gateway").env[name] != second.launch("gateway").env[name]


def test_a_gateway_that_never_gets_ready_stops_the_run_before_the_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder(ready={"http://127.0.0.1:6066"}, exited={"gateway": 2})
    assert recorder.runner().run(args(), ENVIRON) == 1
    assert [launch.name for launch in recorder.launches] == ["worker-0", "gateway"]
    err = capsys.readouterr().err
    assert "the gateway did not become ready; see log .local/logs/gateway.log" in err
    assert "gateway had stopped on its own (exit code 2)" in err
    assert recorder.processes["worker-0"].signals == [signal.SIGTERM]
