"""A development database that outlives the command: ``pyrunlog devdb start|status|stop``.

It is the throwaway cluster of :mod:`pyrunlog.localpg` (PostgreSQL with
pg_cron), migrated, with one LOGIN role per documented runlog role, kept until
``stop``. Its state (devdb.json: cluster directory and port) lives in a
well-known directory: ``$PYRUNLOG_DEVDB_DIR``, else
``$XDG_STATE_HOME/pyrunlog/devdb``, else ``~/.local/state/pyrunlog/devdb``.
The cluster (data, socket, server.log) lives in its ``cluster``
subdirectory, except as root when the OS user that runs the server
(``postgres``) cannot enter the state directory (root's home is closed to
it): then in a new ``/tmp/pyrunlog-pg-*`` directory, which devdb.json names.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import shlex
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from pyrunlog.localpg import CRON_DATABASE, LocalPostgres
from pyrunlog.migrate import migrate

OWNER = "postgres"
LOGINS = {"admin": "app_admin", "worker": "app_worker", "reader": "app_reader"}
"""The LOGIN role created for each documented role (runlog_admin, ...)."""

ENV_NAMES = {
    "admin": ("PYRUNLOG_DSN", "runlog_admin: schedules, cron install, trigger, status"),
    "owner": ("PYRUNLOG_OWNER_DSN", "superuser that owns the schema: migrate"),
    "worker": ("PYRUNLOG_WORKER_DSN", "runlog_worker: pyrunlog worker"),
    "reader": (
        "PYRUNLOG_READER_DSN",
        "runlog_reader, unbound: the runs of the organisation its claim names",
    ),
}
"""The variable each login's DSN is exported as, and what it is for."""


def state_dir() -> Path:
    """Where the development database keeps its state."""
    override = os.environ.get("PYRUNLOG_DEVDB_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "pyrunlog" / "devdb"


@dataclass
class DevDb:
    """A development database: its cluster and the DSN of each login."""

    cluster: LocalPostgres

    def dsn(self, who: str = "admin") -> str:
        """The DSN of ``owner`` (superuser) or of a login: ``admin``, ``worker``, ``reader``."""
        return self.cluster.dsn(CRON_DATABASE, user=OWNER if who == "owner" else LOGINS[who])

    def exports(self) -> list[str]:
        """Shell lines that export each login's DSN (PYRUNLOG_DSN is the admin's)."""
        return [
            f"export {name}={shlex.quote(self.dsn(who))}  # {use}"
            for who, (name, use) in ENV_NAMES.items()
        ]


def blocked_for_server(directory: Path, os_user: str = LocalPostgres.os_user) -> Path | None:
    """As root: the first directory on the way to ``directory`` that the server's
    OS user cannot enter (so the cluster cannot live there), else None."""
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(os_user)
    except KeyError:
        return None  # starting the cluster says that the user is missing
    for path in reversed([directory, *directory.parents]):
        if not path.exists():
            break
        info = path.stat()
        if info.st_uid == account.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == account.pw_gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return path
    return None


def _state_file() -> Path:
    return state_dir() / "devdb.json"


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialise start and stop of the same development database."""
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _load() -> DevDb | None:
    path = _state_file()
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    cluster = LocalPostgres(bindir=Path(state["bindir"]), port=int(state["port"]))
    cluster.base = Path(state["base"])
    return DevDb(cluster)


def status() -> DevDb | None:
    """The development database if its server is running, else None."""
    devdb = _load()
    return devdb if devdb is not None and devdb.cluster.is_running() else None


def start() -> tuple[DevDb, bool]:
    """Start the development database; (it, whether it was already running)."""
    with _locked():
        devdb = _load()
        if devdb is not None and devdb.cluster.is_running():
            return devdb, True
        if devdb is not None and devdb.cluster.datadir.exists():
            devdb.cluster.resume()  # the machine restarted: same cluster, same data
        else:
            cluster = LocalPostgres()
            # The server's OS user must reach the cluster: else a new /tmp directory.
            blocked = blocked_for_server(state_dir(), cluster.os_user)
            cluster.base = None if blocked else state_dir() / "cluster"
            devdb = DevDb(cluster.start())
            _state_file().write_text(
                json.dumps(
                    {"base": str(cluster.base), "port": cluster.port, "bindir": str(cluster.bindir)}
                )
            )
        _prepare(devdb)
        return devdb, False


def stop() -> bool:
    """Stop the development database and delete it; False if there was none."""
    with _locked():
        devdb = _load()
        if devdb is None:
            return False
        devdb.cluster.stop()
        _state_file().unlink()
        return True


def _prepare(devdb: DevDb) -> None:
    """Migrate, create pg_cron and the logins (each step is idempotent)."""
    owner = devdb.dsn("owner")
    migrate(owner)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        for who, login in LOGINS.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [login]).fetchone()
            if exists is None:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                        sql.Identifier(login), sql.Identifier(f"runlog_{who}")
                    )
                )
