"""Pages for ending access: your account (password, tokens, sign out everywhere) and, for ops,
everyone's (deactivate, reactivate, revoke tokens). Every action is a form post with CSRF."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body
from litestar.response import Redirect, Template

from app.accounts import access, service
from app.accounts.sessions import SESSION_KEY, end_all_sessions, live_session_count
from app.accounts.signin import sign_in
from app.errors import Invalid, NotFound
from app.events.service import record
from app.web.requests import database

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def _account_page(request: Request, *, status: int = 200, errors: dict[str, str] | None = None,
                        notice: str | None = None) -> Template:
    async with database(request).transaction() as session:
        tokens = await access.live_tokens(session, request.user.id)
        sessions = await live_session_count(session, request.user.id)
    return Template("accounts/account.html", status_code=status, context={
        "user": request.user, "tokens": tokens, "sessions": sessions, "errors": errors or {}, "notice": notice})


class AccessPages(Controller):
    include_in_schema = False

    @get("/account")
    async def account(self, request: Request, done: str | None = None) -> Template:
        notice = {"revoked": "The token is revoked: programs using it are refused from their next request."}.get(done or "")
        return await _account_page(request, notice=notice)

    @post("/account/password", status_code=200)
    async def change_password(self, request: Request, data: Form) -> Template:
        user = request.user
        new_password = str(data.get("new_password", ""))
        if new_password != str(data.get("confirm_password", "")):
            return await _account_page(request, status=422, errors={"confirm_password": "does not match the new password"})
        try:
            await sign_in(request, user.email, str(data.get("current_password", "")))
        except NotAuthorizedException:
            return await _account_page(request, status=422, errors={"current_password": "wrong password"})
        try:
            password_hash = await access.checked_password_hash(user, new_password)
        except Invalid as exc:
            return await _account_page(request, status=422, errors=exc.errors)
        async with database(request).transaction() as session:
            changed = await access.change_password(session, user, password_hash, actor_id=user.id, reissue_session=True)
        request.set_session({SESSION_KEY: changed.new_session_id})
        others = max(changed.sessions_ended - 1, 0)  # the one ended here was this browser's, re-issued
        return await _account_page(request, notice=(
            f"Password changed. {others} other session{'s' if others != 1 else ''} signed out and "
            f"{changed.tokens_revoked} API token{'s' if changed.tokens_revoked != 1 else ''} revoked; "
            "this browser stays signed in."))

    @post("/account/tokens/{token_id:int}/revoke", status_code=303)
    async def revoke_token(self, request: Request, token_id: int) -> Redirect:
        async with database(request).transaction() as session:
            await access.revoke_token(session, token_id, actor=request.user, owner_id=request.user.id)
        return Redirect("/account?done=revoked", status_code=303)

    @post("/account/sessions/end", status_code=303)
    async def sign_out_everywhere(self, request: Request) -> Redirect:
        async with database(request).transaction() as session:
            ended = await end_all_sessions(session, request.user.id)
            record(session, action="sessions.ended", subject_type="user", subject_id=request.user.id,
                   actor_id=request.user.id, payload={"sessions_ended": ended})
        request.clear_session()
        return Redirect("/login", status_code=303)

    @get("/users")
    async def users(self, request: Request, after: int = 0) -> Template:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            users = await access.users_page(session, after=max(after, 0))
        return Template("accounts/users.html", context={
            "user": request.user, "users": users,
            "next_after": users[-1].id if len(users) == access.USERS_PAGE else None})

    @get("/users/{user_id:int}")
    async def person(self, request: Request, user_id: int) -> Template:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            person = await service.get_user(session, user_id)
            if person is None:
                raise NotFound("no such user")
            tokens = await access.live_tokens(session, user_id)
            sessions = await live_session_count(session, user_id)
        return Template("accounts/person.html", context={
            "user": request.user, "person": person, "tokens": tokens, "sessions": sessions})

    @post("/users/{user_id:int}/deactivate", status_code=303)
    async def deactivate(self, request: Request, user_id: int) -> Redirect:
        async with database(request).transaction() as session:
            await access.set_active(session, user_id, False, actor=request.user)
        return Redirect(f"/users/{user_id}", status_code=303)

    @post("/users/{user_id:int}/reactivate", status_code=303)
    async def reactivate(self, request: Request, user_id: int) -> Redirect:
        async with database(request).transaction() as session:
            await access.set_active(session, user_id, True, actor=request.user)
        return Redirect(f"/users/{user_id}", status_code=303)

    @post("/users/{user_id:int}/tokens/{token_id:int}/revoke", status_code=303)
    async def revoke_users_token(self, request: Request, user_id: int, token_id: int) -> Redirect:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            await access.revoke_token(session, token_id, actor=request.user, owner_id=user_id)
        return Redirect(f"/users/{user_id}", status_code=303)
