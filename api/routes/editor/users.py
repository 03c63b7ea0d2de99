"""Users and API keys, for admins: add, change role, disable, enable; create (shown once) and revoke keys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.auth import AccountsDep, get_accounts
from api.routes.editor.base import Admin, EditorContext, UserView, ago, redirect, render
from factcheck.accounts import ROLES, ApiKey, User
from factcheck.errors import ConflictError, FactcheckError, NotFoundError

router = APIRouter()


@dataclass(kw_only=True)
class UsersContext(EditorContext):
    users: list[dict[str, Any]]
    api_keys: list[dict[str, Any]]
    roles: list[str]
    new_key: str = ""
    new_key_owner: str = ""


def _key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "username": key.username,
        "name": key.name,
        "prefix": key.prefix,
        "created": ago(key.created_at),
        "last_used": ago(key.last_used_at) or "never",
        "active": key.active,
    }


def _users_context(request: Request, user: User, **extra: Any) -> UsersContext:
    accounts = get_accounts(request)
    return UsersContext(
        title="Users and API keys",
        user=UserView.of(user),
        users=[
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "disabled": u.disabled,
                "last_login": ago(u.last_login_at) or "never",
                "is_self": u.username == user.username,
            }
            for u in accounts.list_users()
        ],
        api_keys=[_key_view(k) for k in accounts.list_api_keys()],
        roles=list(ROLES),
        **extra,
    )


@router.get("/users")
@router.get("/users.json")
def users_page(request: Request, user: Admin, done: Annotated[str, Query(max_length=30)] = "") -> Response:
    notice = {"added": "User added.", "changed": "User changed.", "revoked": "API key revoked."}.get(done, "")
    return render(request, "users.html", _users_context(request, user, notice=notice))


def _admin_action(
    request: Request, user: User, done: str, action: Callable[[], object], *, not_on_yourself: str = ""
) -> Response:
    """Run an admin's change and show the users page; `not_on_yourself` is the refusal when the target
    account (the path's `username`) is the admin's own."""
    if not_on_yourself and request.path_params.get("username") == user.username:
        return render(request, "users.html", _users_context(request, user, error=not_on_yourself), status=422)
    try:
        action()
    except FactcheckError as error:
        status = 409 if isinstance(error, ConflictError) else 404 if isinstance(error, NotFoundError) else 422
        return render(
            request, "users.html", _users_context(request, user, error=f"Not done: {error}"), status=status
        )
    return redirect(f"/editor/users?done={done}")


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    accounts: AccountsDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=20)] = "editor",
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _admin_action(
        request,
        user,
        "added",
        lambda: accounts.add_user(
            username.strip(), password, role=role, display_name=display_name, actor=user.username
        ),
    )


@router.post("/users/{username}/role")
def change_role(
    request: Request,
    username: str,
    user: Admin,
    accounts: AccountsDep,
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    return _admin_action(
        request,
        user,
        "changed",
        lambda: accounts.set_role(username, role, actor=user.username),
        not_on_yourself="You cannot change your own role.",
    )


@router.post("/users/{username}/disable")
def disable_user(request: Request, username: str, user: Admin, accounts: AccountsDep) -> Response:
    return _admin_action(
        request,
        user,
        "changed",
        lambda: accounts.disable_user(username, actor=user.username),
        not_on_yourself="You cannot disable yourself.",
    )


@router.post("/users/{username}/enable")
def enable_user(request: Request, username: str, user: Admin, accounts: AccountsDep) -> Response:
    return _admin_action(
        request, user, "changed", lambda: accounts.enable_user(username, actor=user.username)
    )


@router.post("/apikeys")
def create_api_key(
    request: Request,
    user: Admin,
    accounts: AccountsDep,
    username: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Shown once: the key is in this response only (no redirect, not cached), never stored in clear."""
    try:
        key, secret = accounts.create_api_key(username, name=name, actor=user.username)
    except FactcheckError as error:
        return render(
            request, "users.html", _users_context(request, user, error=f"Not done: {error}"), status=404
        )
    context = _users_context(
        request,
        user,
        new_key=secret,
        new_key_owner=key.username,
        notice=f"API key {key.id} created for {key.username}. Copy it now: it is shown only this once.",
    )
    return render(request, "users.html", context, status=201)


@router.post("/apikeys/{key_id}/revoke")
def revoke_api_key(request: Request, key_id: int, user: Admin, accounts: AccountsDep) -> Response:
    return _admin_action(
        request, user, "revoked", lambda: accounts.revoke_api_key(key_id, actor=user.username)
    )
