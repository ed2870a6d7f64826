"""A real PostgreSQL server for the store tests, started from Debian's `postgresql` package in a temporary
directory: initdb, then pg_ctl with a Unix socket only (no TCP port to clash over) and no fsync.

PostgreSQL refuses to run as root, so under root the server runs as the `postgres` system user (which the
package creates) via runuser; otherwise as whoever runs the tests. Each test gets a database of its own.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
ROLE = "citebot"


def server_binaries() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def why_not_available() -> str | None:
    """None when a server can be started here, else the reason the PostgreSQL tests are skipped."""
    if server_binaries() is None:
        return "PostgreSQL server binaries not found (apt-get install postgresql): PostgreSQL store tests skipped"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no '{SERVER_USER}' user to run PostgreSQL as"
    return None


@dataclass
class PostgresServer:
    directory: Path
    bin: Path
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.directory

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@/{database}?host={self.socket_dir}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL (citebot's form, without a driver name)."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(f"host={self.socket_dir} user={ROLE} dbname=postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # a name of our own making
        return self.url(name)

    def stop(self) -> None:
        _run_as_server(
            [str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop"],
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    binaries = server_binaries()
    assert binaries is not None
    directory = Path(tempfile.mkdtemp(prefix="citebot-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(directory, account.pw_uid, account.pw_gid)
    data, logfile = directory / "data", directory / "server.log"
    _run_as_server(
        [str(binaries / "initdb"), "-D", str(data), "-U", ROLE, "-A", "trust", "-E", "UTF8", "--locale=C", "-N"]
    )
    options = f"-k {directory} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    try:
        _run_as_server([str(binaries / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-o", options, "-w", "start"])
    except subprocess.CalledProcessError:
        log = logfile.read_text(errors="replace") if logfile.exists() else "(no log)"
        shutil.rmtree(directory, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
    return PostgresServer(directory, binaries)


def _run_as_server(command: list[str], *, check: bool = True) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", SERVER_USER, "--", *command]
    subprocess.run(command, check=check, capture_output=True, timeout=120)
