"""JSON API for tokens and users."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from app.accounts import service
from app.accounts.access import USERS_PAGE, users_page
from app.accounts.signin import sign_in
from app.accounts.bodies import Credentials, NewUser
from app.models_base import INT_ID_MAX, iso
from app.accounts.models import User
from app.web.bodies import takes
from app.web.requests import database, json_object


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name, "is_ops": user.is_ops,
            "is_active": user.is_active, "created_at": iso(user.created_at)}


class AccountsApi(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post("/auth/token", status_code=200, summary="Exchange email and password for a bearer token",
          operation_class=takes(Credentials))
    async def token(self, request: Request) -> dict[str, str]:
        data = await json_object(request)
        db = database(request)
        user = await sign_in(request, data.get("email"), data.get("password"))  # 401, 403 or 429 otherwise
        async with db.transaction() as session:
            token = await service.issue_token(session, user, name=str(data.get("name") or "api"))
        return {"token": token}

    @post("/users", summary="Create a user (ops)", operation_class=takes(NewUser))
    async def create_user(self, request: Request) -> dict[str, Any]:
        service.require_ops(request.user)
        data = await json_object(request)
        async with database(request).transaction() as session:
            user = await service.create_user(session, email=data.get("email"), name=data.get("name"),
                                             password=data.get("password"), role=data.get("role"),
                                             actor_id=request.user.id)
        return user_json(user) | {"role": data.get("role")}

    @get("/users", summary="Users, a page at a time by id (ops)")
    async def users(self, request: Request, after: int = Parameter(default=0, ge=0, le=INT_ID_MAX),
                    limit: int = Parameter(default=USERS_PAGE, ge=1, le=USERS_PAGE)) -> dict[str, Any]:
        service.require_ops(request.user)
        async with database(request).transaction() as session:
            users = await users_page(session, after=after, limit=limit)
        return {"users": [user_json(u) for u in users],
                "next_after": users[-1].id if len(users) == limit else None}

    @get("/me", summary="The signed-in user")
    async def me(self, request: Request) -> dict[str, Any]:
        return user_json(request.user)
