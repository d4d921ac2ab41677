"""Who is asking: a bearer token (programs, sockets) or a session cookie (browsers).

The JSON API takes bearer tokens only, so a browser's cookie can never be
ridden across sites into it; pages and sockets take the session cookie, and
page forms carry a CSRF token. The cookie names a server-side session
(app/accounts/sessions.py), so an ended session, a revoked token or a
deactivated user is refused at the next request, sockets included.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from app.accounts import service
from app.accounts.models import User
from app.accounts.sessions import SESSION_KEY, user_for_session

API_PREFIX = "/api/"
PUBLIC_PATHS = ("/login", "/static", "/schema", "/healthz", "/api/v1/auth/token")
#: ``connection.state`` key: the id of the token that authenticated the request.
TOKEN_ID = "token_id"


def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        if token is not None:
            user, token_id = await _token_user(connection, token)
            connection.state[TOKEN_ID] = token_id
            return AuthenticationResult(user=user, auth="token")
        if connection.url.path.startswith(API_PREFIX):
            raise NotAuthorizedException("send Authorization: Bearer <token>")
        session_id = (connection.scope.get("session") or {}).get(SESSION_KEY)
        user = None
        if session_id is not None:
            async with connection.app.state.db.sessionmaker() as session:
                user = await user_for_session(session, session_id)
        if user is None:
            raise NotAuthorizedException("sign in first")
        return AuthenticationResult(user=user, auth="session")


async def _token_user(connection: ASGIConnection, token: str) -> tuple[User, int]:
    revocations = connection.app.state.revocations
    cache = revocations.cache
    token_hash = service.token_hash(token)
    found = await revocations.cached(token_hash)
    if found is None:
        ticket = cache.ticket() if cache is not None else 0
        async with connection.app.state.db.sessionmaker() as session:
            found = await service.user_for_token(session, token_hash)
        if found is None:
            raise NotAuthorizedException("invalid or revoked token")
        if cache is not None:
            cache.put(token_hash, *found, ticket=ticket)
    return found
