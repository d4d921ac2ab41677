"""Signing in with a password, for the token API and the sign-in page alike: throttled, and
every refused password recorded as an ``auth.failed`` event (the email tried and the client
address, never the password)."""

from __future__ import annotations

from litestar import Request
from sqlalchemy import select
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException

from app.accounts import service
from app.accounts.models import User
from app.accounts.throttle import KNOWN_SIGN_IN_COOKIE, SignInThrottle
from app.events.service import record
from app.web.requests import database

#: The longest email the event keeps (the column's length).
_EMAIL_KEPT = service.EMAIL_LIMIT


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _storable(text: str) -> str:
    """What an event payload can hold on every backend: no NUL, no lone surrogates."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:_EMAIL_KEPT]


async def sign_in(request: Request, email: object, password: object) -> User:
    """The user whose password this is; 429 (with Retry-After) over the limits, 401 for a wrong
    email or password, 403 for a deactivated account."""
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    email = service.normalised_email(email)
    address = client_address(request)
    known = request.cookies.get(KNOWN_SIGN_IN_COOKIE)
    wait = await throttle.retry_after(email, address, known)
    if wait:
        raise TooManyRequestsException(f"too many failed sign-ins; try again in {wait} seconds",
                                       headers={"Retry-After": str(wait)})
    db = database(request)
    user = await service.check_credentials(db, email, password if isinstance(password, str) else "")
    if user is None:
        await throttle.failed(email, address, known)
        async with db.transaction() as session:
            known_user = (await session.execute(select(User.id).where(User.email == email))).scalar_one_or_none()
            record(session, action="auth.failed", subject_type="user", subject_id=known_user,
                   payload={"email": _storable(email), "address": _storable(address)})
        raise NotAuthorizedException("wrong email or password")
    return user
