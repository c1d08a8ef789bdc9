"""Flask CLI: ``flask --app adrgen.appendix.polling init-db | seed | notify``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .notifications import get_storage, notify, seed
from .storage import MAX_ID, DatabaseUnavailable
from .storage import describe as describe_url


def _unavailable(exc: DatabaseUnavailable) -> click.ClickException:
    return click.ClickException(f"database unavailable: {exc}")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the notifications table and indexes (safe to run again)."""
    storage = get_storage()
    try:
        storage.init_schema()
    except DatabaseUnavailable as exc:
        raise _unavailable(exc) from None
    click.echo(f"Schema ready in {describe_url(storage.url)}")


@click.command("seed")
@click.option("--users", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@click.option("--per-user", type=click.IntRange(0, 1000), default=3, show_default=True)
@with_appcontext
def seed_command(users: int, per_user: int) -> None:
    """Give users 1..N M unread notifications each."""
    try:
        count = seed(users, per_user)
    except DatabaseUnavailable as exc:
        raise _unavailable(exc) from None
    click.echo(f"Seeded {count} notifications for {users} users")


@click.command("notify")
@click.option("--user", "user_id", type=click.IntRange(1, MAX_ID), required=True)
@click.argument("text")
@with_appcontext
def notify_command(user_id: int, text: str) -> None:
    """Send TEXT (a little HTML allowed; sanitised before it is stored) to one user."""
    try:
        new_id = notify(user_id, text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="TEXT") from None
    except DatabaseUnavailable as exc:
        raise _unavailable(exc) from None
    click.echo(f"Notification {new_id} sent to user {user_id}")


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    for command in (init_db_command, seed_command, notify_command):
        app.cli.add_command(command)
