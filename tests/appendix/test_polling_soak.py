"""Soak test: 1000 polling users, a steady writer and a PostgreSQL restart, for 2 minutes.

One bounded fault/load run against the real stack: a private PostgreSQL cluster, the app
under ``gunicorn`` (2 gthread workers, keep-alive), 1000 simulated users polling
``GET /notifications/unread`` over their own keep-alive connections with their own session
cookie and ``If-None-Match``, marking every notification they receive read, while a writer
in this process sends notifications through the app's own write path
(:func:`adrgen.appendix.polling.notify`). Half-way through, PostgreSQL is stopped for a few
seconds and started again on the same data directory and port.

What must hold afterwards:

- every notification written reaches its own user (by id), and no other user;
- a notification is received again only after its mark-read POST failed (the client then
  forgets its ETag, so the next poll brings the notification back);
- no 500 ever; during the outage the app answers 503 JSON with ``Retry-After`` (some must be
  seen: they prove the restart happened), and recovers by itself: no 503 in the last 30 s.

The users are asyncio tasks over raw HTTP/1.1 keep-alive connections (stdlib only; one event
loop keeps 1000 users cheap enough to leave the 2 cores to the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.appendix.conftest import started
from tests.servers import (
    GunicornServer,
    PostgresServer,
    mint_session_cookie,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]

SECRET = "soak-secret-key"
UNREAD = "/notifications/unread"

USERS = 1000
#: Each user polls every POLL_MIN..POLL_MAX seconds (uniform jitter): ~285 GET/s in all.
POLL_MIN, POLL_MAX = 2.0, 5.0
#: How long the writer writes and the users poll before the drain.
RUN_SECONDS = 120.0
#: Writes per second (random users); about 2400 notifications over the run.
WRITE_RATE = 20.0
#: When PostgreSQL is stopped (seconds into the run), and for how long it stays down.
OUTAGE_AT, OUTAGE_DOWN = 50.0, 5.0
#: Bound on the drain: after the writer stops, every notification must be read within this.
DRAIN_SECONDS = 30.0
#: The last this-many seconds of the run must see no 503 at all.
QUIET_TAIL = 30.0
#: The app must be back (no more 503s) this long after PostgreSQL is up again.
RECOVERY_BOUND = 20.0
#: Client-side limit on one HTTP exchange; a server that holds a request longer is broken.
REQUEST_TIMEOUT = 15.0
#: gunicorn's keep-alive (seconds) and the idle time after which a client reconnects first.
KEEP_ALIVE, CLIENT_IDLE_LIMIT = 15, 12.0


# --------------------------------------------------------------------------- HTTP client


@dataclass
class Reply:
    """One HTTP response: status, lower-cased headers, body and when it arrived."""

    status: int
    headers: dict[str, str]
    body: bytes
    sent: float
    received: float


class StaleConnection(Exception):
    """The server closed a reused keep-alive connection before answering (safe to resend)."""


class HttpConnection:
    """A minimal HTTP/1.1 keep-alive client connection to 127.0.0.1 (asyncio streams).

    A browser keeps one connection per origin open between polls; so does each user here.
    If the server has closed the connection meanwhile (keep-alive expiry racing the next
    request), the request is sent again once on a fresh connection: nothing reached the app.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0
        self.connects = 0
        self.resends = 0

    def close(self) -> None:
        """Close the socket (the next request opens a new one)."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """Send one request (no body) and read the whole response."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if method == "POST":
            lines.append("Content-Length: 0")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sent = time.monotonic()
        for attempt in (1, 2):
            try:
                return await asyncio.wait_for(self._exchange(data, sent), REQUEST_TIMEOUT)
            except StaleConnection:
                self.close()
                if attempt == 2:
                    raise
                self.resends += 1
            except BaseException:
                self.close()
                raise
        raise AssertionError("unreachable")

    async def _exchange(self, data: bytes, sent: float) -> Reply:
        reused = self.writer is not None
        if self.writer is not None and time.monotonic() - self.last_used > CLIENT_IDLE_LIMIT:
            self.close()
            reused = False
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.connects += 1
        assert self.reader is not None and self.writer is not None
        try:
            self.writer.write(data)
            await self.writer.drain()
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if reused and not exc.partial:
                raise StaleConnection from exc
            raise
        except ConnectionError as exc:
            if reused:
                raise StaleConnection from exc
            raise
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if status not in (204, 304) and not 100 <= status < 200:
            if "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                body = await self._read_chunked()
            else:  # delimited by the end of the connection
                body = await self.reader.read()
                headers["connection"] = "close"
        self.last_used = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Reply(status, headers, body, sent, self.last_used)

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        chunks: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


# --------------------------------------------------------------------------- shared records


@dataclass
class Written:
    """One notification the writer stored: sequence number, user, id, failed attempts first."""

    seq: int
    user_id: int
    notification_id: int
    failed_attempts: int


@dataclass
class Record:
    """Everything the users and the writer saw, for the assertions and the summary."""

    t0: float
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    #: (monotonic time received, method, status) of every non-200/204/304 answer.
    odd: list[tuple[float, str, int]] = field(default_factory=list)
    #: 503s whose Retry-After was missing or not a positive integer, or body not JSON.
    bad_503: list[str] = field(default_factory=list)
    #: (sent, received, status) of every response, in arrival order.
    timeline: list[tuple[float, float, int]] = field(default_factory=list)
    #: user -> ids received, in order, duplicates included.
    received: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    #: (user, id) pairs whose body did not name that user.
    wrong_body: list[tuple[int, int]] = field(default_factory=list)
    #: (user, id) -> how many read POSTs failed (non-204 or transport error).
    failed_reads: Counter[tuple[int, int]] = field(default_factory=Counter)
    #: duplicate receipts: (user, id, whether a read POST for it had failed before).
    duplicates: list[tuple[int, int, bool]] = field(default_factory=list)
    #: (user, id) pairs marked read (a 204).
    read_ok: set[tuple[int, int]] = field(default_factory=set)
    written: list[Written] = field(default_factory=list)
    write_failures: list[float] = field(default_factory=list)
    outage: dict[str, float] = field(default_factory=dict)
    #: Set at the end: every simulated user leaves its loop.
    stopping: bool = False

    def at(self, moment: float) -> float:
        """``moment`` (monotonic) as seconds into the run."""
        return moment - self.t0


def count_reply(record: Record, method: str, reply: Reply) -> None:
    """Tally one response; check the shape of 503s."""
    record.statuses[(method, reply.status)] += 1
    record.timeline.append((reply.sent, reply.received, reply.status))
    if reply.status in (200, 204, 304):
        return
    record.odd.append((reply.received, method, reply.status))
    if reply.status == 503:
        try:
            retry_after = int(reply.headers.get("retry-after", ""))
            payload = json.loads(reply.body)
        except ValueError:
            retry_after, payload = 0, None
        if (
            retry_after <= 0
            or not isinstance(payload, dict)
            or "error" not in payload
            or not reply.headers.get("content-type", "").startswith("application/json")
        ):
            record.bad_503.append(f"{reply.headers} {reply.body[:200]!r}")


# --------------------------------------------------------------------------- the actors


async def simulated_user(
    user_id: int,
    cookie: str,
    port: int,
    record: Record,
    rng: random.Random,
    conns: list[HttpConnection],
) -> None:
    """Poll like the demo page (jitter, If-None-Match, Retry-After), marking reads, until the end.

    ``cookie`` is the user's ``session=...`` cookie, as the host application's login set it.
    """
    conn = HttpConnection(port)
    conns.append(conn)
    etag: str | None = None
    seen: set[int] = set()
    await asyncio.sleep(rng.uniform(0, POLL_MAX))  # users arrive spread out
    while not record.stopping:
        delay = rng.uniform(POLL_MIN, POLL_MAX)
        headers = {"Cookie": cookie}
        if etag is not None:
            headers["If-None-Match"] = etag
        try:
            reply = await conn.request("GET", UNREAD, headers)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, StaleConnection) as exc:
            record.transport_errors[f"GET {type(exc).__name__}"] += 1
            reply = None
        if reply is not None:
            count_reply(record, "GET", reply)
            if reply.status == 200:
                etag = reply.headers.get("etag")
                for item in json.loads(reply.body)["notifications"]:
                    nid = int(item["id"])
                    if nid in seen:
                        record.duplicates.append(
                            (user_id, nid, record.failed_reads[(user_id, nid)] > 0)
                        )
                    seen.add(nid)
                    record.received[user_id].append(nid)
                    if not str(item["body"]).endswith(f" for user {user_id}"):
                        record.wrong_body.append((user_id, nid))
                    if not await mark_read(conn, cookie, user_id, nid, record):
                        # The list will not change, so the old ETag would get a 304 and the
                        # notification would never come back to be marked read.
                        etag = None
            elif reply.status in (429, 503):
                with contextlib.suppress(ValueError):
                    delay = max(delay, float(reply.headers.get("retry-after", "")))
                delay += rng.uniform(0, 1)
        await asyncio.sleep(delay)


async def mark_read(
    conn: HttpConnection, cookie: str, user_id: int, nid: int, record: Record
) -> bool:
    """POST /notifications/<id>/read; True on 204."""
    try:
        reply = await conn.request("POST", f"/notifications/{nid}/read", {"Cookie": cookie})
    except (TimeoutError, OSError, asyncio.IncompleteReadError, StaleConnection) as exc:
        record.transport_errors[f"POST {type(exc).__name__}"] += 1
        record.failed_reads[(user_id, nid)] += 1
        return False
    count_reply(record, "POST", reply)
    if reply.status == 204:
        record.read_ok.add((user_id, nid))
        return True
    record.failed_reads[(user_id, nid)] += 1
    return False


def writer(db_url: str, record: Record, stop: threading.Event, errors: list[BaseException]) -> None:
    """Send notifications to random users at WRITE_RATE until ``stop``; retry through outages.

    Uses the app's own write path, ``notify()``, on an app of its own (its own pool) against
    the same database. A write that fails is retried until it succeeds; its id is recorded
    only then.
    """
    from adrgen.appendix.polling import create_app, notify
    from adrgen.appendix.polling.notifications import get_storage
    from adrgen.appendix.polling.storage import DatabaseUnavailable

    app = create_app({"SECRET_KEY": SECRET, "POLLING_DATABASE_URL": db_url})
    rng = random.Random(7)
    seq = 0
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            seq += 1
            user_id = rng.randint(1, USERS)
            text = f"soak <b>#{seq}</b> for user {user_id}"
            failed = 0
            give_up = time.monotonic() + 30
            while True:
                try:
                    nid = notify(user_id, text, app=app)
                    break
                except DatabaseUnavailable:
                    failed += 1
                    record.write_failures.append(time.monotonic())
                    if time.monotonic() > give_up:
                        raise
                    time.sleep(0.2)
            record.written.append(Written(seq, user_id, nid, failed))
            next_at = max(next_at + 1 / WRITE_RATE, time.monotonic() - 1)
            stop.wait(max(0.0, next_at - time.monotonic()))
    except BaseException as exc:
        errors.append(exc)
    finally:
        get_storage(app).close()


async def restart_postgres(pg: PostgresServer, record: Record) -> None:
    """At OUTAGE_AT: stop PostgreSQL (fast shutdown), wait OUTAGE_DOWN, start it again."""
    await asyncio.sleep(max(0.0, record.t0 + OUTAGE_AT - time.monotonic()))
    record.outage["stop"] = time.monotonic()
    await asyncio.to_thread(pg.stop)
    record.outage["down"] = time.monotonic()
    await asyncio.sleep(OUTAGE_DOWN)
    record.outage["start"] = time.monotonic()
    await asyncio.to_thread(pg.start)
    record.outage["up"] = time.monotonic()


def unread_in_db(db_url: str) -> int:
    """How many notifications are still unread, straight from PostgreSQL."""
    import psycopg

    with psycopg.connect(db_url, connect_timeout=5) as conn:
        row = conn.execute("SELECT count(*) FROM notifications WHERE NOT read").fetchone()
    assert row is not None
    return int(row[0])


def all_rows(db_url: str) -> list[tuple[int, int, str, bool]]:
    """Every notification row: (id, user_id, body, read)."""
    import psycopg

    with psycopg.connect(db_url, connect_timeout=5) as conn:
        return [
            (int(r[0]), int(r[1]), str(r[2]), bool(r[3]))
            for r in conn.execute("SELECT id, user_id, body, read FROM notifications")
        ]


async def soak(pg: PostgresServer, db_url: str, port: int) -> tuple[Record, list[HttpConnection]]:
    """Run users, writer and the restart for RUN_SECONDS, then drain; return what was seen."""
    # Signed up front: minting builds a Flask app each time, too slow for the event loop.
    cookies = {u: f"session={mint_session_cookie(SECRET, u)}" for u in range(1, USERS + 1)}
    record = Record(t0=time.monotonic())
    rng = random.Random(20240601)
    conns: list[HttpConnection] = []
    users = [
        asyncio.create_task(
            simulated_user(u, cookies[u], port, record, random.Random(rng.random()), conns)
        )
        for u in range(1, USERS + 1)
    ]
    stop_writing = threading.Event()
    writer_errors: list[BaseException] = []
    writer_thread = threading.Thread(
        target=writer, args=(db_url, record, stop_writing, writer_errors), daemon=True
    )
    writer_thread.start()
    restart = asyncio.create_task(restart_postgres(pg, record))
    try:
        while time.monotonic() < record.t0 + RUN_SECONDS:
            await asyncio.sleep(0.5)
            if restart.done():
                restart.result()  # raises at once if PostgreSQL failed to stop or start
            if writer_errors:
                raise writer_errors[0]
        stop_writing.set()
        await asyncio.to_thread(writer_thread.join, 90)
        assert not writer_thread.is_alive(), "the writer did not stop"
        if writer_errors:
            raise writer_errors[0]
        await restart  # long done; re-raises if the restart failed
        record.outage["writer_stopped"] = time.monotonic()
        # Drain: the users keep polling until every notification has been read.
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            if await asyncio.to_thread(unread_in_db, db_url) == 0:
                break
        record.outage["drained"] = time.monotonic()
    finally:
        stop_writing.set()
        record.stopping = True
        restart.cancel()
        for task in users:
            task.cancel()
        # Before Python 3.12, asyncio.wait_for can swallow a cancellation that arrives as
        # its inner await completes; the stopping flag then ends that user's loop instead.
        _, pending = await asyncio.wait([*users, restart], timeout=REQUEST_TIMEOUT + 10)
        for conn in conns:
            conn.close()
    assert not pending, f"{len(pending)} simulated users did not stop"
    crashed = [t.exception() for t in users if not t.cancelled() and t.exception()]
    assert not crashed, f"{len(crashed)} simulated users crashed, e.g. {crashed[0]!r}"
    return record, conns


# --------------------------------------------------------------------------- the test


@pytest.fixture
def soak_pg() -> Iterator[PostgresServer]:
    """A cluster of this test's own: it gets restarted mid-run."""
    with started(PostgresServer) as server:
        yield server


def test_soak_1000_pollers_writer_and_postgres_restart(soak_pg: PostgresServer) -> None:
    from adrgen.appendix.polling import create_app
    from adrgen.appendix.polling.notifications import get_storage

    db_url = soak_pg.create_database("soak")
    setup = create_app({"SECRET_KEY": SECRET, "POLLING_DATABASE_URL": db_url})
    get_storage(setup).init_schema()
    get_storage(setup).close()

    env = {
        "POLLING_DATABASE_URL": db_url,
        "SECRET_KEY": SECRET,
        "POLLING_RATE_LIMIT": "100000/minute",
        "POLLING_RATELIMIT_STORAGE_URI": "memory://",
        "POLLING_COOKIE_SECURE": "0",
    }
    extra = ("--keep-alive", str(KEEP_ALIVE), "--worker-connections", "2000")
    with GunicornServer(
        env, workers=2, worker_class="gthread", threads=4, extra_args=extra
    ) as server:
        started = time.monotonic()
        record, conns = asyncio.run(soak(soak_pg, db_url, server.port))
        ended = time.monotonic()
        server_log = server.log.read_text(errors="replace") if server.log.exists() else ""

    rows = all_rows(db_url)
    check_and_report(record, conns, rows, started, ended, server_log)


def check_and_report(
    record: Record,
    conns: list[HttpConnection],
    rows: list[tuple[int, int, str, bool]],
    started: float,
    ended: float,
    server_log: str,
) -> None:
    """Print the summary, then assert everything the module docstring promises."""
    out = record.outage
    statuses = record.statuses
    requests = sum(statuses.values())
    by_code: Counter[int] = Counter()
    for (_, code), n in statuses.items():
        by_code[code] += n
    got_503 = [t for t, _, code in record.odd if code == 503]
    written_owner = {w.notification_id: w.user_id for w in record.written}
    # A write reported as failed may still have committed (the answer was lost with the
    # connection): such a row is real and must be delivered too, but its id was never
    # recorded. Found by the writer's sequence number in the body.
    retried_seqs = {w.seq for w in record.written if w.failed_attempts}
    orphans = {nid: user for nid, user, _, _ in rows if nid not in written_owner}
    orphan_seqs = {
        nid: int(body.split("#", 1)[1].split("<", 1)[0])
        for nid, _, body, _ in rows
        if nid in orphans
    }
    expected: dict[int, set[int]] = defaultdict(set)
    for nid, user in [*written_owner.items(), *orphans.items()]:
        expected[user].add(nid)
    received_sets = {user: set(ids) for user, ids in record.received.items()}
    lost = {
        (user, nid)
        for user, ids in expected.items()
        for nid in ids
        if nid not in received_sets.get(user, set())
    }
    owner_of = {**written_owner, **orphans}
    misdelivered = [
        (user, nid)
        for user, ids in received_sets.items()
        for nid in ids
        if owner_of.get(nid) != user
    ]
    unexplained_dups = [
        (u, n) for u, n, had_failed_read in record.duplicates if not had_failed_read
    ]
    quiet_from = ended - QUIET_TAIL
    late_503 = [record.at(t) for t in got_503 if t >= quiet_from]
    stray_503 = [
        record.at(t) for t in got_503 if not out["stop"] <= t <= out["up"] + RECOVERY_BOUND
    ]
    stray_write_failures = [
        record.at(t)
        for t in record.write_failures
        if not out["stop"] <= t <= out["up"] + RECOVERY_BOUND
    ]
    sent_503 = [sent for sent, _, code in record.timeline if code == 503]
    tracebacks = server_log.count("Traceback")
    worker_timeouts = server_log.count("WORKER TIMEOUT")
    db_warnings = server_log.count("database unavailable")
    # Latency outside the outage (during it, requests wait up to the pool timeout by design).
    outage_span = (out["stop"], out["up"] + RECOVERY_BOUND)
    lat_ms = sorted(
        (received - sent) * 1000
        for sent, received, _ in record.timeline
        if received < outage_span[0] or sent > outage_span[1]
    )
    # Service is back with the first success for a request sent once PostgreSQL was down.
    resumed = min(
        (
            received
            for sent, received, code in record.timeline
            if sent > out["down"] and code != 503
        ),
        default=float("nan"),
    )

    def pct(p: float) -> float:
        return lat_ms[min(len(lat_ms) - 1, int(p / 100 * len(lat_ms)))] if lat_ms else 0.0

    wall = ended - started
    print()
    print("=== polling soak summary ===")
    print(
        f"users {USERS}, run {RUN_SECONDS:.0f} s + drain {out['drained'] - out['writer_stopped']:.1f} s"
        f" (wall {wall:.1f} s), gunicorn 2 gthread workers x 4 threads, keep-alive {KEEP_ALIVE} s"
    )
    print(
        f"requests {requests} ({requests / wall:.0f}/s): "
        + ", ".join(f"{code}: {by_code[code]}" for code in sorted(by_code))
        + f"  [GET 200 {statuses[('GET', 200)]}, GET 304 {statuses[('GET', 304)]},"
        f" GET 503 {statuses[('GET', 503)]}, POST 204 {statuses[('POST', 204)]},"
        f" POST 503 {statuses[('POST', 503)]}]"
    )
    print(
        f"latency ms outside the outage: p50 {pct(50):.1f}, p99 {pct(99):.1f},"
        f" max {lat_ms[-1] if lat_ms else 0:.0f};"
        f" connections opened {sum(c.connects for c in conns)},"
        f" resent after keep-alive close {sum(c.resends for c in conns)},"
        f" transport errors {dict(record.transport_errors) or 0}"
    )
    print(
        f"notifications written {len(record.written)} (+{len(orphans)} committed but reported"
        f" failed), writes retried {len(retried_seqs)} ({len(record.write_failures)} failed"
        f" attempts); received {sum(len(v) for v in record.received.values())} by"
        f" {len(record.received)} users; duplicates {len(record.duplicates)}"
        f" (after a failed read POST: {len(record.duplicates) - len(unexplained_dups)});"
        f" failed read POSTs {sum(record.failed_reads.values())}"
    )
    print(
        f"outage: PostgreSQL stopped at {record.at(out['stop']):.1f} s (stop took"
        f" {out['down'] - out['stop']:.1f} s), started at {record.at(out['start']):.1f} s, up at"
        f" {record.at(out['up']):.1f} s: down {out['up'] - out['stop']:.1f} s;"
        f" 503s {len(got_503)} from {record.at(min(got_503)) if got_503 else float('nan'):.1f} s"
        f" to {record.at(max(got_503)) if got_503 else float('nan'):.1f} s (sent from"
        f" {record.at(min(sent_503)) if sent_503 else float('nan'):.1f} s); first success"
        f" after the stop at {record.at(resumed):.1f} s ({resumed - out['up']:+.1f} s from"
        f" PostgreSQL up); 503s in the final {QUIET_TAIL:.0f} s: {len(late_503)}"
    )
    print(
        f"gunicorn log: {tracebacks} tracebacks, {worker_timeouts} worker timeouts,"
        f" {db_warnings} 'database unavailable' warnings"
    )
    other = Counter((m, c) for _, m, c in record.odd if c != 503)
    if other:
        print(f"other statuses: {dict(other)}")
        print("gunicorn log tail:\n" + "\n".join(server_log.splitlines()[-40:]))

    assert requests > 20_000, "the load was too small to mean anything"
    assert not other, f"unexpected statuses (500s included): {dict(other)}"
    assert by_code[500] == 0
    assert tracebacks == worker_timeouts == 0, server_log[-4000:]
    assert not record.transport_errors, dict(record.transport_errors)
    assert not record.bad_503, record.bad_503[:3]
    assert got_503, "no 503 seen: did the restart happen at all?"
    assert not stray_503, f"503s outside the outage (+{RECOVERY_BOUND:.0f} s): {stray_503[:10]}"
    assert not stray_write_failures, stray_write_failures[:10]
    assert not late_503, f"503s in the final {QUIET_TAIL:.0f} s: {late_503[:10]}"
    # Delivery: exactly the user's own notifications, none lost.
    assert len(record.written) > 0.8 * WRITE_RATE * RUN_SECONDS
    assert len(set(written_owner)) == len(record.written), "an id was handed out twice"
    # A row the writer has no id for must be a retried write whose failed attempt committed.
    assert set(orphan_seqs.values()) <= retried_seqs, f"rows nobody wrote: {orphan_seqs}"
    db_owner = {nid: user for nid, user, _, _ in rows}
    assert all(db_owner.get(n) == u for n, u in written_owner.items()), "id/user mismatch in db"
    assert not lost, f"{len(lost)} notifications never delivered, e.g. {sorted(lost)[:5]}"
    assert not misdelivered, f"delivered to the wrong user: {misdelivered[:5]}"
    assert not record.wrong_body, record.wrong_body[:5]
    assert {u: s for u, s in received_sets.items() if s} == {u: s for u, s in expected.items() if s}
    assert all(read for *_, read in rows), "notifications left unread after the drain"
    # Every read was confirmed by a 204, unless a POST failed yet committed (row read anyway).
    unconfirmed = {(owner_of[n], n) for n in owner_of} - record.read_ok
    assert all(record.failed_reads[pair] for pair in unconfirmed), sorted(unconfirmed)[:5]
    # A notification comes back only if its mark-read POST failed.
    assert not unexplained_dups, f"received again without a failed read: {unexplained_dups[:5]}"
