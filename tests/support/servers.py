"""Start the real Kafka broker and PostgreSQL for tests, unless already running."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parents[2]
# deploy/local/kafka.sh's default; KAFKA_VERSION chooses another for kafka.sh and the suite alike.
DEFAULT_KAFKA_VERSION = "4.4.0"


def kafka_version() -> str:
    """The Kafka release the suite was started for."""
    return os.environ.get("KAFKA_VERSION") or DEFAULT_KAFKA_VERSION


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
    """A DSN of a fresh database for this test session, dropped afterwards.

    The server is HS_PG_DSN's when given, else the embedded one (started here
    if needed); a database of its own keeps tests apart from `make run`'s data.
    """
    given = os.environ.get("HS_PG_DSN")
    if given:
        with scratch_database(given) as dsn:
            yield dsn
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
        with scratch_database(dsn) as scratch:
            yield scratch
    finally:
        if started:
            subprocess.run([sys.executable, script, "stop"], check=False)


@contextmanager
def scratch_database(dsn: str) -> Iterator[str]:
    name = f"hs_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
