"""Who is asking: a bearer token (programs, sockets) or a session cookie (browsers).

The JSON API takes bearer tokens only, so a browser's cookie can never be
ridden across sites into it; pages and sockets take the session cookie, and
page forms carry a CSRF token.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from app.accounts import service
from app.accounts.models import User

API_PREFIX = "/api/"
PUBLIC_PATHS = ("/login", "/static", "/schema", "/healthz", "/api/v1/auth/token")


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        db = connection.app.state.db
        token = bearer_token(connection)
        user: User | None = None
        if token is not None:
            async with db.sessionmaker() as session:
                user = await service.user_for_token(session, token)
            if user is None:
                raise NotAuthorizedException("invalid or revoked token")
            return AuthenticationResult(user=user, auth="token")
        if connection.url.path.startswith(API_PREFIX):
            raise NotAuthorizedException("send Authorization: Bearer <token>")
        user_id = (connection.scope.get("session") or {}).get("user_id")
        if user_id is not None:
            async with db.sessionmaker() as session:
                user = await service.get_user(session, int(user_id))
        if user is None or not user.is_active:
            raise NotAuthorizedException("sign in first")
        return AuthenticationResult(user=user, auth="session")
