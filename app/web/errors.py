"""One mapping from errors to responses: JSON for the API, pages for browsers."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from app.errors import DomainError, Invalid

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.startswith("/schema") or "application/json" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, message: str, extra: dict | None = None) -> Response:
    if wants_json(request):
        return Response({"error": message, **(extra or {})}, status_code=status, media_type=MediaType.JSON)
    user = request.scope.get("user")
    return Template("error.html", context={"status": status, "message": message, "extra": extra or {}, "user": user},
                    status_code=status)


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    return _error_page(request, exc.status_code, exc.message, exc.extra)


def parameter_errors(request: Request, exc: HTTPException) -> dict[str, str] | None:
    """Litestar's refusal of a path or query parameter (``?limit=abc``, ``?after=`` past its
    maximum) as our ``{field: message}``, so every invalid input is one 422 shape."""
    extra = exc.extra
    if not isinstance(exc, ValidationException) or not isinstance(extra, list) or not extra:
        return None
    if not all(isinstance(e, dict) and e.get("source") in {"path", "query"} and "key" in e for e in extra):
        return None
    ranges = declared_ranges(request)
    return {str(e["key"]): ranges.get(str(e["key"])) or str(e.get("message") or "invalid") for e in extra}


def declared_ranges(request: Request) -> dict[str, str]:
    """``must be a whole number from 1 to 1000`` for each parameter the handler declares with bounds."""
    ranges = {}
    for name, field in request.route_handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        low, high = getattr(kwarg, "ge", None), getattr(kwarg, "le", None)
        key = getattr(kwarg, "query", None) or name
        if low is not None and high is not None:
            ranges[key] = f"must be a whole number from {low} to {high}"
        elif low is not None:
            ranges[key] = f"must be a whole number of at least {low}"
        elif high is not None:
            ranges[key] = f"must be a whole number of at most {high}"
    return ranges


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotAuthorizedException) and not wants_json(request) and request.method == "GET":
        return Redirect(f"/login?next={request.url.path}")
    if (errors := parameter_errors(request, exc)) is not None:
        return domain_error_handler(request, Invalid(errors))
    message = exc.detail or "error"
    extra = {"details": exc.extra} if exc.extra and isinstance(exc.extra, (list, dict)) else None
    response = _error_page(request, exc.status_code, message, extra)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
}
