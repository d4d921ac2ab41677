"""JSON API for ending access: one's own tokens and password; for ops, everyone's tokens and
deactivation. Token secrets are never shown again after they are issued."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.exceptions import NotAuthorizedException

from app.accounts import access, service
from app.accounts.api import user_json
from app.accounts.auth import TOKEN_ID
from app.accounts.models import ApiToken
from app.accounts.signin import sign_in
from app.errors import Invalid, NotFound
from app.models_base import iso
from app.web.bodies import Body, takes
from app.web.requests import database, json_object


class PasswordChange(Body):
    current_password: str
    new_password: str


def token_json(token: ApiToken, current_id: int | None = None) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "created_at": iso(token.created_at),
            "last_used_at": iso(token.last_used_at), "current": token.id == current_id}


class AccessApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get("/me/tokens", summary="Your live API tokens (never their secrets)")
    async def my_tokens(self, request: Request) -> dict[str, Any]:
        async with database(request).transaction() as session:
            tokens = await access.live_tokens(session, request.user.id)
        return {"tokens": [token_json(t, request.state.get(TOKEN_ID)) for t in tokens]}

    @delete("/me/tokens/{token_id:int}", status_code=204, summary="Revoke one of your tokens")
    async def revoke_my_token(self, request: Request, token_id: int) -> None:
        async with database(request).transaction() as session:
            await access.revoke_token(session, token_id, actor=request.user, owner_id=request.user.id)

    @post("/me/password", status_code=200, operation_class=takes(PasswordChange),
          summary="Change your password: every session and every other token of yours ends")
    async def change_password(self, request: Request) -> dict[str, int]:
        data = await json_object(request)
        user = request.user
        try:  # throttled and recorded like a sign-in: a stolen token must not become a password oracle
            await sign_in(request, user.email, data.get("current_password"))
        except NotAuthorizedException:
            raise Invalid({"current_password": "wrong password"}) from None
        password_hash = await access.checked_password_hash(user, data.get("new_password"))
        async with database(request).transaction() as session:
            changed = await access.change_password(session, user, password_hash, actor_id=user.id,
                                                   keep_token_id=request.state.get(TOKEN_ID))
        return changed.json()

    @get("/users/{user_id:int}/tokens", summary="A user's live API tokens (ops)")
    async def user_tokens(self, request: Request, user_id: int) -> dict[str, Any]:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            if await service.get_user(session, user_id) is None:
                raise NotFound("no such user")
            tokens = await access.live_tokens(session, user_id)
        return {"tokens": [token_json(t) for t in tokens]}

    @delete("/tokens/{token_id:int}", status_code=204, summary="Revoke any token (ops)")
    async def revoke_token(self, request: Request, token_id: int) -> None:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            await access.revoke_token(session, token_id, actor=request.user)

    @post("/users/{user_id:int}/deactivate", status_code=200,
          summary="Deactivate a user: sign-in refused, every session and token ended (ops)")
    async def deactivate(self, request: Request, user_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            user = await access.set_active(session, user_id, False, actor=request.user)
        return user_json(user)

    @post("/users/{user_id:int}/reactivate", status_code=200, summary="Let a deactivated user sign in again (ops)")
    async def reactivate(self, request: Request, user_id: int) -> dict[str, Any]:
        async with database(request).transaction() as session:
            user = await access.set_active(session, user_id, True, actor=request.user)
        return user_json(user)
