"""Who is asking: a bearer token (programs, sockets) or a session cookie (browsers).

The JSON API takes bearer tokens only, so a browser's cookie can never be
ridden across sites into it; pages and sockets take the session cookie, and
page forms carry a CSRF token.
"""

from __future__ import annotations

import time

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


class TokenCache:
    """Bearer token -> user for a few seconds: every API request needs it, and a lookup costs a
    database round trip. A revoked token or deactivated user stops working within ``ttl``."""

    def __init__(self, ttl: float = 30.0, size: int = 10_000):
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, User]] = {}

    def get(self, token: str) -> User | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, user: User) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.ttl, user)


_tokens = TokenCache()


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        db = connection.app.state.db
        token = bearer_token(connection)
        user: User | None = None
        if token is not None:
            user = _tokens.get(token)
            if user is None:
                async with db.sessionmaker() as session:
                    user = await service.user_for_token(session, token)
                if user is None:
                    raise NotAuthorizedException("invalid or revoked token")
                _tokens.put(token, user)
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
