"""Whose answers: ops read annotators by name; everyone else by a stable pseudonym."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.pseudonym import pseudonym


def pseudonymous(secret: str, project_id: int, key: str) -> str:
    """The same pseudonym the board uses for Inkwell people; imported annotators get one the same way."""
    if key.isdigit():
        return pseudonym(secret, project_id, int(key))
    digest = hmac.new(secret.encode(), f"{project_id}:{key}".encode(), hashlib.sha256).hexdigest()
    return f"Imported annotator {digest[:6].upper()}"


async def display_names(session: AsyncSession, project_id: int, keys: set[str], *, named: bool,
                        secret: str) -> dict[str, str]:
    if not named:
        return {key: pseudonymous(secret, project_id, key) for key in keys}
    ids = {int(key) for key in keys if key.isdigit()}
    names = dict((await session.execute(select(User.id, User.name).where(User.id.in_(ids)))).all()) if ids else {}
    return {key: names.get(int(key), key) if key.isdigit() else key.removeprefix("import:") + " (imported)"
            for key in keys}
