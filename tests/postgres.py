"""A real, throwaway PostgreSQL for tests: its own cluster (initdb) in a temporary folder, on a
free loopback port, stopped and deleted afterwards. Each test gets a database of its own.

Debian's `postgresql` package provides the binaries (.ci/run installs it); without them the tests
that need the server are skipped, saying so. As root (a container) the server runs as the
`postgres` user the package creates, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from backoffice.database import dispose_all
from tests.brokers import free_port

SUPERUSER = "etle"


def postgres_bin() -> Path | None:
    """Debian keeps the server's binaries out of PATH, one folder per major version: the newest."""
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if versions:
        return Path(versions[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PostgresServer:
    bindir: Path
    workdir: Path
    port: int
    run_as: str | None  # the OS user the server runs as (None: this one)

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> PostgresServer:
        data, sockets = self.workdir / "data", self.workdir / "sockets"
        sockets.mkdir()
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            for path in (self.workdir, sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                                 "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
        options = f"-p {self.port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200"
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                                 str(self.workdir / "server.log"), "-w", "-t", "60", "start"),
                       check=True, capture_output=True)
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.workdir / "data"), "-m", "immediate",
                                 "stop"), capture_output=True, check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
    workdir = Path(tempfile.mkdtemp(prefix="etle-pg-"))
    return PostgresServer(bindir, workdir, free_port(), run_as).start()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        dispose_all()
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's server."""
    return postgres.create_database()


