"""Start the real Kafka broker and PostgreSQL for tests, unless already running."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def kafka_broker() -> Iterator[str]:
    """The broker's bootstrap address; started (and later stopped) here if not running."""
    bootstrap = os.environ.get("HS_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    host, port = bootstrap.rsplit(":", 1)
    started = False
    if not reachable(host, int(port)):
        env = {**os.environ, "KAFKA_PORT": port}
        subprocess.run([str(ROOT / "deploy/local/kafka.sh"), "start"], check=True, env=env)
        started = True
    try:
        yield bootstrap
    finally:
        if started:
            subprocess.run([str(ROOT / "deploy/local/kafka.sh"), "stop"], check=False)


@contextmanager
def postgres() -> Iterator[str]:
    """A DSN: HS_PG_DSN when given, else the embedded server (started here if needed)."""
    given = os.environ.get("HS_PG_DSN")
    if given:
        yield given
        return
    script = str(ROOT / "deploy/local/localpg.py")
    status = subprocess.run([sys.executable, script, "status"], capture_output=True, check=False)
    started = status.returncode != 0
    if started:
        subprocess.run([sys.executable, script, "start"], check=True)
    dsn = subprocess.run(
        [sys.executable, script, "dsn"], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        yield dsn
    finally:
        if started:
            subprocess.run([sys.executable, script, "stop"], check=False)
