"""The one place that assembles the application."""

from __future__ import annotations

import gc
import logging

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from app.accounts.api import AccountsApi
from app.accounts.auth import PUBLIC_PATHS, AuthMiddleware
from app.accounts.account_pages import AccessPages
from app.accounts.pages import AccountPages
from app.accounts.throttle import SignInThrottle
from app.accounts.tokens_api import AccessApi
from app.agreement.api import AgreementApi
from app.agreement.pages import AgreementPages
from app.board.api import BoardApi
from app.board.live import board_socket
from app.board.pages import BoardPages
from app.coedit.live import doc_socket
from app.coedit.pages import open_reviews
from app.config import ROOT, Settings, get_settings
from app.escalations.api import EscalationsApi
from app.escalations.pages import EscalationPages
from app.export.api import ExportApi
from app.health import healthz, readyz
from app.items.api import ItemsApi
from app.jobs.runner import JobRunner
from app.media.api import media_file
from app.projects.api import ProjectsApi
from app.projects.components_api import ComponentsApi
from app.projects.pages import ProjectPages
from app.quality.api import QualityApi
from app.quality.live import me_socket
from app.quality.pages import QualityPages
from app.realtime import make_channels_plugin
from app.review.api import ReviewApi
from app.review.pages import ReviewPages
from app.runtime import wire
from app.threads.api import ThreadsApi
from app.threads.live import item_socket
from app.threads.pages import ThreadPages
from app.web.edge import checked_input
from app.web.errors import EXCEPTION_HANDLERS
from app.web.security_headers import security_headers
from app.web.templating import template_config
from app.work.api import WorkApi
from app.work.pages import WorkPages

SESSION_COOKIE = "inkwell_session"


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO if not settings.debug else logging.DEBUG)
    channels = make_channels_plugin(settings.redis_url)
    sessions = CookieBackendConfig(secret=settings.secret_key.encode()[:32].ljust(32, b"0"), key=SESSION_COOKIE,
                                   httponly=True, secure=settings.secure_cookies, samesite="lax",
                                   max_age=14 * 24 * 3600, exclude=["/api/"])  # the API takes bearer tokens only
    csrf = CSRFConfig(secret=settings.secret_key, cookie_secure=settings.secure_cookies, cookie_samesite="lax",
                      exclude=["/api/"])

    async def on_startup(app: Litestar) -> None:
        db, publisher, revocations = wire(settings, channels, app.template_engine)
        app.state.settings = settings
        app.state.db = db
        app.state.publisher = publisher
        app.state.revocations = revocations
        app.state.sign_in_throttle = SignInThrottle(settings)
        await revocations.start()
        app.state.jobs = JobRunner(db, settings)
        app.state.jobs.start()
        # Everything loaded so far lives as long as the process: leave it out of the collector's
        # full passes, which otherwise paused a busy process for 100-180 ms (bench/feedback_latency).
        gc.collect()
        gc.freeze()

    async def on_shutdown(app: Litestar) -> None:
        await app.state.revocations.stop()
        await app.state.jobs.stop()
        await app.state.publisher.drain()
        await app.state.db.dispose()

    return Litestar(
        route_handlers=[
            healthz, readyz, AccountsApi, ProjectsApi, ComponentsApi, ItemsApi, WorkApi, BoardApi, ExportApi, QualityApi, board_socket, me_socket,
            media_file,
            ReviewApi, ReviewPages, doc_socket, open_reviews, AgreementApi, AgreementPages,
            AccessApi, AccessPages, AccountPages, ProjectPages, WorkPages, BoardPages, QualityPages,
            ThreadsApi, item_socket, ThreadPages,
            EscalationsApi, EscalationPages,
            create_static_files_router(path="/static", directories=[ROOT / "static"], include_in_schema=False),
        ],
        plugins=[channels],
        middleware=[sessions.middleware, DefineMiddleware(AuthMiddleware, exclude=list(PUBLIC_PATHS))],
        csrf_config=csrf,
        template_config=template_config(),
        exception_handlers=EXCEPTION_HANDLERS,
        guards=[checked_input],  # ids in range, storable text: checked once for every route
        before_send=[security_headers(settings)],
        openapi_config=OpenAPIConfig(title="Inkwell", version="1", path="/schema"),
        request_max_body_size=settings.max_body_bytes,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=settings.debug,
    )
