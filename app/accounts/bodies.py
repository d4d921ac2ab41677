"""Request bodies of the accounts API (see ``app.web.bodies``)."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from app.accounts.models import Role
from app.web.bodies import Body


class Credentials(Body):
    email: str
    password: str
    name: str | UnsetType = UNSET  # a name for the token ("api" when not given)


class NewUser(Body):
    email: str
    name: str
    password: str
    role: Role
