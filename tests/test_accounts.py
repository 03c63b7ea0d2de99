"""Accounts, logins and API keys on real SQLite and PostgreSQL, and `factcheck users ...`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from typer.testing import CliRunner

from factcheck.accounts import Accounts, AuthenticationError, role_at_least
from factcheck.cli import app
from factcheck.errors import ConflictError, InputError, NotFoundError
from factcheck.store import Store
from factcheck.store.review_models import ApiKeyRow, UserRow, UserSessionRow

PASSWORD = "correct horse battery"
# The real parameters cost ~50 ms a hash; the tests check the behaviour, not the cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def accounts(store: Store) -> Accounts:
    return Accounts(store, hasher=FAST_HASHER)


def test_passwords_are_stored_as_argon2id_hashes(accounts: Accounts, store: Store) -> None:
    accounts.add_user("ana", PASSWORD, role="editor", actor="test")
    with store.transaction() as session:
        stored = session.scalar(select(UserRow.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_authenticate_accepts_the_password_and_refuses_others_with_one_message(accounts: Accounts) -> None:
    accounts.add_user("ana", PASSWORD, role="editor", actor="test")
    assert accounts.authenticate("ana", PASSWORD).username == "ana"
    with pytest.raises(AuthenticationError) as wrong:
        accounts.authenticate("ana", "not the password")
    with pytest.raises(AuthenticationError) as unknown:
        accounts.authenticate("nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value)


def test_a_disabled_user_cannot_log_in_and_loses_sessions_and_keys(accounts: Accounts) -> None:
    user = accounts.add_user("ana", PASSWORD, role="editor", actor="test")
    login = accounts.start_session(user)
    _, secret = accounts.create_api_key("ana", name="bot", actor="test")
    accounts.disable_user("ana", actor="admin")
    with pytest.raises(AuthenticationError):
        accounts.authenticate("ana", PASSWORD)
    assert accounts.session_for(login.token) is None
    assert accounts.user_for_api_key(secret) is None
    accounts.enable_user("ana", actor="admin")
    assert accounts.user_for_api_key(secret) is not None


def test_sessions_are_stored_hashed_and_end_on_logout(accounts: Accounts, store: Store) -> None:
    user = accounts.add_user("ana", PASSWORD, role="viewer", actor="test")
    login = accounts.start_session(user)
    with store.transaction() as session:
        assert session.scalar(select(UserSessionRow.token_hash)) != login.token
    found = accounts.session_for(login.token)
    assert found is not None and found.user.username == "ana" and found.csrf_token == login.csrf_token
    accounts.end_session(login.token)
    assert accounts.session_for(login.token) is None
    assert accounts.session_for("") is None


def test_changing_the_password_signs_the_user_out(accounts: Accounts) -> None:
    user = accounts.add_user("ana", PASSWORD, role="editor", actor="test")
    login = accounts.start_session(user)
    accounts.set_password("ana", "another long password", actor="ana")
    assert accounts.session_for(login.token) is None
    assert accounts.authenticate("ana", "another long password").id == user.id


def test_api_keys_are_shown_once_stored_hashed_and_can_be_revoked(accounts: Accounts, store: Store) -> None:
    accounts.add_user("bot", PASSWORD, role="editor", actor="test")
    key, secret = accounts.create_api_key("bot", name="feeds", actor="admin")
    assert secret.startswith("fck_") and len(secret) > 40
    assert secret.startswith(key.prefix)
    with store.transaction() as session:
        assert session.scalar(select(ApiKeyRow.key_hash)) != secret
    user = accounts.user_for_api_key(secret)
    assert user is not None and user.username == "bot"
    assert accounts.user_for_api_key(secret + "x") is None
    accounts.revoke_api_key(key.id, actor="admin")
    assert accounts.user_for_api_key(secret) is None
    [listed] = accounts.list_api_keys("bot")
    assert not listed.active
    with pytest.raises(NotFoundError):
        accounts.revoke_api_key(999, actor="admin")


def test_account_changes_are_in_the_audit_log_without_secrets(accounts: Accounts, store: Store) -> None:
    accounts.add_user("ana", PASSWORD, role="editor", actor="root")
    accounts.set_password("ana", "another long password", actor="root")
    entries = store.audit_entries(target_type="user")
    assert [e.action for e in entries] == ["set_password", "create"]
    assert all("argon2" not in str(e.before) + str(e.after) for e in entries)


@pytest.mark.parametrize(
    ("username", "password", "role", "error"),
    [
        ("ana", "short", "editor", InputError),
        ("bad name!", PASSWORD, "editor", InputError),
        ("ana", PASSWORD, "superuser", InputError),
    ],
)
def test_add_user_refuses_bad_input(
    accounts: Accounts, username: str, password: str, role: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        accounts.add_user(username, password, role=role, actor="test")


def test_add_user_refuses_a_taken_username(accounts: Accounts) -> None:
    accounts.add_user("ana", PASSWORD, actor="test")
    with pytest.raises(ConflictError):
        accounts.add_user("ana", PASSWORD, actor="test")


@pytest.mark.parametrize(
    ("role", "required", "allowed"),
    [
        ("admin", "editor", True),
        ("editor", "editor", True),
        ("viewer", "editor", False),
        ("editor", "admin", False),
    ],
)
def test_roles_include_the_ones_below_them(role: str, required: str, allowed: bool) -> None:
    assert role_at_least(role, required) is allowed


# --- the CLI --------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", url)
    return url


def test_users_cli_adds_lists_changes_and_disables_accounts(cli_db: str) -> None:
    added = runner.invoke(
        app, ["users", "add", "ana", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    assert "Added ana (admin)" in added.output
    listed = runner.invoke(app, ["users", "list"])
    assert "ana" in listed.output and "admin" in listed.output and "active" in listed.output
    assert (
        runner.invoke(
            app, ["users", "passwd", "ana", "--password-stdin"], input="a new long password\n"
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["users", "disable", "ana"]).exit_code == 0
    assert "disabled" in runner.invoke(app, ["users", "list"]).output
    accounts = Accounts(Store(cli_db), hasher=FAST_HASHER)
    with pytest.raises(AuthenticationError):
        accounts.authenticate("ana", "a new long password")


def test_users_cli_prompts_twice_and_refuses_differing_passwords(cli_db: str) -> None:
    result = runner.invoke(app, ["users", "add", "ana"], input=f"{PASSWORD}\nsomething else\n")
    assert result.exit_code == 1
    assert "the two passwords differ" in result.output


def test_users_cli_errors_are_one_line(cli_db: str) -> None:
    result = runner.invoke(app, ["users", "disable", "nobody"])
    assert result.exit_code == 1
    assert "Error: no user called 'nobody'" in result.output
    assert "Traceback" not in result.output


def test_apikey_cli_prints_the_key_once_and_revokes_it(cli_db: str) -> None:
    runner.invoke(app, ["users", "add", "bot", "--password-stdin"], input=PASSWORD + "\n")
    created = runner.invoke(app, ["users", "apikey", "create", "bot", "--name", "feeds"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("fck_")
    accounts = Accounts(Store(cli_db), hasher=FAST_HASHER)
    assert accounts.user_for_api_key(secret) is not None
    listed = runner.invoke(app, ["users", "apikey", "list"])
    assert secret not in listed.output and "active" in listed.output
    key_id = listed.output.split()[0]
    assert runner.invoke(app, ["users", "apikey", "revoke", key_id]).exit_code == 0
    assert accounts.user_for_api_key(secret) is None
    assert os.environ["FACTCHECK_DATABASE_URL"] == cli_db
