"""Stable pseudonyms: who did the work, without who they are (clients, reviewers)."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: str, project_id: int, user_id: int) -> str:
    """The same person gets the same name within a project, and nothing in it leads back to them."""
    digest = hmac.new(secret.encode(), f"{project_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"Contributor {digest[:6].upper()}"
