"""A throwaway PostgreSQL cluster with pg_cron, for the demo and the tests.

It runs initdb and pg_ctl from the installed server binaries on a free port
with its own socket directory. As root it runs the server as an unprivileged
OS user (``postgres`` by default), since Postgres refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import make_conninfo

POSTGRES_ROOT = Path("/usr/lib/postgresql")
CRON_DATABASE = "pyrunlog"


class LocalPostgresError(RuntimeError):
    """The throwaway cluster could not be found, created or started."""


def find_bindir() -> Path:
    """The bin directory of the newest installed PostgreSQL that has pg_cron.

    ``PYRUNLOG_PG_BINDIR`` overrides the search.
    """
    override = os.environ.get("PYRUNLOG_PG_BINDIR")
    if override:
        return Path(override)
    majors = sorted(
        (int(p.name) for p in POSTGRES_ROOT.glob("*") if p.name.isdigit()), reverse=True
    )
    if not majors:
        raise LocalPostgresError(
            f"no PostgreSQL server under {POSTGRES_ROOT}; install postgresql and "
            "postgresql-<major>-cron (make test does this as root)"
        )
    for major in majors:
        if (POSTGRES_ROOT / str(major) / "lib" / "pg_cron.so").exists():
            return POSTGRES_ROOT / str(major) / "bin"
    raise LocalPostgresError(
        f"pg_cron is not installed for PostgreSQL {majors}; "
        f"install postgresql-{majors[0]}-cron (make test does this as root)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalPostgres:
    """One throwaway cluster; use as a context manager or call start/stop."""

    bindir: Path = field(default_factory=find_bindir)
    os_user: str = "postgres"
    port: int = field(default_factory=_free_port)
    base: Path | None = None
    settings: dict[str, str] = field(default_factory=dict)
    _run_as: str | None = field(default=None, init=False, repr=False)

    @property
    def datadir(self) -> Path:
        assert self.base is not None, "cluster not created"
        return self.base / "data"

    @property
    def sockdir(self) -> Path:
        assert self.base is not None, "cluster not created"
        return self.base / "socket"

    def dsn(self, dbname: str = "postgres", user: str = "postgres") -> str:
        """A libpq conninfo string for a database of this cluster."""
        return make_conninfo(host=str(self.sockdir), port=self.port, user=user, dbname=dbname)

    def start(self) -> LocalPostgres:
        """Create the cluster (in ``base``, else a new temporary directory) and start it."""
        if self.base is None:
            self.base = Path(tempfile.mkdtemp(prefix="pyrunlog-pg-"))
        else:
            self.base.mkdir(parents=True, exist_ok=False)
        account = self._owner_account()
        if account is not None:
            os.chown(self.base, account.pw_uid, account.pw_gid)
            self.base.chmod(0o755)  # clients running as root reach the socket
        self._as_owner(lambda: self.sockdir.mkdir(mode=0o755))
        self._run(
            "initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.sockdir}'",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{CRON_DATABASE}'",
            "cron.use_background_workers": "on",
            "max_worker_processes": "40",
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "log_min_messages": "warning",
            **self.settings,
        }
        lines = "".join(f"{key} = {value}\n" for key, value in conf.items())
        self._as_owner(lambda: _append(self.datadir / "postgresql.conf", lines))
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self._run("createdb", "-h", str(self.sockdir), "-p", str(self.port),
                  "-U", "postgres", CRON_DATABASE)  # fmt: skip
        return self

    def _owner_account(self) -> pwd.struct_passwd | None:
        """As root: the OS user that runs the server (Postgres refuses root)."""
        if os.geteuid() != 0:
            return None
        try:
            account = pwd.getpwnam(self.os_user)
        except KeyError as exc:
            raise LocalPostgresError(
                f"running as root needs the unprivileged OS user {self.os_user!r}; "
                "it comes with Debian's postgresql package"
            ) from exc
        self._run_as = self.os_user
        return account

    def is_running(self) -> bool:
        """Whether the server of an existing cluster directory is up."""
        if self.base is None or not self.datadir.exists():
            return False
        self._owner_account()
        result = subprocess.run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "status"],
            user=self._run_as, capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        return result.returncode == 0

    def resume(self) -> LocalPostgres:
        """Start the server of an existing cluster directory again (after a reboot)."""
        assert self.base is not None, "cluster not created"
        self._owner_account()
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def restart(self, mode: str = "fast") -> None:
        """Restart the server (mode ``immediate`` simulates a crash)."""
        assert self.base is not None, "cluster not created"
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.base / "server.log"),
                  "-m", mode, "-w", "-t", "60", "restart")  # fmt: skip

    def stop(self) -> None:
        """Stop the server and delete the cluster; safe to call twice."""
        if self.base is None:
            return
        if (self.datadir / "postmaster.pid").exists():
            self._owner_account()
            with contextlib.suppress(LocalPostgresError):
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    def server_log(self) -> str:
        """The server's log so far (for error reports)."""
        if self.base is None:
            return ""
        path = self.base / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _as_owner(self, action: Callable[[], object]) -> None:
        """Run a file-system action, then hand the base directory to the OS user."""
        action()
        if self._run_as is not None and self.base is not None:
            account = pwd.getpwnam(self._run_as)
            for path in [self.base, *self.base.rglob("*")]:
                os.chown(path, account.pw_uid, account.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        result = subprocess.run(
            command,
            user=self._run_as,
            cwd=self.base,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise LocalPostgresError(
                f"{program} failed ({result.returncode}): {result.stderr.strip()}\n"
                + self.server_log()[-2000:]
            )


def _append(path: Path, text: str) -> None:
    with path.open("a") as handle:
        handle.write(text)


@contextlib.contextmanager
def local_postgres(**settings: str) -> Iterator[LocalPostgres]:
    """Start a throwaway cluster for the duration of a with-block."""
    cluster = LocalPostgres(settings=settings)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
