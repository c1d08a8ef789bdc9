"""`flask --app adrgen.appendix.polling init-db | seed | notify`, run as real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from tests.servers import free_port

pytestmark = pytest.mark.timeout(60)

FLASK = Path(sys.executable).with_name("flask")


def flask_cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(FLASK)] if FLASK.exists() else [sys.executable, "-m", "flask"]
    env = {**os.environ, "POLLING_DATABASE_URL": database_url, "SECRET_KEY": "cli-test"}
    return subprocess.run(
        [*command, "--app", "adrgen.appendix.polling", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def unread(app: Flask, user_id: int) -> list[dict[str, object]]:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = user_id
    notes: list[dict[str, object]] = client.get("/notifications/unread").json["notifications"]
    return notes


def test_init_db_is_idempotent(database_url: str) -> None:
    for _ in range(2):
        result = flask_cli(database_url, "init-db")
        assert result.returncode == 0, result.stderr
        assert "Schema ready" in result.stdout


def test_seed_and_notify(database_url: str, make_app: Callable[..., Flask]) -> None:
    assert flask_cli(database_url, "init-db").returncode == 0
    result = flask_cli(database_url, "seed", "--users", "20", "--per-user", "3")
    assert result.returncode == 0, result.stderr
    assert "Seeded 60 notifications for 20 users" in result.stdout

    result = flask_cli(
        database_url,
        "notify",
        "--user",
        "7",
        'Hi <script>alert(1)</script><a href="javascript:x">l</a>',
    )
    assert result.returncode == 0, result.stderr
    assert "sent to user 7" in result.stdout

    app = make_app()
    notes = unread(app, 7)
    assert len(notes) == 4
    assert notes[0]["body"] == 'Hi <a rel="noopener noreferrer nofollow">l</a>'
    assert len(unread(app, 20)) == 3
    assert unread(app, 21) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["notify", "--user", "abc", "x"], "is not a valid integer"),
        (["notify", "--user", "1; DROP TABLE notifications", "x"], "is not a valid integer"),
        (["notify", "--user", "0", "x"], "--user"),
        (["notify", "--user", "1", "<script>only a script</script>"], "empty"),
        (["notify", "--user", "1", "x" * 5000], "longer than"),
        (["notify", "x"], "Missing option '--user'"),
        (["seed", "--users", "-1"], "--users"),
    ],
)
def test_cli_errors_are_messages_not_tracebacks(
    database_url: str, args: list[str], message: str
) -> None:
    result = flask_cli(database_url, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.postgres
def test_cli_reports_an_unreachable_database(pg_server: object) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    result = flask_cli(url, "notify", "--user", "1", "hello")
    assert result.returncode == 1
    assert "database unavailable" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_app_cli_runner_works_too(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["notify", "--user", "3", "<i>in process</i>"])
    assert result.exit_code == 0, result.output
    assert unread(app, 3)[0]["body"] == "<i>in process</i>"
