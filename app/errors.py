"""Domain errors. Services raise these; the web layer maps them to status codes."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, **self.extra}


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class Invalid(DomainError):
    """Bad input; ``errors`` maps a field to its message."""

    status_code = 422

    def __init__(self, errors: dict[str, str], message: str = "invalid input", **extra: Any):
        super().__init__(message, errors=errors, **extra)
        self.errors = errors
