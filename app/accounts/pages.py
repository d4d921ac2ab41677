"""Sign in, sign out, and the list of projects a person can reach."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from app.accounts import service
from app.projects.service import projects_for
from app.web.requests import database

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a fresh session to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


class AccountPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: str | None = None) -> Template:
        return Template("accounts/login.html", context={"next": _safe_next(next), "email": "", "error": None})

    @post("/login", status_code=200)
    async def login(self, request: Request, data: Form) -> Template | Redirect:
        user = await service.check_credentials(database(request), str(data.get("email", "")),
                                               str(data.get("password", "")))
        if user is None:
            return Template("accounts/login.html", status_code=401, context={
                "next": _safe_next(data.get("next")), "email": data.get("email", ""), "error": "Wrong email or password."})
        request.set_session({"user_id": user.id})
        return Redirect(_safe_next(data.get("next")), status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)

    @get("/")
    async def home(self, request: Request) -> Template:
        async with database(request).transaction() as session:
            projects = await projects_for(session, request.user)
        return Template("accounts/home.html", context={"user": request.user, "projects": projects})
