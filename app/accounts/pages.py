"""Sign in, sign out, and the list of projects a person can reach."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import Body
from litestar.response import Redirect, Template

from app.accounts.sessions import SESSION_KEY, end_session, start_session
from app.accounts.signin import sign_in
from app.accounts.throttle import KNOWN_SIGN_IN_COOKIE, KNOWN_SIGN_IN_MAX_AGE
from app.errors import Forbidden
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
        email = str(data.get("email", ""))
        try:
            user = await sign_in(request, email, str(data.get("password", "")))
        except (NotAuthorizedException, TooManyRequestsException, Forbidden) as exc:
            status, message, headers = 401, "Wrong email or password.", {}
            if isinstance(exc, TooManyRequestsException):
                status, headers = 429, dict(exc.headers or {})
                message = f"Too many failed sign-ins. Try again in {headers.get('Retry-After', 'a few')} seconds."
            elif isinstance(exc, Forbidden):
                status, message = 403, "This account is deactivated. Ask an ops person to reactivate it."
            return Template("accounts/login.html", status_code=status, headers=headers, context={
                "next": _safe_next(data.get("next")), "email": email, "error": message})
        async with database(request).transaction() as session:
            session_id = await start_session(session, user)
        request.set_session({SESSION_KEY: session_id})
        throttle = request.app.state.sign_in_throttle
        known = Cookie(key=KNOWN_SIGN_IN_COOKIE, value=throttle.known_sign_in(user.email), max_age=KNOWN_SIGN_IN_MAX_AGE,
                       httponly=True, secure=request.app.state.settings.secure_cookies, samesite="lax", path="/login")
        return Redirect(_safe_next(data.get("next")), status_code=303, cookies=[known])

    @post("/logout", status_code=303)
    async def logout(self, request: Request) -> Redirect:
        session_id = (request.session or {}).get(SESSION_KEY)
        if session_id is not None:
            async with database(request).transaction() as session:
                await end_session(session, session_id, request.user.id)
        request.clear_session()
        return Redirect("/login", status_code=303)

    @get("/")
    async def home(self, request: Request) -> Template:
        async with database(request).transaction() as session:
            projects = await projects_for(session, request.user)
        return Template("accounts/home.html", context={"user": request.user, "projects": projects})
