"""Throwaway real servers for tests and benchmarks: PostgreSQL, Redis and gunicorn.

Each server lives in its own temporary directory, listens on a free port on 127.0.0.1 only,
and is stopped (and its directory removed) by ``stop()`` or by leaving its ``with`` block.
Nothing here is mocked: these are the Debian binaries the app runs against in production.

PostgreSQL refuses to run as root, so when the caller is root the server binaries run as the
``postgres`` OS user through ``runuser``. Authentication is ``trust`` for that reason and
because the server is private to one test run (loopback only, socket in a private dir).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "GunicornServer",
    "PostgresServer",
    "RedisServer",
    "ServerUnavailable",
    "find_postgres_bin",
    "free_port",
    "mint_session_cookie",
    "wait_until",
]


class ServerUnavailable(RuntimeError):
    """The server's binaries are missing (callers skip) or it failed to start (callers fail)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Call ``check`` until it returns True; raise TimeoutError naming ``what`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            if check():
                return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def find_postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin holding initdb and pg_ctl (or $POSTGRES_BIN)."""
    candidates = [os.environ["POSTGRES_BIN"]] if os.environ.get("POSTGRES_BIN") else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) for x in Path(p).parent.name.split(".") if x.isdigit()],
        reverse=True,
    )
    for candidate in candidates:
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Server:
    #: Set by each server: its process, its private folder and its log in there.
    proc: subprocess.Popen[bytes] | None
    dir: Path
    log: Path

    def __enter__(self) -> Any:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:  # pragma: no cover - overridden
        """Start the server."""
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - overridden
        """Stop the server."""
        raise NotImplementedError

    def _launch(
        self,
        argv: list[str],
        ready: Callable[[], bool],
        timeout: float,
        what: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Start ``argv`` in a session of its own, logging to :attr:`log`, and wait until
        ``ready``; stopped, with the log's end in the error, when it never is."""
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_until(ready, timeout, what)
        except TimeoutError as exc:
            self.stop()
            raise ServerUnavailable(f"{exc}\n{_tail(self.log)}") from None

    def _end(self) -> None:
        """Stop the process (if running) and delete the private folder."""
        if self.proc is not None:
            _terminate(self.proc)
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer(_Server):
    """A private PostgreSQL cluster: initdb into a temp dir, pg_ctl start/stop.

    ``fast=True`` turns off fsync and friends: tests never need crash safety, and it makes
    initdb and CREATE DATABASE much quicker. ``stop()`` + ``start()`` again restarts the same
    cluster on the same port (the outage test relies on it); ``cleanup()`` removes it.
    """

    user = "postgres"

    def __init__(self, *, fast: bool = True, port: int | None = None) -> None:
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            raise ServerUnavailable(
                "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); "
                "install the postgresql package"
            )
        self.bin = bin_dir
        self.fast = fast
        self.port = port or free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            raise ServerUnavailable("running as root needs runuser to start PostgreSQL")
        # Directly under /tmp, not under pytest's 0700 root-owned tmp_path: the postgres
        # user must be able to reach it, and a unix socket path must stay short.
        self.dir = Path(tempfile.mkdtemp(prefix="adrgen-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        if self.as_root:
            shutil.chown(self.dir, user=self.user)
        self._initialised = False
        self.running = False

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.as_root else list(args)

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            self._cmd(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise ServerUnavailable(
                f"{Path(args[0]).name} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{_tail(self.log)}"
            )

    @property
    def pid(self) -> int:
        """The postmaster's process id (backends are its children)."""
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over TCP on 127.0.0.1."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        """initdb on first use, then start the server and wait until it accepts connections."""
        if not self._initialised:
            self._run(
                str(self.bin / "initdb"),
                "-D", str(self.data),
                "-U", self.user,
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
                *(["--no-sync"] if self.fast else []),
            )  # fmt: skip
            self._initialised = True
        options = [
            f"-p {self.port}",
            f"-k {self.dir}",
            "-c listen_addresses=127.0.0.1",
            "-c max_connections=200",
        ]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            str(self.bin / "pg_ctl"),
            "-D", str(self.data),
            "-l", str(self.log),
            "-o", " ".join(options),
            "-w", "-t", "60",
            "start",
        )  # fmt: skip
        self.running = True

    def stop(self) -> None:
        """Stop the server (fast shutdown: sessions are cut, like a real outage)."""
        if self.running:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def cleanup(self) -> None:
        """Stop, then delete the cluster's directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def admin(self, statement: str, name: str) -> None:
        """Run ``statement`` with ``{}`` replaced by the quoted identifier ``name``, as the
        superuser and outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg
        from psycopg import sql

        query = sql.SQL(statement).format(sql.Identifier(name))
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(query)

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        self.admin("CREATE DATABASE {}", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name``, cutting any connection still open to it."""
        self.admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


class RedisServer(_Server):
    """A private redis-server: no persistence, loopback only, free port."""

    def __init__(self, *, port: int | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServerUnavailable("redis-server not found; install the redis-server package")
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="adrgen-redis-"))
        self.log = self.dir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        """True if the server answers PING."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")

    def start(self) -> None:
        """Start redis-server and wait for PONG."""
        argv = [
            str(self.binary),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.dir),
            "--daemonize", "no",
        ]  # fmt: skip
        self._launch(argv, self.ping, 15, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Stop redis-server and delete its directory."""
        self._end()


_READY_HOOK = """
import os
def post_worker_init(worker):
    # Written once the worker has imported the app: the server is ready only when every
    # worker is, otherwise a burst lands on one worker and per-worker counts look wrong.
    open(os.path.join({dir!r}, "ready-%d" % worker.pid), "w").close()
"""


class GunicornServer(_Server):
    """``gunicorn -w N 'adrgen.appendix.polling:create_app()'`` on a free port, as a subprocess.

    ``env`` is added to the current environment (POLLING_* settings, SECRET_KEY...).
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
        app: str = "adrgen.appendix.polling:create_app()",
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.env = {**os.environ, **env}
        self.workers = workers
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="adrgen-gunicorn-"))
        self.log = self.dir / "gunicorn.log"
        config = self.dir / "gunicorn_conf.py"
        config.write_text(_READY_HOOK.format(dir=str(self.dir)))
        self.argv = [
            sys.executable, "-m", "gunicorn",
            "--config", str(config),
            "--workers", str(workers),
            "--worker-class", worker_class,
            "--threads", str(threads),
            "--bind", f"127.0.0.1:{self.port}",
            "--graceful-timeout", "5",
            *extra_args,
            app,
        ]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, no trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise ServerUnavailable(f"gunicorn exited ({self.proc.returncode}):\n{_tail(self.log)}")
        if len(list(self.dir.glob("ready-*"))) < self.workers:
            return False
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError:
            return False

    def start(self) -> None:
        """Start gunicorn and wait until every worker has loaded the app."""
        self._launch(self.argv, self._ready, 30, f"gunicorn on port {self.port}", self.env)

    def stop(self) -> None:
        """Stop gunicorn (SIGTERM: graceful) and delete its directory."""
        self._end()


def _terminate(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL the whole process group if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            # The group holds the workers too (start_new_session): none may outlive it.
            proc.wait(timeout)


def mint_session_cookie(secret_key: str, user_id: int) -> str:
    """The value of the ``session`` cookie that a host app signing in ``user_id`` would set.

    Uses Flask's own signing serializer, exactly as ``session["user_id"] = user_id`` does.
    """
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    app = Flask("adrgen-cookie-minter")
    app.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return str(serializer.dumps({"user_id": user_id}))
