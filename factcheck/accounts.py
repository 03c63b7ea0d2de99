"""Editors' accounts: users with a role, argon2 password hashes, login sessions and API keys.

Roles are ordered; each includes the ones before it:

    viewer   reads the queue, the debunks and the dashboard
    editor   also decides on queue items and writes debunks
    admin    also manages users and API keys

Secrets are kept only as hashes: passwords with argon2id, login-session tokens and API keys with
sha256 (they are 256-bit random tokens, so a fast hash is enough; a password needs a slow one).
API keys and session tokens are returned once, when created.

    accounts = Accounts(store)
    accounts.add_user("ana", "correct horse battery", role="editor", actor="cli")
    user = accounts.authenticate("ana", "correct horse battery")
    login = accounts.start_session(user)          # login.token goes in the cookie
    key, secret = accounts.create_api_key("ana", name="feeds bot", actor="ana")
    accounts.user_for_api_key(secret)             # -> the User, or None once revoked

Its tables (UserRow, UserSessionRow, ApiKeyRow in factcheck/store/review_models.py) are read and written only here, through
`Store.transaction()`: a change and the sessions it ends are one transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from factcheck.errors import ConflictError, FactcheckError, InputError, NotFoundError
from factcheck.store import Store
from factcheck.store.models import utcnow
from factcheck.store.review_models import ApiKeyRow, UserRow, UserSessionRow

__all__ = [
    "ROLES",
    "Accounts",
    "ApiKey",
    "AuthenticationError",
    "LoginSession",
    "Role",
    "User",
    "role_at_least",
]

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)

API_KEY_PREFIX = "fck_"
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


class AuthenticationError(FactcheckError):
    """Wrong username or password, or a disabled account (deliberately not told apart)."""


def role_at_least(role: str, required: str) -> bool:
    """True when `role` includes the rights of `required` (admin ⊇ editor ⊇ viewer)."""
    if required not in ROLES:
        raise ValueError(f"unknown role {required!r}; expected one of {', '.join(ROLES)}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(required)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    display_name: str = ""
    disabled: bool = False
    created_at: datetime | None = None
    last_login_at: datetime | None = None

    def can(self, required: str) -> bool:
        return not self.disabled and role_at_least(self.role, required)

    @property
    def name(self) -> str:
        return self.display_name or self.username


@dataclass(frozen=True)
class LoginSession:
    """A browser login. `token` is the cookie value; the database keeps only its sha256."""

    token: str
    user: User
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ApiKey:
    """A program's key as listed: `prefix` is its first characters, enough to recognise it."""

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=cast(Role, row.role),  # validated on write
        display_name=row.display_name,
        disabled=row.disabled,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
    )


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        username=row.user.username,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InputError("the password is longer than 1,024 characters")


class Accounts:
    """Users, logins and API keys, kept in the Store's database.

    Parameters
    ----------
    store : Store
        A migrated store (migration 0003 or later).
    hasher : argon2.PasswordHasher, optional
        Tests pass a cheap one; the default uses argon2-cffi's RFC 9106 low-memory profile.
    session_lifetime : timedelta, default=12 hours
        How long a login lasts before the editor has to sign in again.
    """

    def __init__(
        self,
        store: Store,
        *,
        hasher: PasswordHasher | None = None,
        session_lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        self.store = store
        self.hasher = hasher or PasswordHasher()
        self.session_lifetime = session_lifetime
        # Verified against when the username is unknown, so the answer takes as long either way.
        self._dummy_hash = self.hasher.hash(secrets.token_hex(16))

    # --- users ---------------------------------------------------------------------------------

    def add_user(
        self, username: str, password: str, *, role: str = "editor", display_name: str = "", actor: str
    ) -> User:
        if not _USERNAME.match(username):
            raise InputError(
                "a username is 1-100 letters, digits or . _ @ - and starts with a letter or digit"
            )
        _check_role(role)
        _check_password(password)
        with self.store.transaction() as session:
            if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
                raise ConflictError(f"there is already a user called {username!r}")
            row = UserRow(
                username=username,
                display_name=display_name[:200],
                password_hash=self.hasher.hash(password),
                role=role,
                disabled=False,
            )
            session.add(row)
            session.flush()
            self.store.record_audit(
                session, actor, "create", "user", row.id, None, {"username": username, "role": role}
            )
            return _user(row)

    def list_users(self) -> list[User]:
        with self.store.transaction() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def count_users(self) -> int:
        with self.store.transaction() as session:
            return int(session.scalar(select(func.count(UserRow.id))) or 0)

    def set_role(self, username: str, role: str, *, actor: str) -> User:
        _check_role(role)
        return self._change(username, actor, "set_role", role=role)

    def disable_user(self, username: str, *, actor: str) -> User:
        """Block the user's logins and API keys at once; their history stays."""
        with self.store.transaction():
            user = self._change(username, actor, "disable", disabled=True)
            self._end_sessions_of(user.id)
        return user

    def enable_user(self, username: str, *, actor: str) -> User:
        return self._change(username, actor, "enable", disabled=False)

    def set_password(self, username: str, password: str, *, actor: str) -> User:
        """Replace the password and sign the user out everywhere."""
        _check_password(password)
        password_hash = self.hasher.hash(password)
        with self.store.transaction():
            user = self._change(username, actor, "set_password", password_hash=password_hash)
            self._end_sessions_of(user.id)
        return user

    def _row(self, session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise NotFoundError(f"no user called {username!r}")
        return row

    def _change(self, username: str, actor: str, action: str, **values: object) -> User:
        with self.store.transaction() as session:
            row = self._row(session, username)
            before = {"role": row.role, "disabled": row.disabled}
            for name, value in values.items():
                setattr(row, name, value)
            after = {"role": row.role, "disabled": row.disabled}
            if "password_hash" in values:
                after["password_changed"] = True
            self.store.record_audit(session, actor, action, "user", row.id, before, after)
            return _user(row)

    # --- logging in ----------------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> User:
        """The user with this password; AuthenticationError otherwise (same message in every case)."""
        failure = AuthenticationError("wrong username or password")
        with self.store.transaction() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            stored_hash = row.password_hash if row is not None else self._dummy_hash
            try:
                self.hasher.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                raise failure from None
            if row is None or row.disabled:
                raise failure
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self.hasher.hash(password)
            row.last_login_at = utcnow()
            return _user(row)

    def start_session(self, user: User) -> LoginSession:
        token = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        expires_at = utcnow() + self.session_lifetime
        with self.store.transaction() as session:
            session.execute(delete(UserSessionRow).where(UserSessionRow.expires_at < utcnow()))
            session.add(
                UserSessionRow(
                    token_hash=_sha256(token), user_id=user.id, csrf_token=csrf_token, expires_at=expires_at
                )
            )
        return LoginSession(token=token, user=user, csrf_token=csrf_token, expires_at=expires_at)

    def session_for(self, token: str) -> LoginSession | None:
        """The live login behind a cookie value; None when unknown, expired or the user is disabled."""
        if not token:
            return None
        with self.store.transaction() as session:
            row = session.get(UserSessionRow, _sha256(token))
            if row is None or _aware(row.expires_at) <= utcnow() or row.user.disabled:
                return None
            return LoginSession(
                token=token, user=_user(row.user), csrf_token=row.csrf_token, expires_at=row.expires_at
            )

    def end_session(self, token: str) -> None:
        with self.store.transaction() as session:
            session.execute(delete(UserSessionRow).where(UserSessionRow.token_hash == _sha256(token)))

    def _end_sessions_of(self, user_id: int) -> None:
        with self.store.transaction() as session:
            session.execute(delete(UserSessionRow).where(UserSessionRow.user_id == user_id))

    # --- API keys ------------------------------------------------------------------------------

    def create_api_key(self, username: str, *, name: str = "", actor: str) -> tuple[ApiKey, str]:
        """A new key for `username`; the secret is returned here and never again."""
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction() as session:
            user = self._row(session, username)
            row = ApiKeyRow(user_id=user.id, name=name[:200], prefix=secret[:12], key_hash=_sha256(secret))
            row.user = user
            session.add(row)
            session.flush()
            self.store.record_audit(
                session, actor, "create", "api_key", row.id, None, {"user": username, "prefix": row.prefix}
            )
            return _api_key(row), secret

    def list_api_keys(self, username: str | None = None) -> list[ApiKey]:
        query = select(ApiKeyRow).join(ApiKeyRow.user).order_by(ApiKeyRow.id)
        if username:
            query = query.where(UserRow.username == username)
        with self.store.transaction() as session:
            return [_api_key(row) for row in session.scalars(query)]

    def revoke_api_key(self, key_id: int, *, actor: str) -> ApiKey:
        with self.store.transaction() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFoundError(f"no API key with id {key_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self.store.record_audit(
                    session, actor, "revoke", "api_key", key_id, {"revoked": False}, {"revoked": True}
                )
            return _api_key(row)

    def user_for_api_key(self, secret: str) -> User | None:
        """The owner of an active key; None for an unknown or revoked key, or a disabled owner."""
        if not secret.startswith(API_KEY_PREFIX):
            return None
        with self.store.transaction() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == _sha256(secret)))
            if row is None or row.revoked_at is not None or row.user.disabled:
                return None
            # Touch at most once a minute: a busy bot should not turn every read into a write.
            now = utcnow()
            if row.last_used_at is None or now - _aware(row.last_used_at) > timedelta(minutes=1):
                session.execute(update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(last_used_at=now))
            return _user(row.user)
