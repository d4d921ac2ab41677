"""Settings, read once from the environment (12-factor)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{ROOT / 'inkwell.db'}"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY signs sessions and CSRF tokens; a dev key is kept in a local file."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = ROOT / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def normalise_database_url(url: str) -> str:
    """Accept plain postgres:// and sqlite:// URLs and pick the async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: normalise_database_url(
        os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)))
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL") or None)
    secret_key: str = field(default_factory=_secret_key)
    secure_cookies: bool = field(default_factory=lambda: _bool(os.environ.get("SECURE_COOKIES"), True))
    database_pool_size: int = field(default_factory=lambda: int(os.environ.get("DATABASE_POOL_SIZE", "10")))
    lease_seconds: int = field(default_factory=lambda: int(os.environ.get("LEASE_SECONDS", "900")))
    max_body_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024))))
    max_import_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_IMPORT_BYTES", str(200 * 1024 * 1024))))
    debug: bool = field(default_factory=lambda: _bool(os.environ.get("DEBUG"), False))
    #: Failed sign-ins allowed per account and per client address (``limits`` notation, ";" between limits).
    sign_in_limit_account: str = field(default_factory=lambda: os.environ.get("SIGN_IN_LIMIT_ACCOUNT", "5/minute;20/hour"))
    sign_in_limit_address: str = field(default_factory=lambda: os.environ.get("SIGN_IN_LIMIT_ADDRESS", "30/minute"))
    #: Media (app/media): a local folder by default, S3-compatible storage when MEDIA_URL is s3://bucket/prefix.
    media_dir: str = field(default_factory=lambda: os.environ.get("MEDIA_DIR", "./media"))
    media_url: str | None = field(default_factory=lambda: os.environ.get("MEDIA_URL") or None)
    media_s3_endpoint: str | None = field(default_factory=lambda: os.environ.get("MEDIA_S3_ENDPOINT") or None)
    media_s3_key: str | None = field(default_factory=lambda: os.environ.get("MEDIA_S3_KEY") or None)
    media_s3_secret: str | None = field(default_factory=lambda: os.environ.get("MEDIA_S3_SECRET") or None)
    media_s3_region: str = field(default_factory=lambda: os.environ.get("MEDIA_S3_REGION", "us-east-1"))
    #: The largest media upload (the zip), and the largest file in it.
    max_media_bytes: int = field(default_factory=lambda: int(os.environ.get("MAX_MEDIA_BYTES", str(2 * 1024 ** 3))))

    @property
    def channel_namespace(self) -> str:
        """Live channels belong to one database: every process of a deployment derives the same name."""
        import hashlib

        return os.environ.get("CHANNEL_NAMESPACE") or hashlib.sha256(self.database_url.encode()).hexdigest()[:12]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    return Settings()
