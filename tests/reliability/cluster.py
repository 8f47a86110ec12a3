"""A throwaway PostgreSQL cluster the fault tests may stop, restart and fill up.

Found and started the way ``deploy/ensure-postgres.sh`` does it: the newest installed
``initdb``/``pg_ctl``, run as the ``postgres`` user when the tests run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's binaries, if any."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def tiny_filesystem(path: Path, size_kib: int, owner: str | None = None) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted at ``path`` during the block: a disk that fills.

    Mounting needs root (CAP_SYS_ADMIN); where it is refused the test is skipped.
    """
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kib}k,mode=0700"
    if owner is not None:
        options += f",uid={pwd.getpwnam(owner).pw_uid}"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True, capture_output=True)


class Cluster:
    """One PostgreSQL cluster in a temporary directory, on a free port of 127.0.0.1."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def _run(self, tool: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def stop_immediately(self) -> None:
        """Stop the way a crash does: no checkpoint, every connection cut at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        try:
            psycopg.connect(self.url(), connect_timeout=2).close()
        except psycopg.OperationalError:
            return False
        return True

    def execute(self, statement: str | sql.Composable, dbname: str = "postgres") -> None:
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str) -> str:
        self.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def make_owned_directory(self, name: str) -> Path:
        """A directory inside the cluster's root the server may write (a tablespace's)."""
        path = self.root / name
        path.mkdir()
        if self.as_root:
            shutil.chown(path, "postgres")
        return path

    def remove(self) -> None:
        if self.running():
            self.stop_immediately()
        shutil.rmtree(self.root, ignore_errors=True)
