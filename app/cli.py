"""The ``inkwell`` command: set-up, users, tokens, imports and exports from a shell."""

from __future__ import annotations

import asyncio
import functools
import secrets
import sys
from pathlib import Path

import click

from app.config import ROOT, get_settings


def run_async(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))
    return wrapper


def fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Inkwell: a data production platform for AI training data."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic upgrade head)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    command.upgrade(config, "head")
    click.echo(f"database ready: {_redact(get_settings().database_url)}")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="several need PostgreSQL and REDIS_URL")
@click.option("--reload", is_flag=True, help="restart on code changes (development)")
def serve(host: str, port: int, workers: int, reload: bool) -> None:
    """Serve the web app (uvicorn)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and (settings.is_sqlite or not settings.redis_url):
        fail("several workers need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) to share state and live pushes")
    uvicorn.run("app.asgi:create_app", factory=True, host=host, port=port, workers=workers, reload=reload,
                proxy_headers=True, log_level="info")


@main.command()
def worker() -> None:
    """Run the periodic jobs (lease reclaim, agreement) with arq on REDIS_URL; outlives Redis restarts."""
    import logging

    from app.jobs.worker import run

    settings = get_settings()
    if not settings.redis_url:
        fail("the worker needs Redis (REDIS_URL); without it the web process runs the jobs itself")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(settings)


@main.command()
@click.option("--force", is_flag=True, help="seed even if users exist")
@run_async
async def seed(force: bool) -> None:
    """Create the demo program and one user per role; passwords are printed once."""
    from app.seed import seed_demo

    from app.runtime import standalone_runtime
    async with standalone_runtime() as runtime:
        created = await seed_demo(runtime.db, force=force)
    if created is None:
        click.echo("demo already seeded (users exist). Reset a password with: inkwell users set-password EMAIL")
        return
    click.echo("Demo program seeded. Sign in at http://127.0.0.1:8000 with (shown once):")
    for email, role, password in created:
        click.echo(f"  {role:<12} {email:<28} {password}")


@main.group()
def users() -> None:
    """Add, deactivate and reactivate users; reset passwords."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["ops", "reviewer", "contributor", "specialist", "client"]),
              help="ops is global; other roles are granted per project with 'inkwell members add'")
@click.option("--password", default=None, help="generated and printed when omitted")
@run_async
async def users_add(email: str, name: str, role: str, password: str | None) -> None:
    from app.accounts.service import create_user
    from app.errors import DomainError
    from app.runtime import standalone_runtime

    password = password or secrets.token_urlsafe(12)
    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                user = await create_user(session, email=email, name=name, password=password, role=role)
        except DomainError as exc:
            fail(f"{exc.message} {exc.extra.get('errors', '')}".strip())
    click.echo(f"user {user.id} {user.email} created; password: {password}")


@users.command("set-password")
@click.argument("email")
@click.option("--password", default=None, help="generated and printed when omitted")
@run_async
async def users_set_password(email: str, password: str | None) -> None:
    """Reset a password; every session and API token of the user ends."""
    from app.accounts.access import change_password, checked_password_hash
    from app.accounts.service import get_user_by_email
    from app.errors import DomainError
    from app.runtime import standalone_runtime

    password = password or secrets.token_urlsafe(12)
    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                user = await get_user_by_email(session, email)
            password_hash = await checked_password_hash(user, password, field="password")
            async with runtime.db.transaction() as session:
                changed = await change_password(session, user, password_hash, actor_id=None)
        except DomainError as exc:
            fail(f"{exc.message} {exc.extra.get('errors', '')}".strip())
    click.echo(f"password for {email}: {password} ({changed.sessions_ended} sessions ended, "
               f"{changed.tokens_revoked} API tokens revoked)")


@users.command("deactivate")
@click.argument("email")
@run_async
async def users_deactivate(email: str) -> None:
    """Refuse the user's sign-in and end every session and API token they have, on every process."""
    await _set_active(email, False)


@users.command("reactivate")
@click.argument("email")
@run_async
async def users_reactivate(email: str) -> None:
    """Let a deactivated user sign in again (their old sessions and tokens stay ended)."""
    await _set_active(email, True)


async def _set_active(email: str, active: bool) -> None:
    from app.accounts.access import set_active
    from app.accounts.service import get_user_by_email
    from app.errors import DomainError
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                user = await set_active(session, (await get_user_by_email(session, email)).id, active, actor=None)
        except DomainError as exc:
            fail(exc.message)
    click.echo(f"{user.email} is {'active' if active else 'deactivated'}")


@main.group()
def tokens() -> None:
    """API tokens for programs."""


@tokens.command("issue")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="a label for the token")
@run_async
async def tokens_issue(email: str, name: str) -> None:
    from app.accounts.service import get_user_by_email, issue_token
    from app.errors import DomainError
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                token = await issue_token(session, await get_user_by_email(session, email), name=name)
        except DomainError as exc:
            fail(exc.message)
    click.echo(token)


@tokens.command("list")
@click.option("--email", required=True)
@run_async
async def tokens_list(email: str) -> None:
    """The user's live API tokens: id, name, created, last used (to the hour). Never the secrets."""
    from app.accounts.access import live_tokens
    from app.accounts.service import get_user_by_email
    from app.errors import DomainError
    from app.models_base import iso
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                found = await live_tokens(session, (await get_user_by_email(session, email)).id)
        except DomainError as exc:
            fail(exc.message)
    if not found:
        click.echo(f"{email} has no live tokens")
    for token in found:
        click.echo(f"{token.id}\t{token.name}\tcreated {iso(token.created_at)}\tlast used {iso(token.last_used_at) or 'never'}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@run_async
async def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id (see 'inkwell tokens list'); refused from the next request on every process."""
    from app.accounts.access import revoke_token
    from app.errors import DomainError
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                token = await revoke_token(session, token_id, actor=None)
        except DomainError as exc:
            fail(exc.message)
    click.echo(f"token {token.id} ({token.name}) revoked")


@main.group()
def members() -> None:
    """Project roles."""


@members.command("add")
@click.option("--project", "project_id", required=True, type=int)
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(["ops", "reviewer", "contributor", "specialist", "client"]))
@click.option("--level", default=1, show_default=True, type=click.IntRange(1, 5),
              help="reviewer level: the review stages (up to this level) the person may work")
@run_async
async def members_add(project_id: int, email: str, role: str, level: int) -> None:
    from app.accounts.service import add_member, get_user_by_email
    from app.errors import DomainError
    from app.projects.service import get_project
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                await get_project(session, project_id)
                user = await get_user_by_email(session, email)
                await add_member(session, project_id=project_id, user_id=user.id, role=role, actor_id=None, level=level)
        except DomainError as exc:
            fail(exc.message)
    click.echo(f"{email} is {role} in project {project_id}" + (f" (level {level})" if level > 1 else ""))


@main.command("import")
@click.option("--project", "project_id", required=True, type=int)
@click.option("--batch", default=None, help="batch name (default: 'default')")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv", "labelstudio"]), default=None,
              help="default: from the file name, else sniffed (a Label Studio JSON export is recognised)")
@click.option("--due", default=None, help="the batch's due date, ISO 8601 (e.g. 2026-12-01T17:00:00Z)")
@click.option("--as", "actor_email", default=None, help="ops email recorded as the importer")
@click.option("--media", "media_dir", default=None, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="a folder of the files the items name as media:<path inside it>; stored in the media store")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_async
async def import_items(project_id: int, batch: str | None, fmt: str | None, due: str | None, actor_email: str | None,
                       media_dir: Path | None, path: Path) -> None:
    """Import items from a JSON array, JSONL or CSV file, all or nothing (read as it goes, never whole)."""
    from sqlalchemy import select

    from app.accounts.models import User
    from app.errors import DomainError
    from app.items.parsing import ImportRejected
    from app.items.service import import_upload
    from app.projects.service import get_project, parse_due
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                await get_project(session, project_id)
                query = select(User).where(User.is_ops) if not actor_email else select(User).where(User.email == actor_email.lower())
                actor = (await session.execute(query.order_by(User.id).limit(1))).scalar_one_or_none()
                if actor is None:
                    fail("no ops user to record as the importer; pass --as EMAIL")
            with path.open("rb") as source:
                if media_dir is None:
                    result, _ = await import_upload(runtime.db, project_id, source, actor=actor, fmt=fmt,
                                                    filename=path.name, batch_name=batch, due_at=parse_due(due))
                else:
                    from app.media.importing import import_with_media
                    from app.media.sources import FolderFiles
                    from app.media.store import store_from_settings

                    settings = runtime.settings
                    done = await import_with_media(runtime.db, store_from_settings(settings), project_id, source,
                                                   FolderFiles(media_dir), actor=actor,
                                                   max_bytes=settings.max_media_bytes, fmt=fmt, filename=path.name,
                                                   batch_name=batch, due_at=parse_due(due))
                    result = done.result
                    click.echo(f"media: {done.media['stored']} files stored, {done.media['deduplicated']} already there")
        except ImportRejected as exc:
            click.echo(f"import rejected, nothing was imported ({exc.total} problems):", err=True)
            for problem in exc.problems:
                file = f" ({problem.file})" if getattr(problem, "file", "") else ""
                click.echo(f"  line {problem.line}{file}: {problem.message}", err=True)
            sys.exit(1)
        except DomainError as exc:
            fail(f"{exc.message} {exc.extra.get('errors', '')}".strip())
    click.echo(f"imported {result.created} items ({result.gold} gold, {result.annotations} prior annotations) "
               f"into batch {result.batch_id}")


@main.command()
@click.option("--project", "project_id", required=True, type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="default: standard output")
@click.option("--aggregate", type=click.Choice(["majority", "dawid_skene", "none"]), default="majority", show_default=True,
              help="how each item's label is made from its answers (none: raw answers only)")
@run_async
async def export(project_id: int, out: Path | None, aggregate: str) -> None:
    """Stream a project's items, their aggregated labels and raw annotations as JSONL."""
    from app.errors import DomainError
    from app.export.service import export_jsonl
    from app.projects.service import get_project
    from app.runtime import standalone_runtime

    async with standalone_runtime() as runtime:
        try:
            async with runtime.db.transaction() as session:
                await get_project(session, project_id)
        except DomainError as exc:
            fail(exc.message)
        stream = out.open("wb") if out else sys.stdout.buffer
        try:
            async for chunk in export_jsonl(runtime.db, project_id, aggregate=aggregate):
                stream.write(chunk)
        finally:
            if out:
                stream.close()
    if out:
        click.echo(f"exported to {out}")


if __name__ == "__main__":
    main()
