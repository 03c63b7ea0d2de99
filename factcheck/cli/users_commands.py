"""`factcheck users ...`: editors' accounts and programs' API keys (thin over factcheck.accounts)."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated

import typer

from factcheck.accounts import ROLES, Accounts
from factcheck.cli._apps import app, open_database, user_errors
from factcheck.errors import InputError
from factcheck.settings import Settings

users_app = typer.Typer(help="Editors' accounts (admin, editor, viewer) and API keys.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for programs: shown once, stored hashed.", no_args_is_help=True)
app.add_typer(users_app, name="users")
users_app.add_typer(apikey_app, name="apikey")

PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin (for scripts)."),
]


def _accounts() -> Accounts:
    return Accounts(open_database(Settings()))


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat it", hide_input=True) != first:
        raise InputError("the two passwords differ")
    return first


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="Login name: letters, digits, . _ @ -")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "editor",
    name: Annotated[str, typer.Option(help="Display name shown in the audit log and the pages.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account; the password is asked for twice (at least 10 characters).

    Example:

        factcheck users add ana --role editor --name "Ana Silva"
    """
    with user_errors():
        user = _accounts().add_user(
            username, _read_password(password_stdin), role=role, display_name=name, actor=_actor()
        )
    typer.echo(f"Added {user.username} ({user.role})")


@users_app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False) -> None:
    """List accounts with their role and state.

    Example:

        factcheck users list
    """
    with user_errors():
        users = _accounts().list_users()
    for user in users:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "username": user.username,
                        "role": user.role,
                        "display_name": user.display_name,
                        "disabled": user.disabled,
                        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
                    }
                )
            )
        else:
            state = "disabled" if user.disabled else "active"
            typer.echo(f"{user.username:<24} {user.role:<7} {state:<8} {user.display_name}")
    if not users and not as_json:
        typer.echo("No accounts yet. Add one with: factcheck users add NAME --role admin")


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument()]) -> None:
    """Block an account: its logins end and its API keys stop working at once.

    Example:

        factcheck users disable ana
    """
    with user_errors():
        _accounts().disable_user(username, actor=_actor())
    typer.echo(f"Disabled {username}")


@users_app.command("enable")
def enable(username: Annotated[str, typer.Argument()]) -> None:
    """Unblock a disabled account.

    Example:

        factcheck users enable ana
    """
    with user_errors():
        _accounts().enable_user(username, actor=_actor())
    typer.echo(f"Enabled {username}")


@users_app.command("passwd")
def passwd(username: Annotated[str, typer.Argument()], password_stdin: PasswordStdin = False) -> None:
    """Set a new password; the user is signed out everywhere.

    Example:

        factcheck users passwd ana
    """
    with user_errors():
        _accounts().set_password(username, _read_password(password_stdin), actor=_actor())
    typer.echo(f"Password changed for {username}")


@users_app.command("role")
def role(
    username: Annotated[str, typer.Argument()],
    new_role: Annotated[str, typer.Argument(metavar="ROLE", help=f"One of: {', '.join(ROLES)}.")],
) -> None:
    """Change an account's role.

    Example:

        factcheck users role ana admin
    """
    with user_errors():
        user = _accounts().set_role(username, new_role, actor=_actor())
    typer.echo(f"{user.username} is now {user.role}")


@apikey_app.command("create")
def apikey_create(
    username: Annotated[str, typer.Argument(help="The account the program acts as.")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'feeds bot'.")] = "",
) -> None:
    """Create an API key and print it once; send it as `Authorization: Bearer KEY` or `X-API-Key: KEY`.

    Example:

        factcheck users apikey create ana --name "feeds bot"
    """
    with user_errors():
        key, secret = _accounts().create_api_key(username, name=name, actor=_actor())
    typer.echo(f"API key {key.id} for {key.username} (shown once; store it now):", err=True)
    typer.echo(secret)


@apikey_app.command("list")
def apikey_list(username: Annotated[str | None, typer.Argument()] = None) -> None:
    """List API keys (their first characters only).

    Example:

        factcheck users apikey list ana
    """
    with user_errors():
        keys = _accounts().list_api_keys(username)
    for key in keys:
        state = "active" if key.active else "revoked"
        typer.echo(f"{key.id:>5} {key.prefix}…  {key.username:<20} {state:<8} {key.name}")


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[int, typer.Argument(help="The id shown by `apikey list`.")]) -> None:
    """Revoke an API key; programs using it get 401 from now on.

    Example:

        factcheck users apikey revoke 3
    """
    with user_errors():
        key = _accounts().revoke_api_key(key_id, actor=_actor())
    typer.echo(f"Revoked API key {key.id} ({key.prefix}…) of {key.username}")
