"""A Kafka broker and a PostgreSQL server of a test's own, on free ports, to stop and restart.

The shared session servers (tests/support/servers.py) must never be stopped by
a test; fault tests that take a server away start one of these instead, with
its data under the test's tmp folder. Both reuse the scripts `make up` runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import ROOT, free_port, kafka_version

KAFKA_SH = str(ROOT / "deploy/local/kafka.sh")
LOCALPG = str(ROOT / "deploy/local/localpg.py")


@dataclass
class PrivateKafka:
    folder: Path
    port: int
    controller_port: int
    sasl_port: int | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self) -> str:
        assert self.sasl_port is not None
        return f"127.0.0.1:{self.sasl_port}"

    def _env(self) -> dict[str, str]:
        local_dir = Path(os.environ.get("LOCAL_DIR", ROOT / ".local"))
        shared_libs = local_dir / f"kafka-libs-{kafka_version()}"
        env = {
            **os.environ,
            "LOCAL_DIR": str(self.folder),
            "KAFKA_LIBS": str(shared_libs),
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_HEAP": "384m",
        }
        extra = self.folder / "extra.properties"
        if extra.exists():
            env["KAFKA_EXTRA_PROPERTIES"] = str(extra)
        return env

    def start(self) -> None:
        subprocess.run([KAFKA_SH, "start"], check=True, env=self._env(), capture_output=True)

    def stop(self) -> None:
        subprocess.run([KAFKA_SH, "stop"], check=False, env=self._env(), capture_output=True)


def sasl_listener_properties(kafka: PrivateKafka, users: dict[str, str]) -> str:
    """server.properties overrides adding a SASL_PLAINTEXT listener with PLAIN users.

    The PLAINTEXT listener stays for the controller and inter-broker traffic.
    """
    assert kafka.sasl_port is not None
    entries = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    return "\n".join(
        [
            f"listeners=PLAINTEXT://127.0.0.1:{kafka.port},"
            f"CONTROLLER://127.0.0.1:{kafka.controller_port},"
            f"SASL_PLAINTEXT://127.0.0.1:{kafka.sasl_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{kafka.port},"
            f"SASL_PLAINTEXT://127.0.0.1:{kafka.sasl_port}",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,"
            "SASL_PLAINTEXT:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {entries};",
            "",
        ]
    )


@contextmanager
def private_kafka(folder: Path, sasl_users: dict[str, str] | None = None) -> Iterator[PrivateKafka]:
    """A single-node broker of the caller's own; stopped (and its data left in `folder`) after."""
    folder.mkdir(parents=True, exist_ok=True)
    kafka = PrivateKafka(
        folder, free_port(), free_port(), free_port() if sasl_users is not None else None
    )
    if sasl_users is not None:
        (folder / "extra.properties").write_text(sasl_listener_properties(kafka, sasl_users))
    kafka.start()
    try:
        yield kafka
    finally:
        kafka.stop()


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    def _env(self) -> dict[str, str]:
        return {**os.environ, "LOCAL_DIR": str(self.folder), "HS_LOCAL_PG_PORT": str(self.port)}

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/healthscore"

    def start(self) -> None:
        done = subprocess.run(
            [sys.executable, LOCALPG, "start"], env=self._env(), capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"PostgreSQL did not start:\n{done.stderr[-2000:]}")

    def stop(self) -> None:
        subprocess.run(
            [sys.executable, LOCALPG, "stop"], check=False, env=self._env(), capture_output=True
        )


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the caller's own, removed afterwards.

    Its data is not under pytest's tmp folders: those are closed to other users,
    and as root the server runs as a system user of its own (see localpg.py).
    """
    folder = Path(tempfile.mkdtemp(prefix="hs-pg-"))
    folder.chmod(0o755)  # initdb, run as that user, wants to read its parent folders
    server = PrivatePostgres(folder, free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
