"""Writing a debunk from a review item, and editing or retiring one: the ClaimReview fields as a form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import CheckerDep, QueueDep, SettingsDep, StoreDep
from api.routes.editor.base import (
    DONE_NOTICES,
    Editor,
    EditorContext,
    PageError,
    UserView,
    Viewer,
    redirect,
    render,
)
from api.schemas import IdPath, IntForm
from factcheck.accounts import User
from factcheck.errors import ConflictError, FactcheckError, InputError, NotFoundError
from factcheck.language import language_of_record
from factcheck.types import RATING_LABELS, Debunk

router = APIRouter()


@dataclass(kw_only=True)
class DebunkFormContext(EditorContext):
    """The ClaimReview fields of a debunk being written (from an item) or edited."""

    action_url: str
    values: dict[str, str]
    labels: list[str]
    debunk_id: int | None = None
    version: int | None = None
    item_id: int | None = None
    item_version: int | None = None
    retired: bool = False
    draft: bool = False
    field_errors: dict[str, str] = field(default_factory=dict)  # shown beside each field


DEBUNK_FIELDS = (
    "claim_reviewed", "label", "rating_text", "reviewer_name", "reviewer_site", "review_url", "review_date",
    "claimant", "claim_date", "language", "title", "explanation", "tags", "appearance_urls", "variants",
)  # fmt: skip
_LINES = ("appearance_urls", "variants")


def _form_values(debunk: Debunk) -> dict[str, str]:
    values = {}
    for name in DEBUNK_FIELDS:
        value = getattr(debunk, name)
        if name in _LINES:
            values[name] = "\n".join(value)
        elif name == "tags":
            values[name] = ", ".join(value)
        else:
            values[name] = "" if value is None else str(value)
    return values


def _parse_debunk_form(form: dict[str, str], *, publish: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """Form strings -> Debunk field values, and what is wrong, by field, to show beside each one.

    Publishing needs a rating chosen on purpose (the form preselects none) and a source: a reviewer or
    a fact-check URL. A draft needs only the claim and the rating, and is never matched.
    """
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in DEBUNK_FIELDS:
        raw = form.get(name, "").strip()
        if name in _LINES:
            parsed[name] = tuple(line.strip() for line in raw.splitlines() if line.strip())
        elif name == "tags":
            parsed[name] = tuple(tag.strip() for tag in raw.split(",") if tag.strip())
        elif name in ("review_date", "claim_date"):
            try:
                parsed[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                parsed[name] = None
                errors[name] = f"The {name.replace('_', ' ')} must be a date like 2024-05-31, not {raw!r}."
        else:
            parsed[name] = raw
    if parsed["label"] not in RATING_LABELS:
        errors["label"] = "Choose the rating: it is what readers are shown."
    if not parsed["claim_reviewed"]:
        errors["claim_reviewed"] = "Write the claim that was reviewed."
    if publish and not (parsed["reviewer_name"] or parsed["review_url"]):
        message = "A published debunk needs its source: the fact-check's URL or the reviewer."
        errors["review_url"] = errors["reviewer_name"] = message
    parsed["language"] = language_of_record(parsed["language"])  # "French", "fr-FR" -> "fr"
    parsed["draft"] = not publish
    return parsed, errors


async def _debunk_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, ""))[:20_000] for name in (*DEBUNK_FIELDS, "publish")}


DebunkForm = Annotated[dict[str, str], Depends(_debunk_form)]


@router.get("/items/{item_id}/new-debunk")
def new_debunk_page(
    request: Request, item_id: IdPath, user: Editor, queue: QueueDep, settings: SettingsDep
) -> Response:
    item = queue.get(item_id)
    draft = Debunk(claim_reviewed=item.text, label="other", reviewer_name=settings.editor_organisation)
    # No rating is preselected: the editor chooses one on purpose.
    values = {**_form_values(draft), "label": ""}
    context = _new_context(user, item_id, item.version, values=values)
    return render(request, "debunk_form.html", context)


def _new_context(user: User, item_id: int, item_version: int, **extra: Any) -> DebunkFormContext:
    return DebunkFormContext(
        title=f"New debunk from item {item_id}",
        user=UserView.of(user),
        action_url=f"/editor/items/{item_id}/new-debunk",
        labels=list(RATING_LABELS),
        item_id=item_id,
        item_version=item_version,
        draft=True,
        **extra,
    )


def _form_errors_page(request: Request, context: DebunkFormContext, errors: dict[str, str]) -> Response:
    context.field_errors = errors
    context.error = "Not saved: " + " ".join(dict.fromkeys(errors.values()))
    return render(request, "debunk_form.html", context, status=422)


@router.post("/items/{item_id}/new-debunk")
def create_debunk(
    request: Request,
    item_id: IdPath,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    form: DebunkForm,
    item_version: IntForm,
) -> Response:
    parsed, errors = _parse_debunk_form(form, publish=form.get("publish") != "0")
    if errors:
        return _form_errors_page(request, _new_context(user, item_id, item_version, values=form), errors)
    try:
        _, created = queue.create_debunk(
            item_id, Debunk(**parsed), expected_version=item_version, actor=user.username
        )
    except FactcheckError as error:
        context = _new_context(user, item_id, item_version, values=form, error=f"Not saved: {error}")
        return render(
            request, "debunk_form.html", context, status=409 if isinstance(error, ConflictError) else 422
        )
    checker.index_debunks([created.id or 0])
    return redirect(f"/editor/items/{item_id}?done=new_debunk")


def _edit_context(
    user: User, debunk: Debunk, *, values: dict[str, str] | None = None, **extra: Any
) -> DebunkFormContext:
    return DebunkFormContext(
        title=f"Edit debunk {debunk.id}",
        user=UserView.of(user),
        action_url=f"/editor/debunks/{debunk.id}/edit",
        values=values or _form_values(debunk),
        labels=list(RATING_LABELS),
        debunk_id=debunk.id,
        version=debunk.version,
        retired=debunk.retired,
        draft=debunk.draft,
        **extra,
    )


@router.get("/debunks/{debunk_id}/edit")
@router.get("/debunks/{debunk_id}/edit.json")
def edit_debunk_page(
    request: Request,
    debunk_id: IdPath,
    user: Viewer,
    store: StoreDep,
    done: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    try:
        debunk = store.get(debunk_id)
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    return render(request, "debunk_form.html", _edit_context(user, debunk, notice=DONE_NOTICES.get(done, "")))


@router.post("/debunks/{debunk_id}/edit")
def edit_debunk(
    request: Request,
    debunk_id: IdPath,
    user: Editor,
    checker: CheckerDep,
    form: DebunkForm,
    version: IntForm,
) -> Response:
    store = checker.store
    parsed, errors = _parse_debunk_form(form, publish=form.get("publish") != "0")
    if errors:
        context = _edit_context(user, store.get(debunk_id), values=form)
        context.version = version
        return _form_errors_page(request, context, errors)
    try:
        store.update_debunk(debunk_id, parsed, expected_version=version, actor=user.username)
    except (ConflictError, InputError) as error:
        current = store.get(debunk_id)
        context = _edit_context(user, current, values=form, error=f"Not saved: {error}")
        context.version = version  # keep the version the editor saw, so saving again is still checked
        return render(
            request, "debunk_form.html", context, status=409 if isinstance(error, ConflictError) else 422
        )
    checker.index_debunks([debunk_id])
    return redirect(f"/editor/debunks/{debunk_id}/edit?done=saved")


@router.post("/debunks/{debunk_id}/retire")
def retire_debunk(
    request: Request, debunk_id: IdPath, user: Editor, checker: CheckerDep, version: IntForm
) -> Response:
    store = checker.store
    try:
        store.retire_debunk(debunk_id, expected_version=version, actor=user.username)
    except ConflictError as error:
        context = _edit_context(user, store.get(debunk_id), error=f"Not retired: {error}")
        return render(request, "debunk_form.html", context, status=409)
    checker.index_debunks([debunk_id])
    return redirect(f"/editor/debunks/{debunk_id}/edit?done=retired")
